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
    /** Cols floats per band of the implicit GEMM: 256 KiB, a band and its product in L2. */
    private static final int BAND = 1 << 16;
    /** Band rows are a multiple of this many pixels where the row length allows (the GEMM's row blocks). */
    private static final int BAND_ALIGN = 16;
    /** One thread: each band's GEMM runs on the thread that packed it. */
    private static final ParallelLoop SEQUENTIAL = new ParallelLoop(1);
    private static final ThreadLocal<float[]> BAND_SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

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
        loop.forRange(b * w.oh(), Math.max(1, GRAIN / (w.ow() * k)), 1, (from, to) -> {
            for (int p = from; p < to; p++) {
                outputRow(x, xo, c, w, p, cols, co + p * w.ow() * k);
            }
        });
    }

    /**
     * The OW cols rows of output row p = (image, oh), at {@code dst}: each tap's C channels copied
     * from x or set to +0 in the padding. x not modified; cols modified.
     */
    private static void outputRow(float[] x, int xo, int c, Window w, int p, float[] cols, int dst) {
        int k = w.taps() * c;
        int run = w.kw() * c;
        int oh = p % w.oh();
        int image = p / w.oh();
        if (run < SHORT && inside(w, oh)) {
            shortRuns(x, xo, c, w, image, oh, cols, dst);
            return;
        }
        for (int ow = 0; ow < w.ow(); ow++) {
            int row = dst + ow * k;
            int iw0 = ow * w.sw() - w.padLeft();
            boolean inside = w.dw() == 1 && iw0 >= 0 && iw0 + w.kw() <= w.w();
            for (int kh = 0; kh < w.kh(); kh++) {
                int ih = oh * w.sh() - w.padTop() + kh * w.dh();
                int at0 = row + kh * run;
                if (ih < 0 || ih >= w.h()) {
                    Arrays.fill(cols, at0, at0 + run, 0f);
                    continue;
                }
                int src = xo + ((image * w.h() + ih) * w.w() + iw0) * c;
                if (inside) {
                    copy(x, src, cols, at0, run);
                    continue;
                }
                for (int kw = 0; kw < w.kw(); kw++) {
                    int iw = iw0 + kw * w.dw();
                    int at = at0 + kw * c;
                    if (iw < 0 || iw >= w.w()) {
                        Arrays.fill(cols, at, at + c, 0f);
                    } else {
                        copy(x, src + kw * w.dw() * c, cols, at, c);
                    }
                }
            }
        }
    }

    /**
     * x: (B, H, W, C) at {@code xo}, kernel: (KH·KW·C, F) at {@code ko} → c = cols·kernel (then
     * {@code bias}, if not null): (B·OH·OW, F) at {@code co}, without a cols matrix: the output rows
     * are cut into bands of about {@link #BAND} cols floats (whole output-image rows, a multiple of
     * {@link #BAND_ALIGN} pixels where the row length allows, the last band taking the remainder),
     * and each thread packs its band's cols rows straight from x into its own scratch, still in
     * cache, and multiplies them by {@link JavaGemm} on that thread. Bands at least as large as the
     * GEMM's register blocks and its direct-loop limit take the same path through JavaGemm as the
     * whole product of the im2col lowering, so c gets the same bits (checked by the tests at the
     * CNN's shapes). x, kernel not modified; c modified.
     */
    static void implicitGemm(ParallelLoop loop, boolean vectorApi, float[] x, int xo, int b, int ch, Window w,
                             float[] kernel, int ko, int f, float[] c, int co, JavaGemm.RowBias bias) {
        int k = w.taps() * ch;
        int rows = b * w.oh();
        int align = BAND_ALIGN / gcd(w.ow(), BAND_ALIGN);
        long least = JavaGemm.DIRECT_WORK / ((long) w.ow() * k * f) + 1;
        long per = Math.max((least + align - 1) / align * align, (long) BAND / ((long) w.ow() * k) / align * align);
        int bands = (int) Math.max(1, rows / per);
        int step = (int) Math.min(rows, per);
        loop.forRange(bands, 1, 1, (from, to) -> {
            float[] scratch = BAND_SCRATCH.get();
            for (int band = from; band < to; band++) {
                int r0 = band * step;
                int r1 = band == bands - 1 ? rows : r0 + step;
                int m = (r1 - r0) * w.ow();
                if (scratch.length < m * k) {
                    scratch = new float[m * k];
                    BAND_SCRATCH.set(scratch);
                }
                for (int p = r0; p < r1; p++) {
                    outputRow(x, xo, ch, w, p, scratch, (p - r0) * w.ow() * k);
                }
                JavaGemm.gemm(SEQUENTIAL, vectorApi, false, false, m, f, k, 1f, scratch, 0, kernel, ko, 0f, c,
                        co + r0 * w.ow() * f, bias, null);
            }
        });
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
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
