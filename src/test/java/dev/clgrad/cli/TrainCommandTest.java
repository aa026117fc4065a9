package dev.clgrad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code clgrad train} per DESIGN: one JSON object on stdout; exit 2 and one line for a bad config. */
class TrainCommandTest {
    @TempDir
    Path dir;

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void trainsTheSeedExampleAndPrintsJson() throws IOException {
        Path png = dir.resolve("curves.png");
        Path weights = dir.resolve("w.safetensors");
        Result r = run("train", "samples/seed-simplenet.json", "--device", "java", "--epochs", "3", "--json",
                "--plot", png.toString(), "--save", weights.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(3, j.get("epochs").asInt());
        assertEquals(3, j.get("trainLoss").size());
        assertTrue(j.get("trainLoss").get(2).asDouble() < j.get("trainLoss").get(0).asDouble(), r.out());
        assertTrue(j.get("testLoss").isNumber(), r.out());
        assertTrue(j.get("testAccuracy").isNull(), "no accuracy metric for mse: " + r.out());
        assertTrue(j.get("samplesPerSec").asDouble() > 0);
        assertEquals("java", j.get("device").asText());
        assertEquals(1, r.out().strip().lines().count(), "nothing else on stdout");
        assertTrue(Files.size(png) > 0 && Files.size(weights) > 0);
        assertTrue(r.err().contains("Epoch 3/3"), "progress on stderr: " + r.err());
    }

    @Test
    void badConfigExitsTwoWithOneLine() throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.json"), "{\"layers\": [{\"type\": \"dropout\", \"rate\": 2}],"
                + " \"loss\": \"mse\", \"data\": {\"type\": \"random-normal\", \"train\": 4, \"features\": 2}}");
        Result r = run("train", bad.toString(), "--device", "java", "--json");
        assertEquals(2, r.code());
        assertEquals("", r.out());
        assertEquals("clgrad: " + bad + ": $.layers[0].rate: expected a number in [0.0, 1.0), got 2", r.err().strip());
    }

    @Test
    void missingDataFileExitsTwo() throws IOException {
        Path cfg = Files.writeString(dir.resolve("c.json"), "{\"layers\": [{\"type\": \"dense\", \"units\": 10}],"
                + " \"loss\": \"sparse_categorical_crossentropy\", \"data\": {\"type\": \"idx\"}}");
        Result r = run("train", cfg.toString(), "--device", "java", "--data", dir.toString());
        assertEquals(2, r.code());
        assertEquals("clgrad: " + dir.resolve("train-images-idx3-ubyte.gz") + ": no such data file", r.err().strip());
    }
}
