// dropout.cl — inverted dropout with Philox masks (DESIGN.md), forward and backward, per element
// and per channel (spatial dropout); and its variants on the same counters: Gaussian dropout
// (multiplicative normal noise) and alpha dropout.
//
//   x, y: n floats, contiguous, each at x_g + x_off.
//   keep(i) = (philox4x32_10(philox_counter(offset, i / 4), philox_key(seed))[i % 4] >> 8) >= threshold
//   dropout_forward:  y[i] = keep(i) ? x[i] * scale : 0
// The backward is the same kernel on the gradient (dx = dropout_forward(dy), the mask regenerated,
// never stored). threshold = ceil(p * 2^24) and scale = 1 / (1 - p) come from the host
// (DropoutRoutine), so every backend compares the same integers. y may be x (each element is read,
// then written).
//
// A work-item generates DROPOUT_VW Philox blocks, i.e. the 4 * DROPOUT_VW contiguous elements
// i0 = 4 * DROPOUT_VW * item onwards. With DROPOUT_VW = 16 (CPUs with SIMD) lane l of a ulong16
// holds block item * 16 + l; each 32-bit counter word sits in the low half of its 64-bit lane
// (the high half is don't-care), so a round's two products are widening multiplies (vpmuludq on
// AVX-512) that give hi and lo together. The words are then packed pairwise into 64-bit lanes,
// (w0 | w1 << 32) and (w2 | w3 << 32), and interleaved, which is element order. DROPOUT_VW = 1
// (GPUs) is the same code on scalars: one block per work-item. The input loads are issued before
// the rounds so that memory latency overlaps the arithmetic. A dropped element is +0 whatever x
// holds (the mask selects; NaN and inf are dropped too), a kept one x * scale (NaN stays NaN), as
// in the Java backend. Element indices are size_t: item * DROPOUT_SPAN may pass 2^31 - 1 in the
// last work-group of a call over nearly 2^31 elements.
//
// Launch geometry (DropoutRoutine):
//   items = ceil(ceil(n / 4) / DROPOUT_VW)
//   global = ceil(items / DROPOUT_WG) * DROPOUT_WG, local = DROPOUT_WG.
//
// spatial_dropout: x, y: (B, S, C), n = B * S * C floats, `row` = S * C per sample; one mask
// element per (sample, channel), element j = b * C + c of a mask call over B * C elements:
//   y[b, s, c] = keep(j) ? x[b, s, c] * scale : 0      keep(j) as above, counter offset + j / 4
// so every position of a dropped channel is dropped (Keras's SpatialDropout2D). The backward is
// the same kernel on the gradient. One work-item per mask element j = b * C + c, which computes its
// Philox word once (PHILOX_ELEMENT_WORD) and walks the S = row / C positions of its channel:
// neighbouring work-items take neighbouring channels, so each step reads neighbouring floats.
// global = ceil(B * C / DROPOUT_WG) * DROPOUT_WG (B = n / row), local = DROPOUT_WG. Indices are
// size_t.
//
// gaussian_dropout: x, y: n floats; Keras's GaussianDropout, y[i] = x[i] * (1 + sigma * z(i)),
// sigma = sqrt(p / (1 - p)) from the host, z(i) a standard normal from the Philox block at counter
// offset + i / 2, words 2 * (i % 2) and 2 * (i % 2) + 1, by gaussian_normal (Box-Muller with a
// polynomial log and sine/cosine; dev.clgrad.ops.Normal is the twin). Only correctly rounded
// operations in Normal's order: FP_CONTRACT is off for this file and the host builds it with
// -cl-fp32-correctly-rounded-divide-sqrt (the file names CLGRAD_EXACT_DIVIDE_SQRT), so the bits are
// the Java backend's. The backward is the same kernel on the gradient. One work-item per block
// (two elements); global = ceil(ceil(n / 2) / DROPOUT_WG) * DROPOUT_WG, local = DROPOUT_WG.
//
// alpha_dropout: x, y: n floats; alpha dropout (Klambauer et al., NeurIPS 2017) with the dropout
// mask above: y[i] = keep(i) ? a * x[i] + b : dropped, a, b and dropped = a * alpha' + b from the
// host (the backward passes b = dropped = 0). One work-item per Philox block of four elements,
// global = ceil(ceil(n / 4) / DROPOUT_WG) * DROPOUT_WG, local = DROPOUT_WG.

#pragma OPENCL FP_CONTRACT OFF

#include "philox.cl"

#ifndef DROPOUT_WG
#define DROPOUT_WG 256   // work-items per work-group
#endif
#ifndef DROPOUT_VW
#define DROPOUT_VW 1     // Philox blocks per work-item: 1 (GPUs) or 16 (CPUs with SIMD)
#endif

#define DROPOUT_SPAN (4 * DROPOUT_VW)   // elements per work-item
#define LOW32 0xFFFFFFFFul

