package dev.clgrad.nn;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendTest;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.io.ModelConfig;
import dev.clgrad.model.Sequential;
import dev.clgrad.ops.Activation;
import dev.clgrad.train.Fit;
import dev.clgrad.train.History;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A small model with each activation trains on each backend (its loss falls over a few epochs of
 * a two-class problem with MSE on one-hot targets, to below 0.9 of the first epoch),
 * and each round-trips through {@link Sequential#save} / {@link Sequential#load}: the same layer
 * configs and the same predictions. Bad activation names and parameters are rejected with the
 * values.
 */
class ActivationTrainingTest {
    @TempDir
    Path dir;

    /** The models: in 4 → (activation somewhere) → out 2, by name. */
    private static List<Supplier<List<Layer>>> models() {
        List<Supplier<List<Layer>>> m = new java.util.ArrayList<>();
        for (String name : List.of("leaky_relu", "elu", "selu", "gelu", "swish", "silu", "relu", "tanh", "sigmoid")) {
            m.add(() -> List.of(new Dense(16, name), new Dense(2)));
        }
        m.add(() -> List.of(new Dense(16), new LeakyReLU(), new Dense(2)));
        m.add(() -> List.of(new Dense(16), new ELU(0.7), new Dense(2)));
        m.add(() -> List.of(new Dense(16), new GELU(true), new Dense(2)));
        m.add(() -> List.of(new Dense(16), new ActivationLayer("selu"), new Dense(2)));
        m.add(() -> List.of(new Dense(16), new ActivationLayer("softmax"), new Dense(2)));
        m.add(() -> List.of(new Dense(16, "gelu"), new Dense(2, "softmax")));
        m.add(() -> List.of(new Dense(16, "silu"), new Dense(2), new Softmax()));
        return m;
    }

    private static float[][][] data() {
        Random rng = new Random(9);
        int n = 64;
        float[][] x = new float[n][4];
        float[][] y = new float[n][2];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < 4; j++) {
                x[i][j] = (float) rng.nextGaussian();
                s += (j + 1) * x[i][j];
            }
            int c = s > 0 ? 1 : 0;
            y[i][c] = 1f;
        }
        return new float[][][] {x, y};
    }

    @BackendTest
    void everyActivationTrainsAndRoundTrips(Backend backend) throws Exception {
        float[][][] d = data();
        int k = 0;
        for (Supplier<List<Layer>> layers : models()) {
            Path saved = dir.resolve(TestBackends.label(backend).replace(':', '_').replace('/', '_') + "-" + k++);
            float[][] before;
            List<String> configs;
            String what;
            try (Sequential m = new Sequential(backend, 11)) {
                layers.get().forEach(m::add);
                m.compile("adam", "mse").build(4);
                what = m.layers().stream().map(l -> l.configType() + l.config()).toList() + " on "
                        + TestBackends.label(backend);
                History h = m.fit(d[0], d[1], Fit.epochs(12).batchSize(16));
                List<Double> loss = h.loss();
                assertTrue(loss.get(loss.size() - 1) < 0.9 * loss.get(0), what + " trains: losses " + loss);
                m.save(saved);
                before = m.predict(d[0]);
                configs = m.layers().stream().map(l -> l.configType() + l.config()).toList();
            }
            try (Sequential m = Sequential.load(saved, backend)) {
                assertEquals(configs, m.layers().stream().map(l -> l.configType() + l.config()).toList(), what);
                float[][] after = m.predict(d[0]);
                for (int i = 0; i < before.length; i++) {
                    assertArrayEquals(before[i], after[i], what + " prediction " + i);
                }
            }
        }
    }

    @Test
    void configsReadEveryTypeAndRejectBadValues() throws Exception {
        List<Layer> read = layers("""
                {"type": "dense", "units": 5, "activation": "swish"},
                {"type": "leaky_relu", "negativeSlope": 0.1},
                {"type": "elu", "alpha": 0.5},
                {"type": "selu"}, {"type": "silu"}, {"type": "swish"},
                {"type": "gelu", "approximate": true},
                {"type": "activation", "activation": "gelu"},
                {"type": "softmax"}""");
        assertEquals(List.of("dense", "leaky_relu", "elu", "selu", "silu", "swish", "gelu", "activation", "softmax"),
                read.stream().map(Layer::configType).toList());
        assertEquals("silu", ((Dense) read.get(0)).activation());
        assertEquals(Activation.leakyRelu(0.1), ((LeakyReLU) read.get(1)).activation());
        assertEquals(Activation.elu(0.5), ((ELU) read.get(2)).activation());
        assertEquals(Activation.SELU, ((ActivationLayer) read.get(3)).activation());
        assertEquals(Activation.SILU, ((ActivationLayer) read.get(5)).activation());
        assertEquals(Activation.GELU_TANH, ((GELU) read.get(6)).activation());
        assertEquals(Activation.GELU, ((ActivationLayer) read.get(7)).activation());
        assertEquals(0.3, new LeakyReLU().negativeSlope());
        assertEquals(Activation.LEAKY_RELU, Activation.of("leaky_relu"));
        assertEquals(0.2f, Activation.of("leaky_relu").alpha());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Dense(3, "gelu_fast"));
        assertTrue(e.getMessage().contains("'gelu_fast'") && e.getMessage().contains("softmax"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LeakyReLU(-0.5));
        assertTrue(e.getMessage().contains("-0.5"), e.getMessage());
        Exception c = assertThrows(Exception.class, () -> layers("{\"type\": \"softmax\", \"axis\": 1}"));
        assertTrue(c.getMessage().contains("axis") && c.getMessage().contains("got 1"), c.getMessage());
        c = assertThrows(Exception.class, () -> layers("{\"type\": \"activation\", \"activation\": \"mish\"}"));
        assertTrue(c.getMessage().contains("'mish'") && c.getMessage().contains("acts.json"), c.getMessage());
    }

    /** The layers of a config holding {@code layers} (JSON objects, comma-separated). */
    private List<Layer> layers(String layers) throws dev.clgrad.io.ConfigException {
        String json = "{\"layers\": [" + layers + "], \"loss\": \"mse\", \"data\": {\"type\": \"random-normal\", "
                + "\"train\": 8, \"test\": 4, \"features\": 4, \"targets\": 1}}";
        return ModelConfig.parse(json, "acts.json", dir).layers().stream().map(ModelConfig.LayerSpec::create).toList();
    }
}
