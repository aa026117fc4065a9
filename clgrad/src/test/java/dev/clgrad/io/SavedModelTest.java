package dev.clgrad.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendTest;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.nn.Conv2D;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Dropout;
import dev.clgrad.nn.Flatten;
import dev.clgrad.nn.ReLU;
import dev.clgrad.nn.Reshape;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.SoftmaxCrossEntropy;
import dev.clgrad.optim.AdamW;
import dev.clgrad.tensor.Tensor;
import dev.clgrad.train.Fit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code model.save(dir)} / {@code Sequential.load(dir, backend)}: model.json and model.safetensors. */
class SavedModelTest {
    @TempDir
    Path dir;

    private static Sequential classifier(Backend b) {
        Sequential m = new Sequential(b, 17);
        m.add(new Dense(7, "relu")).add(new Dropout(0.3)).add(new ReLU()).add(new Dense(3));
        return m.compile(new AdamW(0.02, 0.05), new SoftmaxCrossEntropy(), "accuracy");
    }

    private static float[][] inputs(int rows) {
        Random rng = new Random(4);
        float[][] x = new float[rows][5];
        for (float[] r : x) {
            for (int c = 0; c < r.length; c++) {
                r[c] = (float) rng.nextGaussian();
            }
        }
        return x;
    }

