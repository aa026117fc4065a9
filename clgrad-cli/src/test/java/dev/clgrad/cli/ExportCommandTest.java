package dev.clgrad.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.io.ModelConfig;
import dev.clgrad.model.Sequential;
import dev.clgrad.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code clgrad export}: the file written for a config and the weights {@code train --save} wrote is
 * byte for byte what {@code model.exportOnnx} writes for the same model (whose outputs
 * {@code dev.clgrad.io.OnnxExportTest} checks in ONNX Runtime); the input shape comes from the
 * config's data or {@code --input-shape}; bad arguments exit 2 with one line and write nothing.
 */
class ExportCommandTest {
    private static final String SEED = "samples/seed-simplenet.json";
    private static final String MLP = "samples/fashion-mnist-mlp.json";

    @TempDir
    Path dir;

    @Test
    void exportsTheTrainedSeedModelAsTheApiDoes() throws IOException {
        Path w = dir.resolve("w.safetensors");
        CliRun trained = CliRun.of("train", SEED, "--epochs", "1", "--device", "java", "--save", w.toString(), "--json");
        assertEquals(0, trained.code(), trained.err());
        Path out = dir.resolve("seed.onnx");
        CliRun run = CliRun.of("export", SEED, "--weights", w.toString(), "--onnx", out.toString(), "--json");
        assertEquals(0, run.code(), run.err());
        JsonNode j = new ObjectMapper().readTree(run.out());
        assertEquals(out.toString(), j.get("onnx").asText());
        assertEquals(17, j.get("opset").asInt());
        assertEquals("[20]", j.get("inputShape").toString());
        assertEquals("[1]", j.get("outputShape").toString());
        assertEquals(Files.size(out), j.get("bytes").asLong());
        assertEquals(4, j.get("initializers").asInt(), "two kernels, two biases and nothing else");
        assertEquals(3, j.get("nodes").asInt(), "Gemm, Relu, Gemm: dropout is no node");
        assertEquals("java", j.get("device").asText());
        Path api = dir.resolve("api.onnx");
        try (Sequential model = Sequential.fromConfig(ModelConfig.read(Path.of(SEED)), TestBackends.java())) {
            model.build(Shape.of(20));
            model.loadWeights(w);
            model.exportOnnx(api);
        }
        assertArrayEquals(Files.readAllBytes(api), Files.readAllBytes(out));
    }

    @Test
    void takesTheInputShapeFromTheCommandLine() throws IOException {
        Path w = dir.resolve("mlp.safetensors");
        try (Sequential model = Sequential.fromConfig(ModelConfig.read(Path.of(MLP)), TestBackends.java())) {
            model.build(Shape.of(28, 28, 1));
            model.saveWeights(w);
        }
        Path out = dir.resolve("mlp.onnx");
        CliRun run = CliRun.of("export", MLP, "--weights", w.toString(), "--onnx", out.toString(), "--input-shape",
                "28,28,1");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().startsWith("wrote " + out + ": ONNX opset 17, input (batch, 28, 28, 1), output (batch, 10), "),
                run.out());
        assertTrue(Files.size(out) > 4L * (784 * 512 + 512 * 512), "the weights are in the file");
    }

    @Test
    void badArgumentsExitTwoWithOneLine() throws IOException {
        Path out = dir.resolve("x.onnx");
        String missing = dir.resolve("none.safetensors").toString();
        CliRun.of("export", SEED, "--weights", missing, "--onnx", out.toString())
                .assertOneLine("export: --weights " + missing + ": no such file; expected the .safetensors file train "
                        + "--save wrote");
        Path w = dir.resolve("mlp.safetensors");
        try (Sequential model = Sequential.fromConfig(ModelConfig.read(Path.of(MLP)), TestBackends.java())) {
            model.build(Shape.of(28, 28, 1));
            model.saveWeights(w);
        }
        CliRun.of("export", SEED, "--weights", w.toString(), "--onnx", dir.toString())
                .assertOneLine("export: --onnx " + dir + ": is a folder; expected a file name (such as "
                        + dir.resolve("model.onnx") + ")");
        CliRun.of("export", MLP, "--weights", w.toString(), "--onnx", out.toString(), "--input-shape", "28,0")
                .assertOneLine("export: --input-shape must be 1 to 4 dimensions, each >= 1, such as 28,28,1; got [28, 0]");
        CliRun wrong = CliRun.of("export", SEED, "--weights", w.toString(), "--onnx", out.toString());
        assertEquals(2, wrong.code(), wrong.err());
        assertEquals(1, wrong.err().strip().lines().count(), wrong.err());
        assertTrue(wrong.err().contains(w.toString()), wrong.err());
        CliRun noOnnx = CliRun.of("export", SEED, "--weights", w.toString());
        assertEquals(2, noOnnx.code());
        assertTrue(noOnnx.err().contains("--onnx"), noOnnx.err());
        assertFalse(Files.exists(out), "nothing was written");
        CliRun help = CliRun.of("export", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("--input-shape"), help.out());
    }
}
