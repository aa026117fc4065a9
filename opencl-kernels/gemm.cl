// gemm.cl — single-precision GEMM, row-major:  C = alpha * op(A) * op(B) + beta * C
//
//   op(A): (M, K)  stored as A: (M, K), a_g[m*K + k]  (gemm_n*), or A: (K, M), a_g[k*M + m]  (gemm_t*)
//   op(B): (K, N)  stored as B: (K, N), b_g[k*N + n]  (gemm_*n), or B: (N, K), b_g[n*K + k]  (gemm_*t)
//   C:     (M, N)  c_g[m*N + n]
// Any M, N, K >= 1; nothing is padded by the caller. beta == 0 never reads C (C may hold NaN);
// alpha == 0 never uses A and B (BLAS: C = beta * C, their NaN and inf ignored), as JavaGemm.
// Every buffer comes with an element offset (x_off); the kernel works on x_g + x_off.
// Indices: M, N, K and the offsets are ints, but a product such as m*N + n passes 2^31 - 1 once a
// matrix has more than 2^31 elements (M = N = 46341), so every product that forms a global
// element index is taken in size_t; indices inside a tile and in local memory stay int.
//
// Special values (the Java backend is the spec, bit for bit where the products are exact): NaN
// and inf propagate through the sums; relu(z) = z <= 0 ? +0 : z is Java's Math.max(0, z) (NaN
// stays NaN, -0 becomes +0; fmax would drop the NaN); the mask [h > 0] selects, and a NaN in h
// gives NaN: C = h > 0 ? r : (isnan(h) ? h : 0); dropout selects (a dropped element is +0).
//
// Entry points
//   gemm_nn, gemm_nt, gemm_tn, gemm_tt   tiled kernel, one per transpose combination
//   gemm_pack_b                          B: (K, N) copied into panels bp: (NP / NWG, K, NWG), NP = N rounded
//                                        up to a multiple of GEMM_NWG, +0 past N: panel p holds columns
//                                        p*NWG .. p*NWG + NWG of every row, so one work-group column's
//                                        B is one contiguous K x NWG stream
//   gemm_pack_bt                         the same panels of op(B) = B^T from a transposed B: (N, K)
//   gemm_nn_packed, gemm_tn_packed       gemm_nn, gemm_tn with b_g the panels of op(B) (b_off 0): the same
//                                        sums in the same order, so the same bits; for a long K, where
//                                        B's rows N floats apart cost the direct k-loop its caches, and
//                                        (after gemm_pack_bt) gemm_nt, gemm_tt, whose B^T the direct
//                                        k-loop cannot read as rows
//   gemm_nt_mask_packed                  gemm_nt_mask with b_g the panels of W^T (gemm_pack_bt)
//   gemm_naive                           one work-item per C element; the reference and the fallback
//                                        for shapes much smaller than a tile
//   gemm_nn_bias, gemm_naive_bias        the Dense forward in one launch (epilogue EPI_BIAS):
//                                        z = alpha * A * B + bias[n]; a = f(z) with f the activation
//                                        `act` and its parameter act_alpha (act_apply of common.cl;
//                                        relu as max(0, z), tanh and sigmoid as vectors);
//                                        C[m, n] = keep(m*N + n) ? a * scale : 0   (threshold > 0)
//                                        with keep the Philox dropout mask of DESIGN.md (offset, seed);
//                                        with keep_z, also Z[m, n] = z (the pre-activation that the
//                                        backward of gelu, silu, elu, selu reads)
//   gemm_smallk_bias                     gemm_nn_bias for a short K (at most GEMM_KWG) and a long M, which
//                                        the tiles would mostly pad: a first convolution's K = KH*KW*C = 9
//   gemm_nt_mask, gemm_naive_mask        a Dense input gradient through the previous layer's ReLU and
//                                        dropout (epilogue EPI_MASK): C = alpha * A * B^T * [h > 0],
//                                        h: (M, N) that layer's output; alpha carries 1 / (1 - p)
//   gemm_naive_wgrad                     a Dense layer's weight and bias gradients in one launch:
//                                        C = A^T * B (A: (K, M) the layer input, B: (K, N) its output
//                                        gradient) and bias[n] = sum_k B[k, n], computed by the extra
//                                        row m == M of work-items
//   gemm_splitk_wgrad, gemm_splitk_sum   the same two gradients for a long K (a convolution's K = B*OH*OW)
//                                        in two launches: split K into S chunks of KC rows and, with a
//                                        row M of ones appended to A^T (so that row M of the product
//                                        is the bias sum),
//                                          partial[z, m, n] = sum_{k in chunk z} A[k, m] * B[k, n]
//                                        (k ascending from +0) into a scratch area of S x (M+1) x N,
//                                        then C[m, n] (m < M), bias[n] (m = M) = sum_z partial[z, m, n]
//                                        (z ascending from +0): a fixed order, the same bits every run
//   dense_backward_naive                 a small Dense layer's whole backward in one launch, one
//                                        work-item per output element of dW = h^T * dY (I, O), then
//                                        dBias = sum_b dY[b] (O), then dX = alpha * dY * W^T * [h > 0]
//                                        (B, I), h: (B, I) the layer input, alpha carries 1 / (1 - p)
//   dense_mse_backward_naive             dense_backward_naive of the last layer with MSE folded in:
//                                        dY[b, o] = 2 * inv_n * (pred[b, o] - t[b, o]) (n = B*O) is
//                                        computed on the fly; the dBias work-item of column o also
//                                        stores dY[b, o]; the one of column 0 also sets
//                                        loss[0] = (accumulate ? loss[0] : 0) + sum (pred - t)^2 * inv_n
//                                        over all n elements in order (no atomics, deterministic)
// The epilogues ignore beta (C is only written). With -DONE_KERNEL only the entry points whose
// KERNEL_<name> is defined are compiled: the host builds each kernel it launches as its own small
// program, so a model compiles only the variants it uses.
//
// Tiled kernel: one work-group computes a GEMM_MWG x GEMM_NWG tile of C with
// GEMM_MDIMC x GEMM_NDIMC work-items, each holding an MWI x NWI block of C in registers.
//
//            <------------ NWG ------------>
//          ^ +------+------+------+------+     work-item (tid_m, tid_n) owns rows
//          | | wi   | wi   |      |      |       m0 + mi*MDIMC + tid_m,        mi < MWI
//     MWG  | | 0,0  | 0,1  | ...  |      |     and column vectors of width VWN starting at
//          | +------+------+------+------+       n0 + (v*NDIMC + tid_n)*VWN,   v < NVI
//          v   (strided: neighbouring work-items own neighbouring rows / vectors)
//
// For each K step of GEMM_KWG the work-group copies op(A)[m0.., k0..] into alm_l (KWG, MWG) and
// op(B)[k0.., n0..] into blm_l (KWG, NWG), both k-major so the inner loop reads a row of each;
// elements outside M, N or K are stored as 0, which makes edge tiles exact. A tile stored with K
// contiguous (A in gemm_n*, B in gemm_*t) is transposed on the way in, 4 x 4 blocks at a time.
// The inner loop: for each kk, bpm_p[v] = blm_l[kk, vectors of this work-item];
//                 for each mi, acc_p[mi][v] += alm_l[kk, row mi] * bpm_p[v].
// The write-back is vectorised for interior tiles and element-wise with bounds checks on edges.
//
// GEMM_DIRECT = 1 (the CPU path): gemm_nn, gemm_tn, gemm_nn_bias and the packed two skip local memory
// and barriers; each work-item reads its own block's operands straight from global memory, for each k one float
// of op(A) per row (broadcast) and NVI vectors of B's row k (B not transposed, so they are
// contiguous), same work-item layout, same geometry. Without a barrier PoCL's work-group loop is a
// plain loop over work-items, each of them one loop over K with its MWI x NVI vectors in registers,
// and the caches do the staging (on PoCL 3.1 this runs the MLP's products and the 1024^3 one about
// twice as fast, docs/BENCHMARKS.md). gemm_nt, gemm_tt and gemm_nt_mask (B transposed: a column of
// B^T is strided) keep the local tiles. Both paths sum each C element in the same order, k
// ascending from +0 with mad (the zero padding of the local tiles adds +0 * +0 to a sum that is
// never -0), so they give the same bits.
//
// Packed B (gemm_*_packed): both k-loops read the work-group's NWG columns of B from its panel,
// row k at panel offset k * NWG instead of B's k * N, and the direct loop needs no column bounds
// checks (the panel is +0 past N). The host packs a plain product with B not transposed when K and M
// are long (GemmRoutine: GEMM_PACK_K, GEMM_PACK_M): the copy reads and writes K * NP floats once, and
// each panel is then read by all ceil(M / MWG) work-groups of its column. A transposed B (plain, or
// the masked input gradient) packs from GEMM_PACK_NT_K and GEMM_PACK_NT_M, which the CPU profile sets
// low: there it turns the local-tile loop into the direct one.

