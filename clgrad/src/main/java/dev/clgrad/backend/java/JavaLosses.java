package dev.clgrad.backend.java;

import dev.clgrad.ops.CategoricalCrossEntropy;
import dev.clgrad.ops.ElementwiseLoss;
import dev.clgrad.ops.RowMetric;

/**
 * The Keras losses and metrics of {@link ElementwiseLoss}, {@link CategoricalCrossEntropy}, sparse
 * categorical cross-entropy on probabilities ({@code SoftmaxCrossEntropy}) and {@link RowMetric} in
 * plain loops: the spec the {@code loss.cl} kernels follow. Losses are summed in double; each
 * gradient element is computed in float from float operands where the formula is a few IEEE
 * operations (MAE, Huber), so the kernels give it bit for bit, and in double otherwise.
 * Arrays are row-major at the given offsets. Special values follow the formulas: NaN propagates
 * (a row's maximum is NaN when the row holds one), s(e) keeps ±0 and NaN, a clip keeps NaN.
 */
final class JavaLosses {
    private static final float LO = ElementwiseLoss.EPSILON;
    private static final float HI = 1f - ElementwiseLoss.EPSILON;

    private JavaLosses() {
    }

    /** s(e): 1 for e > 0, −1 for e < 0, e itself for ±0 and NaN. */
    static float sign(float e) {
        return e > 0 ? 1f : e < 0 ? -1f : e;
    }

    /** p clipped to [ε, 1 − ε]; NaN stays NaN. */
    static float clip(float p) {
        return p < LO ? LO : p > HI ? HI : p;
    }

