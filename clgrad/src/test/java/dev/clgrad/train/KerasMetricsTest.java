package dev.clgrad.train;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendTest;
import dev.clgrad.data.Dataset;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.BinaryCrossentropy;
import dev.clgrad.nn.CategoricalCrossentropy;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Dropout;
import dev.clgrad.nn.Huber;
import dev.clgrad.nn.Loss;
import dev.clgrad.nn.MAE;
import dev.clgrad.nn.MSE;
import dev.clgrad.nn.SoftmaxCrossEntropy;
import dev.clgrad.optim.Adam;
import dev.clgrad.optim.Sgd;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Keras metrics as fit and evaluate report them, against a host computation from the model's
 * own predictions: 33 rows in batches of 32, so the last batch holds one row and a metric averaged
 * per batch would differ from the mean over samples. A learning rate of 1e-30 keeps the weights the
 * predictions were taken with. Then every loss trains a small model (its loss falls), and a run
 * resumed mid-epoch from a checkpoint reports the metrics of a run straight through.
 */
class KerasMetricsTest {
    private static final int N = 33;
    private static final int O = 4;

    @TempDir
    Path dir;

    private static float[][] x(long seed) {
        Random rng = new Random(seed);
        float[][] x = new float[N][3];
        for (float[] row : x) {
            for (int j = 0; j < row.length; j++) {
                row[j] = (float) rng.nextGaussian();
            }
        }
        return x;
    }

