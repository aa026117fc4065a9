package dev.clgrad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19, item 3, through {@code clgrad train}: a model or a batch too big for the device exits
 * 2 with one line naming the sizes and the limit, before training (and before anything is
 * allocated); a model that fits trains as before. The issue's {@code units: 2000000} config runs
 * against the devices' real limits; the batch case under a small {@code clgrad.memory} cap.
 */
class BigModelTest {
    @TempDir
    Path dir;

    static java.util.stream.Stream<String> devices() {
        return CliRun.devices();
    }

    /** {@code samples/fashion-mnist-mlp.json} with {@code units} in its first Dense layer, on small IDX files in dir. */
    private Path fashionMlp(int units) throws IOException {
        CliRun.idx(dir.resolve("train-images"), 256, 64, 28, 28);
        CliRun.idx(dir.resolve("train-labels"), 10, 64);
        CliRun.idx(dir.resolve("t10k-images"), 256, 16, 28, 28);
        CliRun.idx(dir.resolve("t10k-labels"), 10, 16);
        ObjectMapper json = new ObjectMapper();
        ObjectNode cfg = (ObjectNode) json.readTree(Path.of("samples/fashion-mnist-mlp.json").toFile());
        ((ObjectNode) cfg.get("layers").get(1)).put("units", units);
        cfg.putObject("data").put("type", "idx").put("dir", dir.toString()).put("trainImages", "train-images")
                .put("trainLabels", "train-labels").put("testImages", "t10k-images").put("testLabels", "t10k-labels");
        return Files.writeString(dir.resolve("mlp.json"), json.writeValueAsString(cfg));
    }

    private static void assertOneLineMatching(String regex, CliRun r) {
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out());
        assertFalse(r.err().contains("Epoch 1/"), "training started: " + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().strip().matches("clgrad: " + regex), r.err());
    }

    @ParameterizedTest
    @MethodSource("devices")
    void theTwoMillionUnitConfigIsRefusedInOneLine(String device) throws IOException {
        CliRun r = CliRun.of("train", fashionMlp(2_000_000).toString(), "--device", device, "--epochs", "1");
        assertOneLineMatching("the model of 2,594,005,642 parameters does not fit on " + device + " at batch size 64: "
                + "a buffer of 2,594,005,664 floats \\(9.66 GiB\\) for the parameters is more than the [0-9.]+ GiB one "
                + "buffer can hold \\((the longest Java array|CL_DEVICE_MAX_MEM_ALLOC_SIZE of " + device + "|clgrad "
                + "indexes a buffer with int offsets)\\); in all it needs 39.61 GiB at its peak \\(parameters 9.66 GiB, "
                + "gradients 9.66 GiB, .*adam state 19.33 GiB, workspace 976.82 MiB, batch 196.25 KiB.*\\) of the "
                + "[0-9.]+ [KMG]iB free in .*", r);
    }

    /** Under a 5 MiB cap the config's batch of 4096 is refused naming the workspace; --batch 64 trains. */
    @ParameterizedTest
    @MethodSource("devices")
    void aBatchTooBigForTheMemoryIsRefusedAndASmallerOneTrains(String device) throws IOException {
        Path cfg = Files.writeString(dir.resolve("wide.json"), "{\"layers\": [{\"type\": \"dense\", \"units\": 64, "
                + "\"activation\": \"relu\"}, {\"type\": \"dense\", \"units\": 16}], \"loss\": \"mse\", \"epochs\": 1, "
                + "\"batchSize\": 4096, \"data\": {\"type\": \"random-normal\", \"train\": 4096, \"features\": 256, "
                + "\"targets\": 16}}");
        System.setProperty("clgrad.memory", "5m");
        try {
            assertOneLineMatching("the model of 17,488 parameters does not fit on " + device + " at batch size 4096: it "
                    + "needs [0-9.]+ MiB at its peak \\(.*workspace [0-9.]+ MiB, batch 4.25 MiB.*\\), more than the "
                    + "[0-9.]+ MiB free in the clgrad.memory cap of 5.00 MiB on .*; raise the clgrad.memory cap, or use "
                    + "a smaller batch or model", CliRun.of("train", cfg.toString(), "--device", device));
            CliRun small = CliRun.of("train", cfg.toString(), "--device", device, "--batch", "64", "--json");
            assertEquals(0, small.code(), small.err());
        } finally {
            System.clearProperty("clgrad.memory");
        }
    }

    /** On Java the limit is the heap, and the line says how to raise it through the launcher. */
    @Test
    void aModelBeyondTheJavaHeapNamesXmxAndTheLauncherVariable() throws IOException {
        int units = (int) (Runtime.getRuntime().maxMemory() / (4L * Float.BYTES * 785) * 2);
        Path cfg = Files.writeString(dir.resolve("big.json"), "{\"layers\": [{\"type\": \"dense\", \"units\": " + units
                + "}], \"loss\": \"mse\", \"data\": {\"type\": \"random-normal\", \"train\": 8, \"features\": 784, "
                + "\"targets\": " + units + "}}");
        assertOneLineMatching("the model of [0-9,]+ parameters does not fit on java at batch size 8: it needs [0-9.]+ "
                + "GiB at its peak \\(.*\\), more than the [0-9.]+ [KMG]iB free in the Java heap \\(-Xmx [0-9.]+ GiB\\); "
                + "give the JVM more heap, such as -Xmx(\\d+)g \\(the clgrad launcher takes JVM options from "
                + "CLGRAD_JAVA_OPTS: CLGRAD_JAVA_OPTS=-Xmx\\1g clgrad \\.\\.\\.\\), or use a smaller batch or model",
                CliRun.of("train", cfg.toString(), "--device", "java"));
    }
}
