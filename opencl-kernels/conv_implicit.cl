// conv_implicit.cl — a 2-D convolution as one GEMM whose A operand is read straight from the image.
//
// A Conv2D over NHWC images x: (B, H, W, C) with kernel w: (KH, KW, C, F), read as the matrix
// (K, N) = (KH*KW*C, F), is the GEMM
//   c[m, n] = epilogue(sum_{k < K} A[m, k] * w[k, n]),   M = B*OH*OW, N = F, K = KH*KW*C,
//   A[m, k] = x[b, ih, iw, ch]  with  m = (b*OH + oh)*OW + ow,  k = (kh*KW + kw)*C + ch,
//             ih = oh*SH - PT + kh*DH,  iw = ow*SW - PL + kw*DW,  and 0 where (ih, iw) is outside
//             the image (the padding),
// where A is the cols matrix of conv.cl's im2col, never stored: each work-group loads its A tile
// from x with this index arithmetic. The products are summed in float, k ascending from +0
// (mad, as gemm.cl), so the result is the im2col + gemm.cl product within float32 rounding, not bit
// for bit (gemm.cl sums in its own K steps and vector order).
// The epilogue is gemm_nn_bias's (gemm.cl): z = sum + bias[n] (use_bias), kept in z_g when keep_z;
// a = f(z), f the activation `act` with its parameter act_alpha (act_apply of common.cl: relu as
// z <= 0 ? +0 : z, so NaN stays NaN); c = keep(m*N + n) ? a * scale : 0 when threshold > 0, keep the
// Philox dropout mask of DESIGN.md over c's element index m*N + n (offset, seed), as a dropout of c.
// Row-major and contiguous, each buffer at x_g + x_off; c and z must not alias x or w. The
// geometry comes in int2 pairs (.x along H, .y along W), as dev.clgrad.ops.Window holds it:
// in_hw = (H, W), out_hw = (OH, OW), k_hw = (KH, KW), stride, dilation, pad = (PT, PL).
// Indices: sizes, pixels and rows are ints (the host checks M, N, K, the offsets and the global
// range fit one); element indices (m*N + n, pixel*C + ch) are size_t.
//
// Tiles (gemm.cl's scheme): one work-group computes a CI_MWG x CI_NWG tile of c with
// CI_MDIMC x CI_NDIMC work-items, each holding CI_MWG/CI_MDIMC rows by NVI = CI_NWG/(CI_NDIMC*CI_VWN)
// vectors of CI_VWN columns in registers: rows m0 + tid_m + i*CI_MDIMC, vectors starting at columns
// n0 + (v*CI_NDIMC + tid_n)*CI_VWN (strided, so neighbouring work-items read neighbouring vectors of
// the B tile and store neighbouring vectors of c). K runs in steps of CI_KWG, each staging A
// (CI_KWG x CI_MWG, k-major) and w (CI_KWG x CI_NWG) in local memory; a partial tile (past M, N or K)
// loads zeros and stores nothing past c. Each row's pixel (its image and first tap position) is
// split once per work-group into local memory. Loading A: when C is a multiple of CI_KWG, a K step
// is CI_KWG channels of one tap and work-item l copies rows l, l + ITEMS, ..., each a contiguous run
// of CI_KWG channels of x; otherwise work-item l takes k = k0 + l % CI_KWG (one channel of one tap,
// split once per step) and rows l / CI_KWG + t*(ITEMS / CI_KWG), so neighbouring work-items read
// neighbouring channels of x. The epilogue of a bias with linear or ReLU (no z, no dropout) stores
// whole vectors; any other element by element.
//
// Launch geometry (ConvRoutine.implicit): local = (CI_NDIMC, CI_MDIMC), dimension 0 along N;
// global = (ceil(N / CI_NWG) * CI_NDIMC, ceil(M / CI_MWG) * CI_MDIMC). The host checks that CI_MWG
// is a multiple of CI_MDIMC and CI_NWG of CI_NDIMC * CI_VWN, that ITEMS = CI_MDIMC * CI_NDIMC is a
// multiple of CI_KWG, and that CI_MWG * CI_KWG and CI_KWG * CI_NWG are multiples of ITEMS.

#include "common.cl"
#include "philox.cl"

