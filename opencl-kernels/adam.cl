// adam.cl — optimizer steps over one flat parameter buffer, in place, one launch per step.
//
//   p, g, m, v, vel, acc, gavg: (n) floats, contiguous, each at x_g + x_off; g is not modified.
//   Every step first clips its gradient element (clip_grad; Keras's clipvalue / clipnorm /
//   global_clipnorm), at most one of:
//     clip_value > 0:  g = clamp(g, -clip_value, clip_value)
//     clip_norm  > 0:  g = g * clip_norm / max(sqrt(sq), clip_norm)     sq = sq_g[sq_off] = |g|^2,
//                      written by sum_squares_all (reduce.cl) before the launch; with clip_norm 0
//                      sq_g is not read (the routine passes g_g).
//   lr and momentum are arguments set at each launch (a schedule changes them, nothing recompiles).
//   adam_step (PyTorch's Adam; AdamW when weight_decay > 0):
//     p *= 1 - lr * weight_decay        (so an infinite p stays infinite, as in the Java backend)
//     m  = beta1 * m + (1 - beta1) * g
//     v  = beta2 * v + (1 - beta2) * g^2
//     p -= lr * (m / bc1) / (sqrt(v / bc2) + eps)      bc1 = 1 - beta1^t, bc2 = 1 - beta2^t
//   evaluated as PyTorch does, p -= step_size * m / (sqrt(v) * inv_sqrt_bc2 + eps) with
//   step_size = lr / bc1 and inv_sqrt_bc2 = 1 / sqrt(bc2) from the host (double, then rounded):
//   one division and one square root per element, so the step stays memory-bound on CPUs.
//   sgd_step (PyTorch's SGD with momentum, dampening 0):
//     g' = g + weight_decay * p;  vel = momentum * vel + g';
//     p -= lr * vel,  or with nesterov != 0 (PyTorch's Nesterov):  p -= lr * (g' + momentum * vel)
//   sgd_step_plain (no velocity buffer, momentum 0):
//     p -= lr * (g + weight_decay * p)
//   rmsprop_step (PyTorch's RMSprop, momentum 0; rho is PyTorch's alpha):
//     v = rho * v + (1 - rho) * g^2;  p -= lr * g / (sqrt(v) + eps)
//   rmsprop_centered_step:
//     v as above;  gavg = rho * gavg + (1 - rho) * g;  p -= lr * g / (sqrt(v - gavg^2) + eps)
//   adagrad_step (PyTorch's Adagrad, lr_decay 0):
//     acc += g^2;  p -= lr * g / (sqrt(acc) + eps)
//
// Launch geometry (OptimizerRoutine): one work-item per element;
//   global = ceil(n / OPTIMIZER_WG) * OPTIMIZER_WG, local = OPTIMIZER_WG.
// Element indices x_off + i are size_t (each below 2^31, their sum need not be).
//
// No multiply-add is contracted into a fused one (FP_CONTRACT OFF, which OpenCL C leaves on by
// default): the Java backend, the spec, never fuses, so SGD gives its bits exactly (a fused
// p - lr * g turned p = 0, g = 2^-149 into -0.0 where Java gives +0.0) and Adam its NaN and inf.

#pragma OPENCL FP_CONTRACT OFF

#ifndef OPTIMIZER_WG
#define OPTIMIZER_WG 256   // work-items per work-group
#endif

// g clipped by value or by norm (see the header); comparisons rather than fmin/fmax so that a
// NaN g stays NaN, as in the Java backend.
inline float clip_grad(const float g, const float clip_value, const float clip_norm, __global const float* sq_g,
                       const int sq_off) {
    if (clip_value > 0.0f) {
        return g > clip_value ? clip_value : (g < -clip_value ? -clip_value : g);
    }
    if (clip_norm > 0.0f) {
        const float norm = sqrt(sq_g[sq_off]);
        return g * (clip_norm / (norm > clip_norm ? norm : clip_norm));
    }
    return g;
}

__kernel __attribute__((reqd_work_group_size(OPTIMIZER_WG, 1, 1)))
void adam_step(const int n, const float lr, const float beta1, const float beta2, const float eps,
               const float weight_decay, const float step_size, const float inv_sqrt_bc2,
               __global float* p_g, const int p_off, __global const float* g_g, const int g_off,
               __global float* m_g, const int m_off, __global float* v_g, const int v_off,
               const float clip_value, const float clip_norm, __global const float* sq_g, const int sq_off) {
    const size_t i = get_global_id(0);
    if (i >= (size_t)n) {
        return;
    }
    float p = p_g[p_off + i] * (1.0f - lr * weight_decay);
    const float g = clip_grad(g_g[g_off + i], clip_value, clip_norm, sq_g, sq_off);
    const float m = beta1 * m_g[m_off + i] + (1.0f - beta1) * g;
    const float v = beta2 * v_g[v_off + i] + (1.0f - beta2) * g * g;
    p -= step_size * m / (sqrt(v) * inv_sqrt_bc2 + eps);
    p_g[p_off + i] = p;
    m_g[m_off + i] = m;
    v_g[v_off + i] = v;
}

