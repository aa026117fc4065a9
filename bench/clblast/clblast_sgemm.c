// clblast_sgemm.c — times CLBlast's SGEMM (row-major, C = A·B, no transposes) on the first OpenCL
// device: the benchmark peer of `clgrad bench gemm`. Not part of the library.
//
// Usage: clblast_sgemm [--params FILE] [SIZE ...]   (default 1024 2048); one JSON object per size:
//   {"op":"clblast_sgemm","device":...,"tuned":...,"m":S,"n":S,"k":S,"medianMs":...,"gflops":...,"maxRelError":...}
// Inputs are uniform in [-1, 1); maxRelError is max |c - ref| / max |ref| over 256 sampled entries
// against a double-precision dot product on the host. One untimed warm-up call (CLBlast compiles
// its kernels on first use), then the median of REPS timed calls, each ended by clFinish.
//
// --params FILE: kernel parameters to use instead of CLBlast's database (CLBlastOverrideParameters),
// one kernel per line: `KERNEL NAME=VALUE NAME=VALUE ...` (single precision), as
// bench/clblast/tune.sh writes them from CLBlast's tuners. Without it CLBlast uses its built-in
// database: this device's entry if it has one, else its defaults for the device type.
#define CL_TARGET_OPENCL_VERSION 120
#include <clblast_c.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPS 5

static void check(cl_int status, const char* what) {
    if (status != CL_SUCCESS) {
        fprintf(stderr, "clblast_sgemm: %s failed with status %d\n", what, status);
        exit(1);
    }
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int by_value(const void* x, const void* y) {
    double a = *(const double*)x, b = *(const double*)y;
    return a < b ? -1 : a > b;
}

static float uniform(unsigned long long* state) {
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((*state >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

// Applies every line of a parameters file; returns the number of kernels overridden.
static int override_parameters(cl_device_id device, const char* path) {
    FILE* f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "clblast_sgemm: cannot open %s\n", path);
        exit(2);
    }
    char line[4096];
    int kernels = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        const char* names[64];
        size_t values[64];
        size_t count = 0;
        char* save = NULL;
        char* kernel = strtok_r(line, " \t\r\n", &save);
        if (kernel == NULL || kernel[0] == '#') {
            continue;
        }
        for (char* tok; (tok = strtok_r(NULL, " \t\r\n", &save)) != NULL && count < 64;) {
            char* eq = strchr(tok, '=');
            if (eq == NULL) {
                fprintf(stderr, "clblast_sgemm: %s: expected NAME=VALUE, got %s\n", path, tok);
                exit(2);
            }
            *eq = 0;
            names[count] = tok;
            values[count] = strtoul(eq + 1, NULL, 10);
            count++;
        }
        CLBlastStatusCode st = CLBlastOverrideParameters(device, kernel, CLBlastPrecisionSingle, count, names, values);
        if (st != CLBlastSuccess) {
            fprintf(stderr, "clblast_sgemm: CLBlastOverrideParameters(%s) failed with status %d\n", kernel, (int)st);
            exit(1);
        }
        kernels++;
    }
    fclose(f);
    return kernels;
}

static int tuned = 0;

static void bench(cl_context ctx, cl_command_queue queue, const char* device, int s) {
    size_t count = (size_t)s * s;
    float* a = malloc(count * sizeof(float));
    float* b = malloc(count * sizeof(float));
    float* c = malloc(count * sizeof(float));
    unsigned long long state = 42;
    for (size_t i = 0; i < count; i++) {
        a[i] = uniform(&state);
        b[i] = uniform(&state);
    }
    cl_int err;
    cl_mem a_g = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, count * sizeof(float), a, &err);
    check(err, "clCreateBuffer(a)");
    cl_mem b_g = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, count * sizeof(float), b, &err);
    check(err, "clCreateBuffer(b)");
    cl_mem c_g = clCreateBuffer(ctx, CL_MEM_READ_WRITE, count * sizeof(float), NULL, &err);
    check(err, "clCreateBuffer(c)");
    double ms[REPS];
    for (int r = -1; r < REPS; r++) {
        double t0 = now_s();
        CLBlastStatusCode st = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, s, s, s,
                                            1.0f, a_g, 0, s, b_g, 0, s, 0.0f, c_g, 0, s, &queue, NULL);
        if (st != CLBlastSuccess) {
            fprintf(stderr, "clblast_sgemm: CLBlastSgemm failed with status %d\n", (int)st);
            exit(1);
        }
        check(clFinish(queue), "clFinish");
        if (r >= 0) {
            ms[r] = (now_s() - t0) * 1e3;
        }
    }
    check(clEnqueueReadBuffer(queue, c_g, CL_TRUE, 0, count * sizeof(float), c, 0, NULL, NULL), "clEnqueueReadBuffer");
    double max_err = 0, max_ref = 0;
    for (int t = 0; t < 256; t++) {
        int i = (int)((t * 2654435761u) % (unsigned)s), j = (int)((t * 40503u + 7) % (unsigned)s);
        double ref = 0;
        for (int k = 0; k < s; k++) {
            ref += (double)a[(size_t)i * s + k] * b[(size_t)k * s + j];
        }
        max_err = fmax(max_err, fabs(c[(size_t)i * s + j] - ref));
        max_ref = fmax(max_ref, fabs(ref));
    }
    qsort(ms, REPS, sizeof(double), by_value);
    double median = ms[REPS / 2];
    printf("{\"op\":\"clblast_sgemm\",\"device\":\"%s\",\"tuned\":%s,\"m\":%d,\"n\":%d,\"k\":%d,\"repeats\":%d,"
           "\"medianMs\":%.3f,\"gflops\":%.2f,\"maxRelError\":%.3g}\n", device, tuned ? "true" : "false", s, s, s, REPS,
           median, 2.0 * s * s * s / (median * 1e6), max_err / max_ref);
    fflush(stdout);
    clReleaseMemObject(a_g);
    clReleaseMemObject(b_g);
    clReleaseMemObject(c_g);
    free(a);
    free(b);
    free(c);
}

int main(int argc, char** argv) {
    cl_platform_id platform;
    cl_device_id device;
    check(clGetPlatformIDs(1, &platform, NULL), "clGetPlatformIDs");
    check(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, NULL), "clGetDeviceIDs");
    char name[256];
    check(clGetDeviceInfo(device, CL_DEVICE_NAME, sizeof name, name, NULL), "clGetDeviceInfo(CL_DEVICE_NAME)");
    cl_int err;
    cl_context ctx = clCreateContext(NULL, 1, &device, NULL, NULL, &err);
    check(err, "clCreateContext");
    cl_command_queue queue = clCreateCommandQueue(ctx, device, 0, &err);
    check(err, "clCreateCommandQueue");
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "--params") == 0) {
        tuned = override_parameters(device, argv[2]) > 0;
        first = 3;
    }
    if (argc <= first) {
        bench(ctx, queue, name, 1024);
        bench(ctx, queue, name, 2048);
    }
    for (int i = first; i < argc; i++) {
        bench(ctx, queue, name, atoi(argv[i]));
    }
    clReleaseCommandQueue(queue);
    clReleaseContext(ctx);
    return 0;
}