// Launch geometry (GemmRoutine): dimension 0 runs along N, dimension 1 along M;
//   local  = (GEMM_NDIMC, GEMM_MDIMC)
//   global = (ceil(N / GEMM_NWG) * GEMM_NDIMC, ceil(M / GEMM_MWG) * GEMM_MDIMC)
//   gemm_naive: global covers (N, M), any local size; gemm_naive_wgrad: global covers (N, M + 1);
//   gemm_pack_b, gemm_pack_bt: global covers (NP, K), any local size (the host's: (64, 1));
//   dense_backward_naive, dense_mse_backward_naive: 1-D, global covers I*O + O + B*I, any local size.
//   gemm_smallk_bias: (v, r) over (NV, ceil(M / RB_MWI)), NV = ceil(N / GEMM_VWN): rows
//     m0 = r * RB_MWI .. m0 + RB_MWI and the GEMM_VWN columns from n0 = v * GEMM_VWN of C in registers,
//     for each k one vector of B's row k (B is K x N, small enough to stay in cache) and a float of
//     each row of A; then the epilogue. local = (L0, L1), L0 = min(RB_WG, NV), L1 = max(1, RB_WG / L0).
//   gemm_splitk_wgrad: (i, z) over (RB * NV, S), work-item i of chunk z computing rows
//     m0 = (i / NV) * RB_MWI .. m0 + RB_MWI of the M + 1 and the GEMM_VWN columns from
//     n0 = (i % NV) * GEMM_VWN, RB = ceil((M + 1) / RB_MWI), in registers:
//     for each k of its chunk one vector of B's row k and RB_MWI floats of A's, no local memory;
//     neighbouring work-items read neighbouring vectors of B. Any local size along i, 1 along z.
//   gemm_splitk_sum: 1-D, global covers (M + 1) * N, any local size.
//
// Tuning (native-config/profiles.json): on PoCL a work-group runs as a loop over its work-items,
// so the register block (MWI x NWI, VWN = 16) is what makes the FLOPs, and GEMM_DIRECT = 1: 6 x 16
// floats (12 ymm accumulators) on AVX2, 6 x 64 (24 zmm) on AVX-512, each leaving registers for the
// row of B and the broadcast of A (a block larger than the register file spills). On GPUs a 16 x 16
// work-group with 4 x 4 blocks and float4 vectors is the usual start, with the local tiles
// (GEMM_DIRECT = 0).

#include "common.cl"
#include "philox.cl"

#ifndef GEMM_MWG
#define GEMM_MWG 64     // tile size in M per work-group
#endif
#ifndef GEMM_NWG
#define GEMM_NWG 64     // tile size in N per work-group
#endif
#ifndef GEMM_KWG
#define GEMM_KWG 16     // K step staged in local memory
#endif
#ifndef GEMM_MDIMC
#define GEMM_MDIMC 16   // work-items per work-group along M
#endif
#ifndef GEMM_NDIMC
#define GEMM_NDIMC 16   // work-items per work-group along N
#endif
#ifndef GEMM_VWN
#define GEMM_VWN 4      // vector width along N for B and C: 1, 2, 4, 8 or 16
#endif
#ifndef GEMM_DIRECT
#define GEMM_DIRECT 0   // 1: gemm_nn, gemm_tn and the _bias kernel read A and B from global memory, no local tiles
#endif
#ifndef RB_MWI
#define RB_MWI 4        // rows of C per work-item of the register-blocked gemm_smallk_bias, gemm_splitk_wgrad
#endif
#ifndef RB_WG
#define RB_WG 256       // work-items per work-group of those two, at most (the host's choice)
#endif

// Derived parameters.
#define MWI (GEMM_MWG / GEMM_MDIMC)         // rows of C per work-item
#define NWI (GEMM_NWG / GEMM_NDIMC)         // columns of C per work-item
#define NVI (NWI / GEMM_VWN)                // vectors of C per work-item row
#define WGS (GEMM_MDIMC * GEMM_NDIMC)       // work-items per work-group

#if GEMM_MWG % GEMM_MDIMC != 0
#error "GEMM_MWG must be a multiple of GEMM_MDIMC"
#endif
#if GEMM_NWG % (GEMM_NDIMC * GEMM_VWN) != 0
#error "GEMM_NWG must be a multiple of GEMM_NDIMC * GEMM_VWN"
#endif
#if GEMM_MWG % 4 != 0 || GEMM_NWG % 4 != 0 || GEMM_KWG % 4 != 0
#error "GEMM_MWG, GEMM_NWG and GEMM_KWG must be multiples of 4 (4 x 4 transposing loads)"
#endif

