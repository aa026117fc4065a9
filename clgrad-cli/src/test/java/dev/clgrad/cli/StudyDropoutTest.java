package dev.clgrad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clgrad.io.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code clgrad study dropout} end to end on small IDX files shaped like Fashion-MNIST (the real
 * data set is too large for a test): every method trains for the epochs asked, the outputs exist
 * and agree with each other, the configs written are the three methods and train again with
 * {@code clgrad train}; bad arguments are refused in one line before any training.
 */
class StudyDropoutTest {
    @TempDir
    Path dir;

    private Path fakeFashionMnist() throws IOException {
        Path data = Files.createDirectories(dir.resolve("data"));
        CliRun.idx(data.resolve("train-images-idx3-ubyte.gz"), 256, 96, 28, 28);
        CliRun.idx(data.resolve("train-labels-idx1-ubyte.gz"), 10, 96);
        CliRun.idx(data.resolve("t10k-images-idx3-ubyte.gz"), 256, 40, 28, 28);
        CliRun.idx(data.resolve("t10k-labels-idx1-ubyte.gz"), 10, 40);
        return data;
    }

    @Test
    void quickStudyWritesTheFigureTheTableAndTheConfigsOfThreeMethods() throws IOException {
        Path out = dir.resolve("study");
        CliRun r = CliRun.of("study", "dropout", "--quick", "--epochs", "2", "--data", fakeFashionMnist().toString(),
                "--out", out.toString(), "--device", "java", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode printed = new ObjectMapper().readTree(r.out());
        JsonNode saved = new ObjectMapper().readTree(out.resolve("study.json").toFile());
        assertEquals(saved, printed);
        assertEquals(2, saved.get("epochs").asInt());
        assertEquals(96, saved.get("trainErrorRows").asInt());
        List<String> methods = new ArrayList<>();
        for (JsonNode m : saved.get("methods")) {
            methods.add(m.get("method").asText());
            assertEquals(2, m.get("testError").size(), m.toString());
            assertEquals(2, m.get("trainError").size(), m.toString());
            for (String k : List.of("testError", "trainError")) {
                for (JsonNode e : m.get(k)) {
                    assertTrue(e.asDouble() >= 0 && e.asDouble() <= 1, k + " " + e);
                }
            }
            assertEquals(m.get("testError").get(1).asDouble(), m.get("finalTestError").asDouble());
            assertEquals(m.get("finalTestError").asDouble() - m.get("finalTrainError").asDouble(),
                    m.get("gap").asDouble(), 1e-12);
        }
        assertEquals(DropoutStudy.METHODS, methods);
        String table = Files.readString(out.resolve("study.md"));
        assertTrue(table.contains("| dropout + max-norm + schedules |"), table);
        assertEquals(3 + 2, table.lines().filter(l -> l.startsWith("|")).count(), table);
        BufferedImage png = ImageIO.read(out.resolve("figure.png").toFile());
        assertNotNull(png);
        assertTrue(png.getWidth() > 480, "width " + png.getWidth());
        assertTrue(r.err().contains("study: 3/3 dropout-maxnorm"), r.err());
    }

    @Test
    void theConfigsAreTheThreeMethods() throws IOException {
        Path out = dir.resolve("configs");
        CliRun r = CliRun.of("study", "dropout", "--quick", "--epochs", "1", "--data", fakeFashionMnist().toString(),
                "--out", out.toString(), "--device", "java");
        assertEquals(0, r.code(), r.err());
        ObjectMapper json = new ObjectMapper();
        assertEquals(List.of(), rates(json.readTree(out.resolve("none.json").toFile())));
        assertEquals(List.of(0.2, 0.5, 0.5), rates(json.readTree(out.resolve("dropout.json").toFile())));
        JsonNode recipe = json.readTree(out.resolve("dropout-maxnorm.json").toFile());
        assertEquals(List.of(0.2, 0.5, 0.5), rates(recipe));
        int constrained = 0;
        for (JsonNode l : recipe.get("layers")) {
            if (l.has("kernelConstraint")) {
                assertEquals("max_norm", l.get("kernelConstraint").get("type").asText());
                constrained++;
            }
        }
        assertEquals(3, constrained);
        assertEquals("exponential_decay", recipe.get("optimizer").get("learningRate").get("type").asText());
        assertEquals(0.95, recipe.get("optimizer").get("momentum").get("final").asDouble());
        for (String m : DropoutStudy.METHODS) {
            ModelConfig.read(out.resolve(m + ".json"));
            CliRun again = CliRun.of("train", out.resolve(m + ".json").toString(), "--device", "java", "--epochs", "1",
                    "--json");
            assertEquals(0, again.code(), again.err());
        }
    }

    private static List<Double> rates(JsonNode config) {
        List<Double> rates = new ArrayList<>();
        for (JsonNode l : config.get("layers")) {
            if (l.get("type").asText().equals("dropout")) {
                rates.add(l.get("rate").asDouble());
            }
        }
        return rates;
    }

    @Test
    void badArgumentsAreRefusedInOneLine() throws IOException {
        Path data = fakeFashionMnist();
        CliRun.of("study", "dropout", "--epochs", "0", "--data", data.toString(), "--out", dir.resolve("a").toString())
                .assertOneLine("study dropout: --epochs must be >= 1, got 0");
        Path missing = dir.resolve("nowhere");
        CliRun.of("study", "dropout", "--data", missing.toString(), "--out", dir.resolve("b").toString())
                .assertOneLine("study dropout: --data " + missing + " is not a folder; install Debian's "
                        + "dataset-fashion-mnist or give the folder of the Fashion-MNIST IDX files");
        Path file = Files.writeString(dir.resolve("file"), "x");
        CliRun.of("study", "dropout", "--data", data.toString(), "--out", file.toString())
                .assertOneLine("study dropout: --out " + file + " is a file; expected a folder");
    }
}
