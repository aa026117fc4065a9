// adam.cl — optimizer steps over one flat parameter buffer, in place, one launch per step.
//
//   p, g, m, v, vel: (n) floats, contiguous, each at x_g + x_off; g is not modified.
//   adam_step (PyTorch's Adam; AdamW when weight_decay > 0):
//     p *= 1 - lr * weight_decay        (so an infinite p stays infinite, as in the Java backend)
//     m  = beta1 * m + (1 - beta1) * g
//     v  = beta2 * v + (1 - beta2) * g^2
//     p -= lr * (m / bc1) / (sqrt(v / bc2) + eps)      bc1 = 1 - beta1^t, bc2 = 1 - beta2^t
//   evaluated as PyTorch does, p -= step_size * m / (sqrt(v) * inv_sqrt_bc2 + eps) with
//   step_size = lr / bc1 and inv_sqrt_bc2 = 1 / sqrt(bc2) from the host (double, then rounded):
//   one division and one square root per element, so the step stays memory-bound on CPUs.
//   sgd_step (PyTorch's SGD with momentum):
//     g' = g + weight_decay * p;  vel = momentum * vel + g';  p -= lr * vel
//   sgd_step_plain (no velocity buffer, momentum 0):
//     p -= lr * (g + weight_decay * p)
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

__kernel __attribute__((reqd_work_group_size(OPTIMIZER_WG, 1, 1)))
void adam_step(const int n, const float lr, const float beta1, const float beta2, const float eps,
               const float weight_decay, const float step_size, const float inv_sqrt_bc2,
               __global float* p_g, const int p_off, __global const float* g_g, const int g_off,
               __global float* m_g, const int m_off, __global float* v_g, const int v_off) {
    const size_t i = get_global_id(0);
    if (i >= (size_t)n) {
        return;
    }
    float p = p_g[p_off + i] * (1.0f - lr * weight_decay);
    const float g = g_g[g_off + i];
    const float m = beta1 * m_g[m_off + i] + (1.0f - beta1) * g;
    const float v = beta2 * v_g[v_off + i] + (1.0f - beta2) * g * g;
    p -= step_size * m / (sqrt(v) * inv_sqrt_bc2 + eps);
    p_g[p_off + i] = p;
    m_g[m_off + i] = m;
    v_g[v_off + i] = v;
}

__kernel __attribute__((reqd_work_group_size(OPTIMIZER_WG, 1, 1)))
void sgd_step(const int n, const float lr, const float momentum, const float weight_decay,
              __global float* p_g, const int p_off, __global const float* g_g, const int g_off,
              __global float* vel_g, const int vel_off) {
    const size_t i = get_global_id(0);
    if (i >= (size_t)n) {
        return;
    }
    const float p = p_g[p_off + i];
    const float vel = momentum * vel_g[vel_off + i] + (g_g[g_off + i] + weight_decay * p);
    vel_g[vel_off + i] = vel;
    p_g[p_off + i] = p - lr * vel;
}

__kernel __attribute__((reqd_work_group_size(OPTIMIZER_WG, 1, 1)))
void sgd_step_plain(const int n, const float lr, const float weight_decay,
                    __global float* p_g, const int p_off, __global const float* g_g, const int g_off) {
    const size_t i = get_global_id(0);
    if (i >= (size_t)n) {
        return;
    }
    const float p = p_g[p_off + i];
    p_g[p_off + i] = p - lr * (g_g[g_off + i] + weight_decay * p);
}