#if GEMM_VWN == 1
typedef float realn;
#define VLOADN(i, p) ((p)[(i)])
#define VSTOREN(x, i, p) ((p)[(i)] = (x))
#elif GEMM_VWN == 2
typedef float2 realn;
#define VLOADN vload2
#define VSTOREN vstore2
#elif GEMM_VWN == 4
typedef float4 realn;
#define VLOADN vload4
#define VSTOREN vstore4
#elif GEMM_VWN == 8
typedef float8 realn;
#define VLOADN vload8
#define VSTOREN vstore8
#elif GEMM_VWN == 16
typedef float16 realn;
#define VLOADN vload16
#define VSTOREN vstore16
#else
#error "GEMM_VWN must be 1, 2, 4, 8 or 16"
#endif

// Copies a tile stored with K contiguous, src_g[r * ld + k] for r < R, k < KWG (the tile's origin
// at src_g), into dst_l[k * R + r], zero outside (rows, cols). Interior tiles move 4 x 4 blocks:
// four vload4 along K, a register transpose, four vstore4 along R.
inline void transpose_to_local(const int R, const int rows, const int cols, const int ld, const bool full,
                               __global const float* restrict src_g, __local float* restrict dst_l, const int lid) {
    if (full) {
        for (int b = lid; b < (R / 4) * (GEMM_KWG / 4); b += WGS) {
            const int r = (b / (GEMM_KWG / 4)) * 4, k = (b % (GEMM_KWG / 4)) * 4;
            const float4 x0 = vload4(0, src_g + (size_t)(r + 0) * ld + k);
            const float4 x1 = vload4(0, src_g + (size_t)(r + 1) * ld + k);
            const float4 x2 = vload4(0, src_g + (size_t)(r + 2) * ld + k);
            const float4 x3 = vload4(0, src_g + (size_t)(r + 3) * ld + k);
            vstore4((float4)(x0.s0, x1.s0, x2.s0, x3.s0), 0, dst_l + (k + 0) * R + r);
            vstore4((float4)(x0.s1, x1.s1, x2.s1, x3.s1), 0, dst_l + (k + 1) * R + r);
            vstore4((float4)(x0.s2, x1.s2, x2.s2, x3.s2), 0, dst_l + (k + 2) * R + r);
            vstore4((float4)(x0.s3, x1.s3, x2.s3, x3.s3), 0, dst_l + (k + 3) * R + r);
        }
    } else {
        for (int i = lid; i < R * GEMM_KWG; i += WGS) {
            const int r = i / GEMM_KWG, k = i % GEMM_KWG;
            dst_l[k * R + r] = (r < rows && k < cols) ? src_g[(size_t)r * ld + k] : 0.0f;
        }
    }
}

// Copies a tile stored with R contiguous, src_g[k * ld + r] for k < KWG, r < R, into
// dst_l[k * R + r], zero outside (rows, cols): a straight copy, row by row.
inline void copy_to_local(const int R, const int rows, const int cols, const int ld, const bool full,
                          __global const float* restrict src_g, __local float* restrict dst_l, const int lid) {
    for (int i = lid; i < R * GEMM_KWG; i += WGS) {
        const int k = i / R, r = i % R;
        dst_l[k * R + r] = (full || (r < rows && k < cols)) ? src_g[(size_t)k * ld + r] : 0.0f;
    }
}

// op(A)[m0 .. m0+MWG, k0 .. k0+KWG] -> alm_l[kk*MWG + mm], zero outside (M, K).
inline void global_to_local_a(const int M, const int K, const int m0, const int k0, const bool full,
                              const bool trans_a, __global const float* restrict a_g,
                              __local float* restrict alm_l, const int lid) {
    if (!trans_a) {
        transpose_to_local(GEMM_MWG, M - m0, K - k0, K, full, a_g + (size_t)m0 * K + k0, alm_l, lid);
    } else {
        copy_to_local(GEMM_MWG, M - m0, K - k0, M, full, a_g + (size_t)k0 * M + m0, alm_l, lid);
    }
}

// op(B)[k0 .. k0+KWG, n0 .. n0+NWG] -> blm_l[kk*NWG + nn], zero outside (K, N); bt_g: the work-group's
// columns of B (B[k, n0 + j] = bt_g[k * ldb + j], or bt_g[j * K + k] transposed; see gemm_tile).
inline void global_to_local_b(const int N, const int K, const int n0, const int k0, const bool full,
                              const bool trans_b, const int ldb, __global const float* restrict bt_g,
                              __local float* restrict blm_l, const int lid) {
    if (!trans_b) {
        copy_to_local(GEMM_NWG, N - n0, K - k0, ldb, full, bt_g + (size_t)k0 * ldb, blm_l, lid);
    } else {
        transpose_to_local(GEMM_NWG, N - n0, K - k0, K, full, bt_g + k0, blm_l, lid);
    }
}

// What a kernel does with alpha * acc before storing it to C[m, n].
#define EPI_PLAIN 0   // C = alpha * acc + beta * C
#define EPI_BIAS 1    // C = dropout(f(alpha * acc + bias[n])), f the activation ACT_*
#define EPI_MASK 2    // C = alpha * acc * [h[m, n] > 0], NaN where h[m, n] is NaN

typedef struct {
    int mode;                        // EPI_*, a constant after inlining
    __global const float* bias_g;    // EPI_BIAS: (N)
    int act;                         // EPI_BIAS: ACT_* (common.cl)
    float act_alpha;                 // EPI_BIAS: the activation's parameter (leaky slope, elu alpha)
    uint threshold;                  // EPI_BIAS: ceil(p * 2^24); 0 = no dropout
    float scale;                     // EPI_BIAS: 1 / (1 - p)
    ulong seed;                      // EPI_BIAS: Philox key
    ulong offset;                    // EPI_BIAS: Philox counter base
    __global const float* h_g;       // EPI_MASK: (M, N)
    __global float* z_g;             // EPI_BIAS: (M, N) where z = alpha * acc + bias is kept, or 0
} epilogue;

PHILOX_ELEMENT_WORD(philox_word_1, ulong)

#if GEMM_VWN == 1
typedef ulong ulongn;
#define LANES 0ul
#define AS_SELECT(c) (c)
#else
#define ULONGN_(w) ulong##w
#define ULONGN(w) ULONGN_(w)
#define CONVERT_INTN_(w) convert_int##w
#define CONVERT_INTN(w) CONVERT_INTN_(w)
typedef ULONGN(GEMM_VWN) ulongn;
#define AS_SELECT(c) CONVERT_INTN(GEMM_VWN)(c)
#if GEMM_VWN == 2
#define LANES ((ulong2)(0, 1))
#elif GEMM_VWN == 4
#define LANES ((ulong4)(0, 1, 2, 3))
#elif GEMM_VWN == 8
#define LANES ((ulong8)(0, 1, 2, 3, 4, 5, 6, 7))
#else
#define LANES ((ulong16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))
#endif
PHILOX_ELEMENT_WORD(philox_word_n, ulongn)
#endif

