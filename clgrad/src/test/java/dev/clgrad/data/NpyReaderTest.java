package dev.clgrad.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpyReaderTest {
    @TempDir
    Path dir;

    /** An .npy file as numpy.save writes it (header padded so the data starts at a multiple of 64). */
    static byte[] npy(int version, String descr, String fortran, String shape, byte[] data) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
        int pre = version == 1 ? 10 : 12;
        int total = (pre + dict.length() + 1 + 63) / 64 * 64;
        String header = dict + " ".repeat(total - pre - dict.length() - 1) + "\n";
        ByteBuffer b = ByteBuffer.allocate(total + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) version, 0});
        if (version == 1) {
            b.putShort((short) header.length());
        } else {
            b.putInt(header.length());
        }
        b.put(header.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        return b.array();
    }

    private static byte[] le(int bytesPer, double... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * bytesPer).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            switch (bytesPer) {
                case 4 -> b.putFloat((float) v);
                case 8 -> b.putDouble(v);
                default -> b.put((byte) v);
            }
        }
        return b.array();
    }

    private HostArray read(byte[] bytes) throws IOException {
        return NpyReader.read(Files.write(dir.resolve("a.npy"), bytes));
    }

    @Test
    void readsEverySupportedDtype() throws IOException {
        float[] expect = {0, 1.5f, -2, 3, 250, 7};
        HostArray f4 = read(npy(1, "<f4", "False", "(2, 3)", le(4, 0, 1.5, -2, 3, 250, 7)));
        assertArrayEquals(new int[]{2, 3}, f4.shape());
        assertArrayEquals(expect, f4.data());
        assertArrayEquals(expect, read(npy(2, "<f8", "False", "(2, 3)", le(8, 0, 1.5, -2, 3, 250, 7))).data());
        assertArrayEquals(new float[]{0, 1, 255}, read(npy(1, "|u1", "False", "(3,)", new byte[]{0, 1, (byte) 255})).data());
        ByteBuffer longs = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(4).putLong(-1).putLong(9);
        HostArray i8 = read(npy(1, "<i8", "False", "(3,)", longs.array()));
        assertArrayEquals(new int[]{3}, i8.shape());
        assertArrayEquals(new float[]{4, -1, 9}, i8.data());
    }

    private String error(byte[] bytes) {
        Path p = dir.resolve("bad.npy");
        String m = assertThrows(IOException.class, () -> NpyReader.read(Files.write(p, bytes))).getMessage();
        assertTrue(m.startsWith(p.toString()), "names the file: " + m);
        return m;
    }

    /** A float64 beyond float32's range is an error naming the row and value, not a silent infinity; ±inf stays, underflow is 0. */
    @Test
    void float64BeyondFloat32IsAnError() throws IOException {
        Path p = dir.resolve("big.npy");
        Files.write(p, npy(1, "<f8", "False", "(2, 3)", le(8, 0, 1, 2, 3, -1e300, 5)));
        assertEquals(p + ": row 2, value 2: -1.0E300 is beyond the float32 range (largest 3.4028235E38); store inf "
                + "for infinity", assertThrows(IOException.class, () -> NpyReader.read(p)).getMessage());
        assertArrayEquals(new float[]{Float.POSITIVE_INFINITY, 0f}, read(npy(1, "<f8", "False", "(2,)",
                le(8, Double.POSITIVE_INFINITY, 1e-50))).data());
    }

    @Test
    void malformedFilesAreNamed() {
        byte[] good = npy(1, "<f4", "False", "(2, 3)", le(4, 1, 2, 3, 4, 5, 6));
        assertTrue(error(Arrays.copyOf(good, good.length - 5)).contains("truncated: shape [2, 3] of <f4 needs 24 data bytes, found 19"));
        assertTrue(error(Arrays.copyOf(good, good.length + 4)).contains("trailing bytes"));
        assertTrue(error(Arrays.copyOf(good, 30)).contains("truncated: header"));
        assertTrue(error(npy(1, "<f4", "True", "(2, 3)", le(4, 1, 2, 3, 4, 5, 6))).contains("Fortran-order"));
        assertTrue(error(npy(1, "<c8", "False", "(1,)", new byte[8])).contains("dtype '<c8' is not supported"));
        assertTrue(error(npy(1, ">f4", "False", "(1,)", new byte[4])).contains("dtype '>f4' is not supported"));
        assertTrue(error("PK\3\4 not numpy at all".getBytes(StandardCharsets.US_ASCII)).contains("not an .npy file"));
        byte[] noShape = good.clone();
        int at = new String(noShape, StandardCharsets.ISO_8859_1).indexOf("'shape'");
        noShape[at + 1] = 'x';
        assertTrue(error(noShape).contains("no 'shape' entry"));
    }
}