    @BackendTest
    void loadGivesTheSameModelAndPredictions(Backend backend) throws IOException {
        float[][] x = inputs(40);
        float[] labels = new float[40];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % 3;
        }
        float[][] before;
        try (Sequential a = classifier(backend)) {
            a.fit(x, labels, Fit.epochs(2).batchSize(8).withQuiet(true));
            before = a.predict(x);
            a.save(dir);
        }
        JsonNode json = new ObjectMapper().readTree(dir.resolve("model.json").toFile());
        assertEquals("clgrad.sequential", json.get("format").asText());
        assertEquals("[5]", json.get("inputShape").toString());
        assertEquals("{\"type\":\"dropout\",\"rate\":0.3}", json.get("layers").get(1).toString());
        assertEquals("{\"type\":\"adamw\",\"learningRate\":0.02,\"beta1\":0.9,\"beta2\":0.999,\"epsilon\":1.0E-8,\"weightDecay\":0.05}",
                json.get("optimizer").toString());
        try (Sequential b = Sequential.load(dir, backend)) {
            assertEquals(json.toString(), SavedModel.toJson(b.parts()).toString(), "the loaded model writes the same model.json");
            assertEquals(List.of("accuracy"), b.metricNames());
            float[][] after = b.predict(x);
            for (int i = 0; i < x.length; i++) {
                assertArrayEquals(before[i], after[i], "row " + i);
            }
        }
    }

    /** A CNN over flat rows reshaped to images: its layers' configs, the kernel's Keras shape, the same predictions. */
    @BackendTest
    void aConvModelRoundTrips(Backend backend) throws IOException {
        Random rng = new Random(6);
        float[][] x = new float[24][36];
        float[] labels = new float[24];
        for (int i = 0; i < x.length; i++) {
            for (int c = 0; c < 36; c++) {
                x[i][c] = (float) rng.nextGaussian();
            }
            labels[i] = i % 3;
        }
        float[][] before;
        try (Sequential a = new Sequential(backend, 3)) {
            a.add(new Reshape(6, 6, 1)).add(new Conv2D(4, 3, "relu").withStrides(2).withPadding("same"))
                    .add(new Conv2D(3, 2, "tanh").withDilation(1, 2).withUseBias(false)).add(new Flatten())
                    .add(new Dense(3));
            a.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            a.fit(x, labels, Fit.epochs(2).batchSize(8).withQuiet(true));
            before = a.predict(x);
            a.save(dir);
        }
        JsonNode json = new ObjectMapper().readTree(dir.resolve("model.json").toFile());
        assertEquals("[36]", json.get("inputShape").toString());
        assertEquals("{\"type\":\"reshape\",\"targetShape\":[6,6,1]}", json.get("layers").get(0).toString());
        assertEquals("{\"type\":\"conv2d\",\"filters\":4,\"kernelSize\":[3,3],\"strides\":[2,2],\"padding\":\"same\","
                + "\"dilation\":[1,1],\"activation\":\"relu\",\"useBias\":true}", json.get("layers").get(1).toString());
        assertEquals("{\"type\":\"conv2d\",\"filters\":3,\"kernelSize\":[2,2],\"strides\":[1,1],\"padding\":\"valid\","
                + "\"dilation\":[1,2],\"activation\":\"tanh\",\"useBias\":false}", json.get("layers").get(2).toString());
        try (Sequential b = Sequential.load(dir, backend)) {
            assertEquals(json.toString(), SavedModel.toJson(b.parts()).toString(), "the loaded model writes the same model.json");
            assertEquals(List.of(3, 3, 1, 4), dims(b.namedParameters().get("conv2d_1.kernel")));
            assertEquals(List.of(2, 2, 4, 3), dims(b.namedParameters().get("conv2d_2.kernel")));
            assertFalse(b.namedParameters().containsKey("conv2d_2.bias"));
            float[][] after = b.predict(x);
            for (int i = 0; i < x.length; i++) {
                assertArrayEquals(before[i], after[i], "row " + i);
            }
        }
    }

    private static List<Integer> dims(Tensor t) {
        return Arrays.stream(t.shape().dims()).boxed().toList();
    }

    /**
     * Parses model.safetensors from the format's description alone (not with {@link Safetensors}):
     * header length, JSON header, F32 tensors laid end to end in header order covering the data exactly.
     */
    @Test
    void weightsFileFollowsTheSafetensorsFormat() throws IOException {
        Map<String, Tensor> params;
        List<float[]> expected = new ArrayList<>();
        try (Sequential a = classifier(TestBackends.java())) {
            a.build(5);
            a.save(dir);
            params = a.namedParameters();
            params.values().forEach(t -> expected.add(t.toArray()));
        }
        byte[] file = Files.readAllBytes(dir.resolve("model.safetensors"));
        ByteBuffer buf = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        long n = buf.getLong(0);
        JsonNode header = new ObjectMapper().readTree(new String(file, 8, (int) n, StandardCharsets.UTF_8));
        List<String> names = new ArrayList<>();
        long next = 0;
        int k = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                assertTrue(e.getValue().isObject());
                continue;
            }
            names.add(e.getKey());
            JsonNode t = e.getValue();
            assertEquals("F32", t.get("dtype").asText());
            long count = 1;
            for (JsonNode d : t.get("shape")) {
                count *= d.asLong();
            }
            assertEquals(next, t.get("data_offsets").get(0).asLong(), e.getKey() + " starts where the last ended");
            next = t.get("data_offsets").get(1).asLong();
            assertEquals(count * 4, next - t.get("data_offsets").get(0).asLong());
            float[] want = expected.get(k++);
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], buf.getFloat((int) (8 + n + t.get("data_offsets").get(0).asLong() + 4L * i)));
            }
        }
        assertEquals(List.of("dense_1.kernel", "dense_1.bias", "dense_2.kernel", "dense_2.bias"), names);
        assertEquals(file.length, 8 + n + next, "the data is covered exactly");
        assertEquals("[5,7]", header.get("dense_1.kernel").get("shape").toString());
    }

    @Test
    void badFilesAreNamed() throws IOException {
        Backend java = TestBackends.java();
        String missing = assertThrows(IOException.class, () -> Sequential.load(dir, java)).getMessage();
        assertEquals(dir.resolve("model.json") + ": no such file; is " + dir + " a folder written by model.save?",
                missing);
        try (Sequential a = classifier(java)) {
            a.build(5);
            a.save(dir);
        }
        Path json = dir.resolve("model.json");
        String good = Files.readString(json);
        Files.writeString(json, good.replace("\"units\" : 7", "\"units\" : -7"));
        assertEquals(json + ": $.layers[0].units: expected an integer in [1, 16777216], got -7",
                assertThrows(ConfigException.class, () -> Sequential.load(dir, java)).getMessage());
        Files.writeString(json, good.substring(0, 40));
        assertTrue(assertThrows(ConfigException.class, () -> Sequential.load(dir, java)).getMessage()
                .startsWith(json + ":"));
        Files.writeString(json, good);
        Path weights = dir.resolve("model.safetensors");
        byte[] w = Files.readAllBytes(weights);
        Files.write(weights, Arrays.copyOf(w, w.length - 10));
        String cut = assertThrows(IOException.class, () -> Sequential.load(dir, java)).getMessage();
        assertTrue(cut.startsWith(weights + ": tensor dense_2.bias: "), cut);
        assertFalse(Files.exists(dir.resolve("model.json.tmp")), "no temporary file left behind");
        assertEquals(0, java.liveBuffers(), "a failed load frees the model it was building");
    }
}
