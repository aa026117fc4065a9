// reduce.cl — reductions: column sums (bias gradients), sum and mean of a whole tensor.
//
//   column_sum:  x: (R, C) row-major   out[c] = sum_r x[r, c]
//   sum_all:     x: (n)                out[0] = sum_i x[i]
//   mean_all:    x: (n)                out[0] = sum_i x[i] / n
//   sum_squares_all: x: (n)            out[0] = sum_i x[i]^2   (a gradient's squared norm, for clipping)
// Each buffer at x_g + x_off. out must not alias x. Element indices (r * C + c) are size_t: R * C
// may pass 2^31 - 1.
//
// Launch geometry (ReduceRoutine):
//   column_sum: items = ceil(C / REDUCE_VW), global = ceil(items / REDUCE_WG) * REDUCE_WG,
//       local = REDUCE_WG; a work-item walks the rows for REDUCE_VW neighbouring columns (one
//       vector load per row on CPUs), so neighbouring work-items read neighbouring floats of a row.
//   sum_all, mean_all, sum_squares_all: one work-group (global = local = REDUCE_WG); each work-item sums its
//       group_share (common.cl) of x, then a tree in local memory (group_sum). Deterministic: the
//       order depends on the device profile, never on timing.

#include "common.cl"

#ifndef REDUCE_WG
#define REDUCE_WG 256   // work-items per work-group; a power of two
#endif
#ifndef REDUCE_VW
#define REDUCE_VW 1     // columns per work-item in column_sum: 1, 2, 4, 8 or 16 (CPUs: 16)
#endif

__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void column_sum(const int R, const int C, __global const float* x_g, const int x_off,
                __global float* out_g, const int out_off) {
    const size_t c0 = get_global_id(0) * REDUCE_VW;
    if (c0 >= (size_t)C) {
        return;
    }
    __global const float* col = x_g + x_off + c0;
#if REDUCE_VW > 1
    if (c0 + REDUCE_VW <= (size_t)C) {
        VEC_N(REDUCE_VW) s = 0.0f;
        for (int r = 0; r < R; r++) {
            s += VLOAD_N(REDUCE_VW)(0, col + (size_t)r * C);
        }
        VSTORE_N(REDUCE_VW)(s, 0, out_g + out_off + c0);
        return;
    }
#endif
    for (int j = 0; j < REDUCE_VW && c0 + j < (size_t)C; j++) {
        float s = 0.0f;
        for (int r = 0; r < R; r++) {
            s += col[(size_t)r * C + j];
        }
        out_g[out_off + c0 + j] = s;
    }
}

// sum_i x[i] over the one work-group, returned to every work-item.
inline float sum_shares(const int n, __global const float* x_g, __local float* s_l) {
    float s = 0.0f;
    const int3 share = group_share(n);
    for (size_t i = share.x; i < share.y; i += share.z) {
        s += x_g[i];
    }
    return group_sum(s, s_l);
}

__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void sum_all(const int n, __global const float* x_g, const int x_off, __global float* out_g, const int out_off) {
    __local float s_l[REDUCE_WG];
    const float total = sum_shares(n, x_g + x_off, s_l);
    if (get_local_id(0) == 0) {
        out_g[out_off] = total;
    }
}

__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void mean_all(const int n, __global const float* x_g, const int x_off, __global float* out_g, const int out_off) {
    __local float s_l[REDUCE_WG];
    const float total = sum_shares(n, x_g + x_off, s_l);
    if (get_local_id(0) == 0) {
        out_g[out_off] = total / (float)n;
    }
}

__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void sum_squares_all(const int n, __global const float* x_g, const int x_off, __global float* out_g,
                     const int out_off) {
    __local float s_l[REDUCE_WG];
    float s = 0.0f;
    const int3 share = group_share(n);
    for (size_t i = share.x; i < share.y; i += share.z) {
        const float x = x_g[x_off + i];
        s += x * x;
    }
    const float total = group_sum(s, s_l);
    if (get_local_id(0) == 0) {
        out_g[out_off] = total;
    }
}
