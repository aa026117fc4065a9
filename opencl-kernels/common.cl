// common.cl — helpers shared by the kernel files; no entry points.
//
// Included textually (`#include "common.cl"`) by the KernelLibrary, once per program.
//
// Holds:
//   VEC_N(W)            the float vector type of width W (2, 4, 8 or 16), e.g. VEC_N(4) = float4
//   VLOAD_N / VSTORE_N  vloadW / vstoreW for that width
//   group_share         the part of 0 .. n-1 a work-item of a one-group reduction walks
//   group_sum           sum of one float per work-item over a 1-D work-group (tree in local memory)
//   ACT_*               the activation codes the host passes (dev.clgrad.ops.Activation#code)
//   TANH_OF, SIGMOID_OF y = f(z) of the smooth activations, for float or any floatN
//   *_GRAD_OF           their derivative from the output y: 1 - y^2, y (1 - y)
//   ERFC_OF             erfc(x) of dev.clgrad.ops.Erf (a Chebyshev fit, relative error < 1.2e-7)
//   act_apply           y = f(z) of any activation code, with its parameter alpha (scalar)
//   act_grad            f'(z) from the saved value v: the output y, or z for the codes whose
//                       backward reads the input (ACT_SAVES_INPUT; Activation#savesInput)
//
// group_sum math: with L = get_local_size(0) a power of two and s_l[L] in local memory,
//   s_l[i] = v_i;  for h = L/2, L/4, ..., 1: s_l[i] += s_l[i + h] (i < h);  returns s_l[0] to all.
// Every work-item of the group must call it (it holds barriers).
//
// group_share: with GROUP_CONTIGUOUS = 0 (GPUs) work-item i takes i, i + L, i + 2L, ..., so each
// step of the group reads L neighbouring floats (coalesced); with GROUP_CONTIGUOUS = 1 (CPUs, where
// a work-group runs as a loop over its work-items) it takes one contiguous chunk of ceil(n / L),
// so the loop streams through memory once instead of L times.

#ifndef CLGRAD_COMMON_CL
#define CLGRAD_COMMON_CL

#define CLGRAD_CAT(a, b) a##b
#define CLGRAD_XCAT(a, b) CLGRAD_CAT(a, b)

// VEC_N(4) -> float4, VLOAD_N(4) -> vload4, VSTORE_N(4) -> vstore4.
#define VEC_N(W) CLGRAD_XCAT(float, W)
#define VLOAD_N(W) CLGRAD_XCAT(vload, W)
#define VSTORE_N(W) CLGRAD_XCAT(vstore, W)

#ifndef GROUP_CONTIGUOUS
#define GROUP_CONTIGUOUS 0   // 1: each work-item of a one-group reduction takes a contiguous chunk
#endif

// (begin, end, step) of this work-item's share of 0 .. n-1: for (i = begin; i < end; i += step),
// with i a size_t: i + step may pass 2^31 - 1 when n is close to it.
inline int3 group_share(const int n) {
    const int lid = get_local_id(0);
    const int size = get_local_size(0);
#if GROUP_CONTIGUOUS
    const int chunk = n / size + (n % size != 0);   // ceil(n / size) without overflowing n + size - 1
    const int begin = min(n, lid * chunk);          // lid * chunk <= n + size: no overflow
    return (int3)(begin, begin + min(chunk, n - begin), 1);
#else
    return (int3)(lid, n, size);
#endif
}

