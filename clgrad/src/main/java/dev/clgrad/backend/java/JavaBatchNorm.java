package dev.clgrad.backend.java;

import dev.clgrad.ops.Activation;
import dev.clgrad.ops.BatchNormApply;
import dev.clgrad.ops.BatchNormBackward;
import dev.clgrad.ops.BatchNormStats;

/**
 * Batch normalisation on the Java backend, statistics, apply and backward side by side: the spec
 * of {@link BatchNormStats}, {@link BatchNormApply} and {@link BatchNormBackward}. x: (N, C)
 * row-major (every axis but the channels folded into N). Column sums run in double, each column
 * over n = 0, 1, … in order, whatever the threads: chunks of columns are split over threads, every
 * thread walks all rows for its columns. Arrays are the buffers, offsets the views' element
 * offsets; a null array is an absent operand.
 */
final class JavaBatchNorm {
    /** Elements per thread below which a pass runs on the calling thread. */
    private static final int GRAIN = 1 << 15;

    private JavaBatchNorm() {
    }

    /**
     * x: (N, C) → mean, variance: (C) (biased, two passes in double, rounded once), then
     * {@code moving = moving·momentum + batch·(1 − momentum)} in float32 for both. x not modified;
     * mean, variance, moving statistics modified.
     */
    static void stats(ParallelLoop loop, int n, int channels, float[] xd, int xo, float[] md, int mo, float[] vd,
                      int vo, float[] mmd, int mmo, float[] mvd, int mvo, float momentum) {
        float keep = 1f - momentum;
        loop.forRange(channels, columnGrain(n), 1, (from, to) -> {
            double[] mean = new double[to - from];
            double[] sq = new double[to - from];
            for (int r = 0; r < n; r++) {
                int row = xo + r * channels;
                for (int c = from; c < to; c++) {
                    mean[c - from] += xd[row + c];
                }
            }
            for (int c = from; c < to; c++) {
                mean[c - from] /= n;
            }
            for (int r = 0; r < n; r++) {
                int row = xo + r * channels;
                for (int c = from; c < to; c++) {
                    double d = xd[row + c] - mean[c - from];
                    sq[c - from] += d * d;
                }
            }
            for (int c = from; c < to; c++) {
                float m = (float) mean[c - from];
                float v = (float) (sq[c - from] / n);
                md[mo + c] = m;
                vd[vo + c] = v;
                mmd[mmo + c] = mmd[mmo + c] * momentum + m * keep;
                mvd[mvo + c] = mvd[mvo + c] * momentum + v * keep;
            }
        });
    }

    /** {@code 1 / sqrt(variance + epsilon)}, rounded to float32 once. */
    static float inverseStd(float variance, float epsilon) {
        return (float) (1.0 / Math.sqrt(variance + epsilon));
    }

    /**
     * x: (N, C) → {@code y = f((x − mean)·a + beta)}, {@code a = gamma·inverseStd(variance)} in
     * float32 (gamma 1, beta 0 where absent). x, mean, variance, gamma, beta not modified; y
     * modified (may be x).
     */
    static void apply(ParallelLoop loop, int n, int channels, float[] xd, int xo, float[] md, int mo, float[] vd,
                      int vo, float[] gd, int go, float[] bd, int bo, float epsilon, Activation act, float[] yd, int yo) {
        float[] a = new float[channels];
        float[] shift = new float[channels];
        float[] mean = new float[channels];
        for (int c = 0; c < channels; c++) {
            a[c] = (gd == null ? 1f : gd[go + c]) * inverseStd(vd[vo + c], epsilon);
            shift[c] = bd == null ? 0f : bd[bo + c];
            mean[c] = md[mo + c];
        }
        loop.forRange(n, Math.max(1, GRAIN / Math.max(1, channels)), 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                int in = xo + r * channels;
                int out = yo + r * channels;
                for (int c = 0; c < channels; c++) {
                    yd[out + c] = act.apply((xd[in + c] - mean[c]) * a[c] + shift[c]);
                }
            }
        });
    }

    /**
     * x, dY: (N, C), the batch's mean and variance, gamma (null: 1) → {@code dBeta = Σ dY},
     * {@code dGamma = Σ dY·x̂} (double sums, rounded once) and
     * {@code dX = gamma·inv·(dY − dBeta/N − x̂·dGamma/N)} (in double from the double sums, rounded
     * once), with {@code inv = inverseStd(variance)} and {@code x̂ = (x − mean)·inv}. Outputs with
     * a null array are not written. Inputs not modified; dX, dGamma, dBeta modified.
     */
    static void backward(ParallelLoop loop, int n, int channels, float[] xd, int xo, float[] dyd, int dyo,
                         float[] md, int mo, float[] vd, int vo, float[] gd, int go, float epsilon, float[] dxd,
                         int dxo, float[] dgd, int dgo, float[] dbd, int dbo) {
        loop.forRange(channels, columnGrain(n), 1, (from, to) -> {
            int width = to - from;
            double[] inv = new double[width];
            double[] sumDy = new double[width];
            double[] sumDyXhat = new double[width];
            for (int c = from; c < to; c++) {
                inv[c - from] = inverseStd(vd[vo + c], epsilon);
            }
            for (int r = 0; r < n; r++) {
                int row = r * channels;
                for (int c = from; c < to; c++) {
                    double dy = dyd[dyo + row + c];
                    sumDy[c - from] += dy;
                    sumDyXhat[c - from] += dy * (((double) xd[xo + row + c] - md[mo + c]) * inv[c - from]);
                }
            }
            for (int c = from; c < to; c++) {
                if (dbd != null) {
                    dbd[dbo + c] = (float) sumDy[c - from];
                }
                if (dgd != null) {
                    dgd[dgo + c] = (float) sumDyXhat[c - from];
                }
            }
            if (dxd == null) {
                return;
            }
            for (int r = 0; r < n; r++) {
                int row = r * channels;
                for (int c = from; c < to; c++) {
                    int k = c - from;
                    double xhat = ((double) xd[xo + row + c] - md[mo + c]) * inv[k];
                    double g = gd == null ? 1 : gd[go + c];
                    dxd[dxo + row + c] = (float) (g * inv[k] * (dyd[dyo + row + c] - sumDy[k] / n
                            - xhat * sumDyXhat[k] / n));
                }
            }
        });
    }

    /** Columns per thread chunk: enough that each chunk walks {@link #GRAIN} elements. */
    private static int columnGrain(int n) {
        return Math.max(1, GRAIN / Math.max(1, n));
    }
}