#ifndef CI_MWG
#define CI_MWG 64     // rows of c per work-group
#endif
#ifndef CI_NWG
#define CI_NWG 32     // columns of c per work-group
#endif
#ifndef CI_KWG
#define CI_KWG 16     // K step staged in local memory
#endif
#ifndef CI_MDIMC
#define CI_MDIMC 16   // work-items along M
#endif
#ifndef CI_NDIMC
#define CI_NDIMC 8    // work-items along N
#endif
#ifndef CI_VWN
#define CI_VWN 4      // columns per vector: 1, 2, 4, 8 or 16
#endif

#if CI_VWN == 1
typedef float ci_realn;
#define CI_VLOAD(p) (*(p))
#define CI_VSTORE(v, p) (*(p) = (v))
#elif CI_VWN == 2 || CI_VWN == 4 || CI_VWN == 8 || CI_VWN == 16
typedef VEC_N(CI_VWN) ci_realn;
#define CI_VLOAD(p) VLOAD_N(CI_VWN)(0, p)
#define CI_VSTORE(v, p) VSTORE_N(CI_VWN)(v, 0, p)
#else
#error "CI_VWN must be 1, 2, 4, 8 or 16"
#endif

#define CI_ITEMS (CI_MDIMC * CI_NDIMC)
#define CI_MWI (CI_MWG / CI_MDIMC)
#define CI_NVI (CI_NWG / (CI_NDIMC * CI_VWN))
#define CI_ROW_STEP (CI_ITEMS / CI_KWG)
#define CI_A_LOADS (CI_MWG / CI_ROW_STEP)
#define CI_B_LOADS (CI_KWG * CI_NWG / CI_ITEMS)

PHILOX_ELEMENT_WORD(conv_philox_word, ulong)

// The epilogue of one element c[m, n] = r (see the head of the file).
inline float conv_epilogue(float r, const size_t at, const int n, const int use_bias,
                           __global const float* bias, const int act, const float act_alpha, const uint threshold,
                           const float scale, const ulong seed, const ulong offset, __global float* z_g,
                           const int keep_z) {
    if (use_bias) {
        r += bias[n];
    }
    if (keep_z) {
        z_g[at] = r;
    }
    if (act != ACT_LINEAR) {
        r = act_apply(act, act_alpha, r);
    }
    if (threshold != 0) {
        r = (conv_philox_word(seed, offset, (ulong)at) >> 8) >= threshold ? r * scale : 0.0f;
    }
    return r;
}

