package dev.clgrad.nn;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.model.Sequential;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.Op;
import dev.clgrad.ops.Pooling;
import dev.clgrad.ops.Window;
import dev.clgrad.optim.Optimizer;
import dev.clgrad.optim.Schedule;
import dev.clgrad.selftest.RefOps;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

import static dev.clgrad.backend.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite differences in float64 through whole small nets of images with pooling, batch
 * normalisation and spatial dropout: on each backend, one training step (with an optimizer that
 * updates nothing) writes the gradient of the batch's MSE with respect to every trainable
 * parameter; each is compared with central differences of the same net written in float64 from
 * {@link RefOps} (training-mode batch statistics, the layer's own spatial-dropout mask). Inputs
 * are (H, W, C) images fed straight into the layers, or (B, C) rows for batch normalisation of
 * Dense outputs.
 */
class ImageNetGradientTest {
    private static final double H = 1e-6;
    private static final double TOLERANCE = 1e-4;
    private static final double EPS = 1e-3f;

    static Stream<Named<Backend>> backends() {
        return TestBackends.all().stream().map(b -> Named.of(TestBackends.label(b), b));
    }

    /** An optimizer that updates nothing, so that a training step only computes the gradients. */
    static final class Frozen implements Optimizer {
        @Override
        public String name() {
            return "frozen";
        }

        @Override
        public List<Op> updates(Tensor params, Tensor grads, List<Parameter> variables) {
            return List.of();
        }

        @Override
        public double learningRate() {
            return 0;
        }

        @Override
        public void setLearningRate(double value) {
            throw new UnsupportedOperationException("frozen");
        }

        @Override
        public Schedule learningRateSchedule() {
            return null;
        }

        @Override
        public Map<String, Object> config() {
            return Map.of("type", "frozen");
        }

        @Override
        public int stateTensors() {
            return 0;
        }

        @Override
        public void beginStep() {
        }

        @Override
        public long iterations() {
            return 0;
        }

        @Override
        public Map<String, Tensor> state() {
            return Map.of();
        }

        @Override
        public void restore(Tensor params, Map<String, float[]> values, long iterations) {
        }

        @Override
        public void close() {
        }
    }

    /**
     * Builds {@code model} for {@code sample}, sets every trainable parameter to random values,
     * runs one training step on (x, y) and compares each parameter's gradient with central
     * differences of {@code net}, the float64 loss of the parameters by name (each flat, as the
     * model lays it out), perturbed one value at a time. A parameter whose gradient is zero (a bias
     * right before a batch normalisation) must come out zero to float32 rounding.
     */
    private static void check(Backend backend, Sequential model, Shape sample, int rows, float[] x, float[] y,
                              ToDoubleFunction<Map<String, double[]>> net, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        model.compile(new Frozen(), new MSE());
        model.build(sample);
        model.reserve(rows);
        Map<String, double[]> params = new LinkedHashMap<>();
        ParameterStore store = model.parameterStore();
        for (Parameter p : store.trainable()) {
            float[] v = new float[(int) p.shape().size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (random.nextDouble() * 1.6 - 0.8 + (p.name().endsWith("gamma") ? 1 : 0));
            }
            store.value(p.name()).copyFrom(v);
            params.put(p.name(), doubles(v));
        }
        model.trainBatch(x, y, rows);
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
            float[] analytic = store.gradient(p.name()).toArray();
            String what = p.name() + " gradient on " + TestBackends.label(backend) + " vs finite differences";
            if (norm(numeric) < 1e-8) {
                assertTrue(norm(doubles(analytic)) < 1e-5, what + ": zero (a bias before batch normalisation, whose "
                        + "mean cancels it), got " + Arrays.toString(analytic));
            } else {
                assertClose(what, numeric, analytic, TOLERANCE);
            }
        }
    }

    private static double norm(double[] v) {
        double s = 0;
        for (double d : v) {
            s += d * d;
        }
        return Math.sqrt(s);
    }

    private static double[] doubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    private static float[] uniform(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return v;
    }

    /** Batch normalisation in training mode over x: (N, C) in float64. */
    private static double[] batchNorm(double[] x, int channels, double[] gamma, double[] beta) {
        double[][] stats = RefOps.batchNormStats(x, channels);
        return RefOps.batchNormApply(x, stats[0], stats[1], gamma, beta, EPS, Activation.LINEAR);
    }

    /** x·W + bias over the last axis: x (R, I), W (I, O), bias (O). */
    private static double[] dense(double[] x, int rows, int in, int out, double[] w, double[] bias) {
        return RefOps.biasAct(RefOps.gemm(false, false, rows, out, in, 1, x, w, 0, null), bias, Activation.LINEAR);
    }

    /**
     * (5, 6, 3) images → BatchNormalization → MaxPooling2D(2, strides 1, "same") →
     * AveragePooling2D(2, strides 2, "valid") → Flatten → Dense(2): the pooling backwards feed the
     * batch norm's dGamma and dBeta.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void batchNormThenMaxAndAveragePooling(Backend backend) {
        int rows = 4;
        SplittableRandom r = new SplittableRandom(11);
        float[] x = uniform(r, rows * 5 * 6 * 3);
        float[] y = uniform(r, rows * 2);
        Window max = Window.keras(5, 6, 2, 2, 1, 1, 1, 1, "same");
        Window avg = Window.keras(5, 6, 2, 2, 2, 2, 1, 1, "valid");
        int live = backend.liveBuffers();
        try (Sequential model = new Sequential(backend, 3)) {
            model.add(new BatchNormalization()).add(new MaxPooling2D(2, 1, "same"))
                    .add(new AveragePooling2D(2, 2, "valid")).add(new Flatten()).add(new Dense(2));
            check(backend, model, Shape.of(5, 6, 3), rows, x, y, p -> {
                double[] h = batchNorm(doubles(x), 3, p.get("batch_normalization_1.gamma"),
                        p.get("batch_normalization_1.beta"));
                h = RefOps.pool(Pooling.MAX, max, rows, 3, h);
                h = RefOps.pool(Pooling.AVERAGE, avg, rows, 3, h);
                double[] pred = dense(h, rows, 2 * 3 * 3, 2, p.get("dense_1.kernel"), p.get("dense_1.bias"));
                return RefOps.mse(pred, doubles(y));
            }, 5);
        }
        assertEquals(live, backend.liveBuffers(), "leaked buffers on " + TestBackends.label(backend));
    }

    /**
     * (4, 4, 2) images → Dense(3) per pixel → BatchNormalization → Tanh (fused into the batch norm's
     * apply) → SpatialDropout2D(0.5) → GlobalAveragePooling2D → Dense(2): the batch norm's dX
     * through its statistics, the channel mask and global pooling.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void denseBatchNormTanhSpatialDropoutGlobalPooling(Backend backend) {
        int rows = 3;
        SplittableRandom r = new SplittableRandom(12);
        float[] x = uniform(r, rows * 4 * 4 * 2);
        float[] y = uniform(r, rows * 2);
        int live = backend.liveBuffers();
        try (Sequential model = new Sequential(backend, 4)) {
            SpatialDropout2D drop = new SpatialDropout2D(0.5);
            model.add(new Dense(3)).add(new BatchNormalization()).add(new Tanh()).add(drop)
                    .add(new GlobalAveragePooling2D()).add(new Dense(2));
            Window global = Window.keras(4, 4, 4, 4, 1, 1, 1, 1, "valid");
            long[] offset = {0};
            check(backend, model, Shape.of(4, 4, 2), rows, x, y, p -> {
                double[] z = dense(doubles(x), rows * 16, 2, 3, p.get("dense_1.kernel"), p.get("dense_1.bias"));
                double[] h = RefOps.act(Activation.TANH, batchNorm(z, 3, p.get("batch_normalization_1.gamma"),
                        p.get("batch_normalization_1.beta")));
                h = RefOps.channelDropout(h, rows, 3, 0.5f, drop.seed(), offset[0]);
                h = RefOps.pool(Pooling.AVERAGE, global, rows, 3, h);
                return RefOps.mse(dense(h, rows, 3, 2, p.get("dense_2.kernel"), p.get("dense_2.bias")), doubles(y));
            }, 6);
            assertEquals(3, drop.offset(), "one step of 3·3 mask elements advances the counter by ceil(9/4)");
        }
        assertEquals(live, backend.liveBuffers(), "leaked buffers on " + TestBackends.label(backend));
    }

    /** (B, 4) rows → Dense(5) → BatchNormalization over (B, C) → Sigmoid → Dense(1). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void batchNormOfRows(Backend backend) {
        int rows = 6;
        SplittableRandom r = new SplittableRandom(13);
        float[] x = uniform(r, rows * 4);
        float[] y = uniform(r, rows);
        try (Sequential model = new Sequential(backend, 5)) {
            model.add(new Dense(5)).add(new BatchNormalization()).add(new Sigmoid()).add(new Dense(1));
            check(backend, model, Shape.of(4), rows, x, y, p -> {
                double[] z = dense(doubles(x), rows, 4, 5, p.get("dense_1.kernel"), p.get("dense_1.bias"));
                double[] h = RefOps.act(Activation.SIGMOID, batchNorm(z, 5, p.get("batch_normalization_1.gamma"),
                        p.get("batch_normalization_1.beta")));
                return RefOps.mse(dense(h, rows, 5, 1, p.get("dense_2.kernel"), p.get("dense_2.bias")), doubles(y));
            }, 7);
        }
    }
}
