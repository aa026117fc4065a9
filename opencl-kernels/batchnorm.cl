// batchnorm.cl — batch normalisation over the channels (last axis): the batch statistics with
// the moving-statistics update, the normalise-scale-shift(-activate) map, and the backward.
//
//   x, y, dy, dx: (N, C) row-major (N = every axis but the channels), each at x_g + x_off;
//   mean, var, moving_mean, moving_var, gamma, beta, dgamma, dbeta: (C).
//
//   statistics (batchnorm_stats_partial, batchnorm_stats_final):
//                        mean[c] = sum_n x[n, c] / N
//                        var[c]  = sum_n (x[n, c] - mean[c])^2 / N           (biased)
//                        moving_mean[c] = moving_mean[c] * momentum + mean[c] * (1 - momentum)
//                        moving_var[c]  = moving_var[c] * momentum + var[c] * (1 - momentum)
//   batchnorm_apply:     inv = 1 / sqrt(var[c] + eps),  a = gamma[c] * inv
//                        y[n, c] = f((x[n, c] - mean[c]) * a + beta[c])      (f: act_apply of common.cl)
//   backward (batchnorm_backward_partial, batchnorm_backward_final, batchnorm_backward_dx):
//                        xhat = (x - mean[c]) * inv
//                        dbeta[c] = sum_n dy,  dgamma[c] = sum_n dy * xhat
//                        dx = gamma[c] * inv * (dy - dbeta[c] / N - xhat * dgamma[c] / N)
// gamma is 1 where has_gamma is 0 and beta 0 where has_beta is 0; an output whose want_* flag is 0
// is not written (the host passes another buffer in its place, never touched). y may be x.
// dev.clgrad.backend.java.JavaBatchNorm is the spec; it sums in double, these kernels in float32,
// so the two agree to rounding, not bit for bit.
//
// The sums over n are two-stage: the rows are cut into B blocks of R rows (the last one shorter),
// block b holding rows b*R .. min(N, (b+1)*R) - 1 (n_b of them), and
//   stage 1 (*_partial): one work-item per (b, c) sums its block's column into part (B, C) planes
//       in the scratch buffer: for the statistics s[b, c] = sum x and, about the block's own mean
//       m_b = s / n_b, q[b, c] = sum (x - m_b)^2; for the backward sum dy and sum dy * xhat;
//   stage 2 (*_final): one work-item per channel adds its B partials in block order; the variance
//       combines the blocks exactly (Chan et al.): var = sum_b (q_b + n_b (m_b - mean)^2) / N.
// A fixed R (chosen by the host from N alone) fixes every order of addition: the same bits on every
// run. The backward's third stage (batchnorm_backward_dx) is elementwise; its final stage leaves
// dbeta, dgamma in the scratch buffer's third plane, (2, C) after the partials, for it.
//   part: scratch floats, [0, B*C) first partials, [B*C, 2*B*C) second, [2*B*C, 2*B*C + 2*C)
//         the backward's sums (dbeta then dgamma).
//
// Launch geometry (NormRoutine), every kernel 1-D in work-groups of NORM_WG work-items:
//   *_partial: global = ceil(B * C / NORM_WG) * NORM_WG; work-item i takes b = i / C, c = i % C,
//       so neighbouring work-items read neighbouring floats of one row (coalesced on GPUs, one
//       streamed block per work-group on CPUs). No local memory, no barriers.
//   *_final: global = ceil(C / NORM_WG) * NORM_WG, work-item c.
//   batchnorm_apply, batchnorm_backward_dx: one work-item per element, global = ceil(N * C / NORM_WG)
//       * NORM_WG.
// Indices: N, C, B * C and N * C are ints (the host checks them), element indices r * C + c are
// size_t.
//
// No multiply-add is contracted (FP_CONTRACT OFF): the moving update rounds its two products and
// their sum separately, as the Java spec does.

#pragma OPENCL FP_CONTRACT OFF

#include "common.cl"

#ifndef NORM_WG
#define NORM_WG 256   // work-items per work-group
#endif

__kernel __attribute__((reqd_work_group_size(NORM_WG, 1, 1)))
void batchnorm_stats_partial(const int N, const int C, const int R, const int B, __global const float* x_g,
                             const int x_off, __global float* part_g) {
    const size_t i = get_global_id(0);
    if (i >= (size_t)B * C) {
        return;
    }
    const size_t b = i / C;
    const size_t c = i % C;
    const size_t r0 = b * R;
    const size_t r1 = min((size_t)N, r0 + R);
    __global const float* x_p = x_g + x_off + c;
    float s = 0.0f;
    for (size_t r = r0; r < r1; r++) {
        s += x_p[r * C];
    }
    const float m = s / (float)(r1 - r0);
    float q = 0.0f;
    for (size_t r = r0; r < r1; r++) {
        const float d = x_p[r * C] - m;
        q += d * d;
    }
    part_g[i] = s;
    part_g[(size_t)B * C + i] = q;
}

