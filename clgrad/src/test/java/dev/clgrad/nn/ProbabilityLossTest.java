package dev.clgrad.nn;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendTest;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.model.Sequential;
import dev.clgrad.optim.Sgd;
import dev.clgrad.train.Fit;
import dev.clgrad.train.History;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Losses on probabilities and the refusal of a second activation: sparse categorical
 * cross-entropy on the output of a softmax ({@code fromLogits = false}) trains as the same model
 * without the softmax does from logits, and a last layer that ends in softmax (sigmoid) is refused
 * with a loss from logits that would apply it again, at compile and at build.
 */
class ProbabilityLossTest {
    private static final int ROWS = 96;
    private static final int FEATURES = 5;
    private static final int CLASSES = 3;

    /** Features and labels of a learnable three-class problem. */
    private static Object[] data() {
        Random rng = new Random(4);
        float[][] x = new float[ROWS][FEATURES];
        float[] labels = new float[ROWS];
        for (int r = 0; r < ROWS; r++) {
            double s = 0;
            for (int j = 0; j < FEATURES; j++) {
                x[r][j] = (float) rng.nextGaussian();
                s += (j - 2) * x[r][j];
            }
            labels[r] = s < -1 ? 0 : s < 1 ? 1 : 2;
        }
        return new Object[] {x, labels};
    }

    @Test
    void sparseCrossentropyReadsFromLogitsAndDefaultsToLogits() {
        assertEquals(new SoftmaxCrossEntropy(true), new SoftmaxCrossEntropy());
        assertEquals(new SoftmaxCrossEntropy(true), Loss.of("sparse_categorical_crossentropy"));
        assertTrue(Loss.of("sparse_categorical_crossentropy").fromLogits());
        assertEquals(Map.of("fromLogits", false), new SoftmaxCrossEntropy(false).config());
        assertEquals(Metric.Kind.SPARSE_CATEGORICAL_ACCURACY,
                Metric.of("accuracy", new SoftmaxCrossEntropy(false)).kind());
    }

    /**
     * Dense(softmax) with sparse CE on probabilities against Dense(linear) with sparse CE from logits,
     * the same seed and so the same weights: the same loss and accuracy before training and, as the
     * gradients agree (softmax's backward of the probabilities' gradient is softmax − onehot), the
     * same epoch losses while training.
     */
    @BackendTest
    void onProbabilitiesTrainsAsFromLogits(Backend backend) {
        Object[] d = data();
        float[][] x = (float[][]) d[0];
        float[] labels = (float[]) d[1];
        String on = " on " + TestBackends.label(backend);
        try (Sequential probs = new Sequential(backend, 21); Sequential logits = new Sequential(backend, 21)) {
            probs.add(new Dense(8, "tanh")).add(new Dense(CLASSES, "softmax"))
                    .compile(new Sgd(0.3), new SoftmaxCrossEntropy(false), "accuracy").build(FEATURES);
            logits.add(new Dense(8, "tanh")).add(new Dense(CLASSES))
                    .compile(new Sgd(0.3), new SoftmaxCrossEntropy(true), "accuracy").build(FEATURES);
            Map<String, Double> before = probs.evaluate(x, labels);
            Map<String, Double> reference = logits.evaluate(x, labels);
            assertEquals(reference.get("loss"), before.get("loss"), 1e-5 * reference.get("loss"), "initial loss" + on);
            assertEquals(reference.get("accuracy"), before.get("accuracy"), "initial accuracy" + on);
            Fit fit = Fit.epochs(6).batchSize(16).withShuffle(false).withQuiet(true);
            History hp = probs.fit(x, labels, fit);
            History hl = logits.fit(x, labels, fit);
            for (int e = 0; e < hl.loss().size(); e++) {
                assertEquals(hl.loss().get(e), hp.loss().get(e), 1e-3 * hl.loss().get(e), "epoch " + e + on);
            }
            assertTrue(hp.loss().get(hp.loss().size() - 1) < 0.8 * hp.loss().get(0), "trains: " + hp.loss() + on);
            assertEquals(logits.evaluate(x, labels).get("accuracy"), probs.evaluate(x, labels).get("accuracy"),
                    1.5 / ROWS, "accuracy after training" + on);
        }
    }

