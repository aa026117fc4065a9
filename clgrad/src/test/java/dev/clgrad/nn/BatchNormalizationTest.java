package dev.clgrad.nn;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.data.Dataset;
import dev.clgrad.io.Checkpoint;
import dev.clgrad.io.Safetensors;
import dev.clgrad.model.Sequential;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.BatchNormBackward;
import dev.clgrad.ops.BatchNormStats;
import dev.clgrad.optim.Adam;
import dev.clgrad.selftest.RefOps;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import dev.clgrad.train.Callback;
import dev.clgrad.train.Fit;
import dev.clgrad.train.ModelCheckpoint;
import dev.clgrad.train.Position;
import dev.clgrad.train.TrainingState;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static dev.clgrad.backend.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * BatchNormalization as a layer: training normalises with the batch's statistics and inference
 * with the moving ones; the moving statistics after several steps equal a float64 computation of
 * Keras 3's update (biased batch variance); the optimizer never touches them; they are saved with
 * the model and in checkpoints, and a resumed run is bit-identical to one run straight through.
 */
class BatchNormalizationTest {
    private static final double TOLERANCE = 1e-5;
    private static final double EPS = 1e-3f;

    @TempDir
    Path dir;

    static Stream<Named<Backend>> backends() {
        return TestBackends.all().stream().map(b -> Named.of(TestBackends.label(b), b));
    }

    /** Values of channel c centred on c + 1 with spread 1 + c, so every channel has its own statistics. */
    private static float[] images(SplittableRandom r, int values, int channels) {
        float[] x = new float[values];
        for (int i = 0; i < values; i++) {
            int c = i % channels;
            x[i] = (float) ((r.nextDouble() * 2 - 1) * (1 + c) + c + 1);
        }
        return x;
    }

    private static double[] doubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    private static double[] doubles(Tensor t) {
        return doubles(t.toArray());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void trainingUsesTheBatchStatisticsAndInferenceTheMovingOnes(Backend backend) {
        int rows = 5;
        SplittableRandom r = new SplittableRandom(1);
        float[] x = images(r, rows * 2 * 2 * 3, 3);
        float[] y = images(r, rows * 12, 3);
        try (Sequential model = new Sequential(backend, 2)) {
            model.add(new BatchNormalization(BatchNormalization.Options.KERAS.withMomentum(0.5)));
            model.compile(new ImageNetGradientTest.Frozen(), new MSE()).build(Shape.of(2, 2, 3));
            ParameterStore store = model.parameterStore();
            store.value("batch_normalization_1.gamma").copyFrom(new float[] {0.5f, 2f, -1f});
            store.value("batch_normalization_1.beta").copyFrom(new float[] {1f, 0f, -3f});
            double[] gamma = {0.5, 2, -1};
            double[] beta = {1, 0, -3};
            model.reserve(rows);
            model.resetTotals();
            model.trainBatch(x, y, rows);
            double[][] batch = RefOps.batchNormStats(doubles(x), 3);
            double train = RefOps.mse(RefOps.batchNormApply(doubles(x), batch[0], batch[1], gamma, beta, EPS,
                    Activation.LINEAR), doubles(y));
            assertClose("training loss (batch statistics) on " + TestBackends.label(backend), train,
                    (float) (model.totals()[0] / rows), TOLERANCE);
            float[] movingMean = store.value("batch_normalization_1.moving_mean").toArray();
            double[] mean = doubles(movingMean);
            double[] var = doubles(store.value("batch_normalization_1.moving_variance"));
            assertClose("moving mean after one step", RefOps.movingUpdate(new double[3], batch[0], 0.5), movingMean,
                    TOLERANCE);
            float[][] rowsX = new float[rows][12];
            for (int i = 0; i < rows; i++) {
                System.arraycopy(x, i * 12, rowsX[i], 0, 12);
            }
            float[] predicted = flat(model.predict(rowsX));
            double[] inference = RefOps.batchNormApply(doubles(x), mean, var, gamma, beta, EPS, Activation.LINEAR);
            assertClose("inference output (moving statistics) on " + TestBackends.label(backend), inference, predicted,
                    TOLERANCE);
            double[] training = RefOps.batchNormApply(doubles(x), batch[0], batch[1], gamma, beta, EPS,
                    Activation.LINEAR);
            assertTrue(Math.abs(predicted[0] - training[0]) > 0.1, "inference does not use the batch's statistics");
            Map<String, Double> eval = model.evaluate(new Dataset(x, y, rows, Shape.of(2, 2, 3), 12));
            assertClose("evaluate loss (moving statistics)", RefOps.mse(inference, doubles(y)),
                    eval.get("loss").floatValue(), TOLERANCE);
            assertArrayEquals(movingMean, store.value("batch_normalization_1.moving_mean").toArray(),
                    "evaluate and predict update nothing");
        }
    }

    private static float[] flat(float[][] rows) {
        float[] out = new float[rows.length * rows[0].length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, out, i * rows[i].length, rows[i].length);
        }
        return out;
    }

