package dev.clgrad.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CsvReaderTest {
    @TempDir
    Path dir;

    @Test
    void readsWithHeaderAndSplitsTheLabelColumn() throws IOException {
        Path p = Files.writeString(dir.resolve("d.csv"), "label,a,b\n1, 0.5,2\n\n0,-1e-3,3\n");
        HostArray t = CsvReader.read(p, true);
        assertArrayEquals(new int[]{2, 3}, t.shape());
        Dataset d = CsvReader.toDataset(t, 0);
        assertEquals(2, d.features());
        assertArrayEquals(new float[]{0.5f, 2, -1e-3f, 3}, d.x());
        assertArrayEquals(new float[]{1, 0}, d.y());
    }

    @Test
    void errorsNameFileLineAndColumn() throws IOException {
        Path ragged = Files.writeString(dir.resolve("r.csv"), "1,2,3\n4,5\n");
        assertEquals(ragged + ":2: 2 fields, expected 3 as on the first data row",
                assertThrows(IOException.class, () -> CsvReader.read(ragged, false)).getMessage());
        Path text = Files.writeString(dir.resolve("t.csv"), "a,b\n1,x\n");
        assertEquals(text + ":2: column 2: 'x' is not a number",
                assertThrows(IOException.class, () -> CsvReader.read(text, true)).getMessage());
        Path empty = Files.writeString(dir.resolve("e.csv"), "a,b\n");
        assertEquals(empty + ": no data rows", assertThrows(IOException.class, () -> CsvReader.read(empty, true)).getMessage());
    }

    /** Issue 19, item 6: a UTF-8 byte-order mark (Excel's "CSV UTF-8") is not part of the first field. */
    @Test
    void aByteOrderMarkIsIgnored() throws IOException {
        Path p = Files.writeString(dir.resolve("bom.csv"), "\uFEFF1,2\n3,4\n");
        assertArrayEquals(new float[]{1, 2, 3, 4}, CsvReader.read(p, false).data());
        Path h = Files.writeString(dir.resolve("bomh.csv"), "\uFEFFa,b\n3,4\n");
        assertArrayEquals(new float[]{3, 4}, CsvReader.read(h, true).data());
    }

    /**
     * Issue 19, item 6: decimal numbers and spelled-out special values only; Java's suffixes and hexadecimal
     * floats are not numbers, and a value beyond float32 is an error with the value, the file, the line and
     * the column rather than a silent infinity.
     */
    @Test
    void numbersAreDecimalAndWithinFloat32() throws IOException {
        Path ok = Files.writeString(dir.resolve("ok.csv"), "-1.5,.5,2.,+3e-2,1E3\nNaN,inf,-inf,Infinity,-0\n");
        float[] v = CsvReader.read(ok, false).data();
        assertArrayEquals(new float[]{-1.5f, .5f, 2f, 3e-2f, 1e3f}, java.util.Arrays.copyOf(v, 5));
        assertEquals(Float.NaN, v[5]);
        assertEquals(Float.POSITIVE_INFINITY, v[6]);
        assertEquals(Float.NEGATIVE_INFINITY, v[7]);
        assertEquals(Float.POSITIVE_INFINITY, v[8]);
        for (String bad : new String[]{"1f", "2d", "0x1p3", "1e", "1.2.3", "0x10", "", "1,5"}) {
            Path p = Files.writeString(dir.resolve("bad.csv"), "0,0\n7," + bad + "\n");
            String msg = assertThrows(IOException.class, () -> CsvReader.read(p, false)).getMessage();
            assertEquals(true, msg.startsWith(p + ":2: "), msg);
        }
        Path one = Files.writeString(dir.resolve("f.csv"), "0,0\n7,1f\n");
        assertEquals(one + ":2: column 2: '1f' is not a number",
                assertThrows(IOException.class, () -> CsvReader.read(one, false)).getMessage());
        Path big = Files.writeString(dir.resolve("big.csv"), "0,0\n7,-1e39\n");
        assertEquals(big + ":2: column 2: -1e39 is beyond the float32 range (largest 3.4028235E38); write inf for "
                + "infinity", assertThrows(IOException.class, () -> CsvReader.read(big, false)).getMessage());
    }
}
