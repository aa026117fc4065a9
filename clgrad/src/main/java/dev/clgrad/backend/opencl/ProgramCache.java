package dev.clgrad.backend.opencl;

import dev.clgrad.Diagnostics;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import static java.lang.System.Logger.Level.WARNING;

/**
 * Program binaries on disk, one file per (device name, driver version, source, options), named by
 * the SHA-256 of all four. A file holds a magic word, the binary's length and SHA-256, then the
 * binary; anything that does not verify is treated as absent (and rebuilt by the caller), never
 * as an error. Writes go to a temporary file renamed into place, so readers never see half a file.
 */
final class ProgramCache {
    private static final System.Logger LOG = Diagnostics.logger(ProgramCache.class);
    private static final int MAGIC = 0x434c4742; // "CLGB"

    private final Path dir;

    /** {@code dir} null disables the cache. */
    ProgramCache(Path dir) {
        this.dir = dir;
    }

    static String key(String deviceName, String driverVersion, String source, String options) {
        return HexFormat.of().formatHex(sha256((deviceName + "\n" + driverVersion + "\n" + options + "\n" + source)
                .getBytes(StandardCharsets.UTF_8)));
    }

    /** Whether entries are loaded and stored at all. */
    boolean enabled() {
        return dir != null;
    }

    Path path(String key) {
        return dir == null ? null : dir.resolve(key + ".bin");
    }

    /** The cached binary, or null when absent, unreadable or failing verification. */
    byte[] load(String key) {
        Path file = path(key);
        if (file == null || !Files.isRegularFile(file)) {
            return null;
        }
        try {
            ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file));
            if (buf.remaining() < 40 || buf.getInt() != MAGIC) {
                return invalid(file, "bad header");
            }
            int length = buf.getInt();
            byte[] digest = new byte[32];
            buf.get(digest);
            if (length < 0 || length != buf.remaining()) {
                return invalid(file, "length " + length + " but " + buf.remaining() + " bytes follow");
            }
            byte[] binary = new byte[length];
            buf.get(binary);
            if (!MessageDigest.isEqual(digest, sha256(binary))) {
                return invalid(file, "checksum mismatch");
            }
            return binary;
        } catch (IOException e) {
            return invalid(file, e.toString());
        }
    }

    /** Forgets an entry that the driver refused. */
    void evict(String key, String why) {
        Path file = path(key);
        if (file != null) {
            invalid(file, why);
        }
    }

    private static byte[] invalid(Path file, String why) {
        LOG.log(WARNING, "program cache entry " + file + " is unusable (" + why + "); rebuilding from source");
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.log(WARNING, "cannot delete " + file + ": " + e);
        }
        return null;
    }

    /** Stores a binary; a failure to write only logs, since the cache is an optimisation. */
    void store(String key, byte[] binary) {
        Path file = path(key);
        if (file == null || binary.length == 0) {
            return;
        }
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, key, ".tmp");
            ByteBuffer buf = ByteBuffer.allocate(40 + binary.length);
            buf.putInt(MAGIC).putInt(binary.length).put(sha256(binary)).put(binary);
            Files.write(tmp, buf.array());
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.log(WARNING, "cannot write program cache entry " + file + ": " + e);
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
