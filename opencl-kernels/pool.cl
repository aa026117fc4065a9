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
// The backward kernels gather: one work-item per element of dx reads every window over it, so
// overlapping windows need no atomics and each sum has the fixed order above. The windows over
// row ih are oh in [ceil((ih + PT - KH + 1) / SH), floor((ih + PT) / SH)] within [0, OH); the same
// for columns. dev.clgrad.backend.java.JavaPooling is the spec: the same taps in the same order
// in float32, so max pooling matches it bit for bit. The divisions are OpenCL's float division
// (correctly rounded on CPUs; devices may be a few ulp off without -cl-fp32-correctly-rounded-divide-sqrt).
//
// Indices: the element count n and the sizes are ints (the host checks that n fits), element
// indices are size_t, so ((b * H + ih) * W + iw) * C + c never overflows.
//
// Launch geometry (PoolRoutine), one work-item per output element (forward: of y; backward: of dx),
// element i = ((b * OH + oh) * OW + ow) * C + c (forward) or ((b * H + ih) * W + iw) * C + c
// (backward), so neighbouring work-items read neighbouring channels:
//   global = ceil(n / POOL_WG) * POOL_WG, local = POOL_WG.

#pragma OPENCL FP_CONTRACT OFF

#ifndef POOL_WG
#define POOL_WG 256   // work-items per work-group
#endif

// The arguments every entry point takes after n: the image, output and window geometry.
#define POOL_GEOMETRY const int H, const int W, const int C, const int OH, const int OW, const int KH, \
                      const int KW, const int SH, const int SW, const int PT, const int PL
// Those arguments passed on to a helper.
#define POOL_GEOMETRY_ARGS H, W, C, OH, OW, KH, KW, SH, SW, PT, PL

// Whether tap value v (after best in scan order) becomes the maximum: larger, or the first NaN.
inline bool pool_takes_max(const float v, const float best) {
    return v > best || (isnan(v) && !isnan(best));
}

// The tap index kh * KW + kw of the maximum of channel c in window (oh, ow) of image b (the forward's scan).
inline int pool_argmax(__global const float* x_p, const size_t b, const int oh, const int ow, const int c,
                       POOL_GEOMETRY) {
    float best = 0.0f;
    int arg = -1;
    for (int kh = 0; kh < KH; kh++) {
        const int ih = oh * SH - PT + kh;
        if (ih < 0 || ih >= H) {
            continue;
        }
        for (int kw = 0; kw < KW; kw++) {
            const int iw = ow * SW - PL + kw;
            if (iw < 0 || iw >= W) {
                continue;
            }
            const float v = x_p[((b * H + ih) * W + iw) * C + c];
            if (arg < 0 || pool_takes_max(v, best)) {
                best = v;
                arg = kh * KW + kw;
            }
        }
    }
    return arg;
}

// The taps of window (oh, ow) inside the image.
inline int pool_count(const int oh, const int ow, POOL_GEOMETRY) {
    const int h0 = oh * SH - PT;
    const int w0 = ow * SW - PL;
    return (min(H, h0 + KH) - max(0, h0)) * (min(W, w0 + KW) - max(0, w0));
}

// The first window (oh or ow) over padded position p: ceil((p - K + 1) / S), at least 0.
inline int pool_first_window(const int p, const int K, const int S) {
    const int t = p - K + 1;
    return t <= 0 ? 0 : (t + S - 1) / S;
}

__kernel __attribute__((reqd_work_group_size(POOL_WG, 1, 1)))
void max_pool_forward(const int n, POOL_GEOMETRY, __global const float* x_g, const int x_off, __global float* y_g,
                      const int y_off) {
    const size_t i = get_global_id(0);
    if (i >= (size_t)n) {
        return;
    }
    const int c = i % C;
    size_t p = i / C;
    const int ow = p % OW;
    p /= OW;
    const int oh = p % OH;
    const size_t b = p / OH;
    __global const float* x_p = x_g + x_off;
    float best = 0.0f;
    bool first = true;
    for (int kh = 0; kh < KH; kh++) {
        const int ih = oh * SH - PT + kh;
        if (ih < 0 || ih >= H) {
            continue;
        }
        for (int kw = 0; kw < KW; kw++) {
            const int iw = ow * SW - PL + kw;
            if (iw < 0 || iw >= W) {
                continue;
            }
            const float v = x_p[((b * H + ih) * W + iw) * C + c];
            if (first || pool_takes_max(v, best)) {
                best = v;
            }
            first = false;
        }
    }
    y_g[(size_t)y_off + i] = best;
}

