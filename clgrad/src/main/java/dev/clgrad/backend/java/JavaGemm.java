package dev.clgrad.backend.java;

import java.util.Arrays;

/**
 * Row-major SGEMM on the CPU: {@code C = alpha·op(A)·op(B) + beta·C}, op(A): (M, K), op(B): (K, N),
 * C: (M, N), float32 accumulation.
 *
 * <p>Products of at most {@link #DIRECT_WORK} multiply-adds (the seed SimpleNet's) run as a plain
 * loop on the calling thread: no packing, no scratch. Larger ones are blocked GotoBLAS-style, shaped
 * for HotSpot C2's auto-vectoriser rather than hand-written micro-kernels: C is first scaled by beta;
 * the work is split once into contiguous parts, bands of C rows (aligned to 4) or, when M is too
 * small to feed every thread, bands of C columns; each part runs on its own thread over every
 * panel of NC columns and KC depth. Per panel it packs its own columns of op(B) into KC rows of
 * length NC (one {@code float[]} per row, so every array in the inner loop is indexed by the same
 * {@code j}: C2 in JDK 17 vectorises only such loops), then takes its rows four at a time: packs
 * alpha·op(A)'s KC values of each, loads the four C row segments into zero-offset accumulators and
 * adds two rank-1 updates to all four per sweep
 * ({@code acc_r[j] += a_r0·b0[j] + a_r1·b1[j]} as fused multiply-adds: 4 rows × 2 depths is the
 * largest register block C2's default unroll limit still vectorises, and it needs 6 loads and 4
 * stores per 8 FMAs against 5 and 1 per 4 for a single row). Leftover rows (M mod 4) take four
 * depths per sweep on one row. KC is padded to a multiple of 4 with zero rows of B and zero A values.
 * Scratch arrays are per thread and kept between calls. C with fewer than {@link #NARROW} columns is
 * computed as its transpose, whose rows are long.
 *
 * <p>When the JVM has the Vector API ({@link #VECTOR_API}: started with {@code --add-modules
 * jdk.incubator.vector}), each part runs {@link VectorGemm}'s register-blocked kernel instead of the
 * auto-vectorised one; the small and narrow cases are the same. There a C with fewer rows than
 * columns (batch 128 times 512 units) is split over columns, so that each thread packs its own half
 * of op(B) rather than all of it; the smaller op(A), which every part reads whole, is packed once
 * first, its panels shared out between the threads.
 * There, beta 0 skips the scaling pass (the blocks write C instead of adding to it), and a
 * {@link RowBias} epilogue is applied by the blocks as they store C, so C goes through memory once
 * instead of three times (zeroed, accumulated, biased). Neither changes a bit of C: where C is
 * written, the blocks store {@code +0 + sum}, what adding to zeros gave. On every path a
 * {@link Tail} (the caller's dropout mask or activation gate) then runs over each thread's part of
 * C on that thread, while the part is in its cache, instead of as one more pass over all of C.
 */
final class JavaGemm {
    /**
     * Columns of C per packed panel of op(B). Long rows keep C2's vector loop in its main body; with
     * KC picked by measurement on 2 AVX-512 cores.
     */
    static final int NC = 2048;
    /** Depth of a packed panel: KC·NC floats (512 KiB) stay in L2 while the rows sweep them. */
    static final int KC = 64;
    /** Products of at most this many multiply-adds run as a plain loop (no packing) on the caller. */
    static final long DIRECT_WORK = 1L << 15;
    /** Below this many multiply-adds, one thread does the whole product. */
    private static final long PARALLEL_WORK = 1L << 18;
    /** Fewest C rows per thread before the work is split over columns instead of rows. */
    private static final int MIN_ROWS_PER_PART = 32;
    /** Fewest C columns per part when splitting over columns. */
    private static final int MIN_COLS_PER_PART = 128;
    /** C with fewer columns than this (and at least 4× as many rows) is computed transposed. */
    private static final int NARROW = 16;
    /** Rows of C per register block. */
    private static final int MR = 4;
    /** Column bands split between threads start at multiples of this. */
    private static final int COL_ALIGN = 32;