// The epilogue of one element C[m, n], r = alpha * acc; EPI_PLAIN is applied by the caller.
inline float epilogue_one(const epilogue e, float r, const int m, const int n, const int N) {
    if (e.mode == EPI_BIAS) {
        r += e.bias_g[n];
        if (e.z_g) {
            e.z_g[(size_t)m * N + n] = r;
        }
        if (e.act != ACT_LINEAR) {
            r = act_apply(e.act, e.act_alpha, r);  // relu: NaN stays NaN, -0 becomes +0, as Java's max(0, z)
        }
        if (e.threshold != 0) {
            const ulong w = philox_word_1(e.seed, e.offset, (ulong)m * N + n);
            r = (w >> 8) >= e.threshold ? r * e.scale : 0.0f;
        }
    } else if (e.mode == EPI_MASK) {
        const float h = e.h_g[(size_t)m * N + n];
        r = h > 0.0f ? r : isnan(h) ? h : 0.0f;
    }
    return r;
}

// The epilogue of C[m, n .. n + VWN), all inside C.
inline realn epilogue_vec(const epilogue e, realn r, const int m, const int n, const int N) {
#if GEMM_VWN == 1
    return epilogue_one(e, r, m, n, N);
#else
    if (e.mode == EPI_BIAS) {
        r += VLOADN(0, e.bias_g + n);
        if (e.z_g) {
            VSTOREN(r, 0, e.z_g + (size_t)m * N + n);
        }
        if (e.act == ACT_RELU) {
            r = select(r, (realn)0.0f, r <= (realn)0.0f);
        } else if (e.act == ACT_TANH) {
            r = TANH_OF(r);
        } else if (e.act == ACT_SIGMOID) {
            r = SIGMOID_OF(r);
        } else if (e.act != ACT_LINEAR) {
            float r_p[GEMM_VWN];
            VSTOREN(r, 0, r_p);
            for (int j = 0; j < GEMM_VWN; j++) {
                r_p[j] = act_apply(e.act, e.act_alpha, r_p[j]);
            }
            r = VLOADN(0, r_p);
        }
        if (e.threshold != 0) {
            const ulongn w = philox_word_n(e.seed, e.offset, (ulong)m * N + n + LANES);
            r = select((realn)0.0f, r * e.scale, AS_SELECT((w >> 8) >= (ulongn)e.threshold));
        }
    } else if (e.mode == EPI_MASK) {
        const realn h = VLOADN(0, e.h_g + (size_t)m * N + n);
        r = select(select((realn)0.0f, h, isnan(h)), r, h > (realn)0.0f);
    }
    return r;
#endif
}

// B[k, n0 .. n0 + VWN), zeros past N; full: all VWN columns below N.
inline realn row_vector(const bool full, __global const float* bp, const int n0, const int N) {
    if (full) {
        return VLOADN(0, bp);
    }
    float b_p[GEMM_VWN];
    for (int j = 0; j < GEMM_VWN; j++) {
        b_p[j] = n0 + j < N ? bp[j] : 0.0f;
    }
    return VLOADN(0, b_p);
}

// GEMM_DIRECT: the work-item's block, acc_p[mi][v] += op(A)[m, k] * B[k, n .. n + VWN) for its rows m
// and vectors n (as in the local-memory loop), k ascending, read straight from global memory: a
// float of each row of op(A) (broadcast) and NVI vectors of B's row k per k (B[k, n0 + j] =
// bt_g[k * ldb + j]), no local memory, no barrier. Rows past M read 0 and columns past N read 0, as
// the local tiles; full: the work-group's whole tile lies inside C, so the loop has no bounds checks
// (a constant after inlining); packed_b: bt_g is a panel (ldb = GEMM_NWG), zero past N, so the
// columns need no bounds checks either.
__attribute__((always_inline))
inline void direct_block(const bool full, const int M, const int N, const int K, const int m0, const int n0,
                         const int tid_m, const int tid_n, const bool trans_a, const bool packed_b, const int ldb,
                         __global const float* a_g, __global const float* bt_g,
                         realn (*acc_p)[NVI]) {
    __global const float* ap_p[MWI];
    #pragma unroll
    for (int mi = 0; mi < MWI; mi++) {
        const int m = min(m0 + mi * GEMM_MDIMC + tid_m, M - 1);
        ap_p[mi] = trans_a ? a_g + m : a_g + (size_t)m * K;
    }
    const int a_k = trans_a ? M : 1;
    __global const float* bp = bt_g + tid_n * GEMM_VWN;
    for (int k = 0; k < K; k++) {
        realn bpm_p[NVI];
        #pragma unroll
        for (int v = 0; v < NVI; v++) {
            const int n = n0 + (v * GEMM_NDIMC + tid_n) * GEMM_VWN;
            bpm_p[v] = row_vector(full || packed_b || n + GEMM_VWN <= N, bp + v * GEMM_NDIMC * GEMM_VWN, n, N);
        }
        #pragma unroll
        for (int mi = 0; mi < MWI; mi++) {
            const float apm = full || m0 + mi * GEMM_MDIMC + tid_m < M ? *ap_p[mi] : 0.0f;
            ap_p[mi] += a_k;
            #pragma unroll
            for (int v = 0; v < NVI; v++) {
                acc_p[mi][v] = mad((realn)apm, bpm_p[v], acc_p[mi][v]);
            }
        }
        bp += ldb;
    }
}

// The local-memory loop: the work-item's block, acc_p[mi][v] += op(A)[m, k] * op(B)[k, n .. n + VWN)
// over K steps of GEMM_KWG staged in alm_l and blm_l by the whole work-group (two barriers a step).
__attribute__((always_inline))
inline void local_block(const bool full_mn, const int M, const int N, const int K, const int m0, const int n0,
                        const int tid_m, const int tid_n, const int lid, const bool trans_a, const bool trans_b,
                        const int ldb, __global const float* a_g, __global const float* bt_g,
                        __local float* alm_l, __local float* blm_l, realn (*acc_p)[NVI]) {
    for (int k0 = 0; k0 < K; k0 += GEMM_KWG) {
        const bool full = full_mn && k0 + GEMM_KWG <= K;
        barrier(CLK_LOCAL_MEM_FENCE);
        global_to_local_a(M, K, m0, k0, full, trans_a, a_g, alm_l, lid);
        global_to_local_b(N, K, n0, k0, full, trans_b, ldb, bt_g, blm_l, lid);
        barrier(CLK_LOCAL_MEM_FENCE);
        #pragma unroll 4
        for (int kk = 0; kk < GEMM_KWG; kk++) {
            realn bpm_p[NVI];
            #pragma unroll
            for (int v = 0; v < NVI; v++) {
                bpm_p[v] = VLOADN(v * GEMM_NDIMC + tid_n, blm_l + kk * GEMM_NWG);
            }
            #pragma unroll
            for (int mi = 0; mi < MWI; mi++) {
                const float apm = alm_l[kk * GEMM_MWG + mi * GEMM_MDIMC + tid_m];
                #pragma unroll
                for (int v = 0; v < NVI; v++) {
                    acc_p[mi][v] = mad((realn)apm, bpm_p[v], acc_p[mi][v]);
                }
            }
        }
    }
}

