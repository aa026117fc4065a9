package dev.clgrad.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Replaces a file all at once or not at all: the bytes go to {@code NAME.tmp} beside it, are
 * forced to the disk (fsync), and the temporary file is renamed over the target, then the folder
 * is forced so the rename itself survives a power cut. A process killed at any point leaves either
 * the old file or the new one, never a mix; a partial {@code NAME.tmp} left behind is ignored by
 * readers and overwritten by the next write.
 */
final class AtomicFile {
    private AtomicFile() {
    }

    /** Writes {@code bytes} to {@code target} atomically; creates the folder. Not modified: bytes. */
    static void write(Path target, byte[] bytes) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve(abs.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw new IOException(target + ": write failed (the previous file, if any, is unchanged): " + e, e);
        }
        forceFolder(dir);
    }

    /**
     * fsync of the folder makes the rename durable. Some platforms (Windows) cannot open a folder
     * as a channel; there the rename is still atomic, only its durability is the OS's business.
     */
    private static void forceFolder(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Not supported here; see the method's comment.
        }
    }
}