    /** Whether the Vector API module is in this JVM ({@code --add-modules jdk.incubator.vector}). */
    static final boolean VECTOR_MODULE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    /**
     * Whether the Vector API module is in this JVM and its preferred vectors hold at least 128 bits
     * (four floats, one Philox block), so the Java backend's Vector API kernels can run.
     */
    static final boolean VECTOR_API = VECTOR_MODULE && VectorGemm.vectorBits() >= 128;

    /** One thread's packed panels and accumulators, grown on demand. */
    private static final class Scratch {
        float[][] bp = new float[0][];
        final float[][] ap = new float[MR][];
        final float[][] acc = new float[MR][];

        void ensure(int kcp, int nc) {
            if (bp.length < kcp || bp[0].length < nc) {
                int rows = Math.max(kcp, bp.length);
                int cols = Math.max(nc, bp.length == 0 ? 0 : bp[0].length);
                bp = new float[rows][cols];
            }
            for (int r = 0; r < MR; r++) {
                if (ap[r] == null || ap[r].length < kcp) {
                    ap[r] = new float[kcp];
                }
                if (acc[r] == null || acc[r].length < nc) {
                    acc[r] = new float[nc];
                }
            }
        }
    }

    /** The caller's buffer of a whole packed op(A) ({@link #packShared}), kept between calls. */
    private static final ThreadLocal<float[]> PACKED_A = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    /** The calling thread's Tᵀ buffer of {@link #transposed}, grown on demand and kept between calls. */
    private static final ThreadLocal<float[]> TRANSPOSED = ThreadLocal.withInitial(() -> new float[0]);

    private JavaGemm() {
    }

    /**
     * A bias added to every row of C, then ReLU or not, as the product stores C: {@code C[i, j] =
     * max(0, C[i, j] + bias[j])} with relu, {@code C[i, j] + bias[j]} without; bias: (N) at
     * {@code offset}, not modified. The bits of the sum and then the bias pass as two steps.
     */
    record RowBias(float[] bias, int offset, boolean relu) {
    }

    /**
     * Work on a region of C that the product (and its {@link RowBias}) has finished: rows
     * {@code [r0, r1)}, columns {@code [c0, c1)}.
     */
    @FunctionalInterface
    interface Tail {
        void run(int r0, int r1, int c0, int c1);
    }

    /**
     * Computes the product. A is (M, K) at {@code aOff}, or (K, M) when transA; B is (K, N), or
     * (N, K) when transB; C is (M, N) at {@code cOff}. a, b not modified; c modified. With
     * {@code vectorApi} (only where {@link #VECTOR_API}), blocks run on {@link VectorGemm}.
     */
    static void gemm(ParallelLoop loop, boolean vectorApi, boolean transA, boolean transB, int m, int n, int k,
                     float alpha, float[] a, int aOff, float[] b, int bOff, float beta, float[] c, int cOff) {
        gemm(loop, vectorApi, transA, transB, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff, null, null);
    }