// C[m, n .. n + VWN) = the epilogue of r = alpha * acc, or alpha * acc + beta * C (EPI_PLAIN), all inside C.
inline void store_vector(const epilogue e, realn r, const float alpha, const float beta, const int m, const int n,
                         const int N, __global float* restrict c_g) {
    __global float* cpm = c_g + (size_t)m * N + n;
    if (e.mode != EPI_PLAIN) {
        r = epilogue_vec(e, r, m, n, N);
    } else if (alpha == 0.0f) {
        r = beta != 0.0f ? beta * VLOADN(0, cpm) : (realn)0.0f;
    } else if (beta != 0.0f) {
        r += beta * VLOADN(0, cpm);
    }
    VSTOREN(r, 0, cpm);
}

// C[m, n] as store_vector, for one element of an edge tile.
inline void store_one(const epilogue e, const float r, const float alpha, const float beta, const int m, const int n,
                      const int N, __global float* restrict c_g) {
    __global float* cp = c_g + (size_t)m * N + n;
    if (e.mode != EPI_PLAIN) {
        *cp = epilogue_one(e, r, m, n, N);
    } else if (alpha == 0.0f) {
        *cp = beta != 0.0f ? beta * *cp : 0.0f;
    } else {
        *cp = beta != 0.0f ? r + beta * *cp : r;
    }
}

// The body of the tiled entry points; trans_a / trans_b / packed_b / e.mode are constants after
// inlining. packed_b: b_g holds B's panels (gemm_pack_b), not B; the work-group reads panel n0 / NWG.
inline void gemm_tile(const int M, const int N, const int K, const float alpha,
                      __global const float* restrict a_g, __global const float* restrict b_g,
                      const float beta, __global float* restrict c_g, const bool trans_a, const bool trans_b,
                      const bool packed_b, const epilogue e, __local float* restrict alm_l,
                      __local float* restrict blm_l) {
    const int tid_n = get_local_id(0);
    const int tid_m = get_local_id(1);
    const int lid = tid_m * GEMM_NDIMC + tid_n;
    const int m0 = get_group_id(1) * GEMM_MWG;
    const int n0 = get_group_id(0) * GEMM_NWG;
    const bool full_mn = m0 + GEMM_MWG <= M && n0 + GEMM_NWG <= N;

    realn acc_p[MWI][NVI];
    #pragma unroll
    for (int mi = 0; mi < MWI; mi++) {
        #pragma unroll
        for (int v = 0; v < NVI; v++) {
            acc_p[mi][v] = (realn)0.0f;
        }
    }

    // The work-group's columns of op(B): B[k, n0 + j] = bt_g[k * ldb + j], or B^T's rows n0.. (trans_b).
    const size_t panel_rows = (size_t)(n0 / GEMM_NWG) * K;
    __global const float* bt_g = trans_b ? b_g + (size_t)n0 * K
                                 : packed_b ? b_g + panel_rows * GEMM_NWG : b_g + n0;
    const int ldb = packed_b ? GEMM_NWG : N;
    if (GEMM_DIRECT && !trans_b) {
        if (full_mn) {
            direct_block(true, M, N, K, m0, n0, tid_m, tid_n, trans_a, packed_b, ldb, a_g, bt_g, acc_p);
        } else {
            direct_block(false, M, N, K, m0, n0, tid_m, tid_n, trans_a, packed_b, ldb, a_g, bt_g, acc_p);
        }
    } else {
        local_block(full_mn, M, N, K, m0, n0, tid_m, tid_n, lid, trans_a, trans_b, ldb, a_g, bt_g, alm_l, blm_l,
                    acc_p);
    }

    if (GEMM_DIRECT && !trans_b) {
        // No barrier in this kernel: the block goes through private memory and one loop over its
        // vectors (interior tiles) or its elements (edge tiles), so that the write-back and its
        // epilogue are compiled once, not once per vector of the block; unrolled, they were most
        // of PoCL's first-launch compile of these kernels (docs/BENCHMARKS.md). (PoCL 3.1 gets the
        // interior loop wrong in a kernel with barriers: an edge work-group ran it too.)
        float r_p[MWI * NVI * GEMM_VWN];
        #pragma unroll
        for (int mi = 0; mi < MWI; mi++) {
            #pragma unroll
            for (int v = 0; v < NVI; v++) {
                VSTOREN(alpha * acc_p[mi][v], mi * NVI + v, r_p);
            }
        }
        if (full_mn) {
            for (int b = 0; b < MWI * NVI; b++) {
                const int mi = b / NVI, v = b % NVI;
                store_vector(e, VLOADN(b, r_p), alpha, beta, m0 + mi * GEMM_MDIMC + tid_m,
                             n0 + (v * GEMM_NDIMC + tid_n) * GEMM_VWN, N, c_g);
            }
        } else {
            for (int i = 0; i < MWI * NVI * GEMM_VWN; i++) {
                const int mi = i / (NVI * GEMM_VWN), v = i / GEMM_VWN % NVI, j = i % GEMM_VWN;
                const int m = m0 + mi * GEMM_MDIMC + tid_m;
                const int n = n0 + (v * GEMM_NDIMC + tid_n) * GEMM_VWN + j;
                if (m < M && n < N) {
                    store_one(e, r_p[i], alpha, beta, m, n, N, c_g);
                }
            }
        }
        return;
    }
    #pragma unroll
    for (int mi = 0; mi < MWI; mi++) {
        const int m = m0 + mi * GEMM_MDIMC + tid_m;
        #pragma unroll
        for (int v = 0; v < NVI; v++) {
            const int n = n0 + (v * GEMM_NDIMC + tid_n) * GEMM_VWN;
            if (full_mn) {
                store_vector(e, alpha * acc_p[mi][v], alpha, beta, m, n, N, c_g);
            } else if (m < M) {
                float r_p[GEMM_VWN];
                VSTOREN(alpha * acc_p[mi][v], 0, r_p);
                for (int j = 0; j < GEMM_VWN && n + j < N; j++) {
                    store_one(e, r_p[j], alpha, beta, m, n + j, N, c_g);
                }
            }
        }
    }
}

#define TILED __kernel __attribute__((reqd_work_group_size(GEMM_NDIMC, GEMM_MDIMC, 1)))
#define TILE_LOCAL                                  \
    __local float alm_l[GEMM_KWG * GEMM_MWG];       \
    __local float blm_l[GEMM_KWG * GEMM_NWG]

