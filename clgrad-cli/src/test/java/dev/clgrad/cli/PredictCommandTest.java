package dev.clgrad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code clgrad predict}: a classifier trained by {@code train --save} predicts its config's test
 * set by weight scaling and by Monte-Carlo dropout (the same accuracy as {@code train} reports
 * for weight scaling; the CSV's rows, labels and std columns; the same bits on a second run);
 * bad arguments exit 2 with one line.
 */
class PredictCommandTest {
    @TempDir
    Path dir;

    private Path config() throws IOException {
        StringBuilder train = new StringBuilder();
        StringBuilder test = new StringBuilder();
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 300; i++) {
            int label = r.nextInt(3);
            String row = label + "," + (label + r.nextGaussian() * 0.7) + "," + (r.nextGaussian() - label) + "\n";
            (i < 240 ? train : test).append(row);
        }
        Files.writeString(dir.resolve("train.csv"), train);
        Files.writeString(dir.resolve("test.csv"), test);
        return Files.writeString(dir.resolve("m.json"), "{\"seed\": 3, \"layers\": [{\"type\": \"dropout\", \"rate\": 0.2},"
                + " {\"type\": \"dense\", \"units\": 16, \"activation\": \"relu\"}, {\"type\": \"gaussian_dropout\", \"rate\": 0.3},"
                + " {\"type\": \"dense\", \"units\": 3}], \"loss\": \"sparse_categorical_crossentropy\","
                + " \"metrics\": [\"accuracy\"], \"epochs\": 20, \"batchSize\": 16,"
                + " \"data\": {\"type\": \"csv\", \"train\": \"train.csv\", \"test\": \"test.csv\"}}");
    }

    @Test
    void predictsTheTestSetByWeightScalingAndMonteCarlo() throws IOException {
        Path cfg = config();
        Path w = dir.resolve("w.safetensors");
        CliRun trained = CliRun.of("train", cfg.toString(), "--device", "java", "--save", w.toString(), "--json");
        assertEquals(0, trained.code(), trained.err());
        double trainAccuracy = new ObjectMapper().readTree(trained.out()).get("testAccuracy").asDouble();
        CliRun plain = CliRun.of("predict", cfg.toString(), "--weights", w.toString(), "--device", "java", "--json");
        assertEquals(0, plain.code(), plain.err());
        JsonNode p = new ObjectMapper().readTree(plain.out());
        assertEquals(60, p.get("rows").asInt());
        assertEquals(0, p.get("passes").asInt());
        assertEquals(trainAccuracy, p.get("accuracy").asDouble(), 1e-9, "weight scaling is what train evaluated");
        assertTrue(p.get("meanStdCorrect").isNull());
        Path csv = dir.resolve("mc.csv");
        CliRun mc = CliRun.of("predict", cfg.toString(), "--weights", w.toString(), "--mc", "20", "--out",
                csv.toString(), "--device", "java", "--json");
        assertEquals(0, mc.code(), mc.err());
        assertEquals(1, mc.out().strip().lines().count(), "one JSON object on stdout");
        JsonNode m = new ObjectMapper().readTree(mc.out());
        assertEquals(20, m.get("passes").asInt());
        assertTrue(m.get("accuracy").asDouble() > 0.6, mc.out());
        assertTrue(m.get("meanStdCorrect").asDouble() > 0, mc.out());
        assertEquals(csv.toString(), m.get("out").asText());
        List<String> lines = Files.readAllLines(csv);
        assertEquals(61, lines.size());
        assertEquals("row,label,predicted,mean_0,mean_1,mean_2,std_0,std_1,std_2", lines.get(0));
        String[] first = lines.get(1).split(",");
        assertEquals(9, first.length);
        double total = Double.parseDouble(first[3]) + Double.parseDouble(first[4]) + Double.parseDouble(first[5]);
        assertEquals(1, total, 1e-5, "means of softmax probabilities sum to 1: " + lines.get(1));
        Path again = dir.resolve("again.csv");
        assertEquals(0, CliRun.of("predict", cfg.toString(), "--weights", w.toString(), "--mc", "20", "--out",
                again.toString(), "--device", "java").code());
        assertEquals(lines, Files.readAllLines(again), "deterministic given the model seed");
    }

    @Test
    void badArgumentsExitTwoWithOneLine() throws IOException {
        Path cfg = config();
        Path w = dir.resolve("missing.safetensors");
        CliRun r = CliRun.of("predict", cfg.toString(), "--weights", w.toString(), "--device", "java");
        assertEquals(2, r.code());
        assertEquals("clgrad: predict: --weights " + w + ": no such file; expected the .safetensors file train --save "
                + "wrote", r.err().strip());
        Path real = Files.writeString(dir.resolve("w.safetensors"), "x");
        r = CliRun.of("predict", cfg.toString(), "--weights", real.toString(), "--mc", "0");
        assertEquals(2, r.code());
        assertEquals("clgrad: predict: --mc must be >= 1, got 0", r.err().strip());
        r = CliRun.of("predict", cfg.toString());
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("--weights"), r.err());
        r = CliRun.of("predict", cfg.toString(), "--weights", real.toString(), "--out", dir.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().strip().startsWith("clgrad: predict: --out " + dir + ": is a folder"), r.err());
        assertEquals(0, CliRun.of("predict", "--help").code());
    }
}