    /**
     * As {@link #gemm(ParallelLoop, boolean, boolean, boolean, int, int, int, float, float[], int,
     * float[], int, float, float[], int)}, then {@code epilogue} (not null) over C, then {@code tail}
     * (not null) over regions that cover C once, each run by the thread that computed the region,
     * right after it (in cache): whole rows {@code [r0, r1)} with r0 a multiple of 4, or all rows of
     * columns {@code [c0, c1)} with c0 a multiple of 4 (and c1 too, or N). The Vector API's blocks
     * apply the epilogue as they store their last panel of C, with beta 0 writing C without reading
     * it first; elsewhere the region's bias and ReLU are a pass over the region before its tail.
     */
    static void gemm(ParallelLoop loop, boolean vectorApi, boolean transA, boolean transB, int m, int n, int k,
                     float alpha, float[] a, int aOff, float[] b, int bOff, float beta, float[] c, int cOff,
                     RowBias epilogue, Tail tail) {
        long work = (long) m * n * k;
        if (work <= DIRECT_WORK || (n < NARROW && m >= 4 * NARROW) || alpha == 0f) {
            if (work <= DIRECT_WORK) {
                direct(transA, transB, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff);
            } else if (n < NARROW && m >= 4 * NARROW) {
                transposed(loop, vectorApi, transA, transB, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff);
            } else {
                scale(loop, m, n, beta, c, cOff);
            }
            finish(epilogue, tail, c, cOff, n, 0, m, 0, n);
            return;
        }
        boolean overwrite = vectorApi && beta == 0f;
        if (!overwrite) {
            scale(loop, m, n, beta, c, cOff);
        }
        RowBias fused = vectorApi ? epilogue : null;
        RowBias after = vectorApi ? null : epilogue;
        int threads = work < PARALLEL_WORK ? 1 : loop.threads();
        boolean byRows = vectorApi ? m >= n : m >= MIN_ROWS_PER_PART * threads;
        if (byRows || n < MIN_COLS_PER_PART * threads) {
            int parts = Math.max(1, Math.min(threads, (m + MR - 1) / MR));
            int step = (m / parts + MR - 1) / MR * MR;
            loop.forRange(parts, 1, 1, (from, to) -> {
                for (int p = from; p < to; p++) {
                    int r0 = Math.min(m, p * step);
                    int r1 = p == parts - 1 ? m : Math.min(m, r0 + step);
                    if (r0 >= r1) {
                        continue;
                    }
                    block(vectorApi, transA, transB, m, n, k, alpha, a, aOff, b, bOff, overwrite, fused, c, cOff, r0,
                            r1, 0, n, null);
                    finish(after, tail, c, cOff, n, r0, r1, 0, n);
                }
            });
        } else {
            int parts = Math.max(1, Math.min(threads, n / MIN_COLS_PER_PART));
            int step = (n / parts + COL_ALIGN - 1) / COL_ALIGN * COL_ALIGN;
            float[] packedA = vectorApi && parts > 1 && !VectorGemm.readsAInPlace(alpha, step)
                    ? packShared(loop, transA, m, k, alpha, a, aOff) : null;
            loop.forRange(parts, 1, 1, (from, to) -> {
                for (int p = from; p < to; p++) {
                    int c0 = Math.min(n, p * step);
                    int c1 = p == parts - 1 ? n : Math.min(n, c0 + step);
                    if (c0 >= c1) {
                        continue;
                    }
                    block(vectorApi, transA, transB, m, n, k, alpha, a, aOff, b, bOff, overwrite, fused, c, cOff, 0, m,
                            c0, c1, packedA);
                    finish(after, tail, c, cOff, n, 0, m, c0, c1);
                }
            });
        }
    }

    /**
     * All of alpha·op(A) packed once for a product split over columns ({@link VectorGemm#packAll}),
     * its depth panels and row blocks shared out between the threads, into the calling thread's
     * buffer: each part would otherwise pack the whole of A itself.
     */
    private static float[] packShared(ParallelLoop loop, boolean transA, int m, int k, float alpha, float[] a,
                                      int aOff) {
        float[] ap = buffer(PACKED_A, VectorGemm.packedSize(m, k));
        loop.forRange(VectorGemm.packUnits(m, k), 1, 1,
                (from, to) -> VectorGemm.packAll(transA, m, k, alpha, a, aOff, ap, from, to));
        return ap;
    }

    /** The calling thread's buffer in cache, grown to at least size floats. */
    private static float[] buffer(ThreadLocal<float[]> cache, int size) {
        float[] b = cache.get();
        if (b.length < size) {
            b = new float[size];
            cache.set(b);
        }
        return b;
    }

