package dev.clgrad.backend.java;

import dev.clgrad.ops.Pool;
import dev.clgrad.ops.PoolBackward;
import dev.clgrad.ops.Pooling;
import dev.clgrad.ops.Window;

import java.util.Arrays;

/**
 * 2-D max and average pooling over NHWC images on the Java backend, forward and backward side by
 * side: the spec of {@link Pool} and {@link PoolBackward}, which {@code opencl-kernels/pool.cl}
 * follows bit for bit (the same taps in the same order, float32 throughout). Dimensions: B images
 * of (H, W, C) in, (OH, OW, C) out, windows KH×KW with strides (SH, SW) and padding (PT, PL).
 * Output pixel (oh, ow) reads the taps {@code ih = oh·SH − PT + kh}, {@code iw = ow·SW − PL + kw}
 * inside the image; each pixel's C channels are contiguous, so a window's taps are found once
 * ({@link #taps}) and every loop over them runs an inner loop over channels, on whole vectors with
 * {@link VectorPooling} when {@code vec} (the same selections and sums per lane), the scalar loops
 * here doing the rest. Work is split over rows of the output (forward) or of dX (backward), which
 * never share an element. Arrays are the buffers, offsets the views' element offsets.
 */
final class JavaPooling {
    /** Rows of work below which a pooling runs on the calling thread (a row is W·C elements). */
    private static final int GRAIN_ELEMENTS = 1 << 14;

    private JavaPooling() {
    }

    /**
     * x: (B, H, W, C) → y: (B, OH, OW, C): per channel the first maximum in scan order (a NaN tap
     * wins: {@link Pooling#takesMax}), or the taps summed from the first one and divided by their
     * count. x not modified; y modified.
     */
    static void forward(ParallelLoop loop, boolean vec, Pooling kind, Window w, int batch, int channels, float[] xd,
                        int xo, float[] yd, int yo) {
        int rows = batch * w.oh();
        int grain = Math.max(1, GRAIN_ELEMENTS / Math.max(1, w.ow() * channels * w.taps()));
        loop.forRange(rows, grain, 1, (from, to) -> {
            int[] at = new int[w.taps()];
            for (int r = from; r < to; r++) {
                int b = r / w.oh();
                int oh = r % w.oh();
                for (int ow = 0; ow < w.ow(); ow++) {
                    int n = taps(w, b, oh, ow, channels, xo, at, null);
                    int out = yo + (r * w.ow() + ow) * channels;
                    if (kind == Pooling.MAX) {
                        int done = vec ? VectorPooling.max(xd, at, n, yd, out, channels) : 0;
                        for (int c = done; c < channels; c++) {
                            float best = xd[at[0] + c];
                            for (int t = 1; t < n; t++) {
                                float v = xd[at[t] + c];
                                if (Pooling.takesMax(v, best)) {
                                    best = v;
                                }
                            }
                            yd[out + c] = best;
                        }
                    } else {
                        System.arraycopy(xd, at[0], yd, out, channels);
                        for (int t = 1; t < n; t++) {
                            for (int c = 0; c < channels; c++) {
                                yd[out + c] += xd[at[t] + c];
                            }
                        }
                        float count = n;
                        for (int c = 0; c < channels; c++) {
                            yd[out + c] /= count;
                        }
                    }
                }
            }
        });
    }

    /**
     * dY: (B, OH, OW, C) → dX: (B, H, W, C), a gather per element of dX over the windows that hold
     * its tap, oh then ow ascending, summed from +0: max pooling adds dY where the tap is the
     * window's maximum (regenerated from x: (B, H, W, C), the forward's scan), average pooling
     * adds dY / count. Each thread finds the maxima of a row of windows once, for all the dX rows
     * it reads them for, and keeps the last ceil(KH / SH) rows of them. x (max only), dY not
     * modified; dX modified.
     */
    static void backward(ParallelLoop loop, boolean vec, Pooling kind, Window w, int batch, int channels, float[] xd,
                         int xo, float[] dyd, int dyo, float[] dxd, int dxo) {
        int rows = batch * w.h();
        int grain = Math.max(1, GRAIN_ELEMENTS / Math.max(1, w.w() * channels * w.taps()));
        loop.forRange(rows, grain, 1, (from, to) -> {
            WindowMaxima maxima = kind == Pooling.MAX ? new WindowMaxima(w, channels, vec) : null;
            for (int r = from; r < to; r++) {
                int b = r / w.h();
                int ih = r % w.h();
                int rowStart = dxo + r * w.w() * channels;
                Arrays.fill(dxd, rowStart, rowStart + w.w() * channels, 0f);
                int ohLo = firstWindow(ih + w.padTop(), w.kh(), w.sh());
                int ohHi = Math.min(w.oh() - 1, (ih + w.padTop()) / w.sh());
                for (int oh = ohLo; oh <= ohHi; oh++) {
                    int[] argmax = maxima == null ? null : maxima.row(xd, xo, b, oh);
                    int kh = ih - (oh * w.sh() - w.padTop());
                    int dyRow = dyo + (b * w.oh() + oh) * w.ow() * channels;
                    for (int iw = 0; iw < w.w(); iw++) {
                        int out = rowStart + iw * channels;
                        int owLo = firstWindow(iw + w.padLeft(), w.kw(), w.sw());
                        int owHi = Math.min(w.ow() - 1, (iw + w.padLeft()) / w.sw());
                        for (int ow = owLo; ow <= owHi; ow++) {
                            int g = dyRow + ow * channels;
                            if (argmax != null) {
                                int tap = kh * w.kw() + iw - (ow * w.sw() - w.padLeft());
                                int a = ow * channels;
                                int done = vec ? VectorPooling.addWhere(argmax, a, tap, dyd, g, dxd, out, channels) : 0;
                                for (int c = done; c < channels; c++) {
                                    if (argmax[a + c] == tap) {
                                        dxd[out + c] += dyd[g + c];
                                    }
                                }
                            } else {
                                float n = count(w, oh, ow);
                                for (int c = 0; c < channels; c++) {
                                    dxd[out + c] += dyd[g + c] / n;
                                }
                            }
                        }
                    }
                }
            }
        });
    }