#define GEMM_ENTRY(NAME, TRANS_A, TRANS_B, PACKED_B)                                                    \
    TILED void NAME(const int M, const int N, const int K, const float alpha,                           \
                    __global const float* a_g, const int a_off, __global const float* b_g, const int b_off, \
                    const float beta, __global float* c_g, const int c_off) {                           \
        TILE_LOCAL;                                                                                     \
        const epilogue e = {EPI_PLAIN, 0, 0, 0.0f, 0, 0.0f, 0, 0, 0, 0};                                \
        gemm_tile(M, N, K, alpha, a_g + a_off, b_g + b_off, beta, c_g + c_off, TRANS_A, TRANS_B, PACKED_B, \
                  e, alm_l, blm_l);                                                                     \
    }

#if !defined(ONE_KERNEL) || defined(KERNEL_gemm_nn)
GEMM_ENTRY(gemm_nn, false, false, false)
#endif
#if !defined(ONE_KERNEL) || defined(KERNEL_gemm_nt)
GEMM_ENTRY(gemm_nt, false, true, false)
#endif
#if !defined(ONE_KERNEL) || defined(KERNEL_gemm_tn)
GEMM_ENTRY(gemm_tn, true, false, false)
#endif
#if !defined(ONE_KERNEL) || defined(KERNEL_gemm_tt)
GEMM_ENTRY(gemm_tt, true, true, false)
#endif
#if !defined(ONE_KERNEL) || defined(KERNEL_gemm_nn_packed)
GEMM_ENTRY(gemm_nn_packed, false, false, true)
#endif
#if !defined(ONE_KERNEL) || defined(KERNEL_gemm_tn_packed)
GEMM_ENTRY(gemm_tn_packed, true, false, true)
#endif

// op(B) -> bp: (NP / GEMM_NWG, K, GEMM_NWG), NP = ceil(N / GEMM_NWG) * GEMM_NWG:
// bp[(p * K + k) * GEMM_NWG + j] = op(B)[k, p * GEMM_NWG + j], +0 past N, from B: (K, N) (gemm_pack_b) or
// B: (N, K), op(B) = B^T (gemm_pack_bt). Work-item (n, k) copies one float.
inline void pack_panel(const bool trans_b, const int K, const int N, __global const float* b_g,
                       __global float* bp_g) {
    const int n = get_global_id(0);
    const int k = get_global_id(1);
    if (k >= K || n >= (N + GEMM_NWG - 1) / GEMM_NWG * GEMM_NWG) {
        return;
    }
    bp_g[((size_t)(n / GEMM_NWG) * K + k) * GEMM_NWG + n % GEMM_NWG] =
        n < N ? b_g[trans_b ? (size_t)n * K + k : (size_t)k * N + n] : 0.0f;
}

#if !defined(ONE_KERNEL) || defined(KERNEL_gemm_pack_b)
__kernel void gemm_pack_b(const int K, const int N, __global const float* b_g, const int b_off,
                          __global float* bp_g, const int bp_off) {
    pack_panel(false, K, N, b_g + b_off, bp_g + bp_off);
}
#endif

#if !defined(ONE_KERNEL) || defined(KERNEL_gemm_pack_bt)
__kernel void gemm_pack_bt(const int K, const int N, __global const float* b_g, const int b_off,
                           __global float* bp_g, const int bp_off) {
    pack_panel(true, K, N, b_g + b_off, bp_g + bp_off);
}
#endif

#if !defined(ONE_KERNEL) || defined(KERNEL_gemm_nn_bias)
TILED void gemm_nn_bias(const int M, const int N, const int K, const float alpha,
                        __global const float* a_g, const int a_off, __global const float* b_g, const int b_off,
                        __global const float* bias_g, const int bias_off, const int act, const float act_alpha,
                        const uint threshold, const float scale, const ulong seed, const ulong offset,
                        __global float* z_g, const int z_off, const int keep_z, __global float* c_g,
                        const int c_off) {
    TILE_LOCAL;
    const epilogue e = {EPI_BIAS, bias_g + bias_off, act, act_alpha, threshold, scale, seed, offset, 0,
                        keep_z ? z_g + z_off : 0};
    gemm_tile(M, N, K, alpha, a_g + a_off, b_g + b_off, 0.0f, c_g + c_off, false, false, false, e, alm_l,
              blm_l);
}
#endif

#if !defined(ONE_KERNEL) || defined(KERNEL_gemm_nt_mask)
TILED void gemm_nt_mask(const int M, const int N, const int K, const float alpha,
                        __global const float* a_g, const int a_off, __global const float* b_g, const int b_off,
                        __global const float* h_g, const int h_off, __global float* c_g, const int c_off) {
    TILE_LOCAL;
    const epilogue e = {EPI_MASK, 0, 0, 0.0f, 0, 0.0f, 0, 0, h_g + h_off, 0};
    gemm_tile(M, N, K, alpha, a_g + a_off, b_g + b_off, 0.0f, c_g + c_off, false, true, false, e, alm_l,
              blm_l);
}
#endif

#if !defined(ONE_KERNEL) || defined(KERNEL_gemm_nt_mask_packed)
TILED void gemm_nt_mask_packed(const int M, const int N, const int K, const float alpha,
                               __global const float* a_g, const int a_off, __global const float* bp_g,
                               const int bp_off, __global const float* h_g, const int h_off, __global float* c_g,
                               const int c_off) {
    TILE_LOCAL;
    const epilogue e = {EPI_MASK, 0, 0, 0.0f, 0, 0.0f, 0, 0, h_g + h_off, 0};
    gemm_tile(M, N, K, alpha, a_g + a_off, bp_g + bp_off, 0.0f, c_g + c_off, false, false, true, e, alm_l,
              blm_l);
}
#endif

// Reference and fallback: work-item (n, m) computes C[m, n] with a plain K loop.
inline float naive_dot(const int trans_a, const int trans_b, const int M, const int N, const int K,
                       __global const float* ap, __global const float* bp, const int m, const int n) {
    const int a_m = trans_a ? 1 : K, a_k = trans_a ? M : 1;
    const int b_k = trans_b ? 1 : N, b_n = trans_b ? K : 1;
    float acc = 0.0f;
    for (int k = 0; k < K; k++) {
        acc = mad(ap[(size_t)m * a_m + (size_t)k * a_k], bp[(size_t)k * b_k + (size_t)n * b_n], acc);
    }
    return acc;
}

#if !defined(ONE_KERNEL) || defined(KERNEL_gemm_naive)
__kernel void gemm_naive(const int trans_a, const int trans_b, const int M, const int N, const int K,
                         const float alpha, __global const float* a_g, const int a_off,
                         __global const float* b_g, const int b_off, const float beta,
                         __global float* c_g, const int c_off) {
    const int n = get_global_id(0);
    const int m = get_global_id(1);
    if (m >= M || n >= N) {
        return;
    }
    const float acc = naive_dot(trans_a, trans_b, M, N, K, a_g + a_off, b_g + b_off, m, n);
    __global float* cp = c_g + c_off + (size_t)m * N + n;
    *cp = alpha == 0.0f ? (beta != 0.0f ? beta * *cp : 0.0f) : beta != 0.0f ? alpha * acc + beta * *cp : alpha * acc;
}
#endif