    /** The region's {@code C = max(0, C + bias)} (or without the max) when epilogue is not null, then its tail if any. */
    private static void finish(RowBias epilogue, Tail tail, float[] c, int cOff, int n, int r0, int r1, int c0,
                               int c1) {
        if (epilogue != null) {
            float[] bias = epilogue.bias();
            int bo = epilogue.offset();
            boolean relu = epilogue.relu();
            for (int i = r0; i < r1; i++) {
                int row = cOff + i * n;
                for (int j = c0; j < c1; j++) {
                    float v = c[row + j] + bias[bo + j];
                    c[row + j] = relu ? Math.max(0f, v) : v;
                }
            }
        }
        if (tail != null) {
            tail.run(r0, r1, c0, c1);
        }
    }

    /**
     * Narrow C (few columns, many rows): computes {@code T = alpha·op(B)ᵀ·op(A)ᵀ}, (N, M), whose rows
     * are long enough to vectorise, then {@code C = beta·C + Tᵀ} (beta 0 ignoring C's old values).
     */
    private static void transposed(ParallelLoop loop, boolean vectorApi, boolean transA, boolean transB, int m,
                                   int n, int k, float alpha, float[] a, int aOff, float[] b, int bOff, float beta,
                                   float[] c, int cOff) {
        float[] t = buffer(TRANSPOSED, m * n);
        gemm(loop, vectorApi, !transB, !transA, n, m, k, alpha, b, bOff, a, aOff, 0f, t, 0);
        for (int i = 0; i < m; i++) {
            int row = cOff + i * n;
            for (int j = 0; j < n; j++) {
                c[row + j] = (beta == 0f ? 0f : beta * c[row + j]) + t[j * m + i];
            }
        }
    }

