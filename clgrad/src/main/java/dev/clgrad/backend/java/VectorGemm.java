package dev.clgrad.backend.java;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The Java backend's GEMM block on the Vector API ({@code jdk.incubator.vector}), used when the JVM
 * was started with {@code --add-modules jdk.incubator.vector}: {@code C[r0..r1, c0..c1) +=
 * alpha·op(A)[r0..r1, :]·op(B)[:, c0..c1)} on the calling thread, float32 accumulation.
 *
 * <p>Blocked as in BLIS: for each panel of {@link #NC} columns and {@link #KC} depth, op(B) is packed
 * into micro-panels of {@link #NR} columns (KC rows of NR floats, zero-padded past the last column;
 * a B of exactly NR columns is that layout already and is read in place: 2.0 → 1.5 ms for the
 * 9×32 weight gradient over 86528 rows); for each block of {@link #MC} rows, alpha·op(A) is packed
 * into micro-panels of {@link #MR} rows (KC columns of MR floats, zero-padded past the last row),
 * except that with alpha 1 the whole micro-panels are read where A lies (the micro-kernel's A
 * loads are broadcasts, as cheap from six rows of A, or six consecutive values of a row of Aᵀ, as
 * from a packed panel; packing the tall A of a convolution cost more than the products: 16 → 7 ms
 * for the 15488×288 weight gradient's colsᵀ), and only a last partial micro-panel is packed. The
 * micro-kernel keeps an MR×NR block of C in 2·MR vector registers across the whole depth (one
 * rank-1 update per depth: two vector loads of B, MR broadcasts of A, 2·MR fused multiply-adds)
 * and adds it to C once (or, for the first panel of a product with beta 0, writes it); blocks at
 * C's right and bottom edges go through a zeroed MR×NR tile. The B micro-panel (KC·NR floats,
 * 32 KiB with 512-bit vectors) stays in L1 while the A block (MC·KC floats, 96 KiB) streams from L2.
 */
final class VectorGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Rows of C per micro-kernel: 12 accumulators, B's two vectors and one broadcast fit 16 registers. */
    static final int MR = 6;
    /** Columns of C per micro-kernel: two vectors. */
    static final int NR = 2 * S.length();
    /** Depth of a packed panel. */
    static final int KC = 256;
    /** Rows of op(A) per packed block, a multiple of MR. */
    static final int MC = 16 * MR;
    /** Columns of op(B) per packed panel, a multiple of NR. */
    static final int NC = 64 * NR;

    /** One thread's packed panels and edge tile, kept between calls. */
    private static final class Scratch {
        final float[] ap = new float[MC * KC];
        final float[] bp = new float[KC * NC];
        final float[] tile = new float[MR * NR];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private VectorGemm() {
    }

    /** The vector width in bits, for the backend's description. */
    static int vectorBits() {
        return S.vectorBitSize();
    }

    /**
     * Adds {@code alpha·op(A)[r0..r1, :]·op(B)[:, c0..c1)} to C's block, or with overwrite writes it
     * there ({@code +0 + sum}, the bits of adding it to a C of zeros, without reading C). A is (M, K)
     * at {@code aOff}, or (K, M) when transA; B is (K, N), or (N, K) when transB; C is (M, N) at
     * {@code cOff}. With an epilogue (not null), each tile of C gets its bias and ReLU as soon as its
     * last depth panel is stored, while the tile is in L1.
     */
    static void block(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff,
                      float[] b, int bOff, boolean overwrite, JavaGemm.RowBias epilogue, float[] c, int cOff, int r0,
                      int r1, int c0, int c1) {
        Scratch s = SCRATCH.get();
        // op(A)[i, p] is a[aOff + p·ks + i·rs]; with alpha 1 whole micro-panels are read there, unpacked
        int ks = transA ? m : 1;
        int rs = transA ? 1 : k;
        boolean inPlace = alpha == 1f;
        // B with rows one micro-panel wide (N = NR: one panel, j0 and jr 0) is its packed layout already
        boolean bInPlace = !transB && n == NR;
        float[] bp = bInPlace ? b : s.bp;
        for (int j0 = c0; j0 < c1; j0 += NC) {
            int nc = Math.min(NC, c1 - j0);
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kc = Math.min(KC, k - p0);
                boolean over = overwrite && p0 == 0;
                JavaGemm.RowBias last = p0 + kc == k ? epilogue : null;
                if (!bInPlace) {
                    packB(transB, n, k, b, bOff, p0, kc, j0, nc, s.bp);
                }
                int bo = bInPlace ? bOff + p0 * NR : 0;
                for (int i0 = r0; i0 < r1; i0 += MC) {
                    int mc = Math.min(MC, r1 - i0);
                    int read = inPlace ? mc / MR * MR : 0;
                    if (read < mc) {
                        packA(transA, m, k, alpha, a, aOff, i0 + read, mc - read, p0, kc, s.ap);
                    }
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nr = Math.min(NR, nc - jr);
                        for (int ir = 0; ir < mc; ir += MR) {
                            int mr = Math.min(MR, mc - ir);
                            int ci = cOff + (i0 + ir) * n + j0 + jr;
                            float[] ap = ir < read ? a : s.ap;
                            int ao = ir < read ? aOff + p0 * ks + (i0 + ir) * rs : (ir - read) * kc;
                            int aks = ir < read ? ks : MR;
                            int ars = ir < read ? rs : 1;
                            if (mr == MR && nr == NR) {
                                kernel(kc, ap, ao, aks, ars, bp, bo + jr * kc, over, c, ci, n);
                                if (last != null) {
                                    biasTile(last, j0 + jr, c, ci, n);
                                }
                            } else {
                                edge(kc, ap, ao, aks, ars, bp, bo + jr * kc, s.tile, over, last, j0 + jr, c, ci, n,
                                        mr, nr);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * An edge block: the micro-kernel into a zeroed tile, then the tile's mr×nr corner added to C
     * (written over it when over), then the epilogue (not null) for C's columns from col.
     */
    private static void edge(int kc, float[] ap, int aOff, int ks, int rs, float[] bp, int bOff, float[] tile,
                             boolean over, JavaGemm.RowBias epilogue, int col, float[] c, int ci, int ldc, int mr,
                             int nr) {
        Arrays.fill(tile, 0f);
        kernel(kc, ap, aOff, ks, rs, bp, bOff, false, tile, 0, NR);
        for (int r = 0; r < mr; r++) {
            int row = ci + r * ldc;
            for (int j = 0; j < nr; j++) {
                float v = (over ? 0f : c[row + j]) + tile[r * NR + j];
                if (epilogue != null) {
                    v += epilogue.bias()[epilogue.offset() + col + j];
                    v = epilogue.relu() ? Math.max(0f, v) : v;
                }
                c[row + j] = v;
            }
        }
    }

    /** A whole MR×NR tile of C at ci (rows ldc apart): {@code C = C + bias[col…]}, then ReLU if asked. */
    private static void biasTile(JavaGemm.RowBias epilogue, int col, float[] c, int ci, int ldc) {
        int half = S.length();
        int bo = epilogue.offset() + col;
        FloatVector b0 = FloatVector.fromArray(S, epilogue.bias(), bo);
        FloatVector b1 = FloatVector.fromArray(S, epilogue.bias(), bo + half);
        FloatVector zero = FloatVector.zero(S);
        boolean relu = epilogue.relu();
        for (int r = 0; r < MR; r++, ci += ldc) {
            FloatVector v0 = FloatVector.fromArray(S, c, ci).add(b0);
            FloatVector v1 = FloatVector.fromArray(S, c, ci + half).add(b1);
            (relu ? zero.max(v0) : v0).intoArray(c, ci);
            (relu ? zero.max(v1) : v1).intoArray(c, ci + half);
        }
    }

    /**
     * {@code C[0..MR, 0..NR) += Σ_kk A[r, kk]·bp[kk·NR + j]} over kk &lt; kc, A[r, kk] at
     * {@code a[aOff + kk·ks + r·rs]} (a packed micro-panel has ks = MR, rs = 1), the bp micro-panel
     * at bOff, C's rows ldc apart from ci; with over, {@code C = +0 + Σ} without reading C.
     */
    private static void kernel(int kc, float[] a, int aOff, int ks, int rs, float[] bp, int bOff, boolean over,
                               float[] c, int ci, int ldc) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c51 = FloatVector.zero(S);
        int half = S.length();
        int o1 = rs;
        int o2 = 2 * rs;
        int o3 = 3 * rs;
        int o4 = 4 * rs;
        int o5 = 5 * rs;
        for (int kk = 0; kk < kc; kk++) {
            int bo = bOff + kk * NR;
            int ao = aOff + kk * ks;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + half);
            FloatVector a0 = FloatVector.broadcast(S, a[ao]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[ao + o1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[ao + o2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[ao + o3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, a[ao + o4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, a[ao + o5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        put(c00, over, c, ci);
        put(c01, over, c, ci + half);
        ci += ldc;
        put(c10, over, c, ci);
        put(c11, over, c, ci + half);
        ci += ldc;
        put(c20, over, c, ci);
        put(c21, over, c, ci + half);
        ci += ldc;
        put(c30, over, c, ci);
        put(c31, over, c, ci + half);
        ci += ldc;
        put(c40, over, c, ci);
        put(c41, over, c, ci + half);
        ci += ldc;
        put(c50, over, c, ci);
        put(c51, over, c, ci + half);
    }

    /** {@code c[i…] = c[i…] + sum}, or {@code +0 + sum} when over, one vector. */
    private static void put(FloatVector sum, boolean over, float[] c, int i) {
        (over ? FloatVector.zero(S) : FloatVector.fromArray(S, c, i)).add(sum).intoArray(c, i);
    }

    /**
     * Packs alpha·op(A)[i0..i0+mc, p0..p0+kc) into MR-row micro-panels: row i0 + ir + r, depth kk at
     * {@code ap[ir·kc + kk·MR + r]}; rows past mc up to the next multiple of MR are zero.
     */
    private static void packA(boolean transA, int m, int k, float alpha, float[] a, int aOff, int i0, int mc, int p0,
                              int kc, float[] ap) {
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            int base = ir * kc;
            if (transA) {
                for (int kk = 0; kk < kc; kk++) {
                    int src = aOff + (p0 + kk) * m + i0 + ir;
                    int dst = base + kk * MR;
                    for (int r = 0; r < mr; r++) {
                        ap[dst + r] = alpha * a[src + r];
                    }
                    for (int r = mr; r < MR; r++) {
                        ap[dst + r] = 0f;
                    }
                }
            } else {
                for (int r = 0; r < mr; r++) {
                    int src = aOff + (i0 + ir + r) * k + p0;
                    for (int kk = 0; kk < kc; kk++) {
                        ap[base + kk * MR + r] = alpha * a[src + kk];
                    }
                }
                for (int r = mr; r < MR; r++) {
                    for (int kk = 0; kk < kc; kk++) {
                        ap[base + kk * MR + r] = 0f;
                    }
                }
            }
        }
    }

    /**
     * Packs op(B)[p0..p0+kc, j0..j0+nc) into NR-column micro-panels: depth kk, column j0 + jr + j at
     * {@code bp[jr·kc + kk·NR + j]}; columns past nc up to the next multiple of NR are zero.
     */
    private static void packB(boolean transB, int n, int k, float[] b, int bOff, int p0, int kc, int j0, int nc,
                              float[] bp) {
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            int base = jr * kc;
            if (transB) {
                for (int j = 0; j < nr; j++) {
                    int src = bOff + (j0 + jr + j) * k + p0;
                    for (int kk = 0; kk < kc; kk++) {
                        bp[base + kk * NR + j] = b[src + kk];
                    }
                }
                if (nr < NR) {
                    for (int kk = 0; kk < kc; kk++) {
                        Arrays.fill(bp, base + kk * NR + nr, base + (kk + 1) * NR, 0f);
                    }
                }
            } else {
                for (int kk = 0; kk < kc; kk++) {
                    int dst = base + kk * NR;
                    System.arraycopy(b, bOff + (p0 + kk) * n + j0 + jr, bp, dst, nr);
                    if (nr < NR) {
                        Arrays.fill(bp, dst + nr, dst + NR, 0f);
                    }
                }
            }
        }
    }
}
