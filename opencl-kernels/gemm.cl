// gemm.cl — single-precision GEMM, row-major:  C = alpha * op(A) * op(B) + beta * C
//
//   op(A): (M, K)  stored as A: (M, K), a_g[m*K + k]  (gemm_n*), or A: (K, M), a_g[k*M + m]  (gemm_t*)
//   op(B): (K, N)  stored as B: (K, N), b_g[k*N + n]  (gemm_*n), or B: (N, K), b_g[n*K + k]  (gemm_*t)
//   C:     (M, N)  c_g[m*N + n]
// Any M, N, K >= 1; nothing is padded by the caller. beta == 0 never reads C (C may hold NaN).
// Every buffer comes with an element offset (x_off); the kernel works on x_g + x_off.
//
// Entry points
//   gemm_nn, gemm_nt, gemm_tn, gemm_tt   tiled kernel, one per transpose combination
//   gemm_naive                           one work-item per C element; the reference and the fallback
//                                        for shapes much smaller than a tile
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
// Launch geometry (GemmRoutine): dimension 0 runs along N, dimension 1 along M;
//   local  = (GEMM_NDIMC, GEMM_MDIMC)
//   global = (ceil(N / GEMM_NWG) * GEMM_NDIMC, ceil(M / GEMM_MWG) * GEMM_MDIMC)
//   gemm_naive: global covers (N, M), any local size.
//
// Tuning (native-config/profiles.json): on PoCL a work-group runs as a loop over its work-items,
// so the register block (MWI x NWI with VWN = 16 for AVX-512) is what makes the FLOPs; on GPUs a
// 16 x 16 work-group with 4 x 4 blocks and float4 vectors is the usual start.

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
            const float4 x0 = vload4(0, src_g + (r + 0) * ld + k);
            const float4 x1 = vload4(0, src_g + (r + 1) * ld + k);
            const float4 x2 = vload4(0, src_g + (r + 2) * ld + k);
            const float4 x3 = vload4(0, src_g + (r + 3) * ld + k);
            vstore4((float4)(x0.s0, x1.s0, x2.s0, x3.s0), 0, dst_l + (k + 0) * R + r);
            vstore4((float4)(x0.s1, x1.s1, x2.s1, x3.s1), 0, dst_l + (k + 1) * R + r);
            vstore4((float4)(x0.s2, x1.s2, x2.s2, x3.s2), 0, dst_l + (k + 2) * R + r);
            vstore4((float4)(x0.s3, x1.s3, x2.s3, x3.s3), 0, dst_l + (k + 3) * R + r);
        }
    } else {
        for (int i = lid; i < R * GEMM_KWG; i += WGS) {
            const int r = i / GEMM_KWG, k = i % GEMM_KWG;
            dst_l[k * R + r] = (r < rows && k < cols) ? src_g[r * ld + k] : 0.0f;
        }
    }
}

// Copies a tile stored with R contiguous, src_g[k * ld + r] for k < KWG, r < R, into
// dst_l[k * R + r], zero outside (rows, cols): a straight copy, row by row.
inline void copy_to_local(const int R, const int rows, const int cols, const int ld, const bool full,
                          __global const float* restrict src_g, __local float* restrict dst_l, const int lid) {
    for (int i = lid; i < R * GEMM_KWG; i += WGS) {
        const int k = i / R, r = i % R;
        dst_l[k * R + r] = (full || (r < rows && k < cols)) ? src_g[k * ld + r] : 0.0f;
    }
}

// op(A)[m0 .. m0+MWG, k0 .. k0+KWG] -> alm_l[kk*MWG + mm], zero outside (M, K).
inline void global_to_local_a(const int M, const int K, const int m0, const int k0, const bool full,
                              const bool trans_a, __global const float* restrict a_g,
                              __local float* restrict alm_l, const int lid) {
    if (!trans_a) {
        transpose_to_local(GEMM_MWG, M - m0, K - k0, K, full, a_g + m0 * K + k0, alm_l, lid);
    } else {
        copy_to_local(GEMM_MWG, M - m0, K - k0, M, full, a_g + k0 * M + m0, alm_l, lid);
    }
}