    private static String refusal(Supplier<List<Layer>> layers, Loss loss) {
        try (Sequential m = new Sequential(TestBackends.java(), 1)) {
            layers.get().forEach(m::add);
            return assertThrows(IllegalArgumentException.class, () -> m.compile(new Sgd(0.1), loss)).getMessage();
        }
    }

    @Test
    void aSecondSoftmaxOrSigmoidIsRefusedNamingTheLayerAndTheFix() {
        assertEquals("the last layer dense_2 applies softmax, but sparse_categorical_crossentropy here takes logits "
                        + "(its default, unlike Keras): set \"fromLogits\": false in the loss, or drop the softmax (from "
                        + "logits is the numerically stable form)",
                refusal(() -> List.of(new Dense(4, "relu"), new Dense(3, "softmax")), new SoftmaxCrossEntropy()));
        assertEquals("the last layer softmax_1 applies softmax, but categorical_crossentropy here takes logits: set "
                        + "\"fromLogits\": false in the loss, or drop the softmax (from logits is the numerically stable "
                        + "form)",
                refusal(() -> List.of(new Dense(3), new Softmax()), new CategoricalCrossentropy(true)));
        assertTrue(refusal(() -> List.of(new Dense(3), new ActivationLayer("softmax")), new SoftmaxCrossEntropy())
                .startsWith("the last layer activation_1 applies softmax"));
        assertTrue(refusal(() -> List.of(new Conv2D(3, 1, "softmax")), new SoftmaxCrossEntropy())
                .startsWith("the last layer conv2d_1 applies softmax"));
        assertTrue(refusal(() -> List.of(new Dense(1, "sigmoid")), new BinaryCrossentropy(true))
                .startsWith("the last layer dense_1 applies sigmoid, but binary_crossentropy here takes logits: "));
        assertTrue(refusal(() -> List.of(new Dense(1), new Sigmoid()), new BinaryCrossentropy(true))
                .contains("drop the sigmoid"));
    }

    @Test
    void probabilitiesAndOtherActivationsAreAccepted() {
        List<Object[]> fine = List.of(
                new Object[] {new Dense(3, "softmax"), new SoftmaxCrossEntropy(false)},
                new Object[] {new Dense(3, "softmax"), new CategoricalCrossentropy(false)},
                new Object[] {new Dense(3, "softmax"), new MSE()},
                new Object[] {new Dense(3, "sigmoid"), new SoftmaxCrossEntropy()},
                new Object[] {new Dense(3, "softmax"), new BinaryCrossentropy(true)},
                new Object[] {new Dense(1, "sigmoid"), new BinaryCrossentropy(false)},
                new Object[] {new Dense(3), new SoftmaxCrossEntropy()});
        for (Object[] c : fine) {
            try (Sequential m = new Sequential(TestBackends.java(), 1)) {
                m.add((Layer) c[0]).compile(new Sgd(0.1), (Loss) c[1]).build(4);
                assertTrue(m.isBuilt(), c[0] + " with " + c[1]);
            }
        }
    }

    /** A softmax added after compile is refused when the model is built, and the model can be fixed. */
    @Test
    void buildRefusesALastSoftmaxAddedAfterCompile() {
        try (Sequential m = new Sequential(TestBackends.java(), 1)) {
            m.add(new Dense(3)).compile(new Sgd(0.1), new SoftmaxCrossEntropy());
            m.add(new Softmax());
            String e = assertThrows(IllegalArgumentException.class, () -> m.build(4)).getMessage();
            assertTrue(e.startsWith("the last layer softmax_1 applies softmax, but sparse_categorical_crossentropy"), e);
            m.compile(new Sgd(0.1), new SoftmaxCrossEntropy(false)).build(4);
            assertTrue(m.isBuilt());
        }
    }
}