__kernel __attribute__((reqd_work_group_size(POOL_WG, 1, 1)))
void avg_pool_forward(const int n, POOL_GEOMETRY, __global const float* x_g, const int x_off, __global float* y_g,
                      const int y_off) {
    const size_t i = get_global_id(0);
    if (i >= (size_t)n) {
        return;
    }
    const int c = i % C;
    size_t p = i / C;
    const int ow = p % OW;
    p /= OW;
    const int oh = p % OH;
    const size_t b = p / OH;
    __global const float* x_p = x_g + x_off;
    float s = 0.0f;
    int count = 0;
    for (int kh = 0; kh < KH; kh++) {
        const int ih = oh * SH - PT + kh;
        if (ih < 0 || ih >= H) {
            continue;
        }
        for (int kw = 0; kw < KW; kw++) {
            const int iw = ow * SW - PL + kw;
            if (iw < 0 || iw >= W) {
                continue;
            }
            const float v = x_p[((b * H + ih) * W + iw) * C + c];
            s = count == 0 ? v : s + v;
            count++;
        }
    }
    y_g[(size_t)y_off + i] = s / (float)count;
}

__kernel __attribute__((reqd_work_group_size(POOL_WG, 1, 1)))
void max_pool_backward(const int n, POOL_GEOMETRY, __global const float* x_g, const int x_off,
                       __global const float* dy_g, const int dy_off, __global float* dx_g, const int dx_off) {
    const size_t i = get_global_id(0);
    if (i >= (size_t)n) {
        return;
    }
    const int c = i % C;
    size_t p = i / C;
    const int iw = p % W;
    p /= W;
    const int ih = p % H;
    const size_t b = p / H;
    __global const float* x_p = x_g + x_off;
    __global const float* dy_p = dy_g + dy_off;
    const int oh_hi = min(OH - 1, (ih + PT) / SH);
    const int ow_hi = min(OW - 1, (iw + PL) / SW);
    float acc = 0.0f;
    for (int oh = pool_first_window(ih + PT, KH, SH); oh <= oh_hi; oh++) {
        for (int ow = pool_first_window(iw + PL, KW, SW); ow <= ow_hi; ow++) {
            const int tap = (ih - (oh * SH - PT)) * KW + iw - (ow * SW - PL);
            if (pool_argmax(x_p, b, oh, ow, c, POOL_GEOMETRY_ARGS) == tap) {
                acc += dy_p[((b * OH + oh) * OW + ow) * C + c];
            }
        }
    }
    dx_g[(size_t)dx_off + i] = acc;
}

__kernel __attribute__((reqd_work_group_size(POOL_WG, 1, 1)))
void avg_pool_backward(const int n, POOL_GEOMETRY, __global const float* dy_g, const int dy_off,
                       __global float* dx_g, const int dx_off) {
    const size_t i = get_global_id(0);
    if (i >= (size_t)n) {
        return;
    }
    const int c = i % C;
    size_t p = i / C;
    const int iw = p % W;
    p /= W;
    const int ih = p % H;
    const size_t b = p / H;
    __global const float* dy_p = dy_g + dy_off;
    const int oh_hi = min(OH - 1, (ih + PT) / SH);
    const int ow_hi = min(OW - 1, (iw + PL) / SW);
    float acc = 0.0f;
    for (int oh = pool_first_window(ih + PT, KH, SH); oh <= oh_hi; oh++) {
        for (int ow = pool_first_window(iw + PL, KW, SW); ow <= ow_hi; ow++) {
            const int count = pool_count(oh, ow, POOL_GEOMETRY_ARGS);
            acc += dy_p[((b * OH + oh) * OW + ow) * C + c] / (float)count;
        }
    }
    dx_g[(size_t)dx_off + i] = acc;
}