    /**
     * The taps of window (oh, ow) of image b inside the image, in scan order: their x offsets
     * (channel 0) in at[] and, when tap is not null, their indices kh·KW + kw in tap[]; returns
     * how many (at least 1: a Keras window always overlaps the image).
     */
    private static int taps(Window w, int b, int oh, int ow, int channels, int xo, int[] at, int[] tap) {
        int h0 = oh * w.sh() - w.padTop();
        int w0 = ow * w.sw() - w.padLeft();
        int kh1 = Math.min(w.kh(), w.h() - h0);
        int kw0 = Math.max(0, -w0);
        int kw1 = Math.min(w.kw(), w.w() - w0);
        int n = 0;
        for (int kh = Math.max(0, -h0); kh < kh1; kh++) {
            int in = xo + ((b * w.h() + h0 + kh) * w.w() + w0) * channels;
            for (int kw = kw0; kw < kw1; kw++) {
                at[n] = in + kw * channels;
                if (tap != null) {
                    tap[n] = kh * w.kw() + kw;
                }
                n++;
            }
        }
        return n;
    }

    /** The first window (oh or ow) holding the tap at padded position p: ceil((p − K + 1) / S), at least 0. */
    private static int firstWindow(int p, int k, int s) {
        int t = p - k + 1;
        return t <= 0 ? 0 : (t + s - 1) / s;
    }

    /** The taps of window (oh, ow) inside the image. */
    private static int count(Window w, int oh, int ow) {
        int h0 = oh * w.sh() - w.padTop();
        int w0 = ow * w.sw() - w.padLeft();
        int rows = Math.min(w.h(), h0 + w.kh()) - Math.max(0, h0);
        int cols = Math.min(w.w(), w0 + w.kw()) - Math.max(0, w0);
        return rows * cols;
    }

    /**
     * One thread's maxima of rows of windows for the max-pooling backward: for window row (b, oh),
     * per window ow and channel c, the tap index kh·KW + kw of the window's maximum, the forward's
     * scan ({@code argmax[ow·C + c]}). Keeps the last ceil(KH / SH) rows computed, the most one
     * dX row reads, so a thread going down dX computes each row of windows once.
     */
    private static final class WindowMaxima {
        private final Window w;
        private final int channels;
        private final boolean vec;
        private final int[][] rows;
        private final int[] keys;
        private final int[] at;
        private final int[] tap;
        private final float[] best;

        WindowMaxima(Window w, int channels, boolean vec) {
            this.w = w;
            this.channels = channels;
            this.vec = vec;
            int kept = Math.max(1, (w.kh() + w.sh() - 1) / w.sh());
            this.rows = new int[kept][w.ow() * channels];
            this.keys = new int[kept];
            Arrays.fill(keys, -1);
            this.at = new int[w.taps()];
            this.tap = new int[w.taps()];
            this.best = new float[channels];
        }

        /** The argmax row of window row (b, oh) of x: (B, H, W, C) at xo. */
        int[] row(float[] xd, int xo, int b, int oh) {
            int key = b * w.oh() + oh;
            int slot = key % rows.length;
            int[] argmax = rows[slot];
            if (keys[slot] == key) {
                return argmax;
            }
            for (int ow = 0; ow < w.ow(); ow++) {
                int n = taps(w, b, oh, ow, channels, xo, at, tap);
                int a = ow * channels;
                int done = vec ? VectorPooling.argmax(xd, at, tap, n, argmax, a, channels) : 0;
                for (int c = done; c < channels; c++) {
                    best[c] = xd[at[0] + c];
                    argmax[a + c] = tap[0];
                }
                for (int t = 1; t < n; t++) {
                    for (int c = done; c < channels; c++) {
                        float v = xd[at[t] + c];
                        if (Pooling.takesMax(v, best[c])) {
                            best[c] = v;
                            argmax[a + c] = tap[t];
                        }
                    }
                }
            }
            keys[slot] = key;
            return argmax;
        }
    }
}
