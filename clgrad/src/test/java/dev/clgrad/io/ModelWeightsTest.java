package dev.clgrad.io;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.data.HostArray;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Dropout;
import dev.clgrad.model.Sequential;
import dev.clgrad.train.Fit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelWeightsTest {
    @TempDir
    Path dir;
    private final Backend java = TestBackends.java();

    private Sequential model(long seed) {
        Sequential m = new Sequential(java, seed);
        m.add(new Dense(6, "relu")).add(new Dropout(0.3)).add(new Dense(2));
        return m.compile("adam", "mse");
    }

    @Test
    void roundTripGivesTheSamePredictions() throws IOException {
        float[][] x = {{1, 2, 3}, {-1, 0, 2}, {0.5f, 0.5f, -4}};
        float[][] y = {{1, 0}, {0, 1}, {1, 1}};
        Path file = dir.resolve("w.safetensors");
        float[][] before;
        try (Sequential a = model(1)) {
            a.fit(x, y, Fit.epochs(3).batchSize(2).withQuiet(true));
            before = a.predict(x);
            a.saveWeights(file);
        }
        Map<String, HostArray> raw = Safetensors.read(file);
        assertEquals(List.of("dense_1.kernel", "dense_1.bias", "dense_2.kernel", "dense_2.bias"), List.copyOf(raw.keySet()));
        assertArrayEquals(new int[]{3, 6}, raw.get("dense_1.kernel").shape());
        try (Sequential b = model(2)) {
            b.loadWeights(file);
            float[][] after = b.predict(x);
            for (int i = 0; i < x.length; i++) {
                assertArrayEquals(before[i], after[i]);
            }
        }
    }

    @Test
    void headerFollowsTheFormat() throws IOException {
        Path file = dir.resolve("h.safetensors");
        Safetensors.write(file, Map.of("t", new HostArray(new int[]{2}, new float[]{1.5f, -2})));
        byte[] b = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        long n = buf.getLong(0);
        assertEquals(0, n % 8);
        String header = new String(b, 8, (int) n, StandardCharsets.UTF_8).strip();
        assertTrue(header.startsWith("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}"), header);
        assertEquals(1.5f, buf.getFloat(8 + (int) n));
        assertEquals(8 + n + 8, b.length);
    }

    @Test
    void malformedFilesAndMismatchesAreNamed() throws IOException {
        Path file = dir.resolve("w.safetensors");
        try (Sequential a = model(1)) {
            a.build(3);
            a.saveWeights(file);
        }
        byte[] good = Files.readAllBytes(file);
        Path cut = Files.write(dir.resolve("cut.safetensors"), Arrays.copyOf(good, good.length - 4));
        String m = assertThrows(IOException.class, () -> Safetensors.read(cut)).getMessage();
        assertTrue(m.startsWith(cut + ": tensor dense_2.bias: data_offsets"), m);
        Path tiny = Files.write(dir.resolve("tiny.safetensors"), new byte[]{1, 2, 3});
        assertTrue(assertThrows(IOException.class, () -> Safetensors.read(tiny)).getMessage().contains("truncated"));
        try (Sequential other = new Sequential(java)) {
            other.add(new Dense(5)).add(new Dense(2)).compile("adam", "mse");
            String e = assertThrows(IOException.class, () -> other.loadWeights(file)).getMessage();
            assertTrue(e.contains("tensor dense_1.kernel has shape [3, 6], the model expects (3, 5)"), e);
        }
    }
}
