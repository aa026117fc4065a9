package dev.clgrad.selftest;

import dev.clgrad.ops.CategoricalCrossEntropy;
import dev.clgrad.ops.ElementwiseLoss;
import dev.clgrad.ops.RowMetric;
import dev.clgrad.ops.SoftmaxCrossEntropy;
import dev.clgrad.tensor.Tensor;

import java.util.Arrays;
import java.util.List;

import static dev.clgrad.selftest.Conformance.ELEMENTWISE;
import static dev.clgrad.selftest.Conformance.EXACT;

/**
 * The conformance checks of the Keras losses and metrics against {@link LossRefs}, as
 * {@link Conformance} runs the others: every {@link ElementwiseLoss.Kind} at
 * {@link Conformance#SIZES}, forward alone, forward with the gradient, and accumulated;
 * {@link CategoricalCrossEntropy} from logits (±3 and ±1e4) and on probabilities, one-hot and soft
 * targets, at {@link Conformance#MATRICES}; {@link SoftmaxCrossEntropy} on probabilities (its
 * logits form is in {@link Conformance}) at the same sizes, rows whose label's probability is 0 or
 * the only one (both clipped) among them, forward, backward, both, accumulated; every
 * {@link RowMetric.Kind}, counts bit-exact and the fractional metrics at
 * {@link Conformance#ELEMENTWISE}, top-k with ties. Outputs are poisoned and every operand is a
 * view at an offset ({@link OpInputs}).
 */
final class LossChecks {
    private LossChecks() {
    }

    static void add(List<Check> all) {
        elementwise(all);
        categorical(all);
        sparseCategorical(all);
        metrics(all);
    }

    /** Predictions and targets for a kind: probabilities some outside [ε, 1 − ε] (clipped), logits, or values. */
    private static double[][] operands(OpInputs in, ElementwiseLoss.Kind kind, int n) {
        double[] p = in.uniform(n, kind == ElementwiseLoss.Kind.BINARY_CROSSENTROPY_FROM_LOGITS ? 8 : 2);
        double[] t = in.uniform(n, 2);
        if (kind == ElementwiseLoss.Kind.BINARY_CROSSENTROPY || kind == ElementwiseLoss.Kind.BINARY_CROSSENTROPY_FROM_LOGITS) {
            for (int i = 0; i < n; i++) {
                t[i] = (float) ((t[i] + 2) / 4);
                if (kind == ElementwiseLoss.Kind.BINARY_CROSSENTROPY) {
                    p[i] = i % 11 == 3 ? 0 : i % 11 == 7 ? 1 : i % 11 == 9 ? 1e-9 : (float) (0.02 + 0.96 * (p[i] + 2) / 4);
                }
            }
        }
        return new double[][] {p, t};
    }

    private static void elementwise(List<Check> all) {
        for (ElementwiseLoss.Kind kind : ElementwiseLoss.Kind.values()) {
            for (float delta : kind == ElementwiseLoss.Kind.HUBER ? new float[] {1f, 0.5f} : new float[] {0f}) {
                for (int n : Conformance.SIZES) {
                    String what = kind.opName() + (kind == ElementwiseLoss.Kind.HUBER ? " delta=" + delta : "") + " n=" + n;
                    long seed = 1400 + 10L * kind.ordinal() + n;
                    all.add(new Check(what, ElementwiseLoss.class, ELEMENTWISE, seed, (backend, in) -> {
                        double[][] pt = operands(in, kind, n);
                        Tensor tp = in.tensor(pt[0], n, 1);
                        Tensor tt = in.tensor(pt[1], n, 1);
                        Tensor loss = in.poisoned(1);
                        Tensor d = in.poisoned(n, 1);
                        double[] ref = LossRefs.elementwise(kind, delta, pt[0], pt[1]);
                        backend.run(new ElementwiseLoss(kind, delta, tp, tt, loss, false, null));
                        Comparison forward = Comparison.close(what + " forward", ref[0], loss.item(), ELEMENTWISE);
                        backend.run(new ElementwiseLoss(kind, delta, tp, tt, loss, false, d));
                        Comparison both = Comparison.close(what + " forward+backward loss", ref[0], loss.item(),
                                ELEMENTWISE);
                        Comparison grad = Comparison.close(what + " dPred", Arrays.copyOfRange(ref, 1, ref.length),
                                d.toArray(), ELEMENTWISE);
                        backend.run(new ElementwiseLoss(kind, delta, tp, tt, loss, true, d));
                        return List.of(forward, both, grad, Comparison.close(what + " accumulate", 2 * ref[0],
                                loss.item(), ELEMENTWISE));
                    }));
                }
            }
        }
    }