inline float group_sum(float v, __local float* s_l) {
    const int lid = get_local_id(0);
    const int size = get_local_size(0);
    s_l[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = size / 2; h > 0; h /= 2) {
        if (lid < h) {
            s_l[lid] += s_l[lid + h];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float total = s_l[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}

// Activation codes, as dev.clgrad.ops.Activation#code() numbers them. ReLU keeps its own code
// paths (z <= 0 ? +0 : z in the forward, a select in the backward) at each kernel; the smooth ones
// share these.
#define ACT_LINEAR 0    // y = z
#define ACT_RELU 1      // y = max(0, z)
#define ACT_TANH 2      // y = tanh(z)
#define ACT_SIGMOID 3   // y = 1 / (1 + e^-z)

#define ACT_LEAKY_RELU 4   // y = z > 0 ? z : alpha z                      f' from y
#define ACT_ELU 5          // y = z > 0 ? z : alpha (e^z - 1)              f' from z
#define ACT_SELU 6         // y = SCALE (z > 0 ? z : ALPHA (e^z - 1))      f' from z
#define ACT_GELU 7         // y = z Phi(z), Phi(z) = erfc(-z / sqrt 2) / 2  f' from z
#define ACT_GELU_TANH 8    // y = z (1 + tanh u) / 2 = z sigmoid(2u), u = sqrt(2/pi) (z + 0.044715 z^3)   f' from z
#define ACT_SILU 9         // y = z sigmoid(z) (swish)                     f' from z
#define ACT_SAVES_INPUT(act) ((act) >= ACT_ELU)

#define SELU_ALPHA 1.67326324f   // Keras's constants
#define SELU_SCALE 1.05070098f
#define GELU_C 0.044715f
#define SQRT_2_OVER_PI 0.79788456f
#define INV_SQRT_2PI 0.39894228f
#define SQRT1_2 0.70710678f

#define TANH_OF(z) tanh(z)
// sigmoid as e/(1 + e) with e = exp(-|z|) for z < 0, so that exp never overflows: for z in
// [-104, -88.7] the result is a subnormal, as Java's (float) (1 / (1 + Math.exp(-z))) gives.
#define SIGMOID_OF(z) (((z) >= 0.0f ? 1.0f : exp(-fabs(z))) / (1.0f + exp(-fabs(z))))
#define TANH_GRAD_OF(y) (1.0f - (y) * (y))
#define SIGMOID_GRAD_OF(y) ((y) * (1.0f - (y)))

// erfc(x) ~ t exp(-x^2 + P(t)), t = 1 / (1 + |x| / 2), for x >= 0; erfc(-x) = 2 - erfc(x)
// (Numerical Recipes' erfcc). Written as Erf.erfc writes it, operation for operation.
inline float ERFC_OF(const float x) {
    const float z = fabs(x);
    const float t = 1.0f / (1.0f + 0.5f * z);
    const float p = -1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f + t * (-0.18628806f
            + t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f + t * (-0.82215223f + t * 0.17087277f))))))));
    const float r = t * exp(-z * z + p);
    return x >= 0.0f ? r : 2.0f - r;
}

// y = f(z) for activation code act with parameter alpha; relu as Java's Math.max(0, z).
inline float act_apply(const int act, const float alpha, const float z) {
    switch (act) {
    case ACT_RELU: return z <= 0.0f ? 0.0f : z;
    case ACT_TANH: return TANH_OF(z);
    case ACT_SIGMOID: return SIGMOID_OF(z);
    case ACT_LEAKY_RELU: return z > 0.0f ? z : z * alpha;
    case ACT_ELU: return z > 0.0f ? z : alpha * expm1(z);
    case ACT_SELU: return SELU_SCALE * (z > 0.0f ? z : SELU_ALPHA * expm1(z));
    case ACT_GELU: return 0.5f * z * ERFC_OF(-z * SQRT1_2);
    case ACT_GELU_TANH: {   // z (1 + tanh u) / 2 = z sigmoid(2u): no cancellation where tanh u ~ -1
        const float u2 = 2.0f * (SQRT_2_OVER_PI * (z + GELU_C * z * z * z));
        return z * SIGMOID_OF(u2);
    }
    case ACT_SILU: return z * SIGMOID_OF(z);
    default: return z;
    }
}

// f'(z) from v: the output y (linear, relu, tanh, sigmoid, leaky_relu) or the input z (the rest).
inline float act_grad(const int act, const float alpha, const float v) {
    switch (act) {
    case ACT_RELU: return v > 0.0f ? 1.0f : 0.0f;
    case ACT_TANH: return TANH_GRAD_OF(v);
    case ACT_SIGMOID: return SIGMOID_GRAD_OF(v);
    case ACT_LEAKY_RELU: return v > 0.0f ? 1.0f : v <= 0.0f ? alpha : v;   // NaN stays NaN
    case ACT_ELU: return v > 0.0f ? 1.0f : alpha * exp(v);
    case ACT_SELU: return SELU_SCALE * (v > 0.0f ? 1.0f : SELU_ALPHA * exp(v));
    case ACT_GELU: return 0.5f * ERFC_OF(-v * SQRT1_2) + v * (INV_SQRT_2PI * exp(-0.5f * v * v));
    case ACT_GELU_TANH: {   // s + 2 v s (1 - s) u', s = sigmoid(2u)
        const float v2 = v * v;
        const float u2 = 2.0f * (SQRT_2_OVER_PI * (v + GELU_C * v2 * v));
        const float s = SIGMOID_OF(u2);
        return s + 2.0f * v * s * (1.0f - s) * (SQRT_2_OVER_PI * (1.0f + 3.0f * GELU_C * v2));
    }
    case ACT_SILU: {
        const float s = SIGMOID_OF(v);
        return s * (1.0f + v * (1.0f - s));
    }
    default: return 1.0f;
    }
}

#endif