    /** Small products: C = alpha·op(A)·op(B) + beta·C element by element, beta 0 ignoring C's old values. */
    private static void direct(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff,
                               float[] b, int bOff, float beta, float[] c, int cOff) {
        int aRow = transA ? 1 : k;
        int aCol = transA ? m : 1;
        int bRow = transB ? 1 : n;
        int bCol = transB ? k : 1;
        for (int i = 0; i < m; i++) {
            int row = cOff + i * n;
            if (beta == 0f) {
                Arrays.fill(c, row, row + n, 0f);
            } else if (beta != 1f) {
                for (int j = 0; j < n; j++) {
                    c[row + j] *= beta;
                }
            }
            if (alpha == 0f) {
                continue;
            }
            for (int kk = 0; kk < k; kk++) {
                float av = alpha * a[aOff + i * aRow + kk * aCol];
                int bk = bOff + kk * bRow;
                for (int j = 0; j < n; j++) {
                    c[row + j] = Math.fma(av, b[bk + j * bCol], c[row + j]);
                }
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

    /**
     * C[r0..r1, c0..c1) += alpha·op(A)[r0..r1, :]·op(B)[:, c0..c1) on the calling thread; on
     * {@link VectorGemm} (vectorApi) written over C instead when overwrite, and with the epilogue
     * when not null.
     */
    private static void block(boolean vectorApi, boolean transA, boolean transB, int m, int n, int k, float alpha,
                              float[] a, int aOff, float[] b, int bOff, boolean overwrite, RowBias epilogue, float[] c,
                              int cOff, int r0, int r1, int c0, int c1, float[] packedA) {
        if (vectorApi) {
            VectorGemm.block(transA, transB, m, n, k, alpha, a, aOff, b, bOff, overwrite, epilogue, c, cOff, r0, r1,
                    c0, c1, packedA);
        } else {
            blocked(transA, transB, m, n, k, alpha, a, aOff, b, bOff, c, cOff, r0, r1, c0, c1);
        }
    }

    /** The auto-vectorised block: C[r0..r1, c0..c1) += alpha·op(A)[r0..r1, :]·op(B)[:, c0..c1). */
    private static void blocked(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff,
                                float[] b, int bOff, float[] c, int cOff, int r0, int r1, int c0, int c1) {
        Scratch s = SCRATCH.get();
        s.ensure(Math.min(KC, (k + 3) & ~3), Math.min(NC, c1 - c0));
        for (int n0 = c0; n0 < c1; n0 += NC) {
            int nc = Math.min(NC, c1 - n0);
            for (int k0 = 0; k0 < k; k0 += KC) {
                int kc = Math.min(KC, k - k0);
                int kcp = (kc + 3) & ~3;
                packB(transB, n, k, b, bOff, k0, kc, kcp, n0, nc, s.bp);
                int i = r0;
                for (; i + MR <= r1; i += MR) {
                    for (int r = 0; r < MR; r++) {
                        packA(transA, m, k, alpha, a, aOff, i + r, k0, kc, kcp, s.ap[r]);
                        System.arraycopy(c, cOff + (i + r) * n + n0, s.acc[r], 0, nc);
                    }
                    float[][] bp = s.bp;
                    float[][] ap = s.ap;
                    float[][] acc = s.acc;
                    for (int kk = 0; kk < kcp; kk += 2) {
                        rows4depth2(ap[0], ap[1], ap[2], ap[3], kk, bp[kk], bp[kk + 1], acc[0], acc[1], acc[2], acc[3],
                                nc);
                    }
                    for (int r = 0; r < MR; r++) {
                        System.arraycopy(s.acc[r], 0, c, cOff + (i + r) * n + n0, nc);
                    }
                }
                for (; i < r1; i++) {
                    float[] ap = s.ap[0];
                    float[] acc = s.acc[0];
                    packA(transA, m, k, alpha, a, aOff, i, k0, kc, kcp, ap);
                    int row = cOff + i * n + n0;
                    System.arraycopy(c, row, acc, 0, nc);
                    for (int kk = 0; kk < kcp; kk += 4) {
                        rank4(ap[kk], ap[kk + 1], ap[kk + 2], ap[kk + 3], s.bp[kk], s.bp[kk + 1], s.bp[kk + 2],
                                s.bp[kk + 3], acc, nc);
                    }
                    System.arraycopy(acc, 0, c, row, nc);
                }
            }
        }
    }

    /** ap[kk] = alpha·op(A)[i, k0 + kk] for kk < kc; ap[kc..kcp) zero. */
    private static void packA(boolean transA, int m, int k, float alpha, float[] a, int aOff, int i, int k0, int kc,
                              int kcp, float[] ap) {
        if (transA) {
            int src = aOff + k0 * m + i;
            for (int kk = 0; kk < kc; kk++) {
                ap[kk] = alpha * a[src + kk * m];
            }
        } else {
            int src = aOff + i * k + k0;
            for (int kk = 0; kk < kc; kk++) {
                ap[kk] = alpha * a[src + kk];
            }
        }
        for (int kk = kc; kk < kcp; kk++) {
            ap[kk] = 0f;
        }
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

    /**
     * {@code acc_r[j] += x_r[kk]·b0[j] + x_r[kk+1]·b1[j]} for the four rows r and j < nc, fused, left
     * to right.
     */
    private static void rows4depth2(float[] x0, float[] x1, float[] x2, float[] x3, int kk, float[] b0, float[] b1,
                                    float[] acc0, float[] acc1, float[] acc2, float[] acc3, int nc) {
        float a00 = x0[kk];
        float a01 = x0[kk + 1];
        float a10 = x1[kk];
        float a11 = x1[kk + 1];
        float a20 = x2[kk];
        float a21 = x2[kk + 1];
        float a30 = x3[kk];
        float a31 = x3[kk + 1];
        for (int j = 0; j < nc; j++) {
            float v0 = b0[j];
            float v1 = b1[j];
            acc0[j] = Math.fma(a01, v1, Math.fma(a00, v0, acc0[j]));
            acc1[j] = Math.fma(a11, v1, Math.fma(a10, v0, acc1[j]));
            acc2[j] = Math.fma(a21, v1, Math.fma(a20, v0, acc2[j]));
            acc3[j] = Math.fma(a31, v1, Math.fma(a30, v0, acc3[j]));
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
