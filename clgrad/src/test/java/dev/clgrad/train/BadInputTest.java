package dev.clgrad.train;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendTest;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.data.Dataset;
import dev.clgrad.data.Origin;
import dev.clgrad.io.Checkpoint;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Dropout;
import dev.clgrad.nn.MSE;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.SoftmaxCrossEntropy;
import dev.clgrad.optim.Adam;
import dev.clgrad.optim.Sgd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad data, bad hyperparameters, diverging training and oversized batches: a clear error, nothing lost. */
class BadInputTest {
    private final Backend java = TestBackends.java();

    private static Dataset normal(int rows, int features, int targets, long seed) {
        Random rng = new Random(seed);
        float[] x = new float[rows * features];
        float[] y = new float[rows * targets];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) rng.nextGaussian();
        }
        return new Dataset(x, y, rows, features, targets);
    }

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void shapeMismatchesGiveBothValues() {
        try (Sequential m = new Sequential(java)) {
            m.add(new Dense(2)).compile("adam", "mse");
            m.fit(normal(8, 3, 2, 1), Fit.epochs(1).withQuiet(true));
            assertEquals("input has 5 features (columns) but the model was built for 3 input features",
                    message(() -> m.fit(normal(8, 5, 2, 1), Fit.epochs(1).withQuiet(true))));
            assertEquals("fit: y has 3 columns but loss mse expects 2 for a model with 2 outputs",
                    message(() -> m.fit(normal(8, 3, 3, 1), Fit.epochs(1).withQuiet(true))));
        }
        assertEquals("Dataset: x has 3 rows but y has 4",
                message(() -> Dataset.of(new float[3][2], new float[4][1])));
        assertEquals("Dataset: x has 3 rows but there are 2 labels",
                message(() -> Dataset.of(new float[3][2], new float[2])));
    }

    @Test
    void labelsOutsideTheClassesAreNamed() {
        try (Sequential m = new Sequential(java)) {
            m.add(new Dense(3)).compile(new Adam(), new SoftmaxCrossEntropy(), "accuracy");
            assertEquals("fit: y row 2: label -1.0 is not a class index in [0, 3)", message(() ->
                    m.fit(new float[][]{{1}, {2}}, new float[]{0, -1}, Fit.epochs(1).withQuiet(true))));
            assertEquals("fit: y row 1: label 3.0 is not a class index in [0, 3)", message(() ->
                    m.fit(new float[][]{{1}, {2}}, new float[]{3, 0}, Fit.epochs(1).withQuiet(true))));
        }
    }

    /**
     * Issue 19, item 6: rows in messages are 1-based and name the file where the data set knows it,
     * also in a validation split, whose rows are those of the file.
     */
    @Test
    void messagesNameTheFileAndTheOneBasedRow() {
        float[] labels = {0, 1, 2, 0, 1, 2, 0, 1, 2, 5};
        Dataset d = new Dataset(new float[10], labels, 10, 1, 1)
                .withOrigin(Origin.files(Path.of("x.npy"), Path.of("y.npy"), new int[]{1}));
        try (Sequential m = new Sequential(java)) {
            m.add(new Dense(3)).compile(new Adam(), new SoftmaxCrossEntropy(), "accuracy");
            assertEquals("fit (validation data): y.npy: row 10: label 5.0 is not a class index in [0, 3)", message(() ->
                    m.fit(d, Fit.epochs(1).withQuiet(true).withValidationSplit(0.2))));
            labels[9] = 2;
            d.x()[8] = Float.POSITIVE_INFINITY;
            assertEquals("fit (validation data): x.npy: row 9, value 1: Infinity (checked because of "
                    + "Fit.withCheckFinite)", message(() -> m.fit(d, Fit.epochs(1).withQuiet(true)
                    .withValidationSplit(0.2).withCheckFinite(true))));
        }
    }

    @Test
    void nonFiniteDataIsFoundOnRequest() {
        Dataset d = normal(10, 4, 1, 2);
        d.x()[2 * 4 + 3] = Float.NaN;
        try (Sequential m = new Sequential(java)) {
            m.add(new Dense(1)).compile("sgd", "mse");
            assertEquals("fit: x row 3, value 4: NaN (checked because of Fit.withCheckFinite)",
                    message(() -> m.fit(d, Fit.epochs(1).withQuiet(true).withCheckFinite(true))));
            Dataset val = normal(4, 4, 1, 3);
            val.y()[1] = Float.NEGATIVE_INFINITY;
            assertEquals("fit (validation data): y row 2: -Infinity (checked because of Fit.withCheckFinite)",
                    message(() -> m.fit(normal(10, 4, 1, 2),
                    Fit.epochs(1).withQuiet(true).withCheckFinite(true).withValidationData(val))));
        }
    }

    @Test
    void invalidHyperparametersAreRejectedUpFront() {
        assertEquals("adam: learning rate must be > 0 and finite, got 0.0", message(() -> new Adam(0)));
        assertEquals("adam: learning rate must be > 0 and finite, got -0.1", message(() -> new Adam(-0.1)));
        assertEquals("sgd: learning rate must be > 0 and finite, got 0.0", message(() -> new Sgd(0)));
        assertEquals("Dropout: rate must be in [0, 1), got 1.0", message(() -> new Dropout(1)));
        assertEquals("Dropout: rate must be in [0, 1), got -0.2", message(() -> new Dropout(-0.2)));
        assertEquals("fit: batch size must be >= 1, got 0", message(() -> Fit.epochs(1).batchSize(0)));
        assertEquals("fit: epochs must be >= 0, got -1", message(() -> Fit.epochs(-1)));
        assertEquals(0, assertDoesNotThrowFit(Fit.epochs(0)).epochs(), "zero epochs is a valid no-op");
    }

    private History assertDoesNotThrowFit(Fit fit) {
        try (Sequential m = new Sequential(java)) {
            m.add(new Dense(1)).compile("sgd", "mse");
            return m.fit(normal(4, 2, 1, 1), fit.withQuiet(true));
        }
    }

    /**
     * A NaN in row 45, unshuffled batches of 10: step 5 makes the loss NaN. The check before the
     * step-5 checkpoint finds it, names the epoch, the step and the first layer with non-finite
     * gradients, and the checkpoint of step 4 stays on disk.
     */
    @Test
    void aNonFiniteLossStopsWithWhereAndWhichLayerAndKeepsTheLastGoodCheckpoint(@TempDir Path dir) throws IOException {
        Dataset d = normal(100, 8, 1, 4);
        d.x()[45 * 8 + 2] = Float.NaN;
        try (Sequential m = linear()) {
            Fit fit = Fit.epochs(3).batchSize(10).withShuffle(false).withQuiet(true).withLossEvery(3)
                    .withCallbacks(ModelCheckpoint.everySteps(dir, 1));
            NonFiniteLossException e = assertThrows(NonFiniteLossException.class, () -> m.fit(d, fit));
            assertEquals("fit: loss is NaN at epoch 1, step 5; it was finite at step 3 (the loss is read every 3 steps);"
                    + " first layer with non-finite gradients: dense_1 (dense_1.kernel: 128 of 128 values). Training "
                    + "stopped; no checkpoint was written after the loss went bad", e.getMessage());
            assertEquals("dense_1", e.layer());
            assertEquals(5, e.step());
        }
        try (Sequential again = linear()) {
            assertEquals(4, again.restoreCheckpoint(dir).step(), "the checkpoint of the last good step");
            for (float v : again.parameters().toArray()) {
                assertTrue(Float.isFinite(v), "the checkpoint holds finite weights");
            }
        }
    }

    /**
     * Found by TrainFuzzTest: +∞ in the last batch's input through a saturating sigmoid leaves the
     * loss finite but makes the last update's gradients, and so the weights, non-finite. The epoch
     * end finds the weights and stops training, and no checkpoint is written after.
     */
    @BackendTest
    void nonFiniteWeightsAfterAFiniteLossStopTraining(Backend backend, @TempDir Path dir) throws IOException {
        Dataset d = normal(12, 3, 1, 6);
        d.x()[11 * 3 + 1] = Float.POSITIVE_INFINITY;
        try (Sequential m = new Sequential(backend, 1)) {
            m.add(new Dense(3, "sigmoid")).add(new Dense(1)).compile(new Sgd(0.05), new MSE());
            NonFiniteLossException e = assertThrows(NonFiniteLossException.class, () -> m.fit(d, Fit.epochs(2)
                    .batchSize(4).withShuffle(false).withQuiet(true).withCallbacks(new ModelCheckpoint(dir, 0, 1))));
            assertTrue(e.getMessage().matches("fit: the weights are non-finite after epoch 1, step 3, though the loss "
                    + "was finite; first layer with non-finite weights: dense_1 \\(dense_1.kernel: \\d of 9 values\\), so "
                    + "look at the data \\(Fit.withCheckFinite\\(true\\) or train --check-finite checks it\\) or lower "
                    + "the learning rate. Training "
                    + "stopped; no checkpoint was written after the weights went bad"), e.getMessage());
            assertEquals("dense_1", e.layer());
        }
        assertFalse(Files.exists(Checkpoint.file(dir)), "no checkpoint of bad weights");
    }

    private Sequential linear() {
        Sequential m = new Sequential(java, 1);
        m.add(new Dense(16)).add(new Dense(1));
        return m.compile(new Sgd(0.01), new MSE());
    }

    /** SGD with a huge learning rate: the loss overflows within a few steps and training stops. */
    @Test
    void aDivergingRunStops() {
        try (Sequential m = new Sequential(java, 1)) {
            m.add(new Dense(16, "relu")).add(new Dense(1)).compile(new Sgd(5), new MSE());
            NonFiniteLossException e = assertThrows(NonFiniteLossException.class,
                    () -> m.fit(normal(100, 8, 1, 4), Fit.epochs(50).batchSize(10).withQuiet(true).withLossEvery(3)));
            assertTrue(e.getMessage().matches("fit: loss is (NaN|Infinity) at epoch \\d+, step \\d+.*; (first layer with "
                    + "non-finite gradients: dense_\\d.*|every gradient of the last step is finite, so look at the data "
                    + "\\(Fit.withCheckFinite\\(true\\) or train --check-finite checks it\\) or lower the learning rate)\\. Training stopped; "
                    + "no checkpoint was written after the loss went bad"), e.getMessage());
        }
    }

    /** A batch whose workspace exceeds what the device allows: both sizes named, the model keeps working. */
    @BackendTest
    void anOversizedBatchSaysWhatDidNotFitAndTheModelStaysUsable(Backend backend) {
        int before = backend.liveBuffers();
        try (Sequential m = new Sequential(backend, 3)) {
            m.add(new Dense(8)).add(new Dense(2)).compile("adam", "mse");
            Dataset d = normal(64, 4096, 2, 5);
            m.fit(d, Fit.epochs(1).batchSize(16).withQuiet(true));
            float[] weights = m.parameters().toArray();
            int batch = 1 << 20;
            String msg = message(() -> m.reserve(batch));
            assertTrue(msg.startsWith("the model of 32,794 parameters does not fit on " + backend.id() + " at batch "
                    + "size 1048576: a buffer of 4,297,064,448 floats (16.01 GiB) for the batch is more than the "), msg);
            assertTrue(msg.matches(".* one buffer can hold \\(.+\\); in all it needs .* at its peak \\(workspace "
                    + "48.00 MiB, batch 16.01 GiB.*\\) of the .* free in .*"), "the sizes and the limit: " + msg);
            assertArrayEquals(weights, m.parameters().toArray(), "weights untouched");
            History h = m.fit(d, Fit.epochs(2).batchSize(16).withQuiet(true));
            assertTrue(Double.isFinite(h.loss().get(1)), "the model still trains");
        }
        assertEquals(before, backend.liveBuffers(), "nothing leaked by the failed allocation");
    }
}
