package dev.clgrad.io;

import dev.clgrad.data.Dataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Issue 16, item 4: a CSV data section's {@code labelColumn} by header name as well as by index. */
class CsvDataSpecTest {
    @TempDir
    Path dir;

    private ModelConfig config(String data) throws ConfigException {
        return ModelConfig.parse("{\"layers\": [{\"type\": \"dense\", \"units\": 1}], \"loss\": \"mse\", \"data\": {"
                + "\"type\": \"csv\", \"train\": \"d.csv\"" + data + "}}", "c.json", dir);
    }

    @Test
    void theLabelColumnByNameOrIndex() throws IOException {
        Files.writeString(dir.resolve("d.csv"), "a,\"the label\",b\n1,10,2\n3,30,4\n");
        for (String label : new String[]{"\"the label\"", "1"}) {
            Dataset d = config(", \"header\": true, \"labelColumn\": " + label).data().load(null).train();
            assertArrayEquals(new float[]{1, 2, 3, 4}, d.x(), label);
            assertArrayEquals(new float[]{10, 30}, d.y(), label);
            assertEquals(dir.resolve("d.csv") + ":3: column 2", d.origin().targetAt(1, 0), label);
            assertEquals(dir.resolve("d.csv") + ":3: column 3", d.origin().inputAt(1, 1), label);
        }
    }

    @Test
    void aBadLabelColumnSaysWhatIsWrong() throws IOException {
        Files.writeString(dir.resolve("d.csv"), "a,label,b\n1,10,2\n");
        assertEquals(dir.resolve("d.csv") + ": no column named 'lbl'; the header has 'a', 'label', 'b'",
                assertThrows(IOException.class,
                        () -> config(", \"header\": true, \"labelColumn\": \"lbl\"").data().load(null)).getMessage());
        assertEquals(dir.resolve("d.csv") + ": 3 columns; labelColumn 3 is not one of them (0-based: 0 to 2)",
                assertThrows(IOException.class,
                        () -> config(", \"header\": true, \"labelColumn\": 3").data().load(null)).getMessage());
        Files.writeString(dir.resolve("d.csv"), "1\n2\n");
        assertEquals(dir.resolve("d.csv") + ": 1 column; a CSV data set needs a label column and at least one input "
                + "column", assertThrows(IOException.class, () -> config("").data().load(null)).getMessage());
        assertEquals("c.json: $.data.labelColumn: 'label' is a column name, which needs \"header\": true; without a "
                        + "header give the column's 0-based index",
                assertThrows(ConfigException.class, () -> config(", \"labelColumn\": \"label\"")).getMessage());
        assertEquals("c.json: $.data.labelColumn: expected a 0-based column index or a header column name, got 1.5",
                assertThrows(ConfigException.class, () -> config(", \"labelColumn\": 1.5")).getMessage());
    }
}
