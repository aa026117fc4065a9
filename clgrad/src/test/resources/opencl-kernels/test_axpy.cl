// Test-only kernel for the OpenCL infrastructure tests: y[i] = a * x[i] + y[i], i < n.
// Launch: 1-D, one work-item per element, global >= n.
__kernel void test_axpy(const int n, const float a, __global const float* x_g, const int x_off,
                        __global float* y_g, const int y_off) {
    const int i = get_global_id(0);
    if (i < n) {
        y_g[y_off + i] = a * x_g[x_off + i] + y_g[y_off + i];
    }
}
