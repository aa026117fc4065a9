package dev.clgrad.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxReaderTest {
    @TempDir
    Path dir;

    /** An IDX ubyte file of dims with bytes 0, 1, 2, …. */
    static byte[] idx(int... dims) {
        int n = Arrays.stream(dims).reduce(1, (a, b) -> a * b);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[]{0, 0, 0x08, (byte) dims.length});
        for (int d : dims) {
            out.writeBytes(new byte[]{(byte) (d >>> 24), (byte) (d >>> 16), (byte) (d >>> 8), (byte) d});
        }
        for (int i = 0; i < n; i++) {
            out.write(i);
        }
        return out.toByteArray();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        }
        return out.toByteArray();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private String error(String name, byte[] bytes) throws IOException {
        Path p = write(name, bytes);
        String m = assertThrows(IOException.class, () -> IdxReader.read(p, 1f)).getMessage();
        assertTrue(m.startsWith(p.toString()), "names the file: " + m);
        return m;
    }

    /** dims reads the header alone, raw or gzipped, and refuses a bad one as read does. */
    @Test
    void dimsReadsTheHeaderAlone() throws IOException {
        byte[] raw = idx(3, 2, 2);
        assertArrayEquals(new int[]{3, 2, 2}, IdxReader.dims(write("a-idx3-ubyte", raw)));
        assertArrayEquals(new int[]{3, 2, 2}, IdxReader.dims(write("b-idx3-ubyte.gz", gzip(raw))));
        assertArrayEquals(new int[]{3, 2, 2}, IdxReader.dims(write("short", Arrays.copyOf(raw, 16))),
                "the data is not read");
        Path bad = write("bad", new byte[]{0, 0, 0x0d, 1, 0, 0, 0, 1});
        String m = assertThrows(IOException.class, () -> IdxReader.dims(bad)).getMessage();
        assertEquals(assertThrows(IOException.class, () -> IdxReader.read(bad, 1f)).getMessage(), m);
    }

    @Test
    void readsRawAndGzippedAlike() throws IOException {
        byte[] raw = idx(3, 2, 2);
        HostArray a = IdxReader.read(write("a-idx3-ubyte", raw), 0.5f);
        HostArray b = IdxReader.read(write("b-idx3-ubyte.gz", gzip(raw)), 0.5f);
        assertArrayEquals(new int[]{3, 2, 2}, a.shape());
        assertEquals(3, a.rows());
        assertEquals(4, a.cols());
        assertEquals(5.5f, a.data()[11]);
        assertArrayEquals(a.data(), b.data());
        assertArrayEquals(a.shape(), b.shape());
    }

    @Test
    void readsFashionMnistLabelsWhenPresent() throws IOException {
        Path labels = Path.of("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz");
        if (Files.exists(labels)) {
            HostArray y = IdxReader.read(labels, 1f);
            assertArrayEquals(new int[]{10000}, y.shape());
            assertEquals(9f, y.data()[0], "the first test item is an ankle boot");
        }
    }

    @Test
    void truncatedBodyIsNamed() throws IOException {
        byte[] raw = idx(4, 5);
        String m = error("t", Arrays.copyOf(raw, raw.length - 3));
        assertTrue(m.contains("truncated") && m.contains("needs 20 bytes, only 17 present"), m);
    }

    @Test
    void truncatedGzipStreamIsNamed() throws IOException {
        byte[] gz = gzip(idx(50, 50));
        String m = error("t.gz", Arrays.copyOf(gz, gz.length / 2));
        assertTrue(m.contains("truncated"), m);
    }

    /**
     * The gzip trailer's size only sizes the first buffer: one that claims 4 GiB (more than deflate
     * could give from the file) is a corrupt trailer, named; a stream of two gzip members, whose
     * last trailer counts only the second member's bytes, still reads the whole body.
     */
    @Test
    void aForgedGzipTrailerIsReportedAndAShortOneStillReads() throws IOException {
        byte[] raw = idx(300, 300);
        byte[] huge = gzip(raw);
        Arrays.fill(huge, huge.length - 4, huge.length, (byte) 0xff);
        assertTrue(error("huge.gz", huge).contains("corrupt"));
        byte[] first = gzip(Arrays.copyOfRange(raw, 0, raw.length - 1000));
        byte[] second = gzip(Arrays.copyOfRange(raw, raw.length - 1000, raw.length));
        byte[] members = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, members, first.length, second.length);
        HostArray a = IdxReader.read(write("members.gz", members), 1f);
        assertArrayEquals(IdxReader.read(write("raw", raw), 1f).data(), a.data());
        assertEquals(90000, a.data().length);
    }

    @Test
    void truncatedHeaderIsNamed() throws IOException {
        assertTrue(error("h", new byte[]{0, 0, 8}).contains("the header needs 4 bytes"));
        assertTrue(error("d", Arrays.copyOf(idx(7, 7), 9)).contains("dimensions"));
    }

    @Test
    void badMagicTypeDimensionsAndTrailingBytes() throws IOException {
        byte[] raw = idx(2, 2);
        byte[] magic = raw.clone();
        magic[0] = 'P';
        assertTrue(error("m", magic).contains("not an IDX file"));
        byte[] type = raw.clone();
        type[2] = 0x0D;
        assertTrue(error("f", type).contains("element type 0d is not supported"));
        byte[] zero = raw.clone();
        zero[7] = 0;
        assertTrue(error("z", zero).contains("dimension 0 is 0"));
        byte[] longer = Arrays.copyOf(raw, raw.length + 1);
        assertTrue(error("l", longer).contains("trailing bytes"));
        assertTrue(error("r", new byte[]{0, 0, 8, 0}).contains("0 dimensions"));
    }
}
