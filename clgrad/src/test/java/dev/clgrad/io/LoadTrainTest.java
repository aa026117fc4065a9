package dev.clgrad.io;

import dev.clgrad.data.Dataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link DataSpec#loadTrain}: the training data of {@link DataSpec#load}, without reading the other files. */
class LoadTrainTest {
    @TempDir
    Path dir;

    private ModelConfig config(String data) throws ConfigException {
        return ModelConfig.parse("{\"layers\": [{\"type\": \"dense\", \"units\": 1}], \"loss\": \"mse\", \"data\": "
                + data + "}", "c.json", dir);
    }

    /** Two 2 x 3 images and their labels, raw IDX (the reader tells raw from gzip by the magic). */
    private void idx(String images, String labels) throws IOException {
        Files.write(dir.resolve(images), new byte[]{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3,
                0, 51, 102, (byte) 153, (byte) 204, (byte) 255, 1, 2, 3, 4, 5, 6});
        Files.write(dir.resolve(labels), new byte[]{0, 0, 8, 1, 0, 0, 0, 2, 7, 9});
    }

    @Test
    void idxTrainingDataWithoutTheTestFiles() throws IOException {
        idx("tr-x", "tr-y");
        ModelConfig cfg = config("{\"type\": \"idx\", \"dir\": \"" + dir + "\", \"trainImages\": \"tr-x\", \"trainLabels\": \"tr-y\", "
                + "\"testImages\": \"te-x\", \"testLabels\": \"te-y\"}");
        Dataset train = cfg.data().loadTrain(null);
        assertEquals(2, train.rows());
        assertArrayEquals(new float[]{7, 9}, train.y());
        assertEquals(1f, train.x()[5]);
        IOException e = assertThrows(IOException.class, () -> cfg.data().load(null));
        assertTrue(e instanceof NoSuchFileException || e.getMessage().contains("te-x"), e.getMessage());
        idx("te-x", "te-y");
        Dataset both = cfg.data().load(null).train();
        assertArrayEquals(both.x(), train.x());
        assertArrayEquals(both.y(), train.y());
        assertEquals(1, config("{\"type\": \"idx\", \"dir\": \"" + dir + "\", \"limit\": 1, \"trainImages\": \"tr-x\", \"trainLabels\": "
                + "\"tr-y\"}").data().loadTrain(null).rows(), "the limit applies");
    }

    /**
     * The headers alone give the rows and sample shape loadTrain's data set will have (the limit
     * applied), before the data is read; CSV data has no such header; a missing file is the error
     * loading it gives.
     */
    @Test
    void theHeaderTellsRowsAndSampleShapeAsLoadTrainWillHaveThem() throws IOException {
        idx("tr-x", "tr-y");
        String files = "\"trainImages\": \"tr-x\", \"trainLabels\": \"tr-y\"";
        DataSpec spec = config("{\"type\": \"idx\", \"dir\": \"" + dir + "\", " + files + "}").data();
        DataSpec.Header header = spec.trainHeader(null);
        Dataset train = spec.loadTrain(null);
        assertEquals(train.rows(), header.rows());
        assertEquals(train.sampleShape(), header.sampleShape());
        assertEquals(dev.clgrad.tensor.Shape.of(2, 3, 1), header.sampleShape());
        assertEquals(1, config("{\"type\": \"idx\", \"dir\": \"" + dir + "\", \"limit\": 1, " + files + "}").data()
                .trainHeader(null).rows(), "the limit applies");
        Files.writeString(dir.resolve("d.csv"), "1,10,2\n");
        assertEquals(null, config("{\"type\": \"csv\", \"train\": \"d.csv\"}").data().trainHeader(null));
        DataSpec missing = config("{\"type\": \"idx\", \"dir\": \"" + dir.resolve("nowhere") + "\", " + files + "}").data();
        IOException e = assertThrows(IOException.class, () -> missing.trainHeader(null));
        IOException same = assertThrows(IOException.class, () -> missing.loadTrain(null));
        assertEquals(same.getMessage(), e.getMessage());
    }

    @Test
    void csvAndRandomDataAsLoadGivesThem() throws IOException {
        Files.writeString(dir.resolve("d.csv"), "1,10,2\n3,30,4\n");
        ModelConfig csv = config("{\"type\": \"csv\", \"train\": \"d.csv\", \"test\": \"missing.csv\"}");
        assertArrayEquals(new float[]{10, 2, 30, 4}, csv.data().loadTrain(null).x());
        ModelConfig random = config("{\"type\": \"random-normal\", \"train\": 5, \"test\": 3, \"features\": 2, "
                + "\"targets\": 1, \"seed\": 4}");
        assertArrayEquals(random.data().load(null).train().x(), random.data().loadTrain(null).x());
    }
}
