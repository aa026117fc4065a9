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
}
