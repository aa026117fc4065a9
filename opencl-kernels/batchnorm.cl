// batchnorm.cl — batch normalisation over the channels (last axis): the batch statistics with
// the moving-statistics update, the normalise-scale-shift(-activate) map, and the backward.
//
//   x, y, dy, dx: (N, C) row-major (N = every axis but the channels), each at x_g + x_off;
//   mean, var, moving_mean, moving_var, gamma, beta, dgamma, dbeta: (C).
//
//   batchnorm_stats:     mean[c] = sum_n x[n, c] / N
//                        var[c]  = sum_n (x[n, c] - mean[c])^2 / N           (biased; two passes)
//                        moving_mean[c] = moving_mean[c] * momentum + mean[c] * (1 - momentum)
//                        moving_var[c]  = moving_var[c] * momentum + var[c] * (1 - momentum)
//   batchnorm_apply:     inv = 1 / sqrt(var[c] + eps),  a = gamma[c] * inv
//                        y[n, c] = f((x[n, c] - mean[c]) * a + beta[c])      (f: act_apply of common.cl)
//   batchnorm_backward:  xhat = (x - mean[c]) * inv
//                        dbeta[c] = sum_n dy,  dgamma[c] = sum_n dy * xhat
//                        dx = gamma[c] * inv * (dy - dbeta[c] / N - xhat * dgamma[c] / N)
// gamma is 1 where has_gamma is 0 and beta 0 where has_beta is 0; an output whose want_* flag is 0
// is not written (the host passes another buffer in its place, never touched). y may be x.
// dev.clgrad.backend.java.JavaBatchNorm is the spec; it sums in double, these kernels in float32,
// so the two agree to rounding, not bit for bit.
//
// Launch geometry (NormRoutine):
//   batchnorm_stats, batchnorm_backward: one work-group of NORM_WG work-items per channel,
//       global = C * NORM_WG, local = NORM_WG; channel c = get_group_id(0). Each work-item sums
//       its group_share (common.cl) of the N rows, then group_sum adds the shares in a tree: a
//       fixed order for a given NORM_WG, so every run gives the same bits. Work-item 0 writes the
//       channel's results; in the backward every work-item then writes dx for its rows.
//   batchnorm_apply: one work-item per element, global = ceil(N * C / NORM_WG) * NORM_WG,
//       local = NORM_WG.
// Indices: N, C and N * C are ints (the host checks them), element indices r * C + c are size_t.
//
// No multiply-add is contracted (FP_CONTRACT OFF): the moving update rounds its two products and
// their sum separately, as the Java spec does.

#pragma OPENCL FP_CONTRACT OFF

#include "common.cl"

#ifndef NORM_WG
#define NORM_WG 256   // work-items per work-group; a power of two
#endif

__kernel __attribute__((reqd_work_group_size(NORM_WG, 1, 1)))
void batchnorm_stats(const int N, const int C, const float momentum, __global const float* x_g, const int x_off,
                     __global float* mean_g, const int mean_off, __global float* var_g, const int var_off,
                     __global float* mm_g, const int mm_off, __global float* mv_g, const int mv_off) {
    __local float s_l[NORM_WG];
    const size_t c = get_group_id(0);
    __global const float* x_p = x_g + x_off + c;
    const int3 share = group_share(N);
    float s = 0.0f;
    for (size_t r = share.x; r < share.y; r += share.z) {
        s += x_p[r * C];
    }
    const float mean = group_sum(s, s_l) / (float)N;
    float q = 0.0f;
    for (size_t r = share.x; r < share.y; r += share.z) {
        const float d = x_p[r * C] - mean;
        q += d * d;
    }
    const float var = group_sum(q, s_l) / (float)N;
    if (get_local_id(0) == 0) {
        const float keep = 1.0f - momentum;
        mean_g[mean_off + c] = mean;
        var_g[var_off + c] = var;
        mm_g[mm_off + c] = mm_g[mm_off + c] * momentum + mean * keep;
        mv_g[mv_off + c] = mv_g[mv_off + c] * momentum + var * keep;
    }
}

__kernel __attribute__((reqd_work_group_size(NORM_WG, 1, 1)))
void batchnorm_apply(const int n, const int C, const int has_gamma, const int has_beta, const float eps,
                     const int act, const float act_alpha, __global const float* x_g, const int x_off,
                     __global const float* mean_g,
                     const int mean_off, __global const float* var_g, const int var_off,
                     __global const float* gamma_g, const int gamma_off, __global const float* beta_g,
                     const int beta_off, __global float* y_g, const int y_off) {
    const size_t i = get_global_id(0);
    if (i >= (size_t)n) {
        return;
    }
    const int c = i % C;
    const float inv = 1.0f / sqrt(var_g[var_off + c] + eps);
    const float a = (has_gamma ? gamma_g[gamma_off + c] : 1.0f) * inv;
    const float shift = has_beta ? beta_g[beta_off + c] : 0.0f;
    y_g[(size_t)y_off + i] = act_apply(act, act_alpha, (x_g[(size_t)x_off + i] - mean_g[mean_off + c]) * a + shift);
}

__kernel __attribute__((reqd_work_group_size(NORM_WG, 1, 1)))
void batchnorm_backward(const int N, const int C, const int has_gamma, const float eps, const int want_dx,
                        const int want_dgamma, const int want_dbeta, __global const float* x_g, const int x_off,
                        __global const float* dy_g, const int dy_off, __global const float* mean_g,
                        const int mean_off, __global const float* var_g, const int var_off,
                        __global const float* gamma_g, const int gamma_off, __global float* dx_g, const int dx_off,
                        __global float* dgamma_g, const int dgamma_off, __global float* dbeta_g,
                        const int dbeta_off) {
    __local float s_l[NORM_WG];
    const size_t c = get_group_id(0);
    __global const float* x_p = x_g + x_off + c;
    __global const float* dy_p = dy_g + dy_off + c;
    const float mean = mean_g[mean_off + c];
    const float inv = 1.0f / sqrt(var_g[var_off + c] + eps);
    const int3 share = group_share(N);
    float s_dy = 0.0f;
    float s_dyx = 0.0f;
    for (size_t r = share.x; r < share.y; r += share.z) {
        const float dy = dy_p[r * C];
        s_dy += dy;
        s_dyx += dy * ((x_p[r * C] - mean) * inv);
    }
    const float dbeta = group_sum(s_dy, s_l);
    const float dgamma = group_sum(s_dyx, s_l);
    if (get_local_id(0) == 0) {
        if (want_dbeta) {
            dbeta_g[dbeta_off + c] = dbeta;
        }
        if (want_dgamma) {
            dgamma_g[dgamma_off + c] = dgamma;
        }
    }
    if (!want_dx) {
        return;
    }
    const float k = (has_gamma ? gamma_g[gamma_off + c] : 1.0f) * inv;
    const float mean_dy = dbeta / (float)N;
    const float mean_dyx = dgamma / (float)N;
    __global float* dx_p = dx_g + dx_off + c;
    for (size_t r = share.x; r < share.y; r += share.z) {
        const float xhat = (x_p[r * C] - mean) * inv;
        dx_p[r * C] = k * (dy_p[r * C] - mean_dy - xhat * mean_dyx);
    }
}