__kernel __attribute__((reqd_work_group_size(NORM_WG, 1, 1)))
void batchnorm_stats_final(const int N, const int C, const int R, const int B, const float momentum,
                           __global const float* part_g, __global float* mean_g, const int mean_off,
                           __global float* var_g, const int var_off, __global float* mm_g, const int mm_off,
                           __global float* mv_g, const int mv_off) {
    const size_t c = get_global_id(0);
    if (c >= (size_t)C) {
        return;
    }
    float s = 0.0f;
    for (int b = 0; b < B; b++) {
        s += part_g[(size_t)b * C + c];
    }
    const float mean = s / (float)N;
    float q = 0.0f;
    for (int b = 0; b < B; b++) {
        const float n_b = (float)(min((long)N, (long)(b + 1) * R) - (long)b * R);
        const float d = part_g[(size_t)b * C + c] / n_b - mean;
        q += part_g[((size_t)B + b) * C + c] + n_b * (d * d);
    }
    const float var = q / (float)N;
    const float keep = 1.0f - momentum;
    mean_g[mean_off + c] = mean;
    var_g[var_off + c] = var;
    mm_g[mm_off + c] = mm_g[mm_off + c] * momentum + mean * keep;
    mv_g[mv_off + c] = mv_g[mv_off + c] * momentum + var * keep;
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
void batchnorm_backward_partial(const int N, const int C, const int R, const int B, const float eps,
                                __global const float* x_g, const int x_off, __global const float* dy_g,
                                const int dy_off, __global const float* mean_g, const int mean_off,
                                __global const float* var_g, const int var_off, __global float* part_g) {
    const size_t i = get_global_id(0);
    if (i >= (size_t)B * C) {
        return;
    }
    const size_t b = i / C;
    const size_t c = i % C;
    const size_t r0 = b * R;
    const size_t r1 = min((size_t)N, r0 + R);
    __global const float* x_p = x_g + x_off + c;
    __global const float* dy_p = dy_g + dy_off + c;
    const float mean = mean_g[mean_off + c];
    const float inv = 1.0f / sqrt(var_g[var_off + c] + eps);
    float s_dy = 0.0f;
    float s_dyx = 0.0f;
    for (size_t r = r0; r < r1; r++) {
        const float dy = dy_p[r * C];
        s_dy += dy;
        s_dyx += dy * ((x_p[r * C] - mean) * inv);
    }
    part_g[i] = s_dy;
    part_g[(size_t)B * C + i] = s_dyx;
}

__kernel __attribute__((reqd_work_group_size(NORM_WG, 1, 1)))
void batchnorm_backward_final(const int C, const int B, const int want_dgamma, const int want_dbeta,
                              __global float* part_g, __global float* dgamma_g, const int dgamma_off,
                              __global float* dbeta_g, const int dbeta_off) {
    const size_t c = get_global_id(0);
    if (c >= (size_t)C) {
        return;
    }
    float dbeta = 0.0f;
    float dgamma = 0.0f;
    for (int b = 0; b < B; b++) {
        dbeta += part_g[(size_t)b * C + c];
        dgamma += part_g[((size_t)B + b) * C + c];
    }
    const size_t sums = (size_t)B * C * 2;
    part_g[sums + c] = dbeta;
    part_g[sums + C + c] = dgamma;
    if (want_dbeta) {
        dbeta_g[dbeta_off + c] = dbeta;
    }
    if (want_dgamma) {
        dgamma_g[dgamma_off + c] = dgamma;
    }
}

__kernel __attribute__((reqd_work_group_size(NORM_WG, 1, 1)))
void batchnorm_backward_dx(const int n, const int N, const int C, const int B, const int has_gamma, const float eps,
                           __global const float* x_g, const int x_off, __global const float* dy_g, const int dy_off,
                           __global const float* mean_g, const int mean_off, __global const float* var_g,
                           const int var_off, __global const float* gamma_g, const int gamma_off,
                           __global const float* part_g, __global float* dx_g, const int dx_off) {
    const size_t i = get_global_id(0);
    if (i >= (size_t)n) {
        return;
    }
    const int c = i % C;
    const float inv = 1.0f / sqrt(var_g[var_off + c] + eps);
    const float k = (has_gamma ? gamma_g[gamma_off + c] : 1.0f) * inv;
    const size_t sums = (size_t)B * C * 2;
    const float mean_dy = part_g[sums + c] / (float)N;
    const float mean_dyx = part_g[sums + C + c] / (float)N;
    const float xhat = (x_g[(size_t)x_off + i] - mean_g[mean_off + c]) * inv;
    dx_g[(size_t)dx_off + i] = k * (dy_g[(size_t)dy_off + i] - mean_dy - xhat * mean_dyx);
}
