// conv.cl — the sliding-window copies that make a 2-D convolution one GEMM, and its adjoint.
//
// A Conv2D over NHWC images x: (B, H, W, C) with kernel w: (KH, KW, C, F) is
//   y[b, oh, ow, f] = sum_{kh, kw, c} x[b, oh*SH - PT + kh*DH, ow*SW - PL + kw*DW, c] * w[kh, kw, c, f]
// (positions outside the image read 0: the padding). im2col lays every output pixel's window out as
// one row, so that y = cols . w with w read as the matrix (KH*KW*C, F) and the product (B*OH*OW, F)
// already NHWC; the input gradient is col2im(dY . w^T).
//
//   im2col:  x: (B, H, W, C) -> cols: (B*OH*OW, KH*KW*C)
//            cols[(b*OH + oh)*OW + ow, (kh*KW + kw)*C + c] = x[b, ih, iw, c],
//            ih = oh*SH - PT + kh*DH, iw = ow*SW - PL + kw*DW; +0 where (ih, iw) is outside the image.
//   col2im:  cols: (B*OH*OW, KH*KW*C) -> dx: (B, H, W, C)
//            dx[b, ih, iw, c] = +0 + sum over the taps (kh, kw) with oh = (ih + PT - kh*DH) / SH and
//            ow = (iw + PL - kw*DW) / SW whole and inside the output of
//            cols[(b*OH + oh)*OW + ow, (kh*KW + kw)*C + c],
//            added in float in the order kh, then kw, ascending: the Java backend's order, so both
//            give the same bits (NaN and inf propagate, inf - inf is NaN, an element no window reads
//            is +0). A gather: each dx element is written by one work-item, no atomics.
// Row-major and contiguous, each buffer at x_g + x_off; cols must not alias x or dx. The geometry
// comes in pairs (int2: .x along H, .y along W): in_hw = (H, W), out_hw = (OH, OW), k_hw = (KH, KW),
// stride = (SH, SW), dilation = (DH, DW), pad = (PT, PL), as dev.clgrad.ops.Window holds it.
// Indices: every size, pixel and row index is an int (the host checks that the sizes, the offsets
// and the global range fit one), but element indices such as r * (KH*KW*C) + c pass 2^31 - 1 on
// large batches, so they are size_t.
//
// Channels are independent, so a work-item takes CONV_VW neighbouring channels: a vector load or
// store per tap, and col2im's sums per lane in the same order as the scalar spec. A last partial
// vector (C not a multiple of CONV_VW, such as a first layer's C = 1) walks the taps once per
// channel, scalar.
//
// Launch geometry (ConvRoutine), 2-D, one work-item per vector of channels of one row of the output:
//   im2col:  (v, r) over (ceil(C / CONV_VW), B*OH*OW): the work-item copies channels
//            c0 = v * CONV_VW .. min(C, c0 + CONV_VW) of each of the KH*KW taps of output pixel r
//            (r split into b, oh, ow once, not once per element)
//   col2im:  (v, p) over (ceil(C / CONV_VW), B*H*W): the work-item sums those channels of input
//            pixel p = (b*H + ih)*W + iw
//   local = (L0, L1) with L0 = min(CONV_WG, ceil(C / CONV_VW)) and L1 = max(1, CONV_WG / L0);
//   global = each dimension rounded up to a multiple of its local size. Neighbouring work-items of
//   dimension 0 touch neighbouring vectors of x, cols and dx; a group spans several pixels, so
//   C = 1 does not launch a group per pixel.

#include "common.cl"

#ifndef CONV_WG
#define CONV_WG 256   // work-items per work-group (L0 * L1 <= CONV_WG)
#endif
#ifndef CONV_VW
#define CONV_VW 4     // channels per work-item: 1, 2, 4, 8 or 16
#endif

#if CONV_VW == 1
typedef float convn;
#define CONV_VLOAD(p) (*(p))
#define CONV_VSTORE(v, p) (*(p) = (v))
#elif CONV_VW == 2 || CONV_VW == 4 || CONV_VW == 8 || CONV_VW == 16
typedef VEC_N(CONV_VW) convn;
#define CONV_VLOAD(p) VLOAD_N(CONV_VW)(0, p)
#define CONV_VSTORE(v, p) VSTORE_N(CONV_VW)(v, 0, p)
#else
#error "CONV_VW must be 1, 2, 4, 8 or 16"
#endif

