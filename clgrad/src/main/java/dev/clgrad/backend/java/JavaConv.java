package dev.clgrad.backend.java;

import dev.clgrad.ops.Col2Im;
import dev.clgrad.ops.Im2Col;
import dev.clgrad.ops.Window;

import java.util.Arrays;

/**
 * The sliding-window copies of a convolution on the Java backend, forward and adjoint side by side:
 * {@link Im2Col} (x: (B, H, W, C) → cols: (B·OH·OW, KH·KW·C)) and {@link Col2Im} (cols → dx: (B, H,
 * W, C)), each split over a {@link ParallelLoop} into contiguous ranges of rows of its output
 * (output rows (b, oh) of pixels, image rows (b, ih) of dx), so every output element is written by
 * one thread. The math, the layout and the summation order are the ops'; arrays are addressed at
 * the tensors' element offsets. Runs of fewer than {@link #SHORT} floats (a 3x3 window over one
 * channel copies three at a time) are copied by loops rather than {@code System.arraycopy}, whose
 * call costs more than such a copy, and across a row of output pixels at once where its windows lie
 * inside the image (im2col of 128 28x28 images, 3x3: 1.3 -> 0.5 ms).
 */
final class JavaConv {
    /** Output elements per thread below which a copy runs on the calling thread. */
    private static final int GRAIN = 1 << 15;
    /** Runs shorter than this are copied element by element. */
    private static final int SHORT = 16;

    private JavaConv() {
    }

    /**
     * x: (B, H, W, C) at {@code xo} → cols: (B·OH·OW, KH·KW·C) at {@code co}: one cols row per
     * output pixel, each tap's C channels copied from x or set to +0 in the padding; a run of taps
     * inside the image that is contiguous in x (dilation 1 along W) is one copy. x not modified;
     * cols modified.
     */
    static void im2col(ParallelLoop loop, float[] x, int xo, int b, int c, Window w, float[] cols, int co) {
        int k = w.taps() * c;
        int run = w.kw() * c;
        loop.forRange(b * w.oh(), Math.max(1, GRAIN / (w.ow() * k)), 1, (from, to) -> {
            for (int p = from; p < to; p++) {
                int oh = p % w.oh();
                int image = p / w.oh();
                if (run < SHORT && inside(w, oh)) {
                    shortRuns(x, xo, c, w, image, oh, cols, co + p * w.ow() * k);
                    continue;
                }
                for (int ow = 0; ow < w.ow(); ow++) {
                    int row = co + (p * w.ow() + ow) * k;
                    int iw0 = ow * w.sw() - w.padLeft();
                    boolean inside = w.dw() == 1 && iw0 >= 0 && iw0 + w.kw() <= w.w();
                    for (int kh = 0; kh < w.kh(); kh++) {
                        int ih = oh * w.sh() - w.padTop() + kh * w.dh();
                        int dst = row + kh * run;
                        if (ih < 0 || ih >= w.h()) {
                            Arrays.fill(cols, dst, dst + run, 0f);
                            continue;
                        }
                        int src = xo + ((image * w.h() + ih) * w.w() + iw0) * c;
                        if (inside) {
                            copy(x, src, cols, dst, run);
                            continue;
                        }
                        for (int kw = 0; kw < w.kw(); kw++) {
                            int iw = iw0 + kw * w.dw();
                            int at = dst + kw * c;
                            if (iw < 0 || iw >= w.w()) {
                                Arrays.fill(cols, at, at + c, 0f);
                            } else {
                                copy(x, src + kw * w.dw() * c, cols, at, c);
                            }
                        }
                    }
                }
            }
        });
    }