#if !defined(ONE_KERNEL) || defined(KERNEL_gemm_naive_bias)
__kernel void gemm_naive_bias(const int trans_a, const int trans_b, const int M, const int N, const int K,
                              const float alpha, __global const float* a_g, const int a_off,
                              __global const float* b_g, const int b_off, __global const float* bias_g,
                              const int bias_off, const int act, const float act_alpha, const uint threshold,
                              const float scale, const ulong seed, const ulong offset, __global float* z_g,
                              const int z_off, const int keep_z, __global float* c_g, const int c_off) {
    const int n = get_global_id(0);
    const int m = get_global_id(1);
    if (m >= M || n >= N) {
        return;
    }
    const epilogue e = {EPI_BIAS, bias_g + bias_off, act, act_alpha, threshold, scale, seed, offset, 0,
                        keep_z ? z_g + z_off : 0};
    const float acc = naive_dot(trans_a, trans_b, M, N, K, a_g + a_off, b_g + b_off, m, n);
    c_g[c_off + (size_t)m * N + n] = epilogue_one(e, alpha * acc, m, n, N);
}
#endif

#if !defined(ONE_KERNEL) || defined(KERNEL_gemm_naive_mask)
__kernel void gemm_naive_mask(const int trans_a, const int trans_b, const int M, const int N, const int K,
                              const float alpha, __global const float* a_g, const int a_off,
                              __global const float* b_g, const int b_off, __global const float* h_g,
                              const int h_off, __global float* c_g, const int c_off) {
    const int n = get_global_id(0);
    const int m = get_global_id(1);
    if (m >= M || n >= N) {
        return;
    }
    const epilogue e = {EPI_MASK, 0, 0, 0.0f, 0, 0.0f, 0, 0, h_g + h_off, 0};
    const float acc = naive_dot(trans_a, trans_b, M, N, K, a_g + a_off, b_g + b_off, m, n);
    c_g[c_off + (size_t)m * N + n] = epilogue_one(e, alpha * acc, m, n, N);
}
#endif

#if !defined(ONE_KERNEL) || defined(KERNEL_gemm_naive_wgrad)
__kernel void gemm_naive_wgrad(const int M, const int N, const int K, __global const float* a_g, const int a_off,
                               __global const float* b_g, const int b_off, __global float* c_g, const int c_off,
                               __global float* bias_g, const int bias_off) {
    const int n = get_global_id(0);
    const int m = get_global_id(1);
    if (m > M || n >= N) {
        return;
    }
    __global const float* bp = b_g + b_off;
    if (m == M) {
        float s = 0.0f;
        for (int k = 0; k < K; k++) {
            s += bp[(size_t)k * N + n];
        }
        bias_g[bias_off + n] = s;
        return;
    }
    c_g[c_off + (size_t)m * N + n] = naive_dot(1, 0, M, N, K, a_g + a_off, bp, m, n);
}
#endif

// acc_p[r] = sum_k A[m0 + r, k] * B[k, n0 .. n0 + VWN), k ascending from +0, for the rows below M;
// full: all RB_MWI rows below M and all VWN columns below N.
inline void smallk_rows(const bool full, const int M, const int N, const int K, const int m0, const int n0,
                        __global const float* restrict a_g, __global const float* restrict b_g, realn* acc_p) {
    __global const float* ap = a_g + (size_t)m0 * K;
    __global const float* bp = b_g + n0;
    for (int k = 0; k < K; k++) {
        const realn b = row_vector(full, bp + (size_t)k * N, n0, N);
        #pragma unroll
        for (int r = 0; r < RB_MWI; r++) {
            const float a = full || m0 + r < M ? ap[r * K + k] : 0.0f;
            acc_p[r] = mad((realn)a, b, acc_p[r]);
        }
    }
}

#if !defined(ONE_KERNEL) || defined(KERNEL_gemm_smallk_bias)
__kernel void gemm_smallk_bias(const int M, const int N, const int K, const float alpha,
                               __global const float* a_g, const int a_off, __global const float* b_g,
                               const int b_off, __global const float* bias_g, const int bias_off, const int act,
                               const float act_alpha, const uint threshold, const float scale, const ulong seed,
                               const ulong offset, __global float* z_g, const int z_off, const int keep_z,
                               __global float* c_g, const int c_off) {
    const int n0 = get_global_id(0) * GEMM_VWN;
    const int m0 = get_global_id(1) * RB_MWI;
    if (n0 >= N || m0 >= M) {
        return;
    }
    const epilogue e = {EPI_BIAS, bias_g + bias_off, act, act_alpha, threshold, scale, seed, offset, 0,
                        keep_z ? z_g + z_off : 0};
    realn acc_p[RB_MWI];
    #pragma unroll
    for (int r = 0; r < RB_MWI; r++) {
        acc_p[r] = (realn)0.0f;
    }
    const bool full_n = n0 + GEMM_VWN <= N;
    if (m0 + RB_MWI <= M && full_n) {
        smallk_rows(true, M, N, K, m0, n0, a_g + a_off, b_g + b_off, acc_p);
    } else {
        smallk_rows(false, M, N, K, m0, n0, a_g + a_off, b_g + b_off, acc_p);
    }
    for (int r = 0; r < RB_MWI && m0 + r < M; r++) {
        const int m = m0 + r;
        __global float* cp = c_g + c_off + (size_t)m * N + n0;
        if (full_n) {
            VSTOREN(epilogue_vec(e, alpha * acc_p[r], m, n0, N), 0, cp);
        } else {
            float r_p[GEMM_VWN];
            VSTOREN(alpha * acc_p[r], 0, r_p);
            for (int j = 0; n0 + j < N; j++) {
                cp[j] = epilogue_one(e, r_p[j], m, n0 + j, N);
            }
        }
    }
}
#endif

// acc_p[r] += A[k, m0 + r] * B[k, n0 .. n0 + VWN) for the rows k0 .. k1 of A: (K, M) and B: (K, N), row
// r = M - m0 being the ones (the bias sum); full: all RB_MWI rows below M and all VWN columns
// below N (a constant after inlining, so the interior loop has no bounds checks).
inline void splitk_chunk(const bool full, const int M, const int N, const int m0, const int n0, const int k0,
                         const int k1, __global const float* restrict a_g, __global const float* restrict b_g,
                         realn* acc_p) {
    __global const float* ap = a_g + (size_t)k0 * M + m0;
    __global const float* bp = b_g + (size_t)k0 * N + n0;
    for (int k = k0; k < k1; k++) {
        const realn b = row_vector(full, bp, n0, N);
        #pragma unroll
        for (int r = 0; r < RB_MWI; r++) {
            const float a = full || m0 + r < M ? ap[r] : m0 + r == M ? 1.0f : 0.0f;
            acc_p[r] = mad((realn)a, b, acc_p[r]);
        }
        ap += M;
        bp += N;
    }
}

