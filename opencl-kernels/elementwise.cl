// elementwise.cl — fill, bias add, ReLU forward/backward and fused bias + ReLU.
//
//   fill_value:     x: (n)                      x[i] = value
//   bias_add:       x: (B, O), bias: (O)        y[b, o] = x[b, o] + bias[o]
//   bias_relu:      x: (B, O), bias: (O)        y[b, o] = max(0, x[b, o] + bias[o])
//   relu_forward:   x: (n)                      y[i] = max(0, x[i])
//   relu_backward:  y, dy: (n)                  dx[i] = y[i] > 0 ? dy[i] : 0    (y the forward output)
// Row-major and contiguous, each buffer at x_g + x_off. Outputs may alias their inputs element for
// element (y == x, dx == dy): every work-item reads its element before writing it.
//
// Launch geometry (ElementwiseRoutine), one work-item per element:
//   1-D kernels: global = ceil(n / ELEMENTWISE_WG) * ELEMENTWISE_WG, local = ELEMENTWISE_WG
//   bias_*:      local = (L, 1) with L = min(ELEMENTWISE_WG, O rounded up to a multiple of 8),
//                global = (ceil(O / L) * L, B); dimension 0 runs along a row so neighbouring
//                work-items touch neighbouring floats, and a narrow row does not launch a wide group.

#ifndef ELEMENTWISE_WG
#define ELEMENTWISE_WG 256   // work-items per work-group
#endif

__kernel __attribute__((reqd_work_group_size(ELEMENTWISE_WG, 1, 1)))
void fill_value(const int n, const float value, __global float* x_g, const int x_off) {
    const int i = get_global_id(0);
    if (i < n) {
        x_g[x_off + i] = value;
    }
}

__kernel void bias_add(const int B, const int O, __global const float* x_g, const int x_off,
              __global const float* bias_g, const int bias_off, __global float* y_g, const int y_off) {
    const int o = get_global_id(0);
    const int b = get_global_id(1);
    if (o < O) {
        const int i = b * O + o;
        y_g[y_off + i] = x_g[x_off + i] + bias_g[bias_off + o];
    }
}

__kernel void bias_relu(const int B, const int O, __global const float* x_g, const int x_off,
               __global const float* bias_g, const int bias_off, __global float* y_g, const int y_off) {
    const int o = get_global_id(0);
    const int b = get_global_id(1);
    if (o < O) {
        const int i = b * O + o;
        y_g[y_off + i] = fmax(x_g[x_off + i] + bias_g[bias_off + o], 0.0f);
    }
}

__kernel __attribute__((reqd_work_group_size(ELEMENTWISE_WG, 1, 1)))
void relu_forward(const int n, __global const float* x_g, const int x_off, __global float* y_g, const int y_off) {
    const int i = get_global_id(0);
    if (i < n) {
        y_g[y_off + i] = fmax(x_g[x_off + i], 0.0f);
    }
}

__kernel __attribute__((reqd_work_group_size(ELEMENTWISE_WG, 1, 1)))
void relu_backward(const int n, __global const float* y_g, const int y_off, __global const float* dy_g,
                   const int dy_off, __global float* dx_g, const int dx_off) {
    const int i = get_global_id(0);
    if (i < n) {
        dx_g[dx_off + i] = y_g[y_off + i] > 0.0f ? dy_g[dy_off + i] : 0.0f;
    }
}
