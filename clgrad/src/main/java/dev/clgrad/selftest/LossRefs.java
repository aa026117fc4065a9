package dev.clgrad.selftest;

import dev.clgrad.ops.ElementwiseLoss;
import dev.clgrad.ops.RowMetric;

/**
 * Float64 references of the Keras losses and metrics ({@link ElementwiseLoss},
 * {@code CategoricalCrossEntropy}, {@code SoftmaxCrossEntropy} on probabilities, {@link RowMetric}),
 * written from their definitions in plain loops: the oracle of their conformance checks, as
 * {@link RefOps} is of the others. A loss returns {loss, gradient of the mean…}: index 0 the mean,
 * then ∂mean/∂pred element by element.
 */
public final class LossRefs {
    private static final double LO = ElementwiseLoss.EPSILON;
    private static final double HI = 1f - ElementwiseLoss.EPSILON;

    private LossRefs() {
    }

    /** pred, target: n elements → {mean f, ∂mean/∂pred[0], …} of the element function {@code kind}. */
    public static double[] elementwise(ElementwiseLoss.Kind kind, double delta, double[] p, double[] t) {
        int n = p.length;
        double[] out = new double[1 + n];
        for (int i = 0; i < n; i++) {
            double e = p[i] - t[i];
            double f;
            double g;
            switch (kind) {
                case MAE -> {
                    f = Math.abs(e);
                    g = Math.signum(e);
                }
                case HUBER -> {
                    f = Math.abs(e) <= delta ? e * e / 2 : delta * Math.abs(e) - delta * delta / 2;
                    g = Math.max(-delta, Math.min(delta, e));
                }
                case BINARY_CROSSENTROPY -> {
                    boolean clipped = p[i] < LO || p[i] > HI;
                    double q = Math.max(LO, Math.min(HI, p[i]));
                    f = -(t[i] * Math.log(q) + (1 - t[i]) * Math.log(1 - q));
                    g = clipped ? 0 : -t[i] / q + (1 - t[i]) / (1 - q);
                }
                case BINARY_CROSSENTROPY_FROM_LOGITS -> {
                    double s = 1 / (1 + Math.exp(-p[i]));
                    f = -(t[i] * Math.log(s) + (1 - t[i]) * Math.log(1 - s));
                    if (!Double.isFinite(f)) {
                        f = Math.max(p[i], 0) - p[i] * t[i] + Math.log1p(Math.exp(-Math.abs(p[i])));
                    }
                    g = s - t[i];
                }
                default -> throw new IllegalArgumentException("unknown kind " + kind);
            }
            out[0] += f / n;
            out[1 + i] = g / n;
        }
        return out;
    }

    /**
     * pred, target: (rows, cols) → {mean_b L_b, ∂/∂pred…} of categorical cross-entropy: from logits
     * {@code L_b = −Σ_c t_c·log softmax(z)_c}; on probabilities {@code L_b = −Σ_c t_c·log clip(p_c / Σ p)}
     * with the gradient by the chain rule through the normalisation (0 through a clipped class).
     */
    public static double[] categorical(boolean fromLogits, int cols, double[] p, double[] t) {
        int rows = p.length / cols;
        double[] out = new double[1 + p.length];
        for (int r = 0; r < rows; r++) {
            int at = r * cols;
            if (fromLogits) {
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < cols; c++) {
                    max = Math.max(max, p[at + c]);
                }
                double z = 0;
                for (int c = 0; c < cols; c++) {
                    z += Math.exp(p[at + c] - max);
                }
                double tt = 0;
                for (int c = 0; c < cols; c++) {
                    tt += t[at + c];
                }
                for (int c = 0; c < cols; c++) {
                    double logSoftmax = p[at + c] - max - Math.log(z);
                    out[0] -= t[at + c] * logSoftmax / rows;
                    out[1 + at + c] = (Math.exp(logSoftmax) * tt - t[at + c]) / rows;
                }
                continue;
            }
            double s = 0;
            for (int c = 0; c < cols; c++) {
                s += p[at + c];
            }
            double[] dq = new double[cols];
            for (int c = 0; c < cols; c++) {
                double q = p[at + c] / s;
                boolean clipped = q < LO || q > HI;
                out[0] -= t[at + c] * Math.log(Math.max(LO, Math.min(HI, q))) / rows;
                dq[c] = clipped ? 0 : -t[at + c] / q;
            }
            for (int j = 0; j < cols; j++) {
                double g = 0;
                for (int c = 0; c < cols; c++) {
                    double dqdp = ((c == j ? 1 : 0) - p[at + c] / s) / s;
                    g += dq[c] * dqdp;
                }
                out[1 + at + j] = g / rows;
            }
        }
        return out;
    }

    /**
     * pred: (rows, cols) probabilities, labels: one class index per row → {mean_b L_b, ∂/∂pred…} of
     * sparse categorical cross-entropy on probabilities: {@link #categorical} on probabilities with
     * the one-hot target of the labels.
     */
    public static double[] sparseCategorical(int cols, double[] p, int[] labels) {
        double[] t = new double[p.length];
        for (int r = 0; r < labels.length; r++) {
            t[r * cols + labels[r]] = 1;
        }
        return categorical(false, cols, p, t);
    }

    /**
     * pred: (rows, cols), target: (rows, cols) or one class index per row for the sparse kind →
     * {@code Σ_b m_b} of {@link RowMetric.Kind}: argmax by first maximum; top-k by counting the
     * strictly larger scores.
     */
    public static double rowMetric(RowMetric.Kind kind, double param, int cols, double[] p, double[] t) {
        int rows = p.length / cols;
        double s = 0;
        for (int r = 0; r < rows; r++) {
            int at = r * cols;
            switch (kind) {
                case CATEGORICAL_ACCURACY -> s += argmax(p, at, cols) == argmax(t, at, cols) ? 1 : 0;
                case BINARY_ACCURACY -> {
                    for (int c = 0; c < cols; c++) {
                        s += ((p[at + c] > param ? 1 : 0) == t[at + c] ? 1.0 : 0.0) / cols;
                    }
                }
                case IN_TOP_K, SPARSE_IN_TOP_K -> {
                    int label = kind == RowMetric.Kind.IN_TOP_K ? argmax(t, at, cols) : (int) t[r];
                    int more = 0;
                    for (int c = 0; c < cols; c++) {
                        more += p[at + c] > p[at + label] ? 1 : 0;
                    }
                    s += more < param ? 1 : 0;
                }
                case ABSOLUTE_ERROR -> {
                    for (int c = 0; c < cols; c++) {
                        s += Math.abs(p[at + c] - t[at + c]) / cols;
                    }
                }
            }
        }
        return s;
    }

    private static int argmax(double[] x, int at, int cols) {
        int best = 0;
        for (int c = 1; c < cols; c++) {
            if (x[at + c] > x[at + best]) {
                best = c;
            }
        }
        return best;
    }
}
