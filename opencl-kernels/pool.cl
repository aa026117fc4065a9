// pool.cl — 2-D max and average pooling over NHWC images, forward and backward.
//
//   x, dx: (B, H, W, C)   y, dy: (B, OH, OW, C)   row-major, channels last, each at x_g + x_off.
//   Window KH x KW, strides (SH, SW), padding (PT top, PL left); no dilation. Output pixel (oh, ow)
//   reads the taps ih = oh * SH - PT + kh, iw = ow * SW - PL + kw (kh < KH, kw < KW) that lie
//   inside the image; padding taps are never read. Every window holds at least one tap (the host
//   checks it, dev.clgrad.ops.Window gives it for Keras's "valid" and "same").
//
//   max_pool_forward:   y[b, oh, ow, c] = the first maximum of the window's taps in scan order
//                       (kh, then kw): a tap replaces the best so far when v > best, or when v is
//                       the first NaN (isnan(v) && !isnan(best)), so a window holding a NaN gives
//                       its first NaN; ties keep the first tap, -0 and +0 tie.
//   avg_pool_forward:   y = (sum of the taps in scan order, from the first one) / count, count the
//                       taps inside the image (padding excluded, as Keras / TensorFlow "same").
//   max_pool_backward:  dx[b, ih, iw, c] = sum over the windows (oh, ow) holding tap (ih, iw),
//                       oh then ow ascending, from +0, of dy[b, oh, ow, c] where that tap is the
//                       window's maximum, regenerated from x with the forward's scan.
//   avg_pool_backward:  dx[b, ih, iw, c] = the same sum of dy[b, oh, ow, c] / count(oh, ow).
// The backward kernels gather: one work-item per pixel of dx reads every window over it, so
// overlapping windows need no atomics and each sum has the fixed order above. The windows over
// row ih are oh in [ceil((ih + PT - KH + 1) / SH), floor((ih + PT) / SH)] within [0, OH); the same
// for columns. dev.clgrad.backend.java.JavaPooling is the spec: the same taps in the same order
// in float32, so max pooling matches it bit for bit. The divisions are OpenCL's float division
// (correctly rounded on CPUs; devices may be a few ulp off without -cl-fp32-correctly-rounded-divide-sqrt).
//
// Channels are independent, so a work-item takes POOL_VW neighbouring channels as one vector and
// every comparison, select and sum above runs per lane: the same operations as the scalar spec,
// lane by lane. Adding +0 where a tap is not the maximum leaves the sum's bits unchanged (a sum
// from +0 is never -0).
//
// Indices: sizes and pixel indices are ints (the host checks that B*H*W and B*OH*OW fit one);
// element indices (size_t)pixel * C + c are size_t, so tensors past 2^31 elements index right.
//
// Launch geometry (PoolRoutine), 2-D, one work-item per vector of channels of one pixel:
//   (v, p) over (ceil(C / POOL_VW), pixels), channels c0 = v * POOL_VW .. min(C, c0 + POOL_VW) of
//   pixel p = (b * OH + oh) * OW + ow of y (forward) or p = (b * H + ih) * W + iw of dx (backward),
//   p split into (b, row, column) once per work-item. The last vector of a pixel whose C is not a
//   multiple of POOL_VW loads and stores only the channels below C (its other lanes hold zeros,
//   never stored).
//   local = (L0, L1) with L0 = min(POOL_WG, ceil(C / POOL_VW)) and L1 = max(1, POOL_WG / L0);
//   global = each dimension rounded up to a multiple of its local size. Neighbouring work-items of
//   dimension 0 read and write neighbouring vectors.

#pragma OPENCL FP_CONTRACT OFF

#include "common.cl"

#ifndef POOL_WG
#define POOL_WG 256   // work-items per work-group (L0 * L1 <= POOL_WG)
#endif
#ifndef POOL_VW
#define POOL_VW 4     // channels per work-item: 1, 2, 4, 8 or 16
#endif

#if POOL_VW == 1
typedef float pooln;   // POOL_VW channels
typedef int pooli;     // a comparison of pooln values, or a tap index per channel
#define POOL_VLOAD(p) (*(p))
#define POOL_VSTORE(v, p) (*(p) = (v))
#elif POOL_VW == 2 || POOL_VW == 4 || POOL_VW == 8 || POOL_VW == 16
typedef VEC_N(POOL_VW) pooln;
typedef CLGRAD_XCAT(int, POOL_VW) pooli;
#define POOL_VLOAD(p) VLOAD_N(POOL_VW)(0, p)
#define POOL_VSTORE(v, p) VSTORE_N(POOL_VW)(v, 0, p)
#else
#error "POOL_VW must be 1, 2, 4, 8 or 16"
#endif

