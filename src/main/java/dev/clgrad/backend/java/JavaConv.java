package dev.clgrad.backend.java;

import dev.clgrad.ops.Col2Im;
import dev.clgrad.ops.Im2Col;
import dev.clgrad.ops.Window;

import java.util.Arrays;

/**
 * The sliding-window copies of a convolution on the Java backend, forward and adjoint side by side:
 * {@link Im2Col} (x: (B, H, W, C) → cols: (B·OH·OW, KH·KW·C)) and {@link Col2Im} (cols → dx: (B, H,
 * W, C)), each split over a {@link ParallelLoop} into contiguous ranges of its output rows, so every
 * output element is written by one thread. The math, the layout and the summation order are the
 * ops'; arrays are addressed at the tensors' element offsets.
 */
final class JavaConv {
    /** Output elements per thread below which a copy runs on the calling thread. */
    private static final int GRAIN = 1 << 15;

    private JavaConv() {
    }

    /**
     * x: (B, H, W, C) at {@code xo} → cols: (B·OH·OW, KH·KW·C) at {@code co}: one cols row per
     * output pixel, each tap's C channels copied from x or set to +0 in the padding; a run of taps
     * inside the image that is contiguous in x (dilation 1 along W) is one copy. x not modified;
     * cols modified.
     */
    static void im2col(ParallelLoop loop, float[] x, int xo, int b, int c, Window w, float[] cols, int co) {
        int rows = b * w.oh() * w.ow();
        int k = w.taps() * c;
        loop.forRange(rows, Math.max(1, GRAIN / k), 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                int ow = r % w.ow();
                int oh = r / w.ow() % w.oh();
                int image = r / (w.ow() * w.oh());
                int row = co + r * k;
                for (int kh = 0; kh < w.kh(); kh++) {
                    int ih = oh * w.sh() - w.padTop() + kh * w.dh();
                    int dst = row + kh * w.kw() * c;
                    if (ih < 0 || ih >= w.h()) {
                        Arrays.fill(cols, dst, dst + w.kw() * c, 0f);
                        continue;
                    }
                    int iw0 = ow * w.sw() - w.padLeft();
                    int src = xo + ((image * w.h() + ih) * w.w() + iw0) * c;
                    if (w.dw() == 1 && iw0 >= 0 && iw0 + w.kw() <= w.w()) {
                        System.arraycopy(x, src, cols, dst, w.kw() * c);
                        continue;
                    }
                    for (int kw = 0; kw < w.kw(); kw++) {
                        int iw = iw0 + kw * w.dw();
                        int at = dst + kw * c;
                        if (iw < 0 || iw >= w.w()) {
                            Arrays.fill(cols, at, at + c, 0f);
                        } else {
                            System.arraycopy(x, src + kw * w.dw() * c, cols, at, c);
                        }
                    }
                }
            }
        });
    }

    /**
     * cols: (B·OH·OW, KH·KW·C) at {@code co} → dx: (B, H, W, C) at {@code xo}, the gather of
     * {@link Col2Im}: one image row (b, ih) at a time, the taps kh that reach it found once, then
     * for each pixel the taps kw; each element starts at +0 and adds its taps' entries kh, then kw,
     * ascending. cols not modified; dx modified.
     */
    static void col2im(ParallelLoop loop, float[] cols, int co, int b, int c, Window w, float[] dx, int xo) {
        int imageRows = b * w.h();
        int k = w.taps() * c;
        loop.forRange(imageRows, Math.max(1, GRAIN / (w.w() * c)), 1, (from, to) -> {
            int[] khs = new int[w.kh()];
            int[] ohs = new int[w.kh()];
            int[] kws = new int[w.kw()];
            int[] ows = new int[w.kw()];
            for (int p = from; p < to; p++) {
                int ih = p % w.h();
                int image = p / w.h();
                int nh = taps(ih + w.padTop(), w.kh(), w.dh(), w.sh(), w.oh(), khs, ohs);
                int rowStart = xo + p * w.w() * c;
                Arrays.fill(dx, rowStart, rowStart + w.w() * c, 0f);
                for (int iw = 0; iw < w.w(); iw++) {
                    int nw = taps(iw + w.padLeft(), w.kw(), w.dw(), w.sw(), w.ow(), kws, ows);
                    int dst = rowStart + iw * c;
                    for (int a = 0; a < nh; a++) {
                        int outRow = (image * w.oh() + ohs[a]) * w.ow();
                        for (int q = 0; q < nw; q++) {
                            int src = co + (outRow + ows[q]) * k + (khs[a] * w.kw() + kws[q]) * c;
                            for (int ch = 0; ch < c; ch++) {
                                dx[dst + ch] += cols[src + ch];
                            }
                        }
                    }
                }
            }
        });
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
