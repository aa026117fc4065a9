package dev.clgrad.data;

import dev.clgrad.AtomicFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Writes a float32 array as a NumPy {@code .npy} file, format version 1.0, as
 * {@code numpy.save} does: the magic {@code \x93NUMPY}, version bytes 1 0, the header length
 * (2 bytes, little-endian), the header {@code {'descr': '<f4', 'fortran_order': False, 'shape': (N, C), }}
 * padded with spaces and ended by a newline so that the data starts at a multiple of 64 bytes,
 * then the values little-endian in C order. {@link NpyReader} and {@code numpy.load} read it back.
 */
public final class NpyWriter {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    private static final int PREAMBLE = MAGIC.length + 2;
    private static final int ALIGN = 64;

    private NpyWriter() {
    }

    /** Writes {@code a} to {@code file} atomically. Not modified: a. */
    public static void write(Path file, HostArray a) throws IOException {
        AtomicFile.write(file, encode(a));
    }

    /** The file's bytes for {@code a}. Not modified: a. */
    public static byte[] encode(HostArray a) {
        StringBuilder shape = new StringBuilder("(");
        for (int d : a.shape()) {
            shape.append(d).append(", ");
        }
        if (a.shape().length > 1) {
            shape.setLength(shape.length() - 2);
        } else {
            shape.setLength(shape.length() - 1);
        }
        StringBuilder header = new StringBuilder("{'descr': '<f4', 'fortran_order': False, 'shape': ")
                .append(shape).append("), }");
        int total = PREAMBLE + header.length() + 1;
        header.append(" ".repeat((ALIGN - total % ALIGN) % ALIGN)).append('\n');
        byte[] h = header.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (h.length > 0xffff) {
            throw new IllegalArgumentException("npy: a header of " + h.length + " bytes needs format version 2; shape "
                    + java.util.Arrays.toString(a.shape()));
        }
        float[] data = a.data();
        ByteBuffer out = ByteBuffer.allocate(Math.addExact(PREAMBLE + h.length, Math.multiplyExact(data.length, Float.BYTES)))
                .order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).putShort((short) h.length).put(h);
        out.asFloatBuffer().put(data);
        return out.array();
    }
}
