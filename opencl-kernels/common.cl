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

#define TANH_OF(z) tanh(z)
// sigmoid as e/(1 + e) with e = exp(-|z|) for z < 0, so that exp never overflows: for z in
// [-104, -88.7] the result is a subnormal, as Java's (float) (1 / (1 + Math.exp(-z))) gives.
#define SIGMOID_OF(z) (((z) >= 0.0f ? 1.0f : exp(-fabs(z))) / (1.0f + exp(-fabs(z))))
#define TANH_GRAD_OF(y) (1.0f - (y) * (y))
#define SIGMOID_GRAD_OF(y) ((y) * (1.0f - (y)))

#endif