    /**
     * cols: (B·OH·OW, KH·KW·C) at {@code co} → dx: (B, H, W, C) at {@code xo}, the gather of
     * {@link Col2Im}: one image row (b, ih) at a time, the taps kh that reach it found once (and
     * each column's taps kw once per call), then for each pixel the cols offsets of its taps, kh
     * then kw ascending, summed from +0 per channel ({@link VectorOps#sumAt} on whole vectors when
     * vec). cols not modified; dx modified.
     */
    static void col2im(ParallelLoop loop, boolean vec, float[] cols, int co, int b, int c, Window w, float[] dx,
                       int xo) {
        int k = w.taps() * c;
        int[] nws = new int[w.w()];
        int[][] kws = new int[w.w()][w.kw()];
        int[][] ows = new int[w.w()][w.kw()];
        for (int iw = 0; iw < w.w(); iw++) {
            nws[iw] = taps(iw + w.padLeft(), w.kw(), w.dw(), w.sw(), w.ow(), kws[iw], ows[iw]);
        }
        loop.forRange(b * w.h(), Math.max(1, GRAIN / (w.w() * c)), 1, (from, to) -> {
            int[] khs = new int[w.kh()];
            int[] ohs = new int[w.kh()];
            int[] at = new int[w.taps()];
            for (int p = from; p < to; p++) {
                int ih = p % w.h();
                int image = p / w.h();
                int nh = taps(ih + w.padTop(), w.kh(), w.dh(), w.sh(), w.oh(), khs, ohs);
                for (int iw = 0; iw < w.w(); iw++) {
                    int n = 0;
                    for (int a = 0; a < nh; a++) {
                        int outRow = (image * w.oh() + ohs[a]) * w.ow();
                        for (int q = 0; q < nws[iw]; q++) {
                            at[n++] = co + (outRow + ows[iw][q]) * k + (khs[a] * w.kw() + kws[iw][q]) * c;
                        }
                    }
                    int dst = xo + (p * w.w() + iw) * c;
                    int done = vec ? VectorOps.sumAt(cols, at, n, dx, dst, c) : 0;
                    for (int ch = done; ch < c; ch++) {
                        float sum = 0f;
                        for (int t = 0; t < n; t++) {
                            sum += cols[at[t] + ch];
                        }
                        dx[dst + ch] = sum;
                    }
                }
            }
        });
    }

    /** Whether every window of output row oh lies inside the image, with dilation 1 along W. */
    private static boolean inside(Window w, int oh) {
        int ih0 = oh * w.sh() - w.padTop();
        return w.dw() == 1 && w.padLeft() == 0 && (w.ow() - 1) * w.sw() + w.kw() <= w.w() && ih0 >= 0
                && ih0 + (w.kh() - 1) * w.dh() < w.h();
    }

    /**
     * The cols rows of output row (image, oh), at {@code dst}, when its windows lie inside the image
     * and a tap row is a short run of KW·C floats: per tap row kh and position j in the run, one
     * strided loop over the row's pixels (the copy of im2col, in the order that keeps the loops long).
     */
    private static void shortRuns(float[] x, int xo, int c, Window w, int image, int oh, float[] cols, int dst) {
        int k = w.taps() * c;
        int run = w.kw() * c;
        int step = w.sw() * c;
        for (int kh = 0; kh < w.kh(); kh++) {
            int src = xo + (image * w.h() + oh * w.sh() - w.padTop() + kh * w.dh()) * w.w() * c;
            int row = dst + kh * run;
            for (int j = 0; j < run; j++) {
                for (int ow = 0, d = row + j, from = src + j; ow < w.ow(); ow++, d += k, from += step) {
                    cols[d] = x[from];
                }
            }
        }
    }

    /** {@code dst[d..d+n) = src[s..s+n)}. */
    private static void copy(float[] src, int s, float[] dst, int d, int n) {
        if (n < SHORT) {
            for (int i = 0; i < n; i++) {
                dst[d + i] = src[s + i];
            }
        } else {
            System.arraycopy(src, s, dst, d, n);
        }
    }

    /**
     * The taps of one axis that read input position {@code i} (already shifted by the padding):
     * taps t in [0, n) ascending with {@code i − t·dilation = o·stride} for an output o in
     * [0, outs), written to taps[] and at[] (o); returns how many.
     */
    private static int taps(int i, int n, int dilation, int stride, int outs, int[] taps, int[] at) {
        int found = 0;
        for (int t = 0; t < n; t++) {
            int s = i - t * dilation;
            if (s >= 0 && s % stride == 0 && s / stride < outs) {
                taps[found] = t;
                at[found] = s / stride;
                found++;
            }
        }
        return found;
    }
}