    /** One-hot targets of random classes. */
    private static float[][] oneHot(long seed) {
        Random rng = new Random(seed);
        float[][] y = new float[N][O];
        for (float[] row : y) {
            row[rng.nextInt(O)] = 1;
        }
        return y;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int c = 1; c < v.length; c++) {
            best = v[c] > v[best] ? c : best;
        }
        return best;
    }

    private static boolean inTopK(float[] p, int label, int k) {
        int more = 0;
        for (float v : p) {
            more += v > p[label] ? 1 : 0;
        }
        return more < k;
    }

    /** The host means over samples of accuracy (categorical), top-2 (via k = 5 > O: every row), mae and binary accuracy at 0. */
    private static Map<String, Double> host(float[][] pred, float[][] y) {
        double acc = 0;
        double top = 0;
        double mae = 0;
        double bin = 0;
        for (int r = 0; r < N; r++) {
            acc += argmax(pred[r]) == argmax(y[r]) ? 1 : 0;
            top += inTopK(pred[r], argmax(y[r]), 5) ? 1 : 0;
            for (int c = 0; c < O; c++) {
                mae += Math.abs((double) pred[r][c] - y[r][c]) / O;
                bin += ((pred[r][c] > 0 ? 1 : 0) == y[r][c] ? 1.0 : 0.0) / O;
            }
        }
        return Map.of("accuracy", acc / N, "top_k_categorical_accuracy", top / N, "mae", mae / N,
                "binary_accuracy", bin / N);
    }

    @BackendTest
    void denseTargetMetricsAreMeansOverSamples(Backend backend) {
        float[][] x = x(1);
        float[][] y = oneHot(2);
        try (Sequential m = new Sequential(backend, 3)) {
            m.add(new Dense(O)).compile(new Sgd(1e-30), new CategoricalCrossentropy(true), "accuracy",
                    "top_k_categorical_accuracy", "mae", "binary_accuracy");
            m.build(3);
            Map<String, Double> want = host(m.predict(x), y);
            Map<String, Double> got = m.evaluate(x, y);
            History h = m.fit(Dataset.of(x, y), Fit.epochs(1).batchSize(32).withShuffle(false).withQuiet(true)
                    .withValidationData(Dataset.of(x, y)));
            assertEquals(List.of("loss", "accuracy", "top_k_categorical_accuracy", "mae", "binary_accuracy", "val_loss",
                    "val_accuracy", "val_top_k_categorical_accuracy", "val_mae", "val_binary_accuracy"),
                    List.copyOf(h.all().keySet()));
            for (String k : want.keySet()) {
                assertEquals(want.get(k), got.get(k), 1e-6, "evaluate " + k + " on " + backend.id());
                assertEquals(want.get(k), h.get(k).get(0), 1e-6, "fit " + k + " on " + backend.id());
                assertEquals(want.get(k), h.get("val_" + k).get(0), 1e-6, "fit val_" + k + " on " + backend.id());
            }
            assertTrue(want.get("accuracy") > 0 && want.get("accuracy") < 1, "a mixed accuracy: " + want);
        }
    }

    @BackendTest
    void sparseAndBinaryMetricsAreMeansOverSamples(Backend backend) {
        float[][] x = x(4);
        float[][] y = oneHot(5);
        float[] labels = new float[N];
        for (int r = 0; r < N; r++) {
            labels[r] = argmax(y[r]);
        }
        try (Sequential m = new Sequential(backend, 6)) {
            m.add(new Dense(O)).compile(new Sgd(1e-30), new SoftmaxCrossEntropy(), "accuracy",
                    "sparse_top_k_categorical_accuracy");
            m.build(3);
            float[][] pred = m.predict(x);
            double acc = 0;
            for (int r = 0; r < N; r++) {
                acc += argmax(pred[r]) == labels[r] ? 1 : 0;
            }
            Map<String, Double> got = m.evaluate(x, labels);
            assertEquals(acc / N, got.get("accuracy"), 1e-6);
            assertEquals(1.0, got.get("sparse_top_k_categorical_accuracy"), 0, "k = 5 of 4 classes: every row");
        }
        try (Sequential m = new Sequential(backend, 7)) {
            m.add(new Dense(O, "sigmoid")).compile(new Sgd(1e-30), new BinaryCrossentropy(), "accuracy");
            m.build(3);
            float[][] pred = m.predict(x);
            double bin = 0;
            for (int r = 0; r < N; r++) {
                for (int c = 0; c < O; c++) {
                    bin += ((pred[r][c] > 0.5f ? 1 : 0) == y[r][c] ? 1.0 : 0.0) / O;
                }
            }
            assertEquals(bin / N, m.evaluate(x, y).get("accuracy"), 1e-6, "accuracy is binary accuracy at 0.5");
        }
    }

    @BackendTest
    void everyLossTrains(Backend backend) {
        float[][] x = x(8);
        float[][] y = oneHot(9);
        Loss[] losses = {new MSE(), new MAE(), new Huber(), new Huber(0.5), new BinaryCrossentropy(),
                new BinaryCrossentropy(true), new CategoricalCrossentropy(), new CategoricalCrossentropy(true)};
        for (Loss loss : losses) {
            boolean probabilities = loss.accuracy() != null && !loss.fromLogits();
            try (Sequential m = new Sequential(backend, 10)) {
                m.add(new Dense(16, "tanh")).add(new Dense(O, probabilities ? "sigmoid" : "linear"))
                        .compile(new Adam(0.05), loss);
                List<Double> h = m.fit(x, y, Fit.epochs(15).batchSize(8).withQuiet(true)).loss();
                assertTrue(h.get(h.size() - 1) < 0.8 * h.get(0), loss + " on " + backend.id() + ": " + h);
            }
        }
    }

    @BackendTest
    void aResumedEpochReportsTheMetricsOfARunStraightThrough(Backend backend) throws IOException {
        float[][] x = x(11);
        float[][] y = oneHot(12);
        Fit fit = Fit.epochs(2).batchSize(5).withSeed(3).withQuiet(true);
        History straight;
        float[] weights;
        try (Sequential m = model(backend)) {
            straight = m.fit(x, y, fit);
            weights = m.parameters().toArray();
        }
        try (Sequential m = model(backend)) {
            Fit crashing = fit.withCallbacks(ModelCheckpoint.everySteps(dir, 4), new Callback() {
                @Override
                public void onBatchEnd(TrainingState state) {
                    if (state.globalStep() == 10) {
                        throw new IllegalStateException("simulated crash");
                    }
                }
            });
            assertThrows(IllegalStateException.class, () -> m.fit(x, y, crashing));
        }
        try (Sequential m = model(backend)) {
            Position at = m.restoreCheckpoint(dir);
            assertEquals(2, at.metricSums().size(), "both metrics' sums saved: " + at);
            History rest = m.fit(x, y, fit.resumeFrom(at));
            assertArrayEquals(weights, m.parameters().toArray());
            for (String k : List.of("loss", "accuracy", "mae")) {
                assertEquals(List.of(straight.get(k).get(1)), rest.get(k), k + " of the resumed epoch");
            }
        }
    }

    private static Sequential model(Backend b) {
        Sequential m = new Sequential(b, 13);
        m.add(new Dense(8, "relu")).add(new Dropout(0.2)).add(new Dense(O));
        return m.compile(new Adam(0.01), new CategoricalCrossentropy(true), "accuracy", "mae");
    }
}
