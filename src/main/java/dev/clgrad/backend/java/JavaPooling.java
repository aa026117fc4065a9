package dev.clgrad.backend.java;

import dev.clgrad.ops.Pool;
import dev.clgrad.ops.PoolBackward;
import dev.clgrad.ops.Pooling;
import dev.clgrad.ops.Window;

/**
 * 2-D max and average pooling over NHWC images on the Java backend, forward and backward side by
 * side: the spec of {@link Pool} and {@link PoolBackward}, which {@code opencl-kernels/pool.cl}
 * follows bit for bit (the same taps in the same order, float32 throughout). Dimensions: B images
 * of (H, W, C) in, (OH, OW, C) out, windows KH×KW with strides (SH, SW) and padding (PT, PL).
 * Output pixel (oh, ow) reads the taps {@code ih = oh·SH − PT + kh}, {@code iw = ow·SW − PL + kw}
 * inside the image; each pixel's C channels are contiguous, so every loop over taps runs an inner
 * loop over channels. Work is split over rows of the output (forward) or of dX (backward), which
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
    static void forward(ParallelLoop loop, Pooling kind, Window w, int batch, int channels, float[] xd, int xo,
                        float[] yd, int yo) {
        int rows = batch * w.oh();
        int grain = Math.max(1, GRAIN_ELEMENTS / Math.max(1, w.ow() * channels * w.taps()));
        loop.forRange(rows, grain, 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                int b = r / w.oh();
                int oh = r % w.oh();
                for (int ow = 0; ow < w.ow(); ow++) {
                    int out = yo + (r * w.ow() + ow) * channels;
                    int count = 0;
                    for (int kh = 0; kh < w.kh(); kh++) {
                        int ih = oh * w.sh() - w.padTop() + kh;
                        if (ih < 0 || ih >= w.h()) {
                            continue;
                        }
                        for (int kw = 0; kw < w.kw(); kw++) {
                            int iw = ow * w.sw() - w.padLeft() + kw;
                            if (iw < 0 || iw >= w.w()) {
                                continue;
                            }
                            int in = xo + ((b * w.h() + ih) * w.w() + iw) * channels;
                            if (count++ == 0) {
                                System.arraycopy(xd, in, yd, out, channels);
                            } else if (kind == Pooling.MAX) {
                                for (int c = 0; c < channels; c++) {
                                    float v = xd[in + c];
                                    if (Pooling.takesMax(v, yd[out + c])) {
                                        yd[out + c] = v;
                                    }
                                }
                            } else {
                                for (int c = 0; c < channels; c++) {
                                    yd[out + c] += xd[in + c];
                                }
                            }
                        }
                    }
                    if (kind == Pooling.AVERAGE) {
                        float n = count;
                        for (int c = 0; c < channels; c++) {
                            yd[out + c] /= n;
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
     * adds dY / count. x (max only), dY not modified; dX modified.
     */
    static void backward(ParallelLoop loop, Pooling kind, Window w, int batch, int channels, float[] xd, int xo,
                         float[] dyd, int dyo, float[] dxd, int dxo) {
        int rows = batch * w.h();
        int grain = Math.max(1, GRAIN_ELEMENTS / Math.max(1, w.w() * channels * w.taps()));
        loop.forRange(rows, grain, 1, (from, to) -> {
            float[] best = kind == Pooling.MAX ? new float[channels] : null;
            int[] argmax = kind == Pooling.MAX ? new int[channels] : null;
            for (int r = from; r < to; r++) {
                int b = r / w.h();
                int ih = r % w.h();
                int ohLo = firstWindow(ih + w.padTop(), w.kh(), w.sh());
                int ohHi = Math.min(w.oh() - 1, (ih + w.padTop()) / w.sh());
                for (int iw = 0; iw < w.w(); iw++) {
                    int out = dxo + (r * w.w() + iw) * channels;
                    for (int c = 0; c < channels; c++) {
                        dxd[out + c] = 0f;
                    }
                    int owLo = firstWindow(iw + w.padLeft(), w.kw(), w.sw());
                    int owHi = Math.min(w.ow() - 1, (iw + w.padLeft()) / w.sw());
                    for (int oh = ohLo; oh <= ohHi; oh++) {
                        for (int ow = owLo; ow <= owHi; ow++) {
                            int g = dyo + ((b * w.oh() + oh) * w.ow() + ow) * channels;
                            if (kind == Pooling.MAX) {
                                windowArgmax(w, b, oh, ow, channels, xd, xo, best, argmax);
                                int tap = (ih - (oh * w.sh() - w.padTop())) * w.kw() + iw - (ow * w.sw() - w.padLeft());
                                for (int c = 0; c < channels; c++) {
                                    if (argmax[c] == tap) {
                                        dxd[out + c] += dyd[g + c];
                                    }
                                }
                            } else {
                                float n = taps(w, oh, ow);
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

    /** The first window (oh or ow) holding the tap at padded position p: ceil((p − K + 1) / S), at least 0. */
    private static int firstWindow(int p, int k, int s) {
        int t = p - k + 1;
        return t <= 0 ? 0 : (t + s - 1) / s;
    }

    /** The taps of window (oh, ow) inside the image. */
    private static int taps(Window w, int oh, int ow) {
        int h0 = oh * w.sh() - w.padTop();
        int w0 = ow * w.sw() - w.padLeft();
        int rows = Math.min(w.h(), h0 + w.kh()) - Math.max(0, h0);
        int cols = Math.min(w.w(), w0 + w.kw()) - Math.max(0, w0);
        return rows * cols;
    }

    /**
     * Per channel, the tap index kh·KW + kw of window (oh, ow)'s maximum in image b, the forward's
     * scan: best, argmax (C each) modified.
     */
    private static void windowArgmax(Window w, int b, int oh, int ow, int channels, float[] xd, int xo, float[] best,
                                     int[] argmax) {
        boolean first = true;
        for (int kh = 0; kh < w.kh(); kh++) {
            int ih = oh * w.sh() - w.padTop() + kh;
            if (ih < 0 || ih >= w.h()) {
                continue;
            }
            for (int kw = 0; kw < w.kw(); kw++) {
                int iw = ow * w.sw() - w.padLeft() + kw;
                if (iw < 0 || iw >= w.w()) {
                    continue;
                }
                int in = xo + ((b * w.h() + ih) * w.w() + iw) * channels;
                int tap = kh * w.kw() + kw;
                for (int c = 0; c < channels; c++) {
                    float v = xd[in + c];
                    if (first || Pooling.takesMax(v, best[c])) {
                        best[c] = v;
                        argmax[c] = tap;
                    }
                }
                first = false;
            }
        }
    }
}