// The taps of output pixel (oh, ow) in scan order, each with inside (whether it lies in the image),
// src_g (its pixel of x, at the work-item's first channel) and dst_g (its place in the cols row);
// BODY copies.
#define IM2COL_TAPS(BODY)                                                                       \
    for (int kh = 0; kh < k_hw.x; kh++) {                                                       \
        const int ih = oh * stride.x - pad.x + kh * dilation.x;                                 \
        for (int kw = 0; kw < k_hw.y; kw++) {                                                   \
            const int iw = ow * stride.y - pad.y + kw * dilation.y;                             \
            const bool inside = ih >= 0 && ih < in_hw.x && iw >= 0 && iw < in_hw.y;             \
            __global float* dst_g = row_g + ((size_t)kh * k_hw.y + kw) * C;                     \
            __global const float* src_g = image_g + ((size_t)ih * in_hw.y + iw) * C;            \
            BODY;                                                                               \
        }                                                                                       \
    }

__kernel void im2col(const int B, const int C, const int2 in_hw, const int2 out_hw, const int2 k_hw,
                     const int2 stride, const int2 dilation, const int2 pad,
                     __global const float* x_g, const int x_off, __global float* cols_g, const int cols_off) {
    const int c0 = get_global_id(0) * CONV_VW;
    const int r = get_global_id(1);
    const int b = r / out_hw.y / out_hw.x;
    if (c0 >= C || b >= B) {
        return;
    }
    const int ow = r % out_hw.y;
    const int oh = r / out_hw.y % out_hw.x;
    const size_t taps = (size_t)k_hw.x * k_hw.y;
    const size_t image = (size_t)in_hw.x * in_hw.y;
    __global float* row_g = cols_g + cols_off + (size_t)r * taps * C + c0;
    __global const float* image_g = x_g + x_off + (size_t)b * image * C + c0;
    if (c0 + CONV_VW <= C) {
        IM2COL_TAPS(CONV_VSTORE(inside ? CONV_VLOAD(src_g) : (convn)0.0f, dst_g))
    } else {
        for (int j = 0; j < C - c0; j++) {
            IM2COL_TAPS(dst_g[j] = inside ? src_g[j] : 0.0f)
        }
    }
}

// The taps (kh, kw) in scan order whose output pixel (oh, ow) reads dx pixel (ih, iw), each with
// src_g, its cols entry at the work-item's first channel; BODY adds it.
#define COL2IM_TAPS(BODY)                                                                           \
    for (int kh = 0; kh < k_hw.x; kh++) {                                                           \
        const int sh = ih + pad.x - kh * dilation.x;                                                \
        if (sh < 0 || (stride.x > 1 && sh % stride.x != 0) || sh / stride.x >= out_hw.x) {          \
            continue;                                                                               \
        }                                                                                           \
        for (int kw = 0; kw < k_hw.y; kw++) {                                                       \
            const int sw = iw + pad.y - kw * dilation.y;                                            \
            if (sw < 0 || (stride.y > 1 && sw % stride.y != 0) || sw / stride.y >= out_hw.y) {      \
                continue;                                                                           \
            }                                                                                       \
            const size_t out_pixel = (size_t)(sh / stride.x) * out_hw.y + sw / stride.y;            \
            const size_t tap = (size_t)kh * k_hw.y + kw;                                            \
            __global const float* src_g = image_g + (out_pixel * taps + tap) * C;                   \
            BODY;                                                                                   \
        }                                                                                           \
    }

__kernel void col2im(const int B, const int C, const int2 in_hw, const int2 out_hw, const int2 k_hw,
                     const int2 stride, const int2 dilation, const int2 pad,
                     __global const float* cols_g, const int cols_off, __global float* dx_g, const int dx_off) {
    const int c0 = get_global_id(0) * CONV_VW;
    const int p = get_global_id(1);
    const int b = p / in_hw.y / in_hw.x;
    if (c0 >= C || b >= B) {
        return;
    }
    const int iw = p % in_hw.y;
    const int ih = p / in_hw.y % in_hw.x;
    const size_t taps = (size_t)k_hw.x * k_hw.y;
    const size_t pixels = (size_t)out_hw.x * out_hw.y;
    __global const float* image_g = cols_g + cols_off + (size_t)b * pixels * taps * C + c0;
    __global float* dst_g = dx_g + (size_t)dx_off + (size_t)p * C + c0;
    if (c0 + CONV_VW <= C) {
        convn s = 0.0f;
        COL2IM_TAPS(s += CONV_VLOAD(src_g))
        CONV_VSTORE(s, dst_g);
    } else {
        for (int j = 0; j < C - c0; j++) {
            float s = 0.0f;
            COL2IM_TAPS(s += src_g[j])
            dst_g[j] = s;
        }
    }
}