    /**
     * Seven steps of Adam on batches of 8 (5x5x3 images, and (B, 6) rows): the moving statistics
     * of a first BatchNormalization (which sees the raw batches) equal
     * {@code moving = 0.9·moving + 0.1·batch} computed in float64 from moving_mean 0 and
     * moving_variance 1, with the biased batch variance.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void movingStatisticsAfterStepsEqualAFloat64HostComputation(Backend backend) {
        for (Shape sample : List.of(Shape.of(5, 5, 3), Shape.of(6))) {
            int rows = 8;
            int c = sample.last();
            int values = (int) sample.size();
            SplittableRandom r = new SplittableRandom(3);
            try (Sequential model = new Sequential(backend, 4)) {
                model.add(new BatchNormalization(BatchNormalization.Options.KERAS.withMomentum(0.9)));
                model.add(new Dense(2));
                model.compile(new Adam(0.01), new MSE()).build(sample);
                model.reserve(rows);
                double[] mean = new double[c];
                double[] var = new double[c];
                Arrays.fill(var, 1);
                for (int step = 0; step < 7; step++) {
                    float[] x = images(r, rows * values, c);
                    float[] y = images(r, rows * (int) (values / c) * 2, 2);
                    model.trainBatch(x, y, rows);
                    double[][] batch = RefOps.batchNormStats(doubles(x), c);
                    mean = RefOps.movingUpdate(mean, batch[0], 0.9);
                    var = RefOps.movingUpdate(var, batch[1], 0.9);
                }
                ParameterStore store = model.parameterStore();
                String on = " of " + sample + " on " + TestBackends.label(backend);
                assertClose("moving_mean after 7 steps" + on, mean, store.value("batch_normalization_1.moving_mean")
                        .toArray(), TOLERANCE);
                assertClose("moving_variance after 7 steps" + on, var,
                        store.value("batch_normalization_1.moving_variance").toArray(), TOLERANCE);
            }
        }
    }

    /**
     * The column reductions have a fixed order: the statistics, the moving update and the backward
     * of a (33·28·28, 3) batch give the same bits on a second run, on every backend.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void theOpsAreReproducibleRunToRun(Backend backend) {
        int n = 33 * 28 * 28;
        SplittableRandom r = new SplittableRandom(9);
        float[] x = images(r, n * 3, 3);
        float[] dy = images(r, n * 3, 3);
        List<float[]> runs = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            try (Tensor tx = Tensor.of(backend, x, n, 3); Tensor tdy = Tensor.of(backend, dy, n, 3);
                 Tensor mean = Tensor.empty(backend, Shape.of(3)); Tensor var = Tensor.empty(backend, Shape.of(3));
                 Tensor mm = Tensor.zeros(backend, Shape.of(3)); Tensor mv = Tensor.zeros(backend, Shape.of(3));
                 Tensor gamma = Tensor.of(backend, new float[] {1f, 2f, 3f}, 3);
                 Tensor dx = Tensor.empty(backend, Shape.of(n, 3)); Tensor dg = Tensor.empty(backend, Shape.of(3));
                 Tensor db = Tensor.empty(backend, Shape.of(3))) {
                backend.run(new BatchNormStats(tx, mean, var, mm, mv, 0.99f));
                backend.run(new BatchNormBackward(tx, tdy, mean, var, gamma, 1e-3f, dx, dg, db));
                for (Tensor t : List.of(mean, var, mm, mv, dx, dg, db)) {
                    runs.add(t.toArray());
                }
            }
        }
        for (int i = 0; i < runs.size() / 2; i++) {
            assertArrayEquals(runs.get(i), runs.get(i + runs.size() / 2), "output " + i + " on "
                    + TestBackends.label(backend));
        }
    }

    @Test
    void theOptimizerNeverUpdatesTheBuffers() {
        int rows = 6;
        SplittableRandom r = new SplittableRandom(5);
        try (Sequential model = new Sequential(TestBackends.java(), 6)) {
            model.add(new BatchNormalization(BatchNormalization.Options.KERAS.withMomentum(1))).add(new Flatten())
                    .add(new Dense(3));
            model.compile(new Adam(0.1), new MSE()).build(Shape.of(2, 2, 4));
            ParameterStore store = model.parameterStore();
            float[] gamma = store.value("batch_normalization_1.gamma").toArray();
            for (int step = 0; step < 5; step++) {
                model.fit(new Dataset(images(r, rows * 16, 4), images(r, rows * 3, 3), rows, Shape.of(2, 2, 4), 3),
                        Fit.epochs(1).batchSize(rows).withQuiet(true));
            }
            float[] ones = new float[4];
            Arrays.fill(ones, 1f);
            assertArrayEquals(new float[4], store.value("batch_normalization_1.moving_mean").toArray(),
                    "momentum 1 keeps the moving mean, and nothing else writes it");
            assertArrayEquals(ones, store.value("batch_normalization_1.moving_variance").toArray());
            assertFalse(Arrays.equals(gamma, store.value("batch_normalization_1.gamma").toArray()), "gamma trains");
            assertEquals(store.params().shape(), model.optimizer().state().get("m").shape(),
                    "the optimizer's state covers the trainable group only");
            assertEquals(4 + 4 + 16 * 3 + 3, store.trainableCount());
            assertEquals(8, store.bufferCount());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> store.gradient("batch_normalization_1.moving_mean"));
            assertTrue(e.getMessage().contains("is a buffer"), e.getMessage());
            String summary = model.summary();
            assertTrue(summary.contains("batch_normalization_1 (BatchNormalization) (None, 2, 2, 4)")
                    && summary.contains("Non-trainable params: 8 "), summary);
        }
    }

    @Test
    void withoutCenterAndScaleOnlyTheBuffersRemain() {
        BatchNormalization bn = new BatchNormalization(BatchNormalization.Options.KERAS.withCenter(false)
                .withScale(false));
        bn.build(Shape.of(3, 3, 5), 0);
        assertEquals(List.of("moving_mean", "moving_variance"), bn.parameters().stream().map(ParamSpec::name).toList());
        assertEquals(0, bn.trainableCount());
        assertEquals(10, bn.bufferCount());
        BatchNormalization scaleOnly = new BatchNormalization(BatchNormalization.Options.KERAS.withCenter(false));
        scaleOnly.build(Shape.of(5), 0);
        assertEquals(List.of("gamma", "moving_mean", "moving_variance"),
                scaleOnly.parameters().stream().map(ParamSpec::name).toList());
        assertEquals("BatchNormalization: momentum must be in [0, 1], got 1.5", assertThrows(
                IllegalArgumentException.class, () -> BatchNormalization.Options.KERAS.withMomentum(1.5)).getMessage());
        assertEquals("BatchNormalization: epsilon must be positive and finite, got 0.0", assertThrows(
                IllegalArgumentException.class, () -> BatchNormalization.Options.KERAS.withEpsilon(0)).getMessage());
    }

    /** BatchNormalization → MaxPooling2D → SpatialDropout2D → GlobalAveragePooling2D → Dense: every new kind of state. */
    private static Sequential imageModel(Backend backend) {
        Sequential m = new Sequential(backend, 9);
        m.add(new BatchNormalization(BatchNormalization.Options.KERAS.withMomentum(0.8).withCenter(false)))
                .add(new MaxPooling2D(2, 1, "same")).add(new SpatialDropout2D(0.3)).add(new GlobalAveragePooling2D())
                .add(new Dense(2));
        return m.compile(new Adam(0.01), new MSE());
    }