__kernel __attribute__((reqd_work_group_size(OPTIMIZER_WG, 1, 1)))
void sgd_step(const int n, const float lr, const float momentum, const float weight_decay, const int nesterov,
              __global float* p_g, const int p_off, __global const float* g_g, const int g_off,
              __global float* vel_g, const int vel_off,
              const float clip_value, const float clip_norm, __global const float* sq_g, const int sq_off) {
    const size_t i = get_global_id(0);
    if (i >= (size_t)n) {
        return;
    }
    const float p = p_g[p_off + i];
    const float g = clip_grad(g_g[g_off + i], clip_value, clip_norm, sq_g, sq_off) + weight_decay * p;
    const float vel = momentum * vel_g[vel_off + i] + g;
    vel_g[vel_off + i] = vel;
    p_g[p_off + i] = p - lr * (nesterov ? g + momentum * vel : vel);
}

__kernel __attribute__((reqd_work_group_size(OPTIMIZER_WG, 1, 1)))
void sgd_step_plain(const int n, const float lr, const float weight_decay,
                    __global float* p_g, const int p_off, __global const float* g_g, const int g_off,
                    const float clip_value, const float clip_norm, __global const float* sq_g, const int sq_off) {
    const size_t i = get_global_id(0);
    if (i >= (size_t)n) {
        return;
    }
    const float p = p_g[p_off + i];
    p_g[p_off + i] = p - lr * (clip_grad(g_g[g_off + i], clip_value, clip_norm, sq_g, sq_off) + weight_decay * p);
}

__kernel __attribute__((reqd_work_group_size(OPTIMIZER_WG, 1, 1)))
void rmsprop_step(const int n, const float lr, const float rho, const float eps,
                  __global float* p_g, const int p_off, __global const float* g_g, const int g_off,
                  __global float* v_g, const int v_off,
                  const float clip_value, const float clip_norm, __global const float* sq_g, const int sq_off) {
    const size_t i = get_global_id(0);
    if (i >= (size_t)n) {
        return;
    }
    const float g = clip_grad(g_g[g_off + i], clip_value, clip_norm, sq_g, sq_off);
    const float v = rho * v_g[v_off + i] + (1.0f - rho) * g * g;
    v_g[v_off + i] = v;
    p_g[p_off + i] = p_g[p_off + i] - lr * g / (sqrt(v) + eps);
}

__kernel __attribute__((reqd_work_group_size(OPTIMIZER_WG, 1, 1)))
void rmsprop_centered_step(const int n, const float lr, const float rho, const float eps,
                           __global float* p_g, const int p_off, __global const float* g_g, const int g_off,
                           __global float* v_g, const int v_off, __global float* gavg_g, const int gavg_off,
                           const float clip_value, const float clip_norm, __global const float* sq_g,
                           const int sq_off) {
    const size_t i = get_global_id(0);
    if (i >= (size_t)n) {
        return;
    }
    const float g = clip_grad(g_g[g_off + i], clip_value, clip_norm, sq_g, sq_off);
    const float v = rho * v_g[v_off + i] + (1.0f - rho) * g * g;
    const float a = rho * gavg_g[gavg_off + i] + (1.0f - rho) * g;
    v_g[v_off + i] = v;
    gavg_g[gavg_off + i] = a;
    p_g[p_off + i] = p_g[p_off + i] - lr * g / (sqrt(v - a * a) + eps);
}

__kernel __attribute__((reqd_work_group_size(OPTIMIZER_WG, 1, 1)))
void adagrad_step(const int n, const float lr, const float eps,
                  __global float* p_g, const int p_off, __global const float* g_g, const int g_off,
                  __global float* acc_g, const int acc_off,
                  const float clip_value, const float clip_norm, __global const float* sq_g, const int sq_off) {
    const size_t i = get_global_id(0);
    if (i >= (size_t)n) {
        return;
    }
    const float g = clip_grad(g_g[g_off + i], clip_value, clip_norm, sq_g, sq_off);
    const float acc = acc_g[acc_off + i] + g * g;
    acc_g[acc_off + i] = acc;
    p_g[p_off + i] = p_g[p_off + i] - lr * g / (sqrt(acc) + eps);
}
