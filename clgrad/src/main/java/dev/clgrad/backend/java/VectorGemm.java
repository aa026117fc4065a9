package dev.clgrad.backend.java;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The Java backend's GEMM block on the Vector API ({@code jdk.incubator.vector}), used when the JVM
 * was started with {@code --add-modules jdk.incubator.vector}: {@code C[r0..r1, c0..c1) +=
 * alpha·op(A)[r0..r1, :]·op(B)[:, c0..c1)} on the calling thread, float32 accumulation.
 *
 * <p>Blocked as in BLIS: for each panel of {@link #NC} columns and {@link #KC} depth (the sums'
 * order, which the golden training trajectories record: equal panels, 784 as 4 × 196, changed the
 * MLP's losses by 5e-5 within 25 steps), op(B) is packed into micro-panels of {@link #NR} columns
 * (kc rows of NR floats, zero-padded past the last column; a B of exactly NR columns is that layout
 * already and is read in place); for each block of {@link #MC} rows, alpha·op(A) is packed into
 * micro-panels of {@link #MR} rows (kc columns of MR floats; 8 rows with 512-bit vectors, 6 with
 * 256-bit ones), the last one or two 4 rows high (zero-padded). The micro-kernels keep an MR×NR or
 * 4×NR block of C in vector registers across the whole depth (one rank-1 update per depth: two
 * vector loads of B, one broadcast load of A per row, two fused multiply-adds per row) and add it
 * to C once (for the first panel of a product with beta 0, to the tile {@link #zeroTile} zeroed),
 * each store written out in the kernel itself: a helper taking the vector, though C2 inlined it,
 * halved the kernel's rate. Blocks whose rows or columns C does not fill go through a zeroed tile.
 * With alpha 1 and at most two micro-panels of columns (a narrow B, such as a convolution's 32
 * filters), A's whole micro-panels are read where A lies instead of packed (packing the tall A of a
 * convolution cost more than the products there).
 * The B micro-panel (kc·NR floats, 32 KiB at most with 512-bit vectors) is reused from L1/L2 while
 * A's micro-panels stream from L2.
 *
 * <p>Measured on 2 cores of an AMD EPYC (Zen 4, AVX-512, 32 KiB L1D; one thread, thread CPU time,
 * the machine loaded): the packed 8×NR kernel 114 GFLOP/s with its operands in L1/L2 (60 with the
 * stores through a helper; 4×4 vectors, 6×4, 4×3 and 8×3 kernels measured the same, 110–114, so
 * the 8×NR shape stays); 1024³ 83–87 and 2048³ 85–89 GFLOP/s, OpenBLAS 90 and 98. On 2 cores of
 * an AMD EPYC (Zen 3, AVX2, no AVX-512): the 6×16 kernel alone 82–86 GFLOP/s where the 8×16 one
 * gave 45 (one JVM, alternating, operands in L1/L2); one thread of a 1024³ product 60–61 GFLOP/s
 * (37–41 while the kernels took a flag to write over C, see {@link #zeroTile}; the Zen 4 figures
 * above were measured with that flag).
 */
final class VectorGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector. */
    private static final int H = S.length();
    /**
     * Rows of C per full micro-kernel: 8 with 512-bit vectors (16 accumulators of the 32 registers;
     * 12 rows measured 4 % faster, but C1 bails out of compiling that kernel, out of virtual registers,
     * and it then stays interpreted for seconds), 6 with narrower ones (12 accumulators, two B vectors
     * and a broadcast fill AVX2's 16 registers; 8 rows spill five accumulators to the stack).
     */
    static final int MR = H >= 16 ? 8 : 6;
    /** Columns of C per micro-kernel: two vectors. */
    static final int NR = 2 * H;
    /** Largest depth of a packed panel. */
    static final int KC = 256;
    /** Rows of op(A) per packed block, a multiple of MR. */
    static final int MC = 8 * MR;
    /** Columns of op(B) per packed panel, a multiple of NR. */
    static final int NC = 64 * NR;
    /** Widest C block (columns) whose A is read in place when alpha is 1. */
    private static final int IN_PLACE_COLUMNS = 2 * NR;

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
     * last depth panel is stored, while the tile is in L1. packedA: null, or all of alpha·op(A) as
     * {@link #packAll} packed it (then r0 is 0), read instead of packing A's blocks here.
     */
    static void block(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff,
                      float[] b, int bOff, boolean overwrite, JavaGemm.RowBias epilogue, float[] c, int cOff, int r0,
                      int r1, int c0, int c1, float[] packedA) {
        Scratch s = SCRATCH.get();
        // op(A)[i, p] is a[aOff + p·ks + i·rs]; whole micro-panels are read there when inPlace
        int ks = transA ? m : 1;
        int rs = transA ? 1 : k;
        boolean inPlace = packedA == null && readsAInPlace(alpha, c1 - c0);
        float[] ap = packedA == null ? s.ap : packedA;
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
                    int read = inPlace ? inPlaceRows(mc) : 0;
                    int ao = packedA == null ? 0 : packedOffset(m, p0, i0, kc);
                    if (packedA == null && read < mc) {
                        packA(transA, m, k, alpha, a, aOff, i0 + read, mc - read, p0, kc, s.ap, 0);
                    }
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nr = Math.min(NR, nc - jr);
                        int bj = bo + jr * kc;
                        int h;
                        for (int ir = 0; ir < mc; ir += h) {
                            h = height(mc - ir);
                            int mr = Math.min(h, mc - ir);
                            int ci = cOff + (i0 + ir) * n + j0 + jr;
                            boolean direct = mr == h && nr == NR;
                            float[] out = direct ? c : s.tile;
                            int oi = direct ? ci : 0;
                            int ldo = direct ? n : NR;
                            if (!direct) {
                                Arrays.fill(s.tile, 0f);
                            }
                            if (direct && over) {
                                zeroTile(c, ci, n, mr);
                            }
                            if (ir < read && MR == 8) {
                                kernel8Strided(kc, a, aOff + p0 * ks + (i0 + ir) * rs, ks, rs, bp, bj, out, oi, ldo);
                            } else if (ir < read) {
                                kernel6Strided(kc, a, aOff + p0 * ks + (i0 + ir) * rs, ks, rs, bp, bj, out, oi, ldo);
                            } else if (h == 8) {
                                kernel8(kc, ap, ao + (ir - read) * kc, bp, bj, out, oi, ldo);
                            } else if (h == 6) {
                                kernel6(kc, ap, ao + (ir - read) * kc, bp, bj, out, oi, ldo);
                            } else {
                                kernel4(kc, ap, ao + (ir - read) * kc, bp, bj, out, oi, ldo);
                            }
                            if (direct) {
                                if (last != null) {
                                    biasTile(last, j0 + jr, c, ci, n, mr);
                                }
                            } else {
                                addTile(s.tile, over, last, j0 + jr, c, ci, n, mr, nr);
                            }
                        }
                    }
                }
            }
        }
    }

    /** Whether {@link #block} reads A's whole micro-panels where A lies for a C block this many columns wide. */
    static boolean readsAInPlace(float alpha, int columns) {
        return alpha == 1f && columns <= IN_PLACE_COLUMNS;
    }

    /** The units {@link #packAll} packs: one per depth panel and block of {@link #MC} rows. */
    static int packUnits(int m, int k) {
        return ceilDiv(k, KC) * ceilDiv(m, MC);
    }

    /** Floats of all of alpha·op(A) packed by {@link #packAll}. */
    static int packedSize(int m, int k) {
        return blockRows(m) * k;
    }

    /**
     * Packs the units [from, to) of alpha·op(A) (unit u: depth panel u / B, row block u % B of B =
     * ceil(M / MC)) into ap as {@link #block} reads them with packedA = ap: the panel at depth p0
     * and the block at row i0 from {@link #packedOffset}, each laid out as the block packs it itself,
     * so that both give the same bits. Threads packing disjoint units write disjoint ranges.
     */
    static void packAll(boolean transA, int m, int k, float alpha, float[] a, int aOff, float[] ap, int from,
                        int to) {
        int blocks = ceilDiv(m, MC);
        for (int u = from; u < to; u++) {
            int p0 = u / blocks * KC;
            int i0 = u % blocks * MC;
            int kc = Math.min(KC, k - p0);
            packA(transA, m, k, alpha, a, aOff, i0, Math.min(MC, m - i0), p0, kc, ap, packedOffset(m, p0, i0, kc));
        }
    }

    /** Where the packed block of rows from i0 at depth p0 (kc deep) starts in {@link #packAll}'s layout. */
    private static int packedOffset(int m, int p0, int i0, int kc) {
        return p0 * blockRows(m) + i0 * kc;
    }

    /** M rounded up to whole blocks of {@link #MC} rows: a depth's floats in {@link #packAll}'s layout. */
    private static int blockRows(int m) {
        return ceilDiv(m, MC) * MC;
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    /**
     * Rows of the micro-panel that starts where {@code rest} rows of its block are left: MR, or 4 for
     * the last at most 4 rows and, with 6-row kernels, for 8 rows (4 + 4, two whole tiles, rather than
     * 6 + 2 through the edge tile: a batch of 128 rows is 20 × 6 + 8). A last micro-panel with fewer
     * rows than its height is zero-padded.
     */
    private static int height(int rest) {
        return rest <= 4 || (MR == 6 && rest == 8) ? 4 : MR;
    }

    /** Rows of a block of mc taken by its leading whole MR-row micro-panels (those read in place). */
    private static int inPlaceRows(int mc) {
        int rows = 0;
        while (mc - rows >= MR && height(mc - rows) == MR) {
            rows += MR;
        }
        return rows;
    }

    /**
     * An edge block: the tile's mr×nr corner added to C (written over it when over), then the
     * epilogue (not null) for C's columns from col.
     */
    private static void addTile(float[] tile, boolean over, JavaGemm.RowBias epilogue, int col, float[] c, int ci,
                                int ldc, int mr, int nr) {
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

    /** A whole rows×NR tile of C at ci (rows ldc apart): {@code C = C + bias[col…]}, then ReLU if asked. */
    private static void biasTile(JavaGemm.RowBias epilogue, int col, float[] c, int ci, int ldc, int rows) {
        int bo = epilogue.offset() + col;
        FloatVector b0 = FloatVector.fromArray(S, epilogue.bias(), bo);
        FloatVector b1 = FloatVector.fromArray(S, epilogue.bias(), bo + H);
        FloatVector zero = FloatVector.zero(S);
        boolean relu = epilogue.relu();
        for (int r = 0; r < rows; r++, ci += ldc) {
            FloatVector v0 = FloatVector.fromArray(S, c, ci).add(b0);
            FloatVector v1 = FloatVector.fromArray(S, c, ci + H).add(b1);
            (relu ? zero.max(v0) : v0).intoArray(c, ci);
            (relu ? zero.max(v1) : v1).intoArray(c, ci + H);
        }
    }

    /**
     * Zeroes a whole rows×NR tile of C at ci (rows ldc apart) before the first depth panel of a
     * product with beta 0 adds to it, so that C gets {@code +0 + Σ} (the bits of adding to a C of
     * zeros) without reading what C held. Done here rather than by a flag in the kernels: a kernel
     * that could also write its sums over C kept one more vector live through its loop, which on
     * AVX2 went to the stack, and ran at about half its rate (1024³ on one Zen 3 core, the kernels
     * alone in a sweep like block's: 85 GFLOP/s always adding, 49 with the flag).
     */
    private static void zeroTile(float[] c, int ci, int ldc, int rows) {
        FloatVector zero = FloatVector.zero(S);
        for (int r = 0; r < rows; r++, ci += ldc) {
            zero.intoArray(c, ci);
            zero.intoArray(c, ci + H);
        }
    }

    /**
     * Packs alpha·op(A)[i0..i0+mc, p0..p0+kc) into micro-panels {@link #height} rows high: row
     * i0 + ir + r, depth kk at {@code ap[apOff + ir·kc + kk·h + r]}; rows past mc up to h are zero.
     */
    private static void packA(boolean transA, int m, int k, float alpha, float[] a, int aOff, int i0, int mc, int p0,
                              int kc, float[] ap, int apOff) {
        int h;
        for (int ir = 0; ir < mc; ir += h) {
            h = height(mc - ir);
            int mr = Math.min(h, mc - ir);
            int base = apOff + ir * kc;
            if (transA) {
                for (int kk = 0; kk < kc; kk++) {
                    int src = aOff + (p0 + kk) * m + i0 + ir;
                    int dst = base + kk * h;
                    for (int r = 0; r < mr; r++) {
                        ap[dst + r] = alpha * a[src + r];
                    }
                    for (int r = mr; r < h; r++) {
                        ap[dst + r] = 0f;
                    }
                }
            } else {
                for (int r = 0; r < mr; r++) {
                    int src = aOff + (i0 + ir + r) * k + p0;
                    for (int kk = 0; kk < kc; kk++) {
                        ap[base + kk * h + r] = alpha * a[src + kk];
                    }
                }
                for (int r = mr; r < h; r++) {
                    for (int kk = 0; kk < kc; kk++) {
                        ap[base + kk * h + r] = 0f;
                    }
                }
            }
        }
    }

    /**
     * Packs op(B)[p0..p0+kc, j0..j0+nc) into NR-column micro-panels: depth kk, column j0 + jr + j at
     * {@code bp[jr·kc + kk·NR + j]}; columns past nc up to the next multiple of NR are zero. A B
     * that is not transposed is copied a row at a time, two vector loads and stores per whole
     * micro-panel (a {@code System.arraycopy} of NR floats per depth and micro-panel, a stub call
     * each, left the MLP's first layer, 128×512×784 on 2 Zen 3 cores, at 125 GFLOP/s against 144). A
     * transposed B is copied a row of Bᵀ at a time (scalar: on Zen 4 that packed 128×784×512ᵀ's B
     * faster than gathering H rows per vector load, 78–81 against 71–73 GFLOP/s for the product).
     */
    private static void packB(boolean transB, int n, int k, float[] b, int bOff, int p0, int kc, int j0, int nc,
                              float[] bp) {
        int whole = transB ? 0 : nc / NR * NR;
        for (int kk = 0; kk < kc; kk++) {
            int src = bOff + (p0 + kk) * n + j0;
            for (int jr = 0, dst = kk * NR; jr < whole; jr += NR, dst += kc * NR) {
                FloatVector.fromArray(S, b, src + jr).intoArray(bp, dst);
                FloatVector.fromArray(S, b, src + jr + H).intoArray(bp, dst + H);
            }
        }
        for (int jr = whole; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            int base = jr * kc;
            if (transB) {
                for (int j = 0; j < nr; j++) {
                    int src = bOff + (j0 + jr + j) * k + p0;
                    for (int kk = 0; kk < kc; kk++) {
                        bp[base + kk * NR + j] = b[src + kk];
                    }
                }
            } else {
                for (int kk = 0; kk < kc; kk++) {
                    System.arraycopy(b, bOff + (p0 + kk) * n + j0 + jr, bp, base + kk * NR, nr);
                }
            }
            for (int kk = 0; nr < NR && kk < kc; kk++) {
                Arrays.fill(bp, base + kk * NR + nr, base + (kk + 1) * NR, 0f);
            }
        }
    }

    /**
     * {@code C[0..8, 0..NR) += Σ_kk ap[aOff + kk·8 + r]·bp[bOff + kk·NR + j]} over kk &lt; kc (a packed
     * micro-panel of A, a packed micro-panel of B), C's rows ldc apart from ci. The 16 accumulators
     * (row r: xr, yr) stay in registers; one rank-1 update per depth: two loads of B, 8 broadcast
     * loads of A, 16 fused multiply-adds.
     */
    private static void kernel8(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int ci, int ldc) {
        FloatVector x0 = FloatVector.zero(S);
        FloatVector y0 = FloatVector.zero(S);
        FloatVector x1 = FloatVector.zero(S);
        FloatVector y1 = FloatVector.zero(S);
        FloatVector x2 = FloatVector.zero(S);
        FloatVector y2 = FloatVector.zero(S);
        FloatVector x3 = FloatVector.zero(S);
        FloatVector y3 = FloatVector.zero(S);
        FloatVector x4 = FloatVector.zero(S);
        FloatVector y4 = FloatVector.zero(S);
        FloatVector x5 = FloatVector.zero(S);
        FloatVector y5 = FloatVector.zero(S);
        FloatVector x6 = FloatVector.zero(S);
        FloatVector y6 = FloatVector.zero(S);
        FloatVector x7 = FloatVector.zero(S);
        FloatVector y7 = FloatVector.zero(S);
        for (int kk = 0; kk < kc; kk++) {
            int bo = bOff + kk * NR;
            int ao = aOff + kk * 8;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + H);
            FloatVector a0 = FloatVector.broadcast(S, ap[ao]);
            x0 = a0.fma(b0, x0);
            y0 = a0.fma(b1, y0);
            FloatVector a1 = FloatVector.broadcast(S, ap[ao + 1]);
            x1 = a1.fma(b0, x1);
            y1 = a1.fma(b1, y1);
            FloatVector a2 = FloatVector.broadcast(S, ap[ao + 2]);
            x2 = a2.fma(b0, x2);
            y2 = a2.fma(b1, y2);
            FloatVector a3 = FloatVector.broadcast(S, ap[ao + 3]);
            x3 = a3.fma(b0, x3);
            y3 = a3.fma(b1, y3);
            FloatVector a4 = FloatVector.broadcast(S, ap[ao + 4]);
            x4 = a4.fma(b0, x4);
            y4 = a4.fma(b1, y4);
            FloatVector a5 = FloatVector.broadcast(S, ap[ao + 5]);
            x5 = a5.fma(b0, x5);
            y5 = a5.fma(b1, y5);
            FloatVector a6 = FloatVector.broadcast(S, ap[ao + 6]);
            x6 = a6.fma(b0, x6);
            y6 = a6.fma(b1, y6);
            FloatVector a7 = FloatVector.broadcast(S, ap[ao + 7]);
            x7 = a7.fma(b0, x7);
            y7 = a7.fma(b1, y7);
        }
        FloatVector.fromArray(S, c, ci).add(x0).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y0).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x1).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y1).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x2).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y2).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x3).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y3).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x4).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y4).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x5).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y5).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x6).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y6).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x7).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y7).intoArray(c, ci + H);
    }

    /**
     * As {@link #kernel8} for 6 rows: A's packed micro-panel is kc columns of 6 floats, 12 accumulators.
     * The loop steps its two offsets rather than recomputing them from a depth counter (on Zen 3 the
     * kernel alone measured 86 against 77 GFLOP/s, medians of 6 JVMs).
     */
    private static void kernel6(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int ci, int ldc) {
        FloatVector x0 = FloatVector.zero(S);
        FloatVector y0 = FloatVector.zero(S);
        FloatVector x1 = FloatVector.zero(S);
        FloatVector y1 = FloatVector.zero(S);
        FloatVector x2 = FloatVector.zero(S);
        FloatVector y2 = FloatVector.zero(S);
        FloatVector x3 = FloatVector.zero(S);
        FloatVector y3 = FloatVector.zero(S);
        FloatVector x4 = FloatVector.zero(S);
        FloatVector y4 = FloatVector.zero(S);
        FloatVector x5 = FloatVector.zero(S);
        FloatVector y5 = FloatVector.zero(S);
        for (int ao = aOff, bo = bOff, end = aOff + 6 * kc; ao < end; ao += 6, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + H);
            FloatVector a0 = FloatVector.broadcast(S, ap[ao]);
            x0 = a0.fma(b0, x0);
            y0 = a0.fma(b1, y0);
            FloatVector a1 = FloatVector.broadcast(S, ap[ao + 1]);
            x1 = a1.fma(b0, x1);
            y1 = a1.fma(b1, y1);
            FloatVector a2 = FloatVector.broadcast(S, ap[ao + 2]);
            x2 = a2.fma(b0, x2);
            y2 = a2.fma(b1, y2);
            FloatVector a3 = FloatVector.broadcast(S, ap[ao + 3]);
            x3 = a3.fma(b0, x3);
            y3 = a3.fma(b1, y3);
            FloatVector a4 = FloatVector.broadcast(S, ap[ao + 4]);
            x4 = a4.fma(b0, x4);
            y4 = a4.fma(b1, y4);
            FloatVector a5 = FloatVector.broadcast(S, ap[ao + 5]);
            x5 = a5.fma(b0, x5);
            y5 = a5.fma(b1, y5);
        }
        FloatVector.fromArray(S, c, ci).add(x0).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y0).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x1).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y1).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x2).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y2).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x3).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y3).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x4).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y4).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x5).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y5).intoArray(c, ci + H);
    }

    /** As {@link #kernel8} for 4 rows: A's packed micro-panel is kc columns of 4 floats. */
    private static void kernel4(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int ci, int ldc) {
        FloatVector x0 = FloatVector.zero(S);
        FloatVector y0 = FloatVector.zero(S);
        FloatVector x1 = FloatVector.zero(S);
        FloatVector y1 = FloatVector.zero(S);
        FloatVector x2 = FloatVector.zero(S);
        FloatVector y2 = FloatVector.zero(S);
        FloatVector x3 = FloatVector.zero(S);
        FloatVector y3 = FloatVector.zero(S);
        for (int kk = 0; kk < kc; kk++) {
            int bo = bOff + kk * NR;
            int ao = aOff + kk * 4;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + H);
            FloatVector a0 = FloatVector.broadcast(S, ap[ao]);
            x0 = a0.fma(b0, x0);
            y0 = a0.fma(b1, y0);
            FloatVector a1 = FloatVector.broadcast(S, ap[ao + 1]);
            x1 = a1.fma(b0, x1);
            y1 = a1.fma(b1, y1);
            FloatVector a2 = FloatVector.broadcast(S, ap[ao + 2]);
            x2 = a2.fma(b0, x2);
            y2 = a2.fma(b1, y2);
            FloatVector a3 = FloatVector.broadcast(S, ap[ao + 3]);
            x3 = a3.fma(b0, x3);
            y3 = a3.fma(b1, y3);
        }
        FloatVector.fromArray(S, c, ci).add(x0).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y0).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x1).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y1).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x2).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y2).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x3).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y3).intoArray(c, ci + H);
    }

    /**
     * As {@link #kernel8} with A read where it lies, {@code A[r, kk]} at {@code a[aOff + kk·ks + r·rs]}
     * (slower than a packed micro-panel, A's loads keeping their range checks, but nothing is copied).
     */
    private static void kernel8Strided(int kc, float[] a, int aOff, int ks, int rs, float[] bp, int bOff,
                                       float[] c, int ci, int ldc) {
        FloatVector x0 = FloatVector.zero(S);
        FloatVector y0 = FloatVector.zero(S);
        FloatVector x1 = FloatVector.zero(S);
        FloatVector y1 = FloatVector.zero(S);
        FloatVector x2 = FloatVector.zero(S);
        FloatVector y2 = FloatVector.zero(S);
        FloatVector x3 = FloatVector.zero(S);
        FloatVector y3 = FloatVector.zero(S);
        FloatVector x4 = FloatVector.zero(S);
        FloatVector y4 = FloatVector.zero(S);
        FloatVector x5 = FloatVector.zero(S);
        FloatVector y5 = FloatVector.zero(S);
        FloatVector x6 = FloatVector.zero(S);
        FloatVector y6 = FloatVector.zero(S);
        FloatVector x7 = FloatVector.zero(S);
        FloatVector y7 = FloatVector.zero(S);
        for (int kk = 0; kk < kc; kk++) {
            int bo = bOff + kk * NR;
            int ao = aOff + kk * ks;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + H);
            FloatVector a0 = FloatVector.broadcast(S, a[ao]);
            x0 = a0.fma(b0, x0);
            y0 = a0.fma(b1, y0);
            FloatVector a1 = FloatVector.broadcast(S, a[ao + rs]);
            x1 = a1.fma(b0, x1);
            y1 = a1.fma(b1, y1);
            FloatVector a2 = FloatVector.broadcast(S, a[ao + 2 * rs]);
            x2 = a2.fma(b0, x2);
            y2 = a2.fma(b1, y2);
            FloatVector a3 = FloatVector.broadcast(S, a[ao + 3 * rs]);
            x3 = a3.fma(b0, x3);
            y3 = a3.fma(b1, y3);
            FloatVector a4 = FloatVector.broadcast(S, a[ao + 4 * rs]);
            x4 = a4.fma(b0, x4);
            y4 = a4.fma(b1, y4);
            FloatVector a5 = FloatVector.broadcast(S, a[ao + 5 * rs]);
            x5 = a5.fma(b0, x5);
            y5 = a5.fma(b1, y5);
            FloatVector a6 = FloatVector.broadcast(S, a[ao + 6 * rs]);
            x6 = a6.fma(b0, x6);
            y6 = a6.fma(b1, y6);
            FloatVector a7 = FloatVector.broadcast(S, a[ao + 7 * rs]);
            x7 = a7.fma(b0, x7);
            y7 = a7.fma(b1, y7);
        }
        FloatVector.fromArray(S, c, ci).add(x0).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y0).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x1).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y1).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x2).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y2).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x3).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y3).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x4).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y4).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x5).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y5).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x6).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y6).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x7).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y7).intoArray(c, ci + H);
    }

    /** As {@link #kernel8Strided} for 6 rows, stepping its offsets as {@link #kernel6} does. */
    private static void kernel6Strided(int kc, float[] a, int aOff, int ks, int rs, float[] bp, int bOff,
                                       float[] c, int ci, int ldc) {
        FloatVector x0 = FloatVector.zero(S);
        FloatVector y0 = FloatVector.zero(S);
        FloatVector x1 = FloatVector.zero(S);
        FloatVector y1 = FloatVector.zero(S);
        FloatVector x2 = FloatVector.zero(S);
        FloatVector y2 = FloatVector.zero(S);
        FloatVector x3 = FloatVector.zero(S);
        FloatVector y3 = FloatVector.zero(S);
        FloatVector x4 = FloatVector.zero(S);
        FloatVector y4 = FloatVector.zero(S);
        FloatVector x5 = FloatVector.zero(S);
        FloatVector y5 = FloatVector.zero(S);
        for (int bo = bOff, ao = aOff, end = bOff + kc * NR; bo < end; bo += NR, ao += ks) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + H);
            FloatVector a0 = FloatVector.broadcast(S, a[ao]);
            x0 = a0.fma(b0, x0);
            y0 = a0.fma(b1, y0);
            FloatVector a1 = FloatVector.broadcast(S, a[ao + rs]);
            x1 = a1.fma(b0, x1);
            y1 = a1.fma(b1, y1);
            FloatVector a2 = FloatVector.broadcast(S, a[ao + 2 * rs]);
            x2 = a2.fma(b0, x2);
            y2 = a2.fma(b1, y2);
            FloatVector a3 = FloatVector.broadcast(S, a[ao + 3 * rs]);
            x3 = a3.fma(b0, x3);
            y3 = a3.fma(b1, y3);
            FloatVector a4 = FloatVector.broadcast(S, a[ao + 4 * rs]);
            x4 = a4.fma(b0, x4);
            y4 = a4.fma(b1, y4);
            FloatVector a5 = FloatVector.broadcast(S, a[ao + 5 * rs]);
            x5 = a5.fma(b0, x5);
            y5 = a5.fma(b1, y5);
        }
        FloatVector.fromArray(S, c, ci).add(x0).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y0).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x1).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y1).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x2).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y2).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x3).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y3).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x4).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y4).intoArray(c, ci + H);
        ci += ldc;
        FloatVector.fromArray(S, c, ci).add(x5).intoArray(c, ci);
        FloatVector.fromArray(S, c, ci + H).add(y5).intoArray(c, ci + H);
    }
}