__kernel __attribute__((reqd_work_group_size(CI_NDIMC, CI_MDIMC, 1)))
void conv_implicit(const int B, const int C, const int2 in_hw, const int2 out_hw, const int2 k_hw,
                   const int2 stride, const int2 dilation, const int2 pad, const int N,
                   __global const float* x_g, const int x_off, __global const float* w_g, const int w_off,
                   const int use_bias, __global const float* bias_g, const int bias_off, const int act,
                   const float act_alpha, const uint threshold, const float scale, const ulong seed,
                   const ulong offset, __global float* z_g, const int z_off, const int keep_z,
                   __global float* c_g, const int c_off) {
    __local float a_l[CI_KWG * CI_MWG];
    __local float b_l[CI_KWG * CI_NWG];
    __local int ih0_l[CI_MWG];
    __local int iw0_l[CI_MWG];
    __local int image_l[CI_MWG];
    const int tid_n = get_local_id(0);
    const int tid_m = get_local_id(1);
    const int lid = tid_m * CI_NDIMC + tid_n;
    const int n0 = get_group_id(0) * CI_NWG;
    const int m0 = get_group_id(1) * CI_MWG;
    const size_t out_pixels = (size_t)out_hw.x * out_hw.y;
    const size_t out_taps = (size_t)k_hw.x * k_hw.y;
    const int M = (int)(out_pixels * B);   // M and K fit an int: the host checks it
    const int K = (int)(out_taps * C);
    x_g += x_off;
    w_g += w_off;

    for (int r = lid; r < CI_MWG; r += CI_ITEMS) {
        const int m = m0 + r;
        ih0_l[r] = m / out_hw.y % out_hw.x * stride.x - pad.x;
        iw0_l[r] = m % out_hw.y * stride.y - pad.y;
        image_l[r] = m < M ? m / out_hw.y / out_hw.x : -1;
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    const int load_k = lid % CI_KWG;
    const int load_r = lid / CI_KWG;
    ci_realn acc[CI_MWI][CI_NVI];
    #pragma unroll
    for (int i = 0; i < CI_MWI; i++) {
        #pragma unroll
        for (int v = 0; v < CI_NVI; v++) {
            acc[i][v] = (ci_realn)0.0f;
        }
    }
    // With C a multiple of CI_KWG a K step is CI_KWG channels of one tap, the same for the whole
    // work-group: each row's position and bounds are found once per step and its channels are one
    // contiguous run of x. Otherwise each element's tap and channel are split from k.
    const bool runs = C % CI_KWG == 0;
    for (int k0 = 0; k0 < K; k0 += CI_KWG) {
        if (runs) {
            const int tap = k0 / C;
            const int dh = tap / k_hw.y * dilation.x;
            const int dw = tap % k_hw.y * dilation.y;
            const int ch0 = k0 % C;
            for (int r = lid; r < CI_MWG; r += CI_ITEMS) {
                const int ih = ih0_l[r] + dh;
                const int iw = iw0_l[r] + dw;
                const int image = image_l[r];
                const bool inside = image >= 0 && ih >= 0 && ih < in_hw.x && iw >= 0 && iw < in_hw.y;
                __global const float* src = x_g + (((size_t)(inside ? image : 0) * in_hw.x + (inside ? ih : 0))
                                                   * in_hw.y + (inside ? iw : 0)) * C + ch0;
                #pragma unroll
                for (int kk = 0; kk < CI_KWG; kk++) {
                    a_l[kk * CI_MWG + r] = inside ? src[kk] : 0.0f;
                }
            }
        } else {
            const int k = k0 + load_k;
            const int ch = k % C;
            const int tap = k / C;
            const int dh = tap / k_hw.y * dilation.x;
            const int dw = tap % k_hw.y * dilation.y;
            for (int t = 0; t < CI_A_LOADS; t++) {
                const int r = load_r + t * CI_ROW_STEP;
                const int ih = ih0_l[r] + dh;
                const int iw = iw0_l[r] + dw;
                const int image = image_l[r];
                const bool inside = k < K && image >= 0 && ih >= 0 && ih < in_hw.x && iw >= 0 && iw < in_hw.y;
                a_l[load_k * CI_MWG + r] = inside ? x_g[(((size_t)image * in_hw.x + ih) * in_hw.y + iw) * C + ch]
                                                  : 0.0f;
            }
        }
        for (int t = 0; t < CI_B_LOADS; t++) {
            const int idx = lid + t * CI_ITEMS;
            const int kk = idx / CI_NWG;
            const int n = idx % CI_NWG;
            b_l[idx] = k0 + kk < K && n0 + n < N ? w_g[(size_t)(k0 + kk) * N + n0 + n] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        #pragma unroll 4
        for (int kk = 0; kk < CI_KWG; kk++) {
            ci_realn b_p[CI_NVI];
            #pragma unroll
            for (int v = 0; v < CI_NVI; v++) {
                b_p[v] = CI_VLOAD(b_l + kk * CI_NWG + (v * CI_NDIMC + tid_n) * CI_VWN);
            }
            #pragma unroll
            for (int i = 0; i < CI_MWI; i++) {
                const float a = a_l[kk * CI_MWG + tid_m + i * CI_MDIMC];
                #pragma unroll
                for (int v = 0; v < CI_NVI; v++) {
                    acc[i][v] = mad((ci_realn)a, b_p[v], acc[i][v]);
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    __global const float* bias = bias_g + bias_off;
    #pragma unroll
    for (int i = 0; i < CI_MWI; i++) {
        const int m = m0 + tid_m + i * CI_MDIMC;
        if (m >= M) {
            continue;
        }
        #pragma unroll
        for (int v = 0; v < CI_NVI; v++) {
            const int n = n0 + (v * CI_NDIMC + tid_n) * CI_VWN;
            if (n + CI_VWN <= N && !keep_z && threshold == 0 && (act == ACT_LINEAR || act == ACT_RELU)) {
                ci_realn r = acc[i][v];
                if (use_bias) {
                    r += CI_VLOAD(bias + n);
                }
                if (act == ACT_RELU) {
                    r = select(r, (ci_realn)0.0f, r <= (ci_realn)0.0f);
                }
                CI_VSTORE(r, c_g + c_off + (size_t)m * N + n);
                continue;
            }
            float r_p[CI_VWN];
            CI_VSTORE(acc[i][v], r_p);
            for (int j = 0; j < CI_VWN && n + j < N; j++) {
                const size_t at = (size_t)m * N + n + j;
                c_g[c_off + at] = conv_epilogue(r_p[j], at, n + j, use_bias, bias, act, act_alpha, threshold, scale,
                                                seed, offset, z_g + z_off, keep_z);
            }
        }
    }
}