    private static Dataset imageData() {
        SplittableRandom r = new SplittableRandom(8);
        return new Dataset(images(r, 45 * 4 * 4 * 3, 3), images(r, 45 * 2, 2), 45, Shape.of(4, 4, 3), 2);
    }

    /** Every parameter and buffer by name, downloaded. */
    private static Map<String, float[]> state(Sequential m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.namedParameters().forEach((k, v) -> out.put(k, v.toArray()));
        return out;
    }

    private static void assertSameState(Map<String, float[]> want, Map<String, float[]> got, String what) {
        assertEquals(want.keySet(), got.keySet(), what);
        want.forEach((k, v) -> assertArrayEquals(v, got.get(k), what + ": " + k));
    }

    @Test
    void saveAndLoadRoundTripTheBuffers() throws IOException {
        Map<String, float[]> saved;
        float[][] x = new float[3][48];
        SplittableRandom r = new SplittableRandom(2);
        for (float[] row : x) {
            System.arraycopy(images(r, 48, 3), 0, row, 0, 48);
        }
        float[][] predicted;
        try (Sequential m = imageModel(TestBackends.java())) {
            m.fit(imageData(), Fit.epochs(2).batchSize(9).withQuiet(true));
            saved = state(m);
            predicted = m.predict(x);
            m.save(dir.resolve("model"));
            m.saveWeights(dir.resolve("w.safetensors"));
        }
        float[] ones = new float[3];
        Arrays.fill(ones, 1f);
        assertFalse(Arrays.equals(ones, saved.get("batch_normalization_1.moving_variance")), "training moved them");
        assertEquals(List.of("batch_normalization_1.gamma", "batch_normalization_1.moving_mean",
                "batch_normalization_1.moving_variance", "dense_1.kernel", "dense_1.bias"), List.copyOf(saved.keySet()));
        try (Sequential m = Sequential.load(dir.resolve("model"), TestBackends.java())) {
            assertSameState(saved, state(m), "loaded model");
            assertArrayEquals(flat(predicted), flat(m.predict(x)), "the loaded model predicts the same");
            assertEquals(Map.of("momentum", 0.8, "epsilon", 0.001, "center", false, "scale", true),
                    m.layers().get(0).config());
        }
        assertTrue(Safetensors.read(dir.resolve("w.safetensors")).containsKey("batch_normalization_1.moving_mean"));
        try (Sequential m = imageModel(TestBackends.java())) {
            m.build(Shape.of(4, 4, 3));
            m.loadWeights(dir.resolve("w.safetensors"));
            assertSameState(saved, state(m), "loaded weights");
        }
    }