// ulongv: one counter word per block of the work-item; FLOATE: DROPOUT_EW elements in memory order.
#if DROPOUT_VW == 1
typedef ulong ulongv;
#define DROPOUT_LANES 0ul
#define FLOATE float4
#define VLOADE vload4
#define VSTOREE vstore4
#define DROPOUT_NE 1
#elif DROPOUT_VW == 16
typedef ulong16 ulongv;
#define DROPOUT_LANES ((ulong16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))
#define FLOATE float16
#define VLOADE vload16
#define VSTOREE vstore16
#define DROPOUT_NE 4
#else
#error "DROPOUT_VW must be 1 (GPUs) or 16 (CPUs)"
#endif

// out[i] = keep(i) ? in[i] * scale : 0 for the elements i0 .. i0 + DROPOUT_SPAN - 1 below n.
inline void dropout_span(const int n, const uint threshold, const float scale, const ulong seed,
                         const ulong offset, __global const float* in_g, __global float* out_g) {
    const size_t item = get_global_id(0);
    const size_t i0 = item * DROPOUT_SPAN;
    if (i0 >= (size_t)n) {
        return;
    }
    // The loads go first so their memory latency overlaps the rounds.
    const bool full = i0 + DROPOUT_SPAN <= (size_t)n;
    FLOATE v_p[DROPOUT_NE];
    if (full) {
        #pragma unroll
        for (int q = 0; q < DROPOUT_NE; q++) {
            v_p[q] = VLOADE(q, in_g + i0);
        }
    }
    // The 128-bit counters offset + item * VW + l: a 64-bit sum that may carry into c2 twice over.
    const ulong s = offset + (ulong)item * DROPOUT_VW;
    const ulongv sum = s + DROPOUT_LANES;
    ulongv c0 = sum;
    ulongv c1 = sum >> 32;
    ulongv c2 = (s < offset ? 1ul : 0ul) + (sum < s ? (ulongv)1ul : (ulongv)0ul);
    ulongv c3 = (ulongv)0ul;
    ulong k0 = seed & LOW32;
    ulong k1 = seed >> 32;
    #pragma unroll
    for (int r = 0; r < 10; r++) {
        const ulongv p0 = (c0 & LOW32) * (ulong)PHILOX_M0;
        const ulongv p1 = (c2 & LOW32) * (ulong)PHILOX_M1;
        c0 = (p1 >> 32) ^ c1 ^ k0;
        c1 = p1;
        c2 = (p0 >> 32) ^ c3 ^ k1;
        c3 = p0;
        k0 = (k0 + PHILOX_W0) & LOW32;
        k1 = (k1 + PHILOX_W1) & LOW32;
    }
    // Element order: 64-bit lane pairs (w0 | w1 << 32, w2 | w3 << 32) of each block in turn.
    const ulongv c01 = (c0 & LOW32) | (c1 << 32);
    const ulongv c23 = (c2 & LOW32) | (c3 << 32);
#if DROPOUT_VW == 1
    const uint4 e_p[1] = {as_uint4((ulong2)(c01, c23))};
#else
    // Lane j of c01 is index j of shuffle2's pair, lane j of c23 index 16 + j. (One shuffle2 over
    // the whole vectors: Oclgrind 21.10 reports lanes of shuffle2(c01.hi, c23.hi, ...) as
    // uninitialised although their bits are right.)
    const ulong8 first = (ulong8)(0, 16, 1, 17, 2, 18, 3, 19);
    const ulong8 second = (ulong8)(4, 20, 5, 21, 6, 22, 7, 23);
    const uint16 e_p[4] = {as_uint16(shuffle2(c01, c23, first)), as_uint16(shuffle2(c01, c23, second)),
                           as_uint16(shuffle2(c01, c23, first + 8ul)), as_uint16(shuffle2(c01, c23, second + 8ul))};
#endif
    if (full) {
        #pragma unroll
        for (int q = 0; q < DROPOUT_NE; q++) {
            VSTOREE(select((FLOATE)0.0f, v_p[q] * scale, (e_p[q] >> 8) >= threshold), q, out_g + i0);
        }
    } else {
        uint w_p[DROPOUT_SPAN];
        for (int q = 0; q < DROPOUT_NE; q++) {
            VSTOREE(e_p[q], q, w_p);
        }
        for (int j = 0; i0 + j < (size_t)n; j++) {
            out_g[i0 + j] = (w_p[j] >> 8) >= threshold ? in_g[i0 + j] * scale : 0.0f;
        }
    }
}

__kernel __attribute__((reqd_work_group_size(DROPOUT_WG, 1, 1)))
void dropout_forward(const int n, const uint threshold, const float scale, const ulong seed, const ulong offset,
                     __global const float* x_g, const int x_off, __global float* y_g, const int y_off) {
    dropout_span(n, threshold, scale, seed, offset, x_g + x_off, y_g + y_off);
}

PHILOX_ELEMENT_WORD(spatial_dropout_word, ulong)

