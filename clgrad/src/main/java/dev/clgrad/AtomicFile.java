package dev.clgrad;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Replaces a file all at once or not at all: the bytes go to {@code NAME.tmp} beside it, are
 * forced to the disk (fsync), and the temporary file is renamed over the target, then the folder
 * is forced so the rename itself survives a power cut. A process killed at any point leaves either
 * the old file or the new one, never a mix; a partial {@code NAME.tmp} left behind is ignored by
 * readers and overwritten by the next write. A target that is an existing folder is refused (it
 * is never deleted or replaced). Every failure is an {@link IOException} whose message starts with
 * the target's path and says why in words ({@code No space left on device}).
 */
public final class AtomicFile {
    private AtomicFile() {
    }

    /** What writes the file's content into a stream; the stream is closed by {@link AtomicFile}. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Writes {@code bytes} to {@code target} atomically; creates the folder. Not modified: bytes. */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }

    /**
     * Writes what {@code content} produces to {@code target} atomically, streamed through
     * {@code NAME.tmp} (so large files need no buffer of their size); creates the folder.
     */
    public static void write(Path target, Content content) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (Files.isDirectory(abs, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(target + ": is a folder; expected a file name (nothing was written, the folder is "
                    + "unchanged)");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IOException(target + ": cannot create its folder " + dir + ": " + reason(e, dir.toString()), e);
        }
        Path tmp = dir.resolve(abs.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
                content.writeTo(new NonClosing(out));
                out.flush();
                ch.force(true);
            }
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // The write already failed; that failure is the one to report.
            }
            if (e instanceof RuntimeException r && !(r instanceof java.io.UncheckedIOException)) {
                throw r;
            }
            IOException io = e instanceof java.io.UncheckedIOException u ? u.getCause() : (IOException) e;
            throw new IOException(target + ": write failed (the previous file, if any, is unchanged): "
                    + reason(io, tmp.toString(), abs.toString()), io);
        }
        forceFolder(dir);
    }

    /**
     * Why an I/O call failed, in words: a file-system error's reason ({@code Read-only file
     * system}) with the file it concerns when that is not one of {@code known}, else the message.
     */
    public static String reason(IOException e, String... known) {
        if (e instanceof FileSystemException f) {
            String why = f.getReason() != null ? f.getReason()
                    : e instanceof java.nio.file.NoSuchFileException ? "No such file or directory"
                    : e instanceof java.nio.file.AccessDeniedException ? "Permission denied"
                    : e.getClass().getSimpleName();
            return f.getFile() == null || java.util.List.of(known).contains(f.getFile()) ? why
                    : why + " (" + f.getFile() + ")";
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
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

    /** A stream whose close only flushes, so a writer that closes its stream cannot skip the fsync. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
