// constraint.cl — weight constraints (after each update) and weight penalties (after the backward),
// one launch per parameter, Keras's formulas.
//
//   renorm_columns: w: (R, C) row-major, in place (MaxNorm, UnitNorm, MinMaxNorm):
//     n_c = sqrt(sum_r w[r, c]^2);  d_c = rate * clamp(n_c, min_norm, max_norm) + (1 - rate) * n_c
//     w[r, c] *= d_c / (1e-7 + n_c)
//   regularize: w, g: (n):  loss[0] (+)= sum_i (l1 |w_i| + l2 w_i^2);  g_i += l1 sign(w_i) + 2 l2 w_i
//   regularize_penalty: the loss alone (evaluation, where there is no gradient).
// Each buffer at x_g + x_off; g must not alias w or loss. Element indices are size_t: R * C may pass
// 2^31 - 1.
//
// Launch geometry (ConstraintRoutine):
//   renorm_columns: one work-item per column, global = ceil(C / CONSTRAINT_WG) * CONSTRAINT_WG,
//       local = CONSTRAINT_WG; a work-item walks its column twice (the norm, then the scaling), so
//       neighbouring work-items read neighbouring floats of a row. Deterministic: one order per column.
//   regularize, regularize_penalty: one work-group (global = local = REDUCE_WG): each work-item
//       takes its group_share (common.cl) of w, updates those gradients and sums their penalty,
//       then a tree in local memory (group_sum). Deterministic for a device profile.

#pragma OPENCL FP_CONTRACT OFF

#include "common.cl"

#ifndef CONSTRAINT_WG
#define CONSTRAINT_WG 64   // work-items per work-group of renorm_columns
#endif
#ifndef REDUCE_WG
#define REDUCE_WG 256      // work-items of the one-group penalties; a power of two
#endif

__kernel __attribute__((reqd_work_group_size(CONSTRAINT_WG, 1, 1)))
void renorm_columns(const int R, const int C, const float min_norm, const float max_norm, const float rate,
                    __global float* w_g, const int w_off) {
    const size_t c = get_global_id(0);
    if (c >= (size_t)C) {
        return;
    }
    __global float* col = w_g + w_off + c;
    float s = 0.0f;
    for (int r = 0; r < R; r++) {
        const float v = col[(size_t)r * C];
        s += v * v;
    }
    const float n = sqrt(s);
    const float scale = (rate * clamp(n, min_norm, max_norm) + (1.0f - rate) * n) / (1e-7f + n);
    for (int r = 0; r < R; r++) {
        col[(size_t)r * C] *= scale;
    }
}

// The penalty of this work-item's share of w, adding its gradient to g_g when g_g is not null.
inline float penalty_share(const int n, const float l1, const float l2, __global const float* w_g,
                           __global float* g_g) {
    float s = 0.0f;
    const int3 share = group_share(n);
    for (size_t i = share.x; i < share.y; i += share.z) {
        const float v = w_g[i];
        s += l1 * fabs(v) + l2 * v * v;
        if (g_g) {
            g_g[i] += l1 * sign(v) + 2.0f * l2 * v;
        }
    }
    return s;
}

__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void regularize(const int n, const float l1, const float l2, const int accumulate, __global const float* w_g,
                const int w_off, __global float* g_g, const int g_off, __global float* loss_g, const int loss_off) {
    __local float s_l[REDUCE_WG];
    const float total = group_sum(penalty_share(n, l1, l2, w_g + w_off, g_g + g_off), s_l);
    if (get_local_id(0) == 0) {
        loss_g[loss_off] = accumulate ? loss_g[loss_off] + total : total;
    }
}

__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void regularize_penalty(const int n, const float l1, const float l2, const int accumulate,
                        __global const float* w_g, const int w_off, __global float* loss_g, const int loss_off) {
    __local float s_l[REDUCE_WG];
    const float total = group_sum(penalty_share(n, l1, l2, w_g + w_off, 0), s_l);
    if (get_local_id(0) == 0) {
        loss_g[loss_off] = accumulate ? loss_g[loss_off] + total : total;
    }
}
