package dev.clgrad.backend.java;

import java.util.Arrays;

/**
 * Row-major SGEMM on the CPU: {@code C = alpha·op(A)·op(B) + beta·C}, op(A): (M, K), op(B): (K, N),
 * C: (M, N), float32 accumulation.
 *
 * <p>Blocking (GotoBLAS-style, shaped for HotSpot C2's auto-vectoriser rather than hand-written
 * micro-kernels): C is first scaled by beta. Then for each panel of NC columns and KC depth, op(B)
 * is packed once into KC rows of length NC (one {@code float[]} per row, so every array in the
 * inner loop is indexed by the same {@code j}: C2 in JDK 17 vectorises only such loops); each
 * worker takes a band of C rows and, per row, packs alpha·op(A)'s KC values, loads the C row
 * segment into a zero-offset accumulator, and adds four rank-1 updates per sweep
 * ({@code acc[j] += a0·b0[j] + a1·b1[j] + a2·b2[j] + a3·b3[j]} as fused multiply-adds — four terms
 * is the most C2's default unroll limit still vectorises). KC is padded to a multiple of 4 with
 * zero rows of B and zero A values.
 */
final class JavaGemm {
    /**
     * Columns of C per packed panel of op(B). Long rows keep C2's vector loop in its main body; with
     * KC they were picked by measurement on 2 AVX-512 cores (NC 512 → 2048 took 1024³ from ~75 to
     * ~104 GFLOP/s).
     */
    static final int NC = 2048;
    /** Depth of a packed panel: KC·NC floats (512 KiB) stay in L2 while a band of rows sweeps them. */
    static final int KC = 64;
    /** Below this many multiply-adds per panel, one thread does the whole product. */
    private static final long PARALLEL_WORK = 1L << 18;

    private JavaGemm() {
    }

    /**
     * Computes the product. A is (M, K) at {@code aOff}, or (K, M) when transA; B is (K, N), or
     * (N, K) when transB; C is (M, N) at {@code cOff}. a, b not modified; c modified.
     */
    static void gemm(ParallelLoop loop, boolean transA, boolean transB, int m, int n, int k, float alpha,
                     float[] a, int aOff, float[] b, int bOff, float beta, float[] c, int cOff) {
        scale(loop, m, n, beta, c, cOff);
        if (alpha == 0f) {
            return;
        }
        int ncMax = Math.min(NC, n);
        int kcMax = Math.min(KC, (k + 3) & ~3);
        float[][] bp = new float[kcMax][ncMax];
        for (int n0 = 0; n0 < n; n0 += NC) {
            int nc = Math.min(NC, n - n0);
            for (int k0 = 0; k0 < k; k0 += KC) {
                int kc = Math.min(KC, k - k0);
                int kcp = (kc + 3) & ~3;
                packB(transB, n, k, b, bOff, k0, kc, kcp, n0, nc, bp);
                int nFinal = n0;
                int kFinal = k0;
                int grain = (long) kc * nc * m < PARALLEL_WORK ? m : 4;
                loop.forRange(m, grain, 1, (from, to) -> band(transA, m, k, alpha, a, aOff, bp, kFinal, kc, kcp,
                        nFinal, nc, n, c, cOff, from, to));
            }
        }
    }

    /** {@code C *= beta}; with beta 0, C is set to zero whatever it held (NaN included). */
    private static void scale(ParallelLoop loop, int m, int n, float beta, float[] c, int cOff) {
        if (beta == 1f) {
            return;
        }
        loop.forRange(m, (int) Math.max(1, (1L << 16) / n), 1, (from, to) -> {
            int lo = cOff + from * n;
            int hi = cOff + to * n;
            if (beta == 0f) {
                Arrays.fill(c, lo, hi, 0f);
            } else {
                for (int i = lo; i < hi; i++) {
                    c[i] *= beta;
                }
            }
        });
    }

    /** bp[kk][j] = op(B)[k0 + kk][n0 + j] for kk < kc, j < nc; rows kc..kcp-1 zero. */
    private static void packB(boolean transB, int n, int k, float[] b, int bOff, int k0, int kc, int kcp,
                              int n0, int nc, float[][] bp) {
        if (transB) {
            for (int j = 0; j < nc; j++) {
                int src = bOff + (n0 + j) * k + k0;
                for (int kk = 0; kk < kc; kk++) {
                    bp[kk][j] = b[src + kk];
                }
            }
        } else {
            for (int kk = 0; kk < kc; kk++) {
                System.arraycopy(b, bOff + (k0 + kk) * n + n0, bp[kk], 0, nc);
            }
        }
        for (int kk = kc; kk < kcp; kk++) {
            Arrays.fill(bp[kk], 0, nc, 0f);
        }
    }

    /** Rows {@code [from, to)} of C's panel: C[i, n0..n0+nc) += alpha·op(A)[i, k0..k0+kc)·bp. */
    private static void band(boolean transA, int m, int k, float alpha, float[] a, int aOff, float[][] bp,
                             int k0, int kc, int kcp, int n0, int nc, int n, float[] c, int cOff, int from, int to) {
        float[] ap = new float[kcp];
        float[] acc = new float[nc];
        for (int i = from; i < to; i++) {
            if (transA) {
                for (int kk = 0; kk < kc; kk++) {
                    ap[kk] = alpha * a[aOff + (k0 + kk) * m + i];
                }
            } else {
                int src = aOff + i * k + k0;
                for (int kk = 0; kk < kc; kk++) {
                    ap[kk] = alpha * a[src + kk];
                }
            }
            int row = cOff + i * n + n0;
            System.arraycopy(c, row, acc, 0, nc);
            for (int kk = 0; kk < kcp; kk += 4) {
                rank4(ap[kk], ap[kk + 1], ap[kk + 2], ap[kk + 3], bp[kk], bp[kk + 1], bp[kk + 2], bp[kk + 3], acc, nc);
            }
            System.arraycopy(acc, 0, c, row, nc);
        }
    }

    /** {@code acc[j] += a0·b0[j] + a1·b1[j] + a2·b2[j] + a3·b3[j]} for j < nc, fused, left to right. */
    private static void rank4(float a0, float a1, float a2, float a3, float[] b0, float[] b1, float[] b2, float[] b3,
                              float[] acc, int nc) {
        for (int j = 0; j < nc; j++) {
            acc[j] = Math.fma(a3, b3[j], Math.fma(a2, b2[j], Math.fma(a1, b1[j], Math.fma(a0, b0[j], acc[j]))));
        }
    }
}
