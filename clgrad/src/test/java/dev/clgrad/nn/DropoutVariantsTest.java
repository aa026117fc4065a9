package dev.clgrad.nn;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.io.Checkpoint;
import dev.clgrad.io.ConfigException;
import dev.clgrad.io.ModelConfig;
import dev.clgrad.io.Safetensors;
import dev.clgrad.io.SavedModel;
import dev.clgrad.model.Sequential;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.ApplyAlphaMask;
import dev.clgrad.ops.GaussianNoise;
import dev.clgrad.ops.Philox;
import dev.clgrad.selftest.RefOps;
import dev.clgrad.tensor.Shape;
import dev.clgrad.train.Position;
import dev.clgrad.train.Predict;
import dev.clgrad.train.Prediction;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

import static dev.clgrad.backend.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dropout variants as layers: finite differences in float64 through small nets with
 * GaussianDropout, AlphaDropout, DropConnect and input dropout, the masks fixed at the layers'
 * first counters (each computed from the spec: {@link GaussianNoise#factor}, the dropout mask of
 * {@link RefOps}); counters advancing per step; configs read and written back; Monte-Carlo
 * prediction (deterministic, training's counters untouched, weight scaling equal to plain predict,
 * an unbiased mean before a linear layer, DropConnect too); counters checkpointed and restored.
 */
class DropoutVariantsTest {
    private static final double H = 1e-6;
    private static final double TOLERANCE = 1e-4;
    private static final int ROWS = 4;
    private static final int IN = 5;
    private static final int HIDDEN = 6;
    private static final int OUT = 3;

    @TempDir
    Path dir;

    static Stream<Named<Backend>> backends() {
        return TestBackends.all().stream().map(b -> Named.of(TestBackends.label(b), b));
    }

    /**
     * One training step (an optimizer that updates nothing) on random parameters, then every
     * trainable parameter's gradient against central differences of {@code net}, the float64 loss
     * of the parameters by name.
     */
    private static void check(Backend backend, Sequential model, Shape sample, float[] x, float[] y,
                              ToDoubleFunction<Map<String, double[]>> net) {
        SplittableRandom random = new SplittableRandom(17);
        model.compile(new ImageNetGradientTest.Frozen(), new MSE());
        model.build(sample);
        model.reserve(ROWS);
        Map<String, double[]> params = new LinkedHashMap<>();
        ParameterStore store = model.parameterStore();
        for (Parameter p : store.trainable()) {
            float[] v = new float[(int) p.shape().size()];
            double[] d = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (random.nextDouble() * 1.6 - 0.8);
                d[i] = v[i];
            }
            store.value(p.name()).copyFrom(v);
            params.put(p.name(), d);
        }
        model.trainBatch(x, y, ROWS);
        for (Parameter p : store.trainable()) {
            double[] v = params.get(p.name());
            double[] numeric = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                double keep = v[i];
                v[i] = keep + H;
                double up = net.applyAsDouble(params);
                v[i] = keep - H;
                double down = net.applyAsDouble(params);
                v[i] = keep;
                numeric[i] = (up - down) / (2 * H);
            }
            assertClose(p.name() + " gradient on " + TestBackends.label(backend) + " vs finite differences", numeric,
                    store.gradient(p.name()).toArray(), TOLERANCE);
        }
    }

    private static double[] doubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    private static float[] uniform(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return v;
    }

    /** act(x·W + bias) over rows of x: (R, I), W: (I, O). */
    private static double[] dense(double[] x, int in, int out, double[] w, double[] bias, Activation act) {
        return RefOps.biasAct(RefOps.gemm(false, false, x.length / in, out, in, 1, x, w, 0, null), bias, act);
    }

    /** Dense(6, tanh) → GaussianDropout(0.4) → Dense(3): dX of the noise is dY times the same factors. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void gaussianDropoutGradients(Backend backend) {
        float[] x = uniform(1, ROWS * IN);
        float[] y = uniform(2, ROWS * OUT);
        try (Sequential model = new Sequential(backend, 5)) {
            GaussianDropout noise = new GaussianDropout(0.4);
            model.add(new Dense(HIDDEN, "tanh")).add(noise).add(new Dense(OUT));
            check(backend, model, Shape.of(IN), x, y, p -> {
                double[] h = dense(doubles(x), IN, HIDDEN, p.get("dense_1.kernel"), p.get("dense_1.bias"),
                        Activation.TANH);
                GaussianNoise spec = GaussianNoise.fixed(0.4f, noise.seed(), 0);
                for (int i = 0; i < h.length; i++) {
                    h[i] *= spec.factor(0, i);
                }
                return RefOps.mse(dense(h, HIDDEN, OUT, p.get("dense_2.kernel"), p.get("dense_2.bias"),
                        Activation.LINEAR), doubles(y));
            });
            assertEquals(GaussianNoise.blocks(ROWS * HIDDEN), noise.offset(), "ceil(n/2) blocks a step");
        }
    }

    /** Dense(6, selu) → AlphaDropout(0.3) → Dense(3), a SELU net: kept values a·h + b, dropped a·α' + b. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void alphaDropoutGradients(Backend backend) {
        float[] x = uniform(3, ROWS * IN);
        float[] y = uniform(4, ROWS * OUT);
        try (Sequential model = new Sequential(backend, 6)) {
            AlphaDropout drop = new AlphaDropout(0.3);
            model.add(new Dense(HIDDEN, "selu")).add(drop).add(new Dense(OUT));
            check(backend, model, Shape.of(IN), x, y, p -> {
                double[] h = dense(doubles(x), IN, HIDDEN, p.get("dense_1.kernel"), p.get("dense_1.bias"),
                        Activation.SELU);
                h = RefOps.alphaDropout(h, 0.3f, drop.seed(), 0, false);
                return RefOps.mse(dense(h, HIDDEN, OUT, p.get("dense_2.kernel"), p.get("dense_2.bias"),
                        Activation.LINEAR), doubles(y));
            });
            assertEquals(Philox.blocks(ROWS * HIDDEN), drop.offset());
        }
    }

    /** Dense(6, tanh, dropConnect 0.5) → Dense(3, dropConnect 0.3): W replaced by M ⊙ W/(1 − p), M one per batch. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void dropConnectGradients(Backend backend) {
        float[] x = uniform(5, ROWS * IN);
        float[] y = uniform(6, ROWS * OUT);
        try (Sequential model = new Sequential(backend, 7)) {
            Dense first = new Dense(HIDDEN, "tanh").dropConnect(0.5);
            Dense second = new Dense(OUT).dropConnect(0.3);
            model.add(first).add(second);
            check(backend, model, Shape.of(IN), x, y, p -> {
                double[] w1 = RefOps.dropout(p.get("dense_1.kernel"), 0.5f, first.seed(), 0);
                double[] w2 = RefOps.dropout(p.get("dense_2.kernel"), 0.3f, second.seed(), 0);
                double[] h = dense(doubles(x), IN, HIDDEN, w1, p.get("dense_1.bias"), Activation.TANH);
                return RefOps.mse(dense(h, HIDDEN, OUT, w2, p.get("dense_2.bias"), Activation.LINEAR), doubles(y));
            });
            assertEquals(Philox.blocks(IN * HIDDEN), first.counters().get("dropConnect.offset").get(),
                    "one kernel mask a step, shared by the batch");
            assertTrue(model.sharesMasksAcrossRows());
        }
    }

    /**
     * Dropout as the first layer (the paper's input dropout, rate 0.2) on (2, 3, 1) images, before
     * and after Flatten: the gradient of the masked input's Dense.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void inputDropoutBeforeAndAfterFlatten(Backend backend) {
        float[] x = uniform(7, ROWS * 6);
        float[] y = uniform(8, ROWS * OUT);
        for (boolean dropoutFirst : new boolean[] {true, false}) {
            try (Sequential model = new Sequential(backend, 8)) {
                Dropout drop = new Dropout(0.2);
                if (dropoutFirst) {
                    model.add(drop).add(new Flatten());
                } else {
                    model.add(new Flatten()).add(drop);
                }
                model.add(new Dense(OUT, "tanh"));
                check(backend, model, Shape.of(2, 3, 1), x, y, p -> {
                    double[] h = RefOps.dropout(doubles(x), 0.2f, drop.seed(), 0);
                    return RefOps.mse(dense(h, 6, OUT, p.get("dense_1.kernel"), p.get("dense_1.bias"),
                            Activation.TANH), doubles(y));
                });
            }
        }
    }

    private static ModelConfig parse(String layers) throws ConfigException {
        return ModelConfig.parse("{\"layers\": [" + layers + "], \"loss\": \"mse\", \"data\": {\"type\": "
                + "\"random-normal\", \"train\": 8, \"features\": 6}}", "m.json", Path.of("."));
    }

    @Test
    void configsReadAndWriteBack() throws IOException {
        ModelConfig config = parse("{\"type\": \"dropout\", \"rate\": 0.2}, {\"type\": \"dense\", \"units\": 4,"
                + " \"activation\": \"relu\", \"dropConnect\": 0.5}, {\"type\": \"gaussian_dropout\", \"rate\": 0.3},"
                + " {\"type\": \"alpha_dropout\", \"rate\": 0.1}, {\"type\": \"dense\", \"units\": 2}");
        List<Map<String, Object>> written;
        try (Sequential model = Sequential.fromConfig(config, TestBackends.java())) {
            model.build(Shape.of(6));
            written = model.layers().stream().map(Layer::config).toList();
            String summary = model.summary();
            assertTrue(summary.contains("gaussian_dropout_1 (GaussianDropout)") && summary.contains(
                    "alpha_dropout_1 (AlphaDropout)"), summary);
            model.save(dir);
        }
        assertEquals(List.of(Map.of("rate", 0.2), Map.of("units", 4, "activation", "relu", "dropConnect", 0.5),
                Map.of("rate", 0.3), Map.of("rate", 0.1), Map.of("units", 2, "activation", "linear")), written);
        assertEquals(written, SavedModel.read(dir).layers().stream().map(Layer::config).toList());
        assertEquals(List.of("dropout", "dense", "gaussian_dropout", "alpha_dropout", "dense"),
                SavedModel.read(dir).layers().stream().map(Layer::configType).toList());
        assertEquals("m.json: $.layers[0].dropConnect: expected a number in [0.0, 1.0), got 1",
                assertThrows(ConfigException.class, () -> parse("{\"type\": \"dense\", \"units\": 2, \"dropConnect\": 1}")
                        .layers().forEach(ModelConfig.LayerSpec::create)).getMessage());
        assertEquals("m.json: $.layers[0].rate: expected a number in [0.0, 1.0), got -0.1",
                assertThrows(ConfigException.class, () -> parse("{\"type\": \"gaussian_dropout\", \"rate\": -0.1}")
                        .layers().forEach(ModelConfig.LayerSpec::create)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new AlphaDropout(1));
        assertThrows(IllegalArgumentException.class, () -> new Dense(2).dropConnect(-0.5));
    }

    /**
     * Monte-Carlo prediction: the same call gives the same bits, does not move training's counters,
     * has a positive spread where masks are drawn and none without random layers; weight scaling
     * is plain predict; passes forced one per batch (DropConnect) or grouped give equal means in
     * distribution; before a linear last layer the mean of the passes is weight scaling within sampling error.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void monteCarloPrediction(Backend backend) {
        float[][] x = new float[37][];
        for (int r = 0; r < x.length; r++) {
            x[r] = uniform(100 + r, IN);
        }
        for (int variant = 0; variant < 3; variant++) {
            try (Sequential model = new Sequential(backend, 9)) {
                model.add(new Dense(HIDDEN, "relu").dropConnect(variant == 2 ? 0.3 : 0));
                model.add(variant == 0 ? new Dropout(0.3) : new GaussianDropout(0.3));
                model.add(new Dense(OUT));
                model.build(Shape.of(IN));
                Prediction a = model.predict(x, Predict.monteCarlo(40).batchSize(16));
                Prediction b = model.predict(x, Predict.monteCarlo(40).batchSize(16));
                assertArrayEquals(a.mean(), b.mean(), "deterministic on " + TestBackends.label(backend));
                assertArrayEquals(a.std(), b.std());
                for (Layer l : model.layers()) {
                    l.counters().values().forEach(c -> assertEquals(0, c.get(), "training counter of " + l.name()));
                }
                float[] plain = flat(model.predict(x));
                Prediction scaled = model.predict(x, Predict.weightScaling());
                assertArrayEquals(plain, scaled.mean());
                assertEquals(0, norm(scaled.std()));
                assertTrue(norm(a.std()) > 0.1 * norm(a.mean()), "spread " + norm(a.std()));
                assertNotEquals(plain[0], a.mean()[0]);
                if (variant < 2) {
                    double diff = 0;
                    double error = 0;
                    for (int i = 0; i < plain.length; i++) {
                        diff += Math.abs(plain[i] - a.mean()[i]);
                        error += a.std()[i] / Math.sqrt(40);
                    }
                    assertTrue(diff < 2 * error, "the noise is unbiased before a linear layer, so the mean of 40 "
                            + "passes is weight scaling within sampling error: |diff| " + diff + ", error " + error);
                }
            }
        }
        try (Sequential model = new Sequential(backend, 9)) {
            model.add(new Dense(OUT));
            model.build(Shape.of(IN));
            assertEquals(0, norm(model.predict(x, Predict.monteCarlo(3)).std()), "nothing random, no spread");
        }
    }

    private static float[] flat(float[][] rows) {
        float[] out = new float[rows.length * rows[0].length];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, out, r * rows[r].length, rows[r].length);
        }
        return out;
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float f : v) {
            s += (double) f * f;
        }
        return Math.sqrt(s);
    }

    /** The variants' counters are checkpointed by name and restored, DropConnect's included. */
    @Test
    void countersAreCheckpointedAndRestored() throws IOException {
        float[] x = uniform(9, ROWS * IN);
        float[] y = uniform(10, ROWS * OUT);
        Path ck = dir.resolve("ck");
        try (Sequential model = new Sequential(TestBackends.java(), 4)) {
            model.add(new Dense(HIDDEN, "relu").dropConnect(0.5)).add(new GaussianDropout(0.2))
                    .add(new AlphaDropout(0.1)).add(new Dense(OUT));
            model.compile("adam", "mse");
            model.build(Shape.of(IN));
            model.reserve(ROWS);
            model.trainBatch(x, y, ROWS);
            model.trainBatch(x, y, ROWS);
            model.checkpoint(ck, new Position(0, 2, 0, ROWS, false, 0, java.util.List.of()));
            var meta = Safetensors.readContents(Checkpoint.file(ck)).metadata();
            assertEquals(String.valueOf(2 * Philox.blocks(IN * HIDDEN)), meta.get("rng.dense_1.dropConnect.offset"));
            assertEquals(String.valueOf(2 * GaussianNoise.blocks(ROWS * HIDDEN)), meta.get("rng.gaussian_dropout_1.offset"));
            assertEquals(String.valueOf(2 * Philox.blocks(ROWS * HIDDEN)), meta.get("rng.alpha_dropout_1.offset"));
        }
        try (Sequential model = new Sequential(TestBackends.java(), 4)) {
            Dense first = new Dense(HIDDEN, "relu").dropConnect(0.5);
            model.add(first).add(new GaussianDropout(0.2)).add(new AlphaDropout(0.1)).add(new Dense(OUT));
            model.compile("adam", "mse");
            model.build(Shape.of(IN));
            model.restoreCheckpoint(ck);
            assertEquals(2 * Philox.blocks(IN * HIDDEN), first.counters().get("dropConnect.offset").get());
        }
    }

    @Test
    void predictOptionsRejectBadValues() {
        assertEquals("predict: Monte-Carlo passes must be >= 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> Predict.monteCarlo(0)).getMessage());
        assertEquals("predict: batch size must be >= 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> Predict.monteCarlo(2).batchSize(0)).getMessage());
    }
}