#if !defined(ONE_KERNEL) || defined(KERNEL_gemm_splitk_wgrad)
__kernel void gemm_splitk_wgrad(const int M, const int N, const int K, const int KC, __global const float* a_g,
                                const int a_off, __global const float* b_g, const int b_off,
                                __global float* partial_g) {
    const int nv = (N + GEMM_VWN - 1) / GEMM_VWN;
    const int i = get_global_id(0);
    const int z = get_global_id(1);
    const int m0 = i / nv * RB_MWI;
    const int n0 = i % nv * GEMM_VWN;
    if (m0 > M) {
        return;
    }
    const int k0 = z * KC;
    const int k1 = min(K, k0 + KC);
    realn acc_p[RB_MWI];
    #pragma unroll
    for (int r = 0; r < RB_MWI; r++) {
        acc_p[r] = (realn)0.0f;
    }
    const bool full_n = n0 + GEMM_VWN <= N;
    if (m0 + RB_MWI <= M && full_n) {
        splitk_chunk(true, M, N, m0, n0, k0, k1, a_g + a_off, b_g + b_off, acc_p);
    } else {
        splitk_chunk(false, M, N, m0, n0, k0, k1, a_g + a_off, b_g + b_off, acc_p);
    }
    for (int r = 0; r < RB_MWI && m0 + r <= M; r++) {
        __global float* pp = partial_g + ((size_t)z * (M + 1) + m0 + r) * N + n0;
        if (full_n) {
            VSTOREN(acc_p[r], 0, pp);
        } else {
            float r_p[GEMM_VWN];
            VSTOREN(acc_p[r], 0, r_p);
            for (int j = 0; n0 + j < N; j++) {
                pp[j] = r_p[j];
            }
        }
    }
}
#endif

#if !defined(ONE_KERNEL) || defined(KERNEL_gemm_splitk_sum)
__kernel void gemm_splitk_sum(const int M, const int N, const int S, __global const float* partial_g,
                              __global float* c_g, const int c_off, __global float* bias_g, const int bias_off) {
    const size_t e = get_global_id(0);
    const size_t mn = (size_t)M * N;
    if (e >= mn + N) {
        return;
    }
    float s = 0.0f;
    for (int z = 0; z < S; z++) {
        s += partial_g[(size_t)z * (mn + N) + e];
    }
    if (e < mn) {
        c_g[c_off + e] = s;
    } else {
        bias_g[bias_off + e - mn] = s;
    }
}
#endif

#if !defined(ONE_KERNEL) || defined(KERNEL_dense_backward_naive)
__kernel void dense_backward_naive(const int B, const int I, const int O, const float alpha,
                                   __global const float* h_g, const int h_off, __global const float* dy_g,
                                   const int dy_off, __global const float* w_g, const int w_off,
                                   __global float* dw_g, const int dw_off, __global float* dbias_g,
                                   const int dbias_off, __global float* dx_g, const int dx_off) {
    const size_t t = get_global_id(0);
    const size_t io = (size_t)I * O;
    __global const float* hp = h_g + h_off;
    __global const float* dyp = dy_g + dy_off;
    if (t < io) {
        const int i = t / O, o = t % O;
        dw_g[dw_off + t] = naive_dot(1, 0, I, O, B, hp, dyp, i, o);
    } else if (t < io + O) {
        const int o = t - io;
        float s = 0.0f;
        for (int b = 0; b < B; b++) {
            s += dyp[(size_t)b * O + o];
        }
        dbias_g[dbias_off + o] = s;
    } else if (t < io + O + (size_t)B * I) {
        const size_t r = t - io - O;
        const int b = r / I, i = r % I;
        const float acc = naive_dot(0, 1, B, I, O, dyp, w_g + w_off, b, i);
        const float h = hp[r];
        dx_g[dx_off + r] = h > 0.0f ? alpha * acc : isnan(h) ? h : 0.0f;
    }
}
#endif

#if !defined(ONE_KERNEL) || defined(KERNEL_dense_mse_backward_naive)
__kernel void dense_mse_backward_naive(const int B, const int I, const int O, const float alpha, const float inv_n,
                                       const int accumulate, __global const float* pred_g, const int pred_off,
                                       __global const float* t_g, const int t_off,
                                       __global const float* h_g, const int h_off,
                                       __global const float* w_g, const int w_off,
                                       __global float* loss_g, const int loss_off,
                                       __global float* dy_g, const int dy_off,
                                       __global float* dw_g, const int dw_off, __global float* dbias_g,
                                       const int dbias_off, __global float* dx_g, const int dx_off) {
    const size_t t = get_global_id(0);
    const size_t io = (size_t)I * O;
    const float scale = 2.0f * inv_n;
    __global const float* pp = pred_g + pred_off;
    __global const float* tp = t_g + t_off;
    __global const float* hp = h_g + h_off;
    if (t < io) {
        const int i = t / O, o = t % O;
        float acc = 0.0f;
        for (int b = 0; b < B; b++) {
            const size_t bo = (size_t)b * O + o;
            acc = mad(hp[(size_t)b * I + i], scale * (pp[bo] - tp[bo]), acc);
        }
        dw_g[dw_off + t] = acc;
    } else if (t < io + O) {
        const int o = t - io;
        float s = 0.0f;
        for (int b = 0; b < B; b++) {
            const size_t bo = (size_t)b * O + o;
            const float g = scale * (pp[bo] - tp[bo]);
            dy_g[dy_off + bo] = g;
            s += g;
        }
        dbias_g[dbias_off + o] = s;
        if (o == 0) {
            float sq = 0.0f;
            for (size_t e = 0; e < (size_t)B * O; e++) {
                const float d = pp[e] - tp[e];
                sq = mad(d, d, sq);
            }
            loss_g[loss_off] = (accumulate ? loss_g[loss_off] : 0.0f) + sq * inv_n;
        }
    } else if (t < io + O + (size_t)B * I) {
        const size_t r = t - io - O;
        const int b = r / I, i = r % I;
        __global const float* wp = w_g + w_off;
        float acc = 0.0f;
        for (int o = 0; o < O; o++) {
            const size_t bo = (size_t)b * O + o;
            acc = mad(scale * (pp[bo] - tp[bo]), wp[(size_t)i * O + o], acc);
        }
        const float h = hp[r];
        dx_g[dx_off + r] = h > 0.0f ? alpha * acc : isnan(h) ? h : 0.0f;
    }
}
#endif