    /** Stops training by throwing after a given number of steps, as a crash would. */
    private record CrashAt(long step) implements Callback {
        @Override
        public void onBatchEnd(TrainingState state) {
            if (state.globalStep() == step) {
                throw new IllegalStateException("simulated crash at step " + step);
            }
        }
    }

    static List<Named<Backend>> resumeBackends() {
        List<Named<Backend>> out = new ArrayList<>(List.of(Named.of("java", TestBackends.java())));
        TestBackends.openCl().stream().limit(1).forEach(cl -> out.add(Named.of(TestBackends.label(cl), cl)));
        return out;
    }

    /**
     * Three epochs of 5 steps straight through, against a run that crashes after step 7 and resumes
     * from its step-5 checkpoint: every parameter, both moving statistics and the spatial-dropout
     * counter come out bit-identical; the checkpoint holds the buffers and the counter.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("resumeBackends")
    void checkpointsHoldTheBuffersAndAResumedRunIsBitIdentical(Backend backend) throws IOException {
        Fit fit = Fit.epochs(3).batchSize(9).withSeed(4).withQuiet(true);
        Map<String, float[]> straight;
        long straightOffset;
        try (Sequential m = imageModel(backend)) {
            m.fit(imageData(), fit);
            straight = state(m);
            straightOffset = ((SpatialDropout2D) m.layers().get(2)).offset();
        }
        Path ck = dir.resolve("ck");
        try (Sequential m = imageModel(backend)) {
            Fit crashing = fit.withCallbacks(ModelCheckpoint.everySteps(ck, 5), new CrashAt(7));
            assertThrows(IllegalStateException.class, () -> m.fit(imageData(), crashing));
        }
        var contents = Safetensors.readContents(Checkpoint.file(ck));
        assertTrue(contents.tensors().containsKey("batch_normalization_1.moving_variance"), contents.tensors().keySet()
                .toString());
        assertEquals("35", contents.metadata().get("rng.spatial_dropout2d_1.offset"),
                "5 steps, each ceil(9 samples × 3 channels / 4) = 7 blocks");
        try (Sequential m = imageModel(backend)) {
            Position at = m.restoreCheckpoint(ck);
            m.fit(imageData(), fit.resumeFrom(at));
            assertSameState(straight, state(m), "resumed on " + TestBackends.label(backend));
            assertEquals(straightOffset, ((SpatialDropout2D) m.layers().get(2)).offset());
        }
    }
}