    /** Rows of positive values; normalised to sum 1 when {@code normalise} (soft targets). */
    private static double[] positiveRows(OpInputs in, int rows, int cols, boolean normalise) {
        double[] x = in.uniform(rows * cols, 1);
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) {
                x[r * cols + c] = 0.02 + Math.abs(x[r * cols + c]);
                s += x[r * cols + c];
            }
            for (int c = 0; c < cols && normalise; c++) {
                x[r * cols + c] = (float) (x[r * cols + c] / s);
            }
        }
        return x;
    }

    private static double[] oneHot(OpInputs in, int rows, int cols) {
        double[] t = new double[rows * cols];
        int[] labels = in.labels(rows, cols);
        for (int r = 0; r < rows; r++) {
            t[r * cols + labels[r]] = 1;
        }
        return t;
    }

    private static void categorical(List<Check> all) {
        for (int[] rc : Conformance.MATRICES) {
            int r = rc[0];
            int c = rc[1];
            for (double scale : new double[] {0, 3, 1e4}) {
                for (boolean soft : new boolean[] {false, true}) {
                    boolean logits = scale > 0;
                    String what = "categoricalCrossentropy " + r + "x" + c + (logits ? " logits ±" + scale
                            : " probabilities") + (soft ? " soft targets" : " one-hot");
                    long seed = 1500 + r * 7L + c + (long) scale + (soft ? 5 : 0);
                    all.add(new Check(what, CategoricalCrossEntropy.class, ELEMENTWISE, seed, (backend, in) -> {
                        double[] p = logits ? in.uniform(r * c, scale) : positiveRows(in, r, c, false);
                        double[] t = soft ? positiveRows(in, r, c, true) : oneHot(in, r, c);
                        Tensor tp = in.tensor(p, r, c);
                        Tensor tt = in.tensor(t, r, c);
                        Tensor loss = in.poisoned(1);
                        Tensor d = in.poisoned(r, c);
                        double[] ref = LossRefs.categorical(logits, c, p, t);
                        backend.run(new CategoricalCrossEntropy(logits, tp, tt, loss, false, null));
                        Comparison forward = Comparison.close(what + " forward", ref[0], loss.item(), ELEMENTWISE);
                        backend.run(new CategoricalCrossEntropy(logits, tp, tt, loss, false, d));
                        Comparison grad = Comparison.close(what + " dPred", Arrays.copyOfRange(ref, 1, ref.length),
                                d.toArray(), ELEMENTWISE);
                        backend.run(new CategoricalCrossEntropy(logits, tp, tt, loss, true, d));
                        return List.of(forward, grad, Comparison.close(what + " accumulate", 2 * ref[0], loss.item(),
                                ELEMENTWISE));
                    }));
                }
            }
        }
    }

    /**
     * Sparse categorical cross-entropy on probabilities against {@link LossRefs#sparseCategorical}:
     * positive rows not normalised, every fifth row (from the fourth) with 0 at its label (q clipped
     * to ε) and every fifth (from the fifth) one-hot at its label (q = 1, clipped to 1 − ε).
     */
    private static void sparseCategorical(List<Check> all) {
        for (int[] rc : Conformance.MATRICES) {
            int r = rc[0];
            int c = rc[1];
            String what = "sparseCategoricalCrossentropy " + r + "x" + c + " probabilities";
            all.add(new Check(what, SoftmaxCrossEntropy.class, ELEMENTWISE, 1550 + r * 7L + c, (backend, in) -> {
                double[] p = positiveRows(in, r, c, false);
                int[] labels = in.labels(r, c);
                for (int b = 3; b < r; b += 5) {
                    p[b * c + labels[b]] = 0;
                }
                for (int b = 4; b < r; b += 5) {
                    Arrays.fill(p, b * c, (b + 1) * c, 0);
                    p[b * c + labels[b]] = 1;
                }
                Tensor tp = in.tensor(p, r, c);
                Tensor tl = in.labelsTensor(labels);
                Tensor loss = in.poisoned(1);
                Tensor d = in.poisoned(r, c);
                Tensor dAlone = in.poisoned(r, c);
                double[] ref = LossRefs.sparseCategorical(c, p, labels);
                double[] grad = Arrays.copyOfRange(ref, 1, ref.length);
                backend.run(new SoftmaxCrossEntropy(false, tp, tl, loss, false, null));
                Comparison forward = Comparison.close(what + " forward", ref[0], loss.item(), ELEMENTWISE);
                backend.run(new SoftmaxCrossEntropy(false, tp, tl, null, false, dAlone));
                Comparison backward = Comparison.close(what + " backward dPred", grad, dAlone.toArray(), ELEMENTWISE);
                backend.run(new SoftmaxCrossEntropy(false, tp, tl, loss, false, d));
                Comparison both = Comparison.close(what + " forward+backward loss", ref[0], loss.item(), ELEMENTWISE);
                Comparison bothGrad = Comparison.close(what + " forward+backward dPred", grad, d.toArray(),
                        ELEMENTWISE);
                backend.run(new SoftmaxCrossEntropy(false, tp, tl, loss, true, d));
                return List.of(forward, backward, both, bothGrad, Comparison.close(what + " accumulate", 2 * ref[0],
                        loss.item(), ELEMENTWISE));
            }));
        }
    }

    private static void metrics(List<Check> all) {
        for (RowMetric.Kind kind : RowMetric.Kind.values()) {
            boolean counts = kind != RowMetric.Kind.BINARY_ACCURACY && kind != RowMetric.Kind.ABSOLUTE_ERROR;
            double tolerance = counts ? EXACT : ELEMENTWISE;
            float[] params = kind.topK() ? new float[] {1, 5} : kind == RowMetric.Kind.BINARY_ACCURACY
                    ? new float[] {0.5f, 0f} : new float[] {0};
            for (float param : params) {
                for (int[] rc : Conformance.MATRICES) {
                    int r = rc[0];
                    int c = rc[1];
                    String what = kind.opName() + "Sum " + r + "x" + c + (param != 0 ? " param=" + param : "");
                    long seed = 1600 + 100L * kind.ordinal() + r * 7L + c + (long) param;
                    all.add(new Check(what, RowMetric.class, tolerance, seed, (backend, in) -> {
                        double[] p = in.uniform(r * c, 1);
                        if (counts) {
                            for (int i = 0; i < p.length; i++) {
                                p[i] = Math.rint(p[i] * 3);
                            }
                        }
                        double[] t;
                        Tensor tt;
                        if (kind.sparse()) {
                            int[] labels = in.labels(r, c);
                            t = Arrays.stream(labels).asDoubleStream().toArray();
                            tt = in.labelsTensor(labels);
                        } else {
                            t = kind == RowMetric.Kind.ABSOLUTE_ERROR ? in.uniform(r * c, 1)
                                    : kind == RowMetric.Kind.BINARY_ACCURACY ? binary(in, r * c) : oneHot(in, r, c);
                            tt = in.tensor(t, r, c);
                        }
                        if (kind == RowMetric.Kind.BINARY_ACCURACY && param == 0.5f) {
                            for (int i = 0; i < p.length; i++) {
                                p[i] = (float) ((p[i] + 1) / 2);
                            }
                        }
                        Tensor tp = in.tensor(p, r, c);
                        Tensor sum = in.poisoned(1);
                        double ref = LossRefs.rowMetric(kind, param, c, p, t);
                        backend.run(new RowMetric(kind, param, tp, tt, sum, false));
                        float once = sum.item();
                        backend.run(new RowMetric(kind, param, tp, tt, sum, true));
                        float twice = sum.item();
                        return counts
                                ? List.of(Comparison.exact(what, new float[] {(float) ref}, new float[] {once}),
                                        Comparison.exact(what + " accumulate", new float[] {(float) (2 * ref)},
                                                new float[] {twice}))
                                : List.of(Comparison.close(what, ref, once, ELEMENTWISE),
                                        Comparison.close(what + " accumulate", 2 * ref, twice, ELEMENTWISE));
                    }));
                }
            }
        }
    }

    /** n targets of 0 and 1. */
    private static double[] binary(OpInputs in, int n) {
        double[] t = in.uniform(n, 1);
        for (int i = 0; i < n; i++) {
            t[i] = t[i] > 0 ? 1 : 0;
        }
        return t;
    }
}
