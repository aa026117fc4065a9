package dev.clgrad.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files (LeCun's MNIST format, also Fashion-MNIST), gzipped or raw (told apart by the
 * gzip magic 1f 8b, not the file name). Layout, big-endian: two zero bytes, the type byte (only
 * 0x08, unsigned byte, is supported), the number of dimensions d, then d 32-bit sizes, then the
 * data. Every problem — bad magic, unsupported type, zero or absurd dimensions, a truncated or
 * over-long body, a corrupt gzip stream — is an {@link IOException} naming the file.
 */
public final class IdxReader {
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    private static final long MAX_DEFLATE_RATIO = 1032;

    private IdxReader() {
    }

    /** The file's unsigned bytes as floats times {@code scale} (1/255 puts pixels in [0, 1]). */
    public static HostArray read(Path file, float scale) throws IOException {
        long[] bound = new long[1];
        try (InputStream in = open(file, bound)) {
            int[] dims = header(in, file);
            int rank = dims.length;
            long n = 1;
            for (int d : dims) {
                n *= d;
            }
            long room = bound[0] - 4 - 4L * rank;
            byte[] body = readFully(in, (int) n, (int) Math.min(n, Math.max(1 << 16, room)), file,
                    "data for dimensions " + Arrays.toString(dims));
            if (!atEnd(in, file)) {
                throw new IOException(file + ": trailing bytes after the " + n + " data bytes of dimensions "
                        + Arrays.toString(dims));
            }
            float[] out = new float[body.length];
            for (int i = 0; i < body.length; i++) {
                out[i] = (body[i] & 0xff) * scale;
            }
            return new HostArray(dims, out);
        }
    }

    /** The dimensions the file's header declares, checked as {@link #read} checks them; the data is not read. */
    public static int[] dims(Path file) throws IOException {
        try (InputStream in = open(file, new long[1])) {
            return header(in, file);
        }
    }

    /** Reads and checks the header: magic, element type, and the dimensions, which it returns. */
    private static int[] header(InputStream in, Path file) throws IOException {
        byte[] head = readFully(in, 4, 4, file, "header");
        if (head[0] != 0 || head[1] != 0) {
            throw new IOException(file + ": not an IDX file: magic starts with " + hex(head[0]) + " " + hex(head[1])
                    + ", expected 00 00");
        }
        if (head[2] != 0x08) {
            throw new IOException(file + ": IDX element type " + hex(head[2])
                    + " is not supported; expected 08 (unsigned byte)");
        }
        int rank = head[3] & 0xff;
        if (rank < 1) {
            throw new IOException(file + ": IDX header declares 0 dimensions");
        }
        byte[] dimBytes = readFully(in, 4 * rank, 4 * rank, file, "dimensions");
        int[] dims = new int[rank];
        long n = 1;
        for (int i = 0; i < rank; i++) {
            int b = 4 * i;
            long d = ((dimBytes[b] & 0xffL) << 24) | ((dimBytes[b + 1] & 0xff) << 16)
                    | ((dimBytes[b + 2] & 0xff) << 8) | (dimBytes[b + 3] & 0xff);
            if (d < 1 || d > MAX_ELEMENTS) {
                throw new IOException(file + ": IDX dimension " + i + " is " + d + ", expected 1.." + MAX_ELEMENTS);
            }
            dims[i] = (int) d;
            n *= d;
            if (n > MAX_ELEMENTS) {
                throw new IOException(file + ": IDX dimensions " + Arrays.toString(Arrays.copyOf(dims, i + 1))
                        + " hold more than " + MAX_ELEMENTS + " elements");
            }
        }
        return dims;
    }

    /**
     * The file's bytes, gunzipped when it starts with the gzip magic; {@code bound[0]} is set to the
     * most bytes the stream is expected to give: a raw file's size, or the uncompressed size that a
     * gzip trailer records (ISIZE, the size modulo 2^32), capped at what deflate's largest ratio
     * (1032:1) can give from the file, so a forged trailer cannot ask for more memory than the file
     * could fill.
     */
    private static InputStream open(Path file, long[] bound) throws IOException {
        long size = Files.size(file);
        bound[0] = size;
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            bound[0] = Math.min(gzipSize(file, size), MAX_DEFLATE_RATIO * size);
            try {
                return new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
            } catch (IOException e) {
                in.close();
                throw new IOException(file + ": corrupt gzip header: " + e.getMessage(), e);
            }
        }
        return in;
    }

    /** The gzip trailer's ISIZE (its last 4 bytes, little-endian), or 0 for a file too short to hold one. */
    private static long gzipSize(Path file, long size) throws IOException {
        if (size < 18) {
            return 0;
        }
        try (SeekableByteChannel ch = Files.newByteChannel(file)) {
            ByteBuffer tail = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            ch.position(size - 4);
            while (tail.hasRemaining()) {
                if (ch.read(tail) < 0) {
                    break;
                }
            }
            return tail.hasRemaining() ? 0 : tail.getInt(0) & 0xffffffffL;
        }
    }

    /**
     * Reads exactly n bytes into an array of {@code capacity} bytes (at most n), grown by doubling
     * with the bytes that actually arrive, so a header that declares more data than the file holds
     * costs memory in proportion to the file, not to the declaration; a capacity from the file's
     * size (see {@link #open}) reads the body without copying it.
     */
    private static byte[] readFully(InputStream in, int n, int capacity, Path file, String what) throws IOException {
        byte[] buf = new byte[capacity];
        int got = 0;
        try {
            while (got < n) {
                if (got == buf.length) {
                    buf = Arrays.copyOf(buf, (int) Math.min(n, 2L * buf.length));
                }
                int r = in.read(buf, got, buf.length - got);
                if (r < 0) {
                    break;
                }
                got += r;
            }
        } catch (EOFException e) {
            throw new IOException(file + ": truncated gzip stream while reading the " + what + " (" + got + " of "
                    + n + " bytes read)", e);
        } catch (IOException e) {
            throw new IOException(file + ": corrupt data while reading the " + what + ": " + e.getMessage(), e);
        }
        if (got < n) {
            throw new IOException(file + ": truncated: the " + what + " needs " + n + " bytes, only " + got + " present");
        }
        return buf;
    }

    /** Whether the stream is at its end; a gzip trailer that fails its checks is reported as corrupt. */
    private static boolean atEnd(InputStream in, Path file) throws IOException {
        try {
            return in.read() == -1;
        } catch (IOException e) {
            throw new IOException(file + ": corrupt data after the IDX body (gzip trailer): " + e.getMessage(), e);
        }
    }

    private static String hex(byte b) {
        return String.format("%02x", b & 0xff);
    }
}