// The arguments every entry point takes after the pixel count: the image, output and window geometry.
#define POOL_GEOMETRY const int H, const int W, const int C, const int OH, const int OW, const int KH, \
                      const int KW, const int SH, const int SW, const int PT, const int PL
// Those arguments passed on to a helper.
#define POOL_GEOMETRY_ARGS H, W, C, OH, OW, KH, KW, SH, SW, PT, PL

// The count channels at p_g (all POOL_VW of them when count >= POOL_VW), zeros in the other lanes.
inline pooln pool_load(__global const float* p_g, const int count) {
    if (count >= POOL_VW) {
        return POOL_VLOAD(p_g);
    }
    float t_p[POOL_VW];
    for (int j = 0; j < POOL_VW; j++) {
        t_p[j] = j < count ? p_g[j] : 0.0f;
    }
    return POOL_VLOAD(t_p);
}

// Stores the first min(count, POOL_VW) lanes of v at p_g.
inline void pool_store(const pooln v, __global float* p_g, const int count) {
    if (count >= POOL_VW) {
        POOL_VSTORE(v, p_g);
        return;
    }
    float t_p[POOL_VW];
    POOL_VSTORE(v, t_p);
    for (int j = 0; j < count; j++) {
        p_g[j] = t_p[j];
    }
}

// Per lane, whether tap value v (after best in scan order) becomes the maximum: larger, or the first NaN.
inline pooli pool_takes_max(const pooln v, const pooln best) {
    return v > best || (isnan(v) && !isnan(best));
}

// The taps of window (oh, ow) inside the image: kh in [r.x, r.y), kw in [r.z, r.w).
inline int4 pool_taps(const int oh, const int ow, POOL_GEOMETRY) {
    const int h0 = oh * SH - PT;
    const int w0 = ow * SW - PL;
    return (int4)(max(0, -h0), min(KH, H - h0), max(0, -w0), min(KW, W - w0));
}

// Per lane, the tap index kh * KW + kw of the maximum of window (oh, ow) of image b (the forward's
// scan); x_p points at the work-item's first channel of pixel 0.
inline pooli pool_argmax(__global const float* x_p, const int b, const int oh, const int ow, const int count,
                         POOL_GEOMETRY) {
    const int4 r = pool_taps(oh, ow, POOL_GEOMETRY_ARGS);
    pooln best = 0.0f;
    pooli arg = 0;
    for (int kh = r.x; kh < r.y; kh++) {
        const int row = (b * H + oh * SH - PT + kh) * W + ow * SW - PL;
        for (int kw = r.z; kw < r.w; kw++) {
            const pooln v = pool_load(x_p + (size_t)(row + kw) * C, count);
            const pooli take = (kh == r.x && kw == r.z) ? (pooli)(-1) : pool_takes_max(v, best);
            best = select(best, v, take);
            arg = select(arg, (pooli)(kh * KW + kw), take);
        }
    }
    return arg;
}

// The first window (oh or ow) over padded position p: ceil((p - K + 1) / S), at least 0.
inline int pool_first_window(const int p, const int K, const int S) {
    const int t = p - K + 1;
    return t <= 0 ? 0 : (t + S - 1) / S;
}

// Per lane, y = the window's first maximum (max) or its mean (average) over the taps in scan order.
inline pooln pool_forward(const bool max_pool, __global const float* x_p, const int b, const int oh, const int ow,
                          const int count, POOL_GEOMETRY) {
    const int4 r = pool_taps(oh, ow, POOL_GEOMETRY_ARGS);
    pooln s = 0.0f;
    for (int kh = r.x; kh < r.y; kh++) {
        const int row = (b * H + oh * SH - PT + kh) * W + ow * SW - PL;
        for (int kw = r.z; kw < r.w; kw++) {
            const pooln v = pool_load(x_p + (size_t)(row + kw) * C, count);
            if (kh == r.x && kw == r.z) {
                s = v;
            } else if (max_pool) {
                s = select(s, v, pool_takes_max(v, s));
            } else {
                s += v;
            }
        }
    }
    return max_pool ? s : s / (float)((r.y - r.x) * (r.w - r.z));
}

