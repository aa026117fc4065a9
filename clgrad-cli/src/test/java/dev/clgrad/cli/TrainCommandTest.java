package dev.clgrad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code clgrad train} per DESIGN: one JSON object on stdout; exit 2 and one line for a bad config. */
class TrainCommandTest {
    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void trainsTheSeedExampleAndPrintsJson() throws IOException {
        Path png = dir.resolve("curves.png");
        Path weights = dir.resolve("w.safetensors");
        CliRun r = run("train", "samples/seed-simplenet.json", "--device", "java", "--epochs", "3", "--json",
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
    void everyMetricIsReportedInTheJson() throws IOException {
        Path cfg = dir.resolve("huber.json");
        Files.writeString(cfg, "{\"layers\": [{\"type\": \"dense\", \"units\": 2}], \"loss\": {\"type\": \"huber\", "
                + "\"delta\": 2}, \"metrics\": [\"mae\"], \"data\": {\"type\": \"random-normal\", \"train\": 40, "
                + "\"test\": 10, \"features\": 3, \"targets\": 2}}");
        CliRun r = run("train", cfg.toString(), "--device", "java", "--epochs", "2", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(2, j.get("trainMae").size(), r.out());
        assertTrue(j.get("testMae").asDouble() > 0, r.out());
        assertTrue(j.get("testAccuracy").isNull(), r.out());
    }

    @Test
    void aNonFiniteTestLossIsWrittenAsNullAndSaid() throws IOException {
        Files.writeString(dir.resolve("train.csv"), "0,1,2\n1,2,3\n0,3,1\n1,0,2\n");
        Files.writeString(dir.resolve("test.csv"), "0,NaN,2\n1,2,3\n");
        Path cfg = Files.writeString(dir.resolve("nan.json"), "{\"layers\": [{\"type\": \"dense\", \"units\": 2}],"
                + " \"loss\": \"sparse_categorical_crossentropy\", \"metrics\": [\"accuracy\"], \"epochs\": 1,"
                + " \"data\": {\"type\": \"csv\", \"train\": \"train.csv\", \"test\": \"test.csv\"}}");
        CliRun r = run("train", cfg.toString(), "--device", "java", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertTrue(j.get("testLoss").isNull(), r.out());
        assertTrue(r.err().contains("train: testLoss is NaN, written as null; the test set holds non-finite values "
                + "(--check-finite refuses them before training)"), r.err());
    }

    @Test
    void badConfigExitsTwoWithOneLine() throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.json"), "{\"layers\": [{\"type\": \"dropout\", \"rate\": 2}],"
                + " \"loss\": \"mse\", \"data\": {\"type\": \"random-normal\", \"train\": 4, \"features\": 2}}");
        CliRun r = run("train", bad.toString(), "--device", "java", "--json");
        assertEquals(2, r.code());
        assertEquals("", r.out());
        assertEquals("clgrad: " + bad + ": $.layers[0].rate: expected a number in [0.0, 1.0), got 2", r.err().strip());
    }

    /** A Conv2D given flat samples: exit 2, one line naming the file, the layer's JSON path and the fix. */
    @Test
    void aConvIntoDenseWithoutFlattenExitsTwoSayingWhatKerasDoes() throws IOException {
        Path cfg = Files.writeString(dir.resolve("noflatten.json"), "{\"inputShape\": [6, 6, 1], \"layers\": ["
                + "{\"type\": \"conv2d\", \"filters\": 4, \"kernelSize\": 3}, {\"type\": \"dense\", \"units\": 3}],"
                + " \"loss\": \"sparse_categorical_crossentropy\", \"data\": {\"type\": \"random-normal\", \"train\": 8,"
                + " \"features\": 36}}");
        assertOneLine("build: the model's output per sample is (4, 4, 3), but sparse_categorical_crossentropy takes one "
                + "vector of class scores per sample; dense_1 (Dense) gets (4, 4, 4) and, as in Keras, a Dense layer "
                + "applies to the last axis only, so put a Flatten (or GlobalAveragePooling2D for images) before it",
                run("train", cfg.toString(), "--device", "java"));
    }

    @Test
    void aConvOverFlatDataExitsTwoNamingTheLayer() throws IOException {
        Path cfg = Files.writeString(dir.resolve("conv.json"), "{\"layers\": [{\"type\": \"conv2d\", \"filters\": 4,"
                + " \"kernelSize\": 3}, {\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": 1}], \"loss\": \"mse\","
                + " \"data\": {\"type\": \"random-normal\", \"train\": 8, \"features\": 784}}");
        assertOneLine(cfg + ": $.layers[0]: Conv2D: the per-sample input must be (H, W, C) images, channels last, got "
                + "(784,); declare image samples (model.input(28, 28, 1), \"inputShape\": [28, 28, 1] "
                + "in a config) or put a Reshape before it (new Reshape(28, 28, 1), {\"type\": \"reshape\", "
                + "\"targetShape\": [28, 28, 1]} in a config)", run("train", cfg.toString(), "--device", "java"));
    }

    @Test
    void missingDataFileExitsTwo() throws IOException {
        Path cfg = Files.writeString(dir.resolve("c.json"), "{\"layers\": [{\"type\": \"dense\", \"units\": 10}],"
                + " \"loss\": \"sparse_categorical_crossentropy\", \"data\": {\"type\": \"idx\"}}");
        CliRun r = run("train", cfg.toString(), "--device", "java", "--data", dir.toString());
        assertEquals(2, r.code());
        assertEquals("clgrad: " + dir.resolve("train-images-idx3-ubyte.gz") + ": no such data file", r.err().strip());
    }

    private Path csvConfig(String csv) throws IOException {
        Files.writeString(dir.resolve("d.csv"), csv);
        return Files.writeString(dir.resolve("csv.json"), "{\"layers\": [{\"type\": \"dense\", \"units\": 2}],"
                + " \"loss\": \"sparse_categorical_crossentropy\", \"epochs\": 2, \"data\": {\"type\": \"csv\","
                + " \"train\": \"d.csv\"}}");
    }

    /** Each kind of bad input: exit code 2, nothing on stdout, exactly one line on stderr. */
    private static void assertOneLine(String expected, CliRun r) {
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertEquals("clgrad: " + expected, r.err().strip());
    }

    @Test
    void badInputExitsTwoWithOneLine() throws IOException {
        Path cfg = csvConfig("0,1.0,2.0\n1,NaN,1.0\n0,0.5,0.5\n");
        assertOneLine(dir.resolve("d.csv") + ":2: column 2: NaN (--check-finite rejects NaN and infinity)",
                run("train", cfg.toString(), "--device", "java", "--json", "--check-finite"));
        assertOneLine("fit: loss is NaN at epoch 1, step 1; first layer with non-finite gradients: dense_1 "
                        + "(dense_1.kernel: 4 of 4 values). Training stopped; no checkpoint was written after the loss "
                        + "went bad",
                run("train", cfg.toString(), "--device", "java", "--json"));
        assertOneLine("train: --epochs must be >= 0, got -1",
                run("train", cfg.toString(), "--device", "java", "--epochs", "-1"));
        assertOneLine("train: --batch must be >= 1, got 0", run("train", cfg.toString(), "--device", "java", "--batch", "0"));
        assertOneLine("train: --checkpoint-every needs --checkpoint and N >= 1, got 5",
                run("train", cfg.toString(), "--device", "java", "--checkpoint-every", "5"));
        Path ck = dir.resolve("ck");
        Files.createDirectories(ck);
        Files.write(ck.resolve("checkpoint.safetensors"), new byte[]{8, 0, 0, 0, 0, 0, 0, 0, '{', '}'});
        assertOneLine(ck.resolve("checkpoint.safetensors") + ": header length 8 does not fit the file of 10 bytes "
                + "(truncated or not a safetensors file?)",
                run("train", cfg.toString(), "--device", "java", "--resume", ck.toString()));
        Path idx = dir.resolve("idx");
        Files.createDirectories(idx);
        Files.write(idx.resolve("train-images-idx3-ubyte.gz"), new byte[]{0, 0, 8, 3, 0, 0, 0, 9});
        Path idxCfg = Files.writeString(dir.resolve("i.json"), "{\"layers\": [{\"type\": \"dense\", \"units\": 10}],"
                + " \"loss\": \"sparse_categorical_crossentropy\", \"data\": {\"type\": \"idx\"}}");
        assertOneLine(idx.resolve("train-images-idx3-ubyte.gz") + ": truncated: the dimensions needs 12 bytes, only 4 "
                + "present", run("train", idxCfg.toString(), "--device", "java", "--data", idx.toString()));
    }

    @Test
    void checkpointsEveryEpochAndResumesToMoreEpochs() throws IOException {
        Path ck = dir.resolve("ck");
        CliRun first = run("train", "samples/seed-simplenet.json", "--device", "java", "--epochs", "2", "--json",
                "--checkpoint", ck.toString());
        assertEquals(0, first.code(), first.err());
        CliRun more = run("train", "samples/seed-simplenet.json", "--device", "java", "--epochs", "3", "--json",
                "--resume", ck.toString(), "--checkpoint", ck.toString());
        assertEquals(0, more.code(), more.err());
        assertTrue(more.err().contains("clgrad: resuming from " + ck.resolve("checkpoint.safetensors")
                + " at epoch 3, step 0"), more.err());
        assertEquals(1, new ObjectMapper().readTree(more.out()).get("epochs").asInt(), "one epoch left to run");
        CliRun straight = run("train", "samples/seed-simplenet.json", "--device", "java", "--epochs", "3", "--json");
        assertEquals(new ObjectMapper().readTree(straight.out()).get("trainLoss").get(2),
                new ObjectMapper().readTree(more.out()).get("trainLoss").get(0), "the same third epoch");
    }

    /**
     * Issue 19, item 6: {@code --resume} with another {@code --batch} is an error (the resumed batches would not
     * be the ones an uninterrupted run sees, and the step position counts batches of the saved size); the
     * checkpoint's own batch size is accepted.
     */
    @Test
    void resumeWithAnotherBatchSizeIsRefused() throws IOException {
        Path ck = dir.resolve("ck");
        CliRun first = run("train", "samples/seed-simplenet.json", "--device", "java", "--epochs", "1", "--json",
                "--checkpoint", ck.toString());
        assertEquals(0, first.code(), first.err());
        assertOneLine("train: --batch 64 differs from the batch size 32 that " + ck.resolve("checkpoint.safetensors")
                        + " was trained with; a resumed run keeps its batch size so that it sees the batches an "
                        + "uninterrupted run would have: drop --batch, or start afresh without resuming",
                run("train", "samples/seed-simplenet.json", "--device", "java", "--epochs", "2", "--json",
                        "--resume", ck.toString(), "--batch", "64"));
        CliRun same = run("train", "samples/seed-simplenet.json", "--device", "java", "--epochs", "2", "--json",
                "--resume", ck.toString(), "--batch", "32");
        assertEquals(0, same.code(), same.err());
        assertTrue(same.err().contains("at epoch 2, step 0 (batch size 32)"), same.err());
    }

    /**
     * Issue 19, item 6: {@code --resume-if-present ck --checkpoint ck} starts fresh when ck holds no checkpoint
     * yet and resumes when it does, so a recovery command can run blindly; the result equals a run straight through.
     */
    @Test
    void resumeIfPresentStartsFreshThenResumes() throws IOException {
        Path ck = dir.resolve("ck");
        CliRun fresh = run("train", "samples/seed-simplenet.json", "--device", "java", "--epochs", "2", "--json",
                "--resume-if-present", ck.toString(), "--checkpoint", ck.toString());
        assertEquals(0, fresh.code(), fresh.err());
        assertTrue(fresh.err().contains("clgrad: no checkpoint in " + ck + " yet; starting fresh"), fresh.err());
        CliRun again = run("train", "samples/seed-simplenet.json", "--device", "java", "--epochs", "3", "--json",
                "--resume-if-present", ck.toString(), "--checkpoint", ck.toString());
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("clgrad: resuming from " + ck.resolve("checkpoint.safetensors")), again.err());
        CliRun straight = run("train", "samples/seed-simplenet.json", "--device", "java", "--epochs", "3", "--json");
        assertEquals(new ObjectMapper().readTree(straight.out()).get("trainLoss").get(2),
                new ObjectMapper().readTree(again.out()).get("trainLoss").get(0), "the same third epoch");
        assertOneLine("train: give --resume or --resume-if-present, not both", run("train",
                "samples/seed-simplenet.json", "--device", "java", "--resume", ck.toString(), "--resume-if-present",
                ck.toString()));
    }
}