__kernel __attribute__((reqd_work_group_size(DROPOUT_WG, 1, 1)))
void spatial_dropout(const int n, const int row, const int C, const uint threshold, const float scale,
                     const ulong seed, const ulong offset, __global const float* x_g, const int x_off,
                     __global float* y_g, const int y_off) {
    const size_t j = get_global_id(0);
    if (j >= (size_t)(n / row) * C) {
        return;
    }
    const bool keep = (spatial_dropout_word(seed, offset, j) >> 8) >= threshold;
    const size_t b = j / C;
    const size_t base = b * row + j % C;
    __global const float* x_p = x_g + x_off + base;
    __global float* y_p = y_g + y_off + base;
    for (size_t s = 0; s < (size_t)row; s += C) {
        y_p[s] = keep ? x_p[s] * scale : 0.0f;
    }
}

// z ~ N(0, 1) from words w1, w2 (dev.clgrad.ops.Normal.boxMuller): u1 = ((w1 >> 8) + 1) * 2^-24 in
// (0, 1]; ln u1 = e * ln2 + 2 atanh(s), s = (m - 1) / (m + 1), m in [sqrt2 / 2, sqrt2); the top two
// bits of w2 >> 8 pick the quadrant of the turn, its low 22 bits the angle theta in [0, pi / 2).
inline float gaussian_log(const float u) {
    const uint bits = as_uint(u);
    int e = (int)(bits >> 23) - 127;
    float m = as_float((bits & 0x7FFFFFu) | 0x3F800000u);
    if (m > 0x1.6a09e6p0f) {
        m = m * 0.5f;
        e = e + 1;
    }
    const float s = (m - 1.0f) / (m + 1.0f);
    const float s2 = s * s;
    const float p = s2 * (0x1.555556p-2f + s2 * (0x1.99999ap-3f + s2 * (0x1.24924ap-3f + s2 * 0x1.c71c72p-4f)));
    return (float)e * 0x1.62e43p-1f + 2.0f * (s + s * p);
}

inline float gaussian_sin(const float t) {
    const float t2 = t * t;
    float p = 0x1.612462p-33f;
    p = p * t2 - 0x1.ae6456p-26f;
    p = p * t2 + 0x1.71de3ap-19f;
    p = p * t2 - 0x1.a01a02p-13f;
    p = p * t2 + 0x1.111112p-7f;
    p = p * t2 - 0x1.555556p-3f;
    return t + t * (t2 * p);
}

inline float gaussian_cos(const float t) {
    const float t2 = t * t;
    float p = -0x1.93974ap-37f;
    p = p * t2 + 0x1.1eed8ep-29f;
    p = p * t2 - 0x1.27e4fcp-22f;
    p = p * t2 + 0x1.a01a02p-16f;
    p = p * t2 - 0x1.6c16c2p-10f;
    p = p * t2 + 0x1.555556p-5f;
    p = p * t2 - 0.5f;
    return 1.0f + t2 * p;
}

inline float gaussian_normal(const uint w1, const uint w2) {
    const float u1 = (float)((w1 >> 8) + 1u) * 0x1p-24f;
    const float r = sqrt(-2.0f * gaussian_log(u1));
    const uint turn = w2 >> 8;
    const float theta = (float)(turn & 0x3FFFFFu) * 0x1p-22f * 0x1.921fb6p0f;
    const uint q = turn >> 22;
    return q == 0u ? r * gaussian_cos(theta) : q == 1u ? -(r * gaussian_sin(theta))
            : q == 2u ? -(r * gaussian_cos(theta)) : r * gaussian_sin(theta);
}

__kernel __attribute__((reqd_work_group_size(DROPOUT_WG, 1, 1)))
void gaussian_dropout(const int n, const float sigma, const ulong seed, const ulong offset,
                      __global const float* x_g, const int x_off, __global float* y_g, const int y_off) {
    const size_t blk = get_global_id(0);
    const size_t i0 = 2 * blk;
    if (i0 >= (size_t)n) {
        return;
    }
    const uint4 w = philox4x32_10(philox_counter(offset, blk), philox_key(seed));
    const float f0 = 1.0f + sigma * gaussian_normal(w.x, w.y);
    y_g[(size_t)y_off + i0] = x_g[(size_t)x_off + i0] * f0;
    if (i0 + 1 < (size_t)n) {
        const float f1 = 1.0f + sigma * gaussian_normal(w.z, w.w);
        y_g[(size_t)y_off + i0 + 1] = x_g[(size_t)x_off + i0 + 1] * f1;
    }
}

__kernel __attribute__((reqd_work_group_size(DROPOUT_WG, 1, 1)))
void alpha_dropout(const int n, const uint threshold, const float a, const float b, const float dropped,
                   const ulong seed, const ulong offset, __global const float* x_g, const int x_off,
                   __global float* y_g, const int y_off) {
    const size_t blk = get_global_id(0);
    const size_t i0 = 4 * blk;
    if (i0 >= (size_t)n) {
        return;
    }
    const uint4 w4 = philox4x32_10(philox_counter(offset, blk), philox_key(seed));
    const uint w_p[4] = {w4.x, w4.y, w4.z, w4.w};
    for (int j = 0; j < 4 && i0 + j < (size_t)n; j++) {
        const float v = x_g[(size_t)x_off + i0 + j];
        y_g[(size_t)y_off + i0 + j] = (w_p[j] >> 8) >= threshold ? a * v + b : dropped;
    }
}
