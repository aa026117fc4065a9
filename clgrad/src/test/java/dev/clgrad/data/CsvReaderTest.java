package dev.clgrad.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /** Issue 16, item 4: RFC 4180 quoting through Jackson's CSV parser: commas, doubled quotes and line breaks. */
    @Test
    void quotedFieldsAndHeaderNames() throws IOException {
        Path p = Files.writeString(dir.resolve("q.csv"),
                "\"label\",\"width, cm\",\"say \"\"hi\"\"\",\"two\nlines\"\n\"1\", \"2.5\" ,-3,4\n0,1,2,3\n");
        CsvReader.Table t = CsvReader.readTable(p, true);
        assertEquals(java.util.List.of("label", "width, cm", "say \"hi\"", "two\nlines"), t.columns());
        assertArrayEquals(new float[]{1, 2.5f, -3, 4, 0, 1, 2, 3}, t.values().data());
        assertArrayEquals(new int[]{3, 4}, t.lines(), "a row's line is its first, after a header spanning two");
        assertEquals(1, t.column("width, cm", p));
        assertEquals(p + ": no column named 'cm'; the header has 'label', 'width, cm', 'say \"hi\"', 'two\nlines'",
                assertThrows(IOException.class, () -> t.column("cm", p)).getMessage());
        Path open = Files.writeString(dir.resolve("open.csv"), "1,2\n3,\"4\n");
        String msg = assertThrows(IOException.class, () -> CsvReader.read(open, false)).getMessage();
        assertTrue(msg.startsWith(open + ":2: ") && msg.contains("quote"), msg);
        Path quotedText = Files.writeString(dir.resolve("qt.csv"), "1,2\n3,\"four\"\n");
        assertEquals(quotedText + ":2: column 2: 'four' is not a number",
                assertThrows(IOException.class, () -> CsvReader.read(quotedText, false)).getMessage());
    }

    /** A byte-order mark before a header, in UTF-8 and UTF-16 (Excel's "Unicode text" exports), is not part of the first name. */
    @Test
    void aByteOrderMarkBeforeAHeaderIsNotPartOfTheFirstName() throws IOException {
        Path u8 = Files.writeString(dir.resolve("bom8.csv"), "\uFEFFlabel,a\n3,4\n");
        assertEquals(0, CsvReader.readTable(u8, true).column("label", u8));
        Path u16 = Files.writeString(dir.resolve("bom16.csv"), "\uFEFFlabel,a\n3,4\n", StandardCharsets.UTF_16LE);
        CsvReader.Table t = CsvReader.readTable(u16, true);
        assertEquals(java.util.List.of("label", "a"), t.columns());
        assertArrayEquals(new float[]{3, 4}, t.values().data());
    }

    /** Ragged rows name the file, the row's line and both widths, after a header too. */
    @Test
    void raggedRowsNameTheFileAndRow() throws IOException {
        Path p = Files.writeString(dir.resolve("rag.csv"), "a,b,c\n1,2,3\n\n4,5,6,7\n");
        assertEquals(p + ":4: 4 fields, expected 3 as in the header",
                assertThrows(IOException.class, () -> CsvReader.read(p, true)).getMessage());
        Path n = Files.writeString(dir.resolve("ragn.csv"), "1,2,3\n\"4\",5,6\n7,8\n");
        assertEquals(n + ":3: 2 fields, expected 3 as on the first data row",
                assertThrows(IOException.class, () -> CsvReader.read(n, false)).getMessage());
        Path h = Files.writeString(dir.resolve("ragh.csv"), "a,b,c\n1,2\n");
        assertEquals(h + ":2: 2 fields, expected 3 as in the header",
                assertThrows(IOException.class, () -> CsvReader.read(h, true)).getMessage());
    }
}
