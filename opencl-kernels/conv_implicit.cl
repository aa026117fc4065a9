// conv_implicit.cl — a 2-D convolution as one GEMM whose A operand is read straight from the image.
//
// A Conv2D over NHWC images x: (B, H, W, C) with kernel w: (KH, KW, C, F), read as the matrix
// (K, N) = (KH*KW*C, F), is the GEMM
//   c[m, n] = epilogue(sum_{k < K} A[m, k] * w[k, n]),   M = B*OH*OW, N = F, K = KH*KW*C,
//   A[m, k] = x[b, ih, iw, ch]  with  m = (b*OH + oh)*OW + ow,  k = (kh*KW + kw)*C + ch,
//             ih = oh*SH - PT + kh*DH,  iw = ow*SW - PL + kw*DW,  and 0 where (ih, iw) is outside
//             the image (the padding),
// where A is the cols matrix of conv.cl's im2col, never stored: each work-group loads its A tile
// from x with this index arithmetic. The products are summed in float, k ascending from +0 (fma),
// so the result is the im2col + gemm.cl product within float32 rounding, not bit for bit (gemm.cl
// sums in its own K steps and vector order).
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
// Tiles (gemm.cl's scheme, scalar): one work-group computes a CI_MWG x CI_NWG tile of c with
// CI_MDIMC x CI_NDIMC work-items, each holding CI_MWG/CI_MDIMC x CI_NWG/CI_NDIMC elements in
// registers: rows m0 + tid_m + i*CI_MDIMC, columns n0 + tid_n + j*CI_NDIMC (strided, so
// neighbouring work-items read neighbouring floats of the B tile and store neighbouring floats of
// c). K runs in steps of CI_KWG, each staging A (CI_KWG x CI_MWG, k-major) and w (CI_KWG x CI_NWG)
// in local memory; a partial tile (past M, N or K) loads zeros and stores nothing past c.
// Loading A: work-item l takes k = k0 + l % CI_KWG (one channel of one tap, split once per step)
// and rows l / CI_KWG + t*(ITEMS / CI_KWG); each of its rows' pixel (b, oh, ow) is split once per
// launch. Neighbouring work-items read neighbouring channels of x.
//
// Launch geometry (ConvRoutine.implicit): local = (CI_NDIMC, CI_MDIMC), dimension 0 along N;
// global = (ceil(N / CI_NWG) * CI_NDIMC, ceil(M / CI_MWG) * CI_MDIMC). The host checks that
// CI_MWG and CI_NWG are multiples of CI_MDIMC and CI_NDIMC, that ITEMS = CI_MDIMC * CI_NDIMC is a
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

#define CI_ITEMS (CI_MDIMC * CI_NDIMC)
#define CI_MWI (CI_MWG / CI_MDIMC)
#define CI_NWI (CI_NWG / CI_NDIMC)
#define CI_ROW_STEP (CI_ITEMS / CI_KWG)
#define CI_A_LOADS (CI_MWG / CI_ROW_STEP)
#define CI_B_LOADS (CI_KWG * CI_NWG / CI_ITEMS)

PHILOX_ELEMENT_WORD(conv_philox_word, ulong)

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
    const int tid_n = get_local_id(0);
    const int tid_m = get_local_id(1);
    const int lid = tid_m * CI_NDIMC + tid_n;
    const int n0 = get_group_id(0) * CI_NWG;
    const int m0 = get_group_id(1) * CI_MWG;
    const int M = B * out_hw.x * out_hw.y;
    const int K = k_hw.x * k_hw.y * C;
    x_g += x_off;
    w_g += w_off;

    // This work-item's A rows: their pixel's first tap position and image, split once.
    const int load_k = lid % CI_KWG;
    const int load_r = lid / CI_KWG;
    int ih0[CI_A_LOADS];
    int iw0[CI_A_LOADS];
    int image[CI_A_LOADS];
    for (int t = 0; t < CI_A_LOADS; t++) {
        const int m = m0 + load_r + t * CI_ROW_STEP;
        const int ow = m % out_hw.y;
        const int oh = m / out_hw.y % out_hw.x;
        image[t] = m < M ? m / out_hw.y / out_hw.x : -1;
        ih0[t] = oh * stride.x - pad.x;
        iw0[t] = ow * stride.y - pad.y;
    }

    float acc[CI_MWI][CI_NWI];
    for (int i = 0; i < CI_MWI; i++) {
        for (int j = 0; j < CI_NWI; j++) {
            acc[i][j] = 0.0f;
        }
    }
    for (int k0 = 0; k0 < K; k0 += CI_KWG) {
        const int k = k0 + load_k;
        const int ch = k % C;
        const int tap = k / C;
        const int dh = tap / k_hw.y * dilation.x;
        const int dw = tap % k_hw.y * dilation.y;
        for (int t = 0; t < CI_A_LOADS; t++) {
            const int ih = ih0[t] + dh;
            const int iw = iw0[t] + dw;
            const bool inside = k < K && image[t] >= 0 && ih >= 0 && ih < in_hw.x && iw >= 0 && iw < in_hw.y;
            a_l[load_k * CI_MWG + load_r + t * CI_ROW_STEP] =
                    inside ? x_g[(((size_t)image[t] * in_hw.x + ih) * in_hw.y + iw) * C + ch] : 0.0f;
        }
        for (int t = 0; t < CI_B_LOADS; t++) {
            const int idx = lid + t * CI_ITEMS;
            const int kk = idx / CI_NWG;
            const int n = idx % CI_NWG;
            b_l[idx] = k0 + kk < K && n0 + n < N ? w_g[(size_t)(k0 + kk) * N + n0 + n] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < CI_KWG; kk++) {
            float a_p[CI_MWI];
            float b_p[CI_NWI];
            for (int i = 0; i < CI_MWI; i++) {
                a_p[i] = a_l[kk * CI_MWG + tid_m + i * CI_MDIMC];
            }
            for (int j = 0; j < CI_NWI; j++) {
                b_p[j] = b_l[kk * CI_NWG + tid_n + j * CI_NDIMC];
            }
            for (int i = 0; i < CI_MWI; i++) {
                for (int j = 0; j < CI_NWI; j++) {
                    acc[i][j] = fma(a_p[i], b_p[j], acc[i][j]);
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    __global const float* bias = bias_g + bias_off;
    for (int i = 0; i < CI_MWI; i++) {
        const int m = m0 + tid_m + i * CI_MDIMC;
        for (int j = 0; j < CI_NWI; j++) {
            const int n = n0 + tid_n + j * CI_NDIMC;
            if (m >= M || n >= N) {
                continue;
            }
            const size_t at = (size_t)m * N + n;
            float r = acc[i][j];
            if (use_bias) {
                r += bias[n];
            }
            if (keep_z) {
                z_g[z_off + at] = r;
            }
            if (act != ACT_LINEAR) {
                r = act_apply(act, act_alpha, r);
            }
            if (threshold != 0) {
                r = (conv_philox_word(seed, offset, (ulong)at) >> 8) >= threshold ? r * scale : 0.0f;
            }
            c_g[c_off + at] = r;
        }
    }
}