// Per lane, dx of pixel (b, ih, iw): the gather over the windows holding it (max: where it is the
// maximum, from x_p; average: x_p unused).
inline pooln pool_backward(const bool max_pool, __global const float* x_p, __global const float* dy_p, const int b,
                           const int ih, const int iw, const int count, POOL_GEOMETRY) {
    const int oh_hi = min(OH - 1, (ih + PT) / SH);
    const int ow_hi = min(OW - 1, (iw + PL) / SW);
    const int ow_lo = pool_first_window(iw + PL, KW, SW);
    pooln acc = 0.0f;
    for (int oh = pool_first_window(ih + PT, KH, SH); oh <= oh_hi; oh++) {
        for (int ow = ow_lo; ow <= ow_hi; ow++) {
            const pooln g = pool_load(dy_p + (size_t)((b * OH + oh) * OW + ow) * C, count);
            if (max_pool) {
                const int tap = (ih - (oh * SH - PT)) * KW + iw - (ow * SW - PL);
                const pooli arg = pool_argmax(x_p, b, oh, ow, count, POOL_GEOMETRY_ARGS);
                acc += select((pooln)0.0f, g, arg == (pooli)tap);
            } else {
                const int4 r = pool_taps(oh, ow, POOL_GEOMETRY_ARGS);
                acc += g / (float)((r.y - r.x) * (r.w - r.z));
            }
        }
    }
    return acc;
}

// The work-item's first channel c0, its pixel p and its channel count; returns when outside (C, pixels).
// Each entry point inlines its body twice: with the constant count POOL_VW for a full vector (no
// per-tap branch), and with the count of a last partial vector.
#define POOL_ITEM(pixels)                           \
    const int c0 = get_global_id(0) * POOL_VW;      \
    const int p = get_global_id(1);                 \
    if (c0 >= C || p >= (pixels)) {                 \
        return;                                     \
    }                                               \
    const int count = C - c0

__kernel void max_pool_forward(const int pixels, POOL_GEOMETRY, __global const float* x_g, const int x_off,
                               __global float* y_g, const int y_off) {
    POOL_ITEM(pixels);
    const int ow = p % OW;
    const int oh = p / OW % OH;
    const int b = p / OW / OH;
    __global const float* x_p = x_g + x_off + c0;
    __global float* y_p = y_g + y_off + (size_t)p * C + c0;
    if (count >= POOL_VW) {
        POOL_VSTORE(pool_forward(true, x_p, b, oh, ow, POOL_VW, POOL_GEOMETRY_ARGS), y_p);
    } else {
        pool_store(pool_forward(true, x_p, b, oh, ow, count, POOL_GEOMETRY_ARGS), y_p, count);
    }
}

__kernel void avg_pool_forward(const int pixels, POOL_GEOMETRY, __global const float* x_g, const int x_off,
                               __global float* y_g, const int y_off) {
    POOL_ITEM(pixels);
    const int ow = p % OW;
    const int oh = p / OW % OH;
    const int b = p / OW / OH;
    __global const float* x_p = x_g + x_off + c0;
    __global float* y_p = y_g + y_off + (size_t)p * C + c0;
    if (count >= POOL_VW) {
        POOL_VSTORE(pool_forward(false, x_p, b, oh, ow, POOL_VW, POOL_GEOMETRY_ARGS), y_p);
    } else {
        pool_store(pool_forward(false, x_p, b, oh, ow, count, POOL_GEOMETRY_ARGS), y_p, count);
    }
}

__kernel void max_pool_backward(const int pixels, POOL_GEOMETRY, __global const float* x_g, const int x_off,
                                __global const float* dy_g, const int dy_off, __global float* dx_g,
                                const int dx_off) {
    POOL_ITEM(pixels);
    const int iw = p % W;
    const int ih = p / W % H;
    const int b = p / W / H;
    __global const float* x_p = x_g + x_off + c0;
    __global const float* dy_p = dy_g + dy_off + c0;
    __global float* dx_p = dx_g + dx_off + (size_t)p * C + c0;
    if (count >= POOL_VW) {
        POOL_VSTORE(pool_backward(true, x_p, dy_p, b, ih, iw, POOL_VW, POOL_GEOMETRY_ARGS), dx_p);
    } else {
        pool_store(pool_backward(true, x_p, dy_p, b, ih, iw, count, POOL_GEOMETRY_ARGS), dx_p, count);
    }
}

__kernel void avg_pool_backward(const int pixels, POOL_GEOMETRY, __global const float* dy_g, const int dy_off,
                                __global float* dx_g, const int dx_off) {
    POOL_ITEM(pixels);
    const int iw = p % W;
    const int ih = p / W % H;
    const int b = p / W / H;
    __global const float* dy_p = dy_g + dy_off + c0;
    __global float* dx_p = dx_g + dx_off + (size_t)p * C + c0;
    if (count >= POOL_VW) {
        POOL_VSTORE(pool_backward(false, 0, dy_p, b, ih, iw, POOL_VW, POOL_GEOMETRY_ARGS), dx_p);
    } else {
        pool_store(pool_backward(false, 0, dy_p, b, ih, iw, count, POOL_GEOMETRY_ARGS), dx_p, count);
    }
}
