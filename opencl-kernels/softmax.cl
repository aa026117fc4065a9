// softmax.cl — softmax over the last axis, forward and backward, one work-group per row.
//
//   softmax_forward:   x: (R, C)         m_r = max_c x[r, c],  s_r = sum_c e^(x[r, c] - m_r),
//                                        y[r, c] = e^(x[r, c] - m_r) / s_r
//   softmax_backward:  y, dy: (R, C)     d_r = sum_c dy[r, c] * y[r, c],
//                                        dx[r, c] = y[r, c] * (dy[r, c] - d_r)
// Subtracting the row max keeps e^. in (0, 1]. A row holding NaN or +inf gives NaN throughout
// (inf - inf), as the Java backend (the spec) and PyTorch do. y may be x and dx may be dy: each
// work-item rewrites only the elements it read, after the row's reduction.
// Row-major and contiguous, each buffer at x_g + x_off; r * C may pass 2^31 - 1, so row starts
// are size_t.
//
// Launch geometry (SoftmaxRoutine): one work-group of SOFTMAX_WG work-items per row,
//   global = R * SOFTMAX_WG, local = SOFTMAX_WG; the work-items split the row by group_share
//   (common.cl) and reduce it with a fixed tree (group_sum, group_max): the same bits every run.

#include "common.cl"

#ifndef SOFTMAX_WG
#define SOFTMAX_WG 256   // work-items per row; a power of two
#endif

// max of one float per work-item over the work-group, as group_sum's tree (fmax: a NaN is dropped
// here, but the NaN's own e^(NaN - m) makes the row's sum, and so the whole row, NaN anyway).
inline float group_max(float v, __local float* s_l) {
    const int lid = get_local_id(0);
    const int size = get_local_size(0);
    s_l[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = size / 2; h > 0; h /= 2) {
        if (lid < h) {
            s_l[lid] = fmax(s_l[lid], s_l[lid + h]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float m = s_l[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return m;
}

__kernel __attribute__((reqd_work_group_size(SOFTMAX_WG, 1, 1)))
void softmax_forward(const int R, const int C, __global const float* x_g, const int x_off, __global float* y_g,
                     const int y_off) {
    __local float s_l[SOFTMAX_WG];
    const size_t row = (size_t)get_group_id(0) * C;
    __global const float* x_p = x_g + x_off + row;
    __global float* y_p = y_g + y_off + row;
    const int3 share = group_share(C);
    float m = -INFINITY;
    for (size_t c = share.x; c < share.y; c += share.z) {
        m = fmax(m, x_p[c]);
    }
    m = group_max(m, s_l);
    float s = 0.0f;
    for (size_t c = share.x; c < share.y; c += share.z) {
        const float e = exp(x_p[c] - m);
        y_p[c] = e;
        s += e;
    }
    const float total = group_sum(s, s_l);
    for (size_t c = share.x; c < share.y; c += share.z) {
        y_p[c] = y_p[c] / total;
    }
}

__kernel __attribute__((reqd_work_group_size(SOFTMAX_WG, 1, 1)))
void softmax_backward(const int R, const int C, __global const float* y_g, const int y_off,
                      __global const float* dy_g, const int dy_off, __global float* dx_g, const int dx_off) {
    __local float s_l[SOFTMAX_WG];
    const size_t row = (size_t)get_group_id(0) * C;
    __global const float* y_p = y_g + y_off + row;
    __global const float* dy_p = dy_g + dy_off + row;
    __global float* dx_p = dx_g + dx_off + row;
    const int3 share = group_share(C);
    float d = 0.0f;
    for (size_t c = share.x; c < share.y; c += share.z) {
        d += dy_p[c] * y_p[c];
    }
    const float dot = group_sum(d, s_l);
    for (size_t c = share.x; c < share.y; c += share.z) {
        dx_p[c] = y_p[c] * (dy_p[c] - dot);
    }
}
