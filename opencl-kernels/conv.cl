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
// Indices: every size is an int, but element indices such as r * (KH*KW*C) + j pass 2^31 - 1 on
// large batches, so they are size_t (the host checks that each size, row count and offset fits an
// int).
//
// Launch geometry (ConvRoutine), 2-D, dimension 0 along contiguous memory so that neighbouring
// work-items touch neighbouring floats:
//   im2col:  one work-item per cols element: (j, r) over (KH*KW*C, B*OH*OW)
//   col2im:  one work-item per dx element:   (j, p) over (W*C, B*H), j = iw*C + c, p = b*H + ih
//   local = (L0, L1) with L0 = min(CONV_WG, dimension 0 rounded up to a multiple of 8) and
//   L1 = max(1, CONV_WG / L0); global = each dimension rounded up to a multiple of its local size.
//   A group spans several rows, so a narrow row (C = 1, KH*KW = 9) does not launch a group per row.

#ifndef CONV_WG
#define CONV_WG 256   // work-items per work-group (L0 * L1 <= CONV_WG)
#endif

__kernel void im2col(const int B, const int C, const int2 in_hw, const int2 out_hw, const int2 k_hw,
                     const int2 stride, const int2 dilation, const int2 pad,
                     __global const float* x_g, const int x_off, __global float* cols_g, const int cols_off) {
    const size_t j = get_global_id(0);
    const size_t r = get_global_id(1);
    const size_t window_taps = (size_t)k_hw.x * k_hw.y;
    const size_t taps = window_taps * C;
    const size_t pixels = (size_t)out_hw.x * out_hw.y;
    const size_t rows = pixels * B;
    if (j >= taps || r >= rows) {
        return;
    }
    const int c = (int)(j % C);
    const int tap = (int)(j / C);
    const int kw = tap % k_hw.y;
    const int kh = tap / k_hw.y;
    const int ow = (int)(r % out_hw.y);
    const int oh = (int)(r / out_hw.y % out_hw.x);
    const size_t b = r / pixels;
    const int ih = oh * stride.x - pad.x + kh * dilation.x;
    const int iw = ow * stride.y - pad.y + kw * dilation.y;
    const bool inside = ih >= 0 && ih < in_hw.x && iw >= 0 && iw < in_hw.y;
    const size_t src = ((b * in_hw.x + ih) * in_hw.y + iw) * C + c;
    cols_g[(size_t)cols_off + r * taps + j] = inside ? x_g[(size_t)x_off + src] : 0.0f;
}

__kernel void col2im(const int B, const int C, const int2 in_hw, const int2 out_hw, const int2 k_hw,
                     const int2 stride, const int2 dilation, const int2 pad,
                     __global const float* cols_g, const int cols_off, __global float* dx_g, const int dx_off) {
    const size_t j = get_global_id(0);
    const size_t p = get_global_id(1);
    const size_t in_h = in_hw.x;
    const size_t in_w = in_hw.y;
    const size_t width = in_w * C;
    const size_t image_rows = in_h * B;
    if (j >= width || p >= image_rows) {
        return;
    }
    const int c = (int)(j % C);
    const int iw = (int)(j / C);
    const int ih = (int)(p % in_h);
    const size_t b = p / in_h;
    const size_t window_taps = (size_t)k_hw.x * k_hw.y;
    const size_t taps = window_taps * C;
    float s = 0.0f;
    for (int kh = 0; kh < k_hw.x; kh++) {
        const int sh = ih + pad.x - kh * dilation.x;
        if (sh < 0 || sh % stride.x != 0 || sh / stride.x >= out_hw.x) {
            continue;
        }
        const size_t out_row = (b * out_hw.x + sh / stride.x) * out_hw.y;
        for (int kw = 0; kw < k_hw.y; kw++) {
            const int sw = iw + pad.y - kw * dilation.y;
            if (sw < 0 || sw % stride.y != 0 || sw / stride.y >= out_hw.y) {
                continue;
            }
            const size_t tap = (size_t)kh * k_hw.y + kw;
            s += cols_g[(size_t)cols_off + (out_row + sw / stride.y) * taps + tap * C + c];
        }
    }
    dx_g[(size_t)dx_off + p * width + j] = s;
}
