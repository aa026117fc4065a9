package dev.clgrad.backend;

import dev.clgrad.ops.CategoricalCrossEntropy;
import dev.clgrad.ops.ElementwiseLoss;
import dev.clgrad.ops.SoftmaxCrossEntropy;
import dev.clgrad.selftest.RefOps;
import dev.clgrad.selftest.LossRefs;
import dev.clgrad.selftest.OpInputs;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static dev.clgrad.backend.TensorAssert.assertClose;

/**
 * Finite-difference checks of every Keras loss's gradient, as {@link GradientCheckTest} does for
 * the layers: the float64 references of {@link LossRefs} against central differences of their own
 * forward, and each backend's forward+backward op ({@link ElementwiseLoss},
 * {@link CategoricalCrossEntropy}, {@link SoftmaxCrossEntropy} from logits and on probabilities)
 * against central differences of the float64 forward. Inputs keep
 * clear of the kinks (MAE's 0, Huber's ±δ) and of the probability clip.
 */
class LossGradientCheckTest {
    private static final int ROWS = 6;
    private static final int COLS = 5;

    /** pred, target (float32 values) for a kind: values, probabilities in [0.05, 0.95], or logits. */
    private static double[][] inputs(ElementwiseLoss.Kind kind, float delta, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int n = ROWS * COLS;
        double[] p = new double[n];
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = (float) rng.nextDouble(-2, 2);
            double e;
            do {
                e = rng.nextDouble(-3, 3);
            } while (Math.abs(e) < 0.05 || Math.abs(Math.abs(e) - delta) < 0.05);
            p[i] = (float) (t[i] + e);
            if (kind == ElementwiseLoss.Kind.BINARY_CROSSENTROPY || kind == ElementwiseLoss.Kind.BINARY_CROSSENTROPY_FROM_LOGITS) {
                t[i] = (float) rng.nextDouble();
                p[i] = kind == ElementwiseLoss.Kind.BINARY_CROSSENTROPY ? (float) rng.nextDouble(0.05, 0.95)
                        : (float) rng.nextDouble(-6, 6);
            }
        }
        return new double[][] {p, t};
    }

    /** Positive scores (probabilities when not logits) and soft targets, rows of COLS. */
    private static double[][] categoricalInputs(boolean logits, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] p = new double[ROWS * COLS];
        double[] t = new double[ROWS * COLS];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (logits ? rng.nextDouble(-4, 4) : rng.nextDouble(0.05, 1));
            t[i] = (float) rng.nextDouble();
        }
        return new double[][] {p, t};
    }

    /** Class indices in [0, COLS), one per row. */
    private static int[] labels(long seed) {
        return new SplittableRandom(seed).ints(ROWS, 0, COLS).toArray();
    }

    /** The float64 sparse categorical loss of pred: from logits or on probabilities. */
    private static double sparse(boolean logits, double[] pred, int[] labels) {
        return logits ? RefOps.softmaxCrossEntropy(pred, COLS, labels) : LossRefs.sparseCategorical(COLS, pred, labels)[0];
    }

    private static float[] floats(double[] x) {
        return OpInputs.floats(x);
    }

    @Test
    void referencesMatchFiniteDifferences() {
        for (ElementwiseLoss.Kind kind : ElementwiseLoss.Kind.values()) {
            float delta = kind == ElementwiseLoss.Kind.HUBER ? 1.3f : 0f;
            double[][] pt = inputs(kind, delta, 5 + kind.ordinal());
            double[] ref = LossRefs.elementwise(kind, delta, pt[0], pt[1]);
            GradientCheckTest.check(kind.opName(), Arrays.copyOfRange(ref, 1, ref.length),
                    GradientCheckTest.numeric(v -> LossRefs.elementwise(kind, delta, v, pt[1])[0], pt[0]));
        }
        for (boolean logits : new boolean[] {true, false}) {
            double[][] pt = categoricalInputs(logits, logits ? 11 : 12);
            double[] ref = LossRefs.categorical(logits, COLS, pt[0], pt[1]);
            GradientCheckTest.check("categoricalCrossentropy logits=" + logits, Arrays.copyOfRange(ref, 1, ref.length),
                    GradientCheckTest.numeric(v -> LossRefs.categorical(logits, COLS, v, pt[1])[0], pt[0]));
        }
    }

    @Test
    void sparseReferenceOnProbabilitiesMatchesFiniteDifferences() {
        double[] p = categoricalInputs(false, 13)[0];
        int[] labels = labels(14);
        double[] ref = LossRefs.sparseCategorical(COLS, p, labels);
        GradientCheckTest.check("sparseCategoricalCrossentropy", Arrays.copyOfRange(ref, 1, ref.length),
                GradientCheckTest.numeric(v -> sparse(false, v, labels), p));
    }

    @Test
    void everyBackendsGradientMatchesFiniteDifferences() {
        for (Backend b : TestBackends.all()) {
            for (ElementwiseLoss.Kind kind : ElementwiseLoss.Kind.values()) {
                float delta = kind == ElementwiseLoss.Kind.HUBER ? 1.3f : 0f;
                double[][] pt = inputs(kind, delta, 25 + kind.ordinal());
                double[] fd = GradientCheckTest.numeric(v -> LossRefs.elementwise(kind, delta, v, pt[1])[0], pt[0]);
                try (Tensor p = Tensor.of(b, floats(pt[0]), ROWS, COLS); Tensor t = Tensor.of(b, floats(pt[1]), ROWS, COLS);
                     Tensor l = Tensor.empty(b, Shape.of(1), "loss"); Tensor d = Tensor.empty(b, Shape.of(ROWS, COLS), "d")) {
                    b.run(new ElementwiseLoss(kind, delta, p, t, l, false, d));
                    assertClose(kind.opName() + " on " + TestBackends.label(b) + " vs finite differences", fd,
                            d.toArray(), 1e-5);
                }
            }
            for (boolean logits : new boolean[] {true, false}) {
                double[][] pt = categoricalInputs(logits, logits ? 31 : 32);
                double[] fd = GradientCheckTest.numeric(v -> LossRefs.categorical(logits, COLS, v, pt[1])[0], pt[0]);
                try (Tensor p = Tensor.of(b, floats(pt[0]), ROWS, COLS); Tensor t = Tensor.of(b, floats(pt[1]), ROWS, COLS);
                     Tensor l = Tensor.empty(b, Shape.of(1), "loss"); Tensor d = Tensor.empty(b, Shape.of(ROWS, COLS), "d")) {
                    b.run(new CategoricalCrossEntropy(logits, p, t, l, false, d));
                    assertClose("categoricalCrossentropy logits=" + logits + " on " + TestBackends.label(b)
                            + " vs finite differences", fd, d.toArray(), 1e-5);
                }
            }
            for (boolean logits : new boolean[] {true, false}) {
                double[] pred = categoricalInputs(logits, logits ? 33 : 34)[0];
                int[] labels = labels(logits ? 35 : 36);
                double[] fd = GradientCheckTest.numeric(v -> sparse(logits, v, labels), pred);
                float[] labelValues = new float[ROWS];
                for (int r = 0; r < ROWS; r++) {
                    labelValues[r] = labels[r];
                }
                try (Tensor p = Tensor.of(b, floats(pred), ROWS, COLS); Tensor t = Tensor.of(b, labelValues, ROWS);
                     Tensor l = Tensor.empty(b, Shape.of(1), "loss"); Tensor d = Tensor.empty(b, Shape.of(ROWS, COLS), "d");
                     Tensor dAlone = Tensor.empty(b, Shape.of(ROWS, COLS), "dAlone")) {
                    String what = "sparseCategoricalCrossentropy logits=" + logits + " on " + TestBackends.label(b);
                    b.run(new SoftmaxCrossEntropy(logits, p, t, l, false, d));
                    assertClose(what + " vs finite differences", fd, d.toArray(), 1e-5);
                    b.run(new SoftmaxCrossEntropy(logits, p, t, null, false, dAlone));
                    assertClose(what + ", backward alone, vs finite differences", fd, dAlone.toArray(), 1e-5);
                }
            }
        }
    }
}
