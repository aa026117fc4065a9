// elementwise.cl — bias add, activations forward/backward and fused bias + activation.
//
//   bias_add:       x: (B, O), bias: (O)        y[b, o] = x[b, o] + bias[o]
//   bias_relu:      x: (B, O), bias: (O)        y[b, o] = relu(x[b, o] + bias[o])
//   relu_forward:   x: (n)                      y[i] = relu(x[i])
//   relu_backward:  y, dy: (n)                  dx[i] = y[i] > 0 ? dy[i] : (isnan(y[i]) ? y[i] : 0)
//                                               (y the forward output)
// relu(z) = z <= 0 ? +0 : z is Java's Math.max(0, z) bit for bit: NaN stays NaN, -0 and -inf become
// +0. (fmax(z, 0) would turn NaN into 0, and may return -0 for -0.) relu_backward passes a NaN of
// y on (a NaN output has a NaN derivative) and selects dy rather than multiplying by a 0/1 mask,
// so dy's NaN and inf are +0 where y <= 0. The Java backend is the spec of these rules.
//   bias_act:       x: (B, O), bias: (O)        y[b, o] = f(x[b, o] + bias[o])
//   act_forward:    x: (n)                      y[i] = f(x[i])
//   act_backward:   v, dy: (n)                  dx[i] = dy[i] * g(v[i])
// with f = act_apply and g = act_grad of common.cl for the activation `act` and its parameter
// act_alpha; v (y_g) is the forward output, or for ACT_SAVES_INPUT codes (elu, selu, gelu, silu)
// the forward input z. ReLU runs bias_relu / relu_forward / relu_backward, never these.
// Row-major and contiguous, each buffer at x_g + x_off. Outputs may alias their inputs element for
// element (y == x, dx == dy): every work-item reads its element before writing it.
// Indices: n, B and O are ints, but b * O + o and x_off + i may pass 2^31 - 1, so element indices
// are size_t (the host checks that n, B, O and the offsets fit an int).
//
// Launch geometry (ElementwiseRoutine), one work-item per element:
//   1-D kernels: global = ceil(n / ELEMENTWISE_WG) * ELEMENTWISE_WG, local = ELEMENTWISE_WG
//   bias_*:      local = (L, 1) with L = min(ELEMENTWISE_WG, O rounded up to a multiple of 8),
//                global = (ceil(O / L) * L, B); dimension 0 runs along a row so neighbouring
//                work-items touch neighbouring floats, and a narrow row does not launch a wide group.

#include "common.cl"

#ifndef ELEMENTWISE_WG
#define ELEMENTWISE_WG 256   // work-items per work-group
#endif

// Java's Math.max(0, z): +0 for z <= 0 (-0 and -inf included), z otherwise (NaN included).
#define RELU(z) ((z) <= 0.0f ? 0.0f : (z))

__kernel void bias_add(const int B, const int O, __global const float* x_g, const int x_off,
              __global const float* bias_g, const int bias_off, __global float* y_g, const int y_off) {
    const int o = get_global_id(0);
    const int b = get_global_id(1);
    if (o < O) {
        const size_t i = (size_t)b * O + o;
        y_g[y_off + i] = x_g[x_off + i] + bias_g[bias_off + o];
    }
}

__kernel void bias_relu(const int B, const int O, __global const float* x_g, const int x_off,
               __global const float* bias_g, const int bias_off, __global float* y_g, const int y_off) {
    const int o = get_global_id(0);
    const int b = get_global_id(1);
    if (o < O) {
        const size_t i = (size_t)b * O + o;
        const float z = x_g[x_off + i] + bias_g[bias_off + o];
        y_g[y_off + i] = RELU(z);
    }
}

__kernel __attribute__((reqd_work_group_size(ELEMENTWISE_WG, 1, 1)))
void relu_forward(const int n, __global const float* x_g, const int x_off, __global float* y_g, const int y_off) {
    const size_t i = get_global_id(0);
    if (i < (size_t)n) {
        const float z = x_g[(size_t)x_off + i];
        y_g[(size_t)y_off + i] = RELU(z);
    }
}

__kernel __attribute__((reqd_work_group_size(ELEMENTWISE_WG, 1, 1)))
void relu_backward(const int n, __global const float* y_g, const int y_off, __global const float* dy_g,
                   const int dy_off, __global float* dx_g, const int dx_off) {
    const size_t i = get_global_id(0);
    if (i < (size_t)n) {
        const float y = y_g[(size_t)y_off + i];
        dx_g[(size_t)dx_off + i] = y > 0.0f ? dy_g[(size_t)dy_off + i] : isnan(y) ? y : 0.0f;
    }
}

__kernel void bias_act(const int B, const int O, const int act, const float act_alpha, __global const float* x_g, const int x_off,
                       __global const float* bias_g, const int bias_off, __global float* y_g, const int y_off) {
    const int o = get_global_id(0);
    const int b = get_global_id(1);
    if (o < O) {
        const size_t i = (size_t)b * O + o;
        y_g[(size_t)y_off + i] = act_apply(act, act_alpha, x_g[(size_t)x_off + i] + bias_g[(size_t)bias_off + o]);
    }
}

__kernel __attribute__((reqd_work_group_size(ELEMENTWISE_WG, 1, 1)))
void act_forward(const int n, const int act, const float act_alpha, __global const float* x_g, const int x_off, __global float* y_g,
                 const int y_off) {
    const size_t i = get_global_id(0);
    if (i < (size_t)n) {
        y_g[(size_t)y_off + i] = act_apply(act, act_alpha, x_g[(size_t)x_off + i]);
    }
}

__kernel __attribute__((reqd_work_group_size(ELEMENTWISE_WG, 1, 1)))
void act_backward(const int n, const int act, const float act_alpha, __global const float* y_g, const int y_off,
                  __global const float* dy_g, const int dy_off, __global float* dx_g, const int dx_off) {
    const size_t i = get_global_id(0);
    if (i < (size_t)n) {
        dx_g[(size_t)dx_off + i] = dy_g[(size_t)dy_off + i] * act_grad(act, act_alpha, y_g[(size_t)y_off + i]);
    }
}