// op(B)[k0 .. k0+KWG, n0 .. n0+NWG] -> blm_l[kk*NWG + nn], zero outside (K, N).
inline void global_to_local_b(const int N, const int K, const int n0, const int k0, const bool full,
                              const bool trans_b, __global const float* restrict b_g,
                              __local float* restrict blm_l, const int lid) {
    if (!trans_b) {
        copy_to_local(GEMM_NWG, N - n0, K - k0, N, full, b_g + k0 * N + n0, blm_l, lid);
    } else {
        transpose_to_local(GEMM_NWG, N - n0, K - k0, K, full, b_g + n0 * K + k0, blm_l, lid);
    }
}

// The body of the four tiled entry points; trans_a / trans_b are constants after inlining.
inline void gemm_tile(const int M, const int N, const int K, const float alpha,
                      __global const float* restrict a_g, __global const float* restrict b_g,
                      const float beta, __global float* restrict c_g, const bool trans_a, const bool trans_b,
                      __local float* restrict alm_l, __local float* restrict blm_l) {
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

    for (int k0 = 0; k0 < K; k0 += GEMM_KWG) {
        const bool full = full_mn && k0 + GEMM_KWG <= K;
        barrier(CLK_LOCAL_MEM_FENCE);
        global_to_local_a(M, K, m0, k0, full, trans_a, a_g, alm_l, lid);
        global_to_local_b(N, K, n0, k0, full, trans_b, b_g, blm_l, lid);
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

    #pragma unroll
    for (int mi = 0; mi < MWI; mi++) {
        const int m = m0 + mi * GEMM_MDIMC + tid_m;
        #pragma unroll
        for (int v = 0; v < NVI; v++) {
            const int n = n0 + (v * GEMM_NDIMC + tid_n) * GEMM_VWN;
            __global float* cpm = c_g + m * N + n;
            if (full_mn) {
                realn r = alpha * acc_p[mi][v];
                if (beta != 0.0f) {
                    r += beta * VLOADN(0, cpm);
                }
                VSTOREN(r, 0, cpm);
            } else if (m < M) {
                float r_p[GEMM_VWN];
                VSTOREN(alpha * acc_p[mi][v], 0, r_p);
                for (int j = 0; j < GEMM_VWN && n + j < N; j++) {
                    cpm[j] = beta != 0.0f ? r_p[j] + beta * cpm[j] : r_p[j];
                }
            }
        }
    }
}

#define GEMM_ENTRY(NAME, TRANS_A, TRANS_B)                                                               \
    __kernel __attribute__((reqd_work_group_size(GEMM_NDIMC, GEMM_MDIMC, 1)))                           \
    void NAME(const int M, const int N, const int K, const float alpha,                                 \
              __global const float* a_g, const int a_off, __global const float* b_g, const int b_off,   \
              const float beta, __global float* c_g, const int c_off) {                                 \
        __local float alm_l[GEMM_KWG * GEMM_MWG];                                                       \
        __local float blm_l[GEMM_KWG * GEMM_NWG];                                                       \
        gemm_tile(M, N, K, alpha, a_g + a_off, b_g + b_off, beta, c_g + c_off, TRANS_A, TRANS_B,       \
                  alm_l, blm_l);                                                                        \
    }

GEMM_ENTRY(gemm_nn, false, false)
GEMM_ENTRY(gemm_nt, false, true)
GEMM_ENTRY(gemm_tn, true, false)
GEMM_ENTRY(gemm_tt, true, true)

// Reference and fallback: work-item (n, m) computes C[m, n] with a plain K loop.
__kernel void gemm_naive(const int trans_a, const int trans_b, const int M, const int N, const int K,
                         const float alpha, __global const float* a_g, const int a_off,
                         __global const float* b_g, const int b_off, const float beta,
                         __global float* c_g, const int c_off) {
    const int n = get_global_id(0);
    const int m = get_global_id(1);
    if (m >= M || n >= N) {
        return;
    }
    __global const float* ap = a_g + a_off;
    __global const float* bp = b_g + b_off;
    const int a_m = trans_a ? 1 : K, a_k = trans_a ? M : 1;
    const int b_k = trans_b ? 1 : N, b_n = trans_b ? K : 1;
    float acc = 0.0f;
    for (int k = 0; k < K; k++) {
        acc = mad(ap[m * a_m + k * a_k], bp[k * b_k + n * b_n], acc);
    }
    __global float* cp = c_g + c_off + m * N + n;
    *cp = beta != 0.0f ? alpha * acc + beta * *cp : alpha * acc;
}