    /**
     * pred, target: n elements → {@code Σ_i f(pred[i], target[i])} (in double), and when d is not
     * null {@code d[i] = f'(pred[i], target[i])·scale}. Not modified: p, t.
     */
    static double elementwise(ElementwiseLoss.Kind kind, float delta, int n, float scale, float[] p, int po,
                              float[] t, int to, float[] d, int dOff) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            float pi = p[po + i];
            float ti = t[to + i];
            float g;
            switch (kind) {
                case MAE -> {
                    float e = pi - ti;
                    s += Math.abs((double) pi - ti);
                    g = sign(e);
                }
                case HUBER -> {
                    float e = pi - ti;
                    double a = Math.abs((double) pi - ti);
                    s += a <= delta ? 0.5 * a * a : delta * (a - 0.5 * delta);
                    g = Math.abs(e) <= delta ? e : delta * sign(e);
                }
                case BINARY_CROSSENTROPY -> {
                    double q = clip(pi);
                    s -= ti * Math.log(q) + (1.0 - ti) * Math.log(1.0 - q);
                    g = pi < LO || pi > HI ? 0f : (float) ((q - ti) / (q * (1.0 - q)));
                }
                case BINARY_CROSSENTROPY_FROM_LOGITS -> {
                    double z = pi;
                    double e = Math.exp(-Math.abs(z));
                    s += (z > 0 ? z : 0) - z * ti + Math.log1p(e);
                    g = (float) ((z >= 0 ? 1.0 : e) / (1.0 + e) - ti);
                }
                default -> throw new IllegalStateException("unknown loss kind " + kind);
            }
            if (d != null) {
                d[dOff + i] = g * scale;
            }
        }
        return s;
    }

    /**
     * pred, target: (rows, cols) → {@code Σ_b L_b} (in double) of {@link CategoricalCrossEntropy},
     * and when d is not null its gradient of the mean, {@code ∂L_b/∂pred[b] / rows}. Each row is
     * read before its gradient is written. Not modified: p, t.
     */
    static double categorical(boolean fromLogits, int rows, int cols, float[] p, int po, float[] t, int to, float[] d,
                              int dOff) {
        double s = 0;
        for (int r = 0; r < rows; r++) {
            int row = po + r * cols;
            int trow = to + r * cols;
            double total = 0;
            for (int c = 0; c < cols; c++) {
                total += t[trow + c];
            }
            if (fromLogits) {
                double max = p[row];
                for (int c = 1; c < cols; c++) {
                    max = Math.max(max, p[row + c]);
                }
                double e = 0;
                for (int c = 0; c < cols; c++) {
                    e += Math.exp(p[row + c] - max);
                }
                double logE = Math.log(e);
                for (int c = 0; c < cols; c++) {
                    s += t[trow + c] * ((max - p[row + c]) + logE);
                }
                if (d != null) {
                    for (int c = 0; c < cols; c++) {
                        d[dOff + r * cols + c] = (float) ((Math.exp(p[row + c] - max) / e * total - t[trow + c]) / rows);
                    }
                }
                continue;
            }
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += p[row + c];
            }
            double unclipped = 0;
            for (int c = 0; c < cols; c++) {
                double q = p[row + c] / sum;
                double qc = q < LO ? LO : q > HI ? HI : q;
                s -= t[trow + c] * Math.log(qc);
                unclipped += q < LO || q > HI ? 0 : t[trow + c];
            }
            if (d != null) {
                for (int c = 0; c < cols; c++) {
                    double q = p[row + c] / sum;
                    double g = q < LO || q > HI ? 0 : -t[trow + c] / q;
                    d[dOff + r * cols + c] = (float) ((g + unclipped) / (sum * rows));
                }
            }
        }
        return s;
    }

    /**
     * Sparse categorical cross-entropy on probabilities, p: (rows, cols), labels: one class index
     * per row (already checked) → {@code Σ_b L_b} in double, and when d is not null the gradient of
     * the batch mean into d: with s = Σ_c p_c and q = p_l / s, {@code L_b = −log clip(q)}; where q
     * is inside [ε, 1 − ε] {@code d_c = ([c == l]·(−1/q) + 1) / (s·rows)}, else 0 (the categorical
     * loss with a one-hot target). Each row is read before it is written, so d may be p.
     */
    static double sparseCategorical(int rows, int cols, float[] p, int po, int[] labels, float[] d, int dOff) {
        double s = 0;
        for (int r = 0; r < rows; r++) {
            int row = po + r * cols;
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += p[row + c];
            }
            double q = p[row + labels[r]] / sum;
            boolean clipped = q < LO || q > HI;
            s -= Math.log(q < LO ? LO : q > HI ? HI : q);
            if (d != null) {
                double g = clipped ? 0 : -1 / q;
                double u = clipped ? 0 : 1;
                for (int c = 0; c < cols; c++) {
                    d[dOff + r * cols + c] = (float) (((c == labels[r] ? g : 0) + u) / (sum * rows));
                }
            }
        }
        return s;
    }

    /**
     * pred: (rows, cols), target: (rows, cols) or labels (one class index per row, already checked)
     * → {@code Σ_b m_b} of {@link RowMetric}, in double. Not modified: p, t, labels.
     */
    static double rowMetric(RowMetric.Kind kind, float param, int rows, int cols, float[] p, int po, float[] t,
                            int to, int[] labels) {
        double s = 0;
        for (int r = 0; r < rows; r++) {
            int row = po + r * cols;
            int trow = to + r * cols;
            s += switch (kind) {
                case CATEGORICAL_ACCURACY -> argmax(p, row, cols) == argmax(t, trow, cols) ? 1 : 0;
                case BINARY_ACCURACY -> {
                    int hits = 0;
                    for (int c = 0; c < cols; c++) {
                        hits += (p[row + c] > param ? 1f : 0f) == t[trow + c] ? 1 : 0;
                    }
                    yield (double) hits / cols;
                }
                case IN_TOP_K -> inTopK(p, row, cols, argmax(t, trow, cols), param) ? 1 : 0;
                case SPARSE_IN_TOP_K -> inTopK(p, row, cols, labels[r], param) ? 1 : 0;
                case ABSOLUTE_ERROR -> {
                    double a = 0;
                    for (int c = 0; c < cols; c++) {
                        a += Math.abs((double) p[row + c] - t[trow + c]);
                    }
                    yield a / cols;
                }
            };
        }
        return s;
    }

    /** The first maximum of x[row .. row + cols), NaN larger than every number. */
    static int argmax(float[] x, int row, int cols) {
        int best = 0;
        for (int c = 1; c < cols; c++) {
            float v = x[row + c];
            float top = x[row + best];
            if (v > top || (v != v && top == top)) {
                best = c;
            }
        }
        return best;
    }

    /** Whether fewer than k scores of the row exceed the label's, every score finite (TensorFlow's in_top_k). */
    private static boolean inTopK(float[] x, int row, int cols, int label, float k) {
        float target = x[row + label];
        int more = 0;
        for (int c = 0; c < cols; c++) {
            float v = x[row + c];
            if (!Float.isFinite(v)) {
                return false;
            }
            more += v > target ? 1 : 0;
        }
        return more < k;
    }
}
