package dev.clgrad.backend.opencl;

import dev.clgrad.backend.OpShapes;
import dev.clgrad.tensor.Tensor;

/**
 * Fill, copy, bias add, ReLU forward/backward and fused bias + ReLU on OpenCL
 * ({@code elementwise.cl}; copy is {@code clEnqueueCopyBuffer}). Each method validates shapes,
 * then enqueues one launch; the math is in {@link dev.clgrad.backend.Backend}'s javadoc.
 */
final class ElementwiseRoutine {
    static final String FILE = "elementwise.cl";
    private static final String WG = "ELEMENTWISE_WG";
    private static final int WG_DEFAULT = 256;

    private ElementwiseRoutine() {
    }

    /** {@code x[i] = value}. x modified. */
    static void fill(OpenClBackend cl, Tensor x, float value) {
        int n = size(x);
        if (n == 0) {
            return;
        }
        int wg = Launch.groupSize(cl, WG, WG_DEFAULT);
        cl.enqueue(FILE, "fill_value", Launch.global(n, wg), Launch.local(wg), n, value, x);
    }

    /**
     * {@code dst[i] = src[i]}; the shapes may differ when the sizes match. src not modified; dst
     * modified. dst may be src itself (nothing to do) but no other overlap of the two.
     */
    static void copy(OpenClBackend cl, Tensor src, Tensor dst) {
        if (src.shape().size() != dst.shape().size()) {
            throw new IllegalArgumentException("copy: src is " + src.shape() + " (" + src.shape().size()
                    + " elements) but dst is " + dst.shape() + " (" + dst.shape().size()
                    + " elements); expected equal sizes");
        }
        if (src.shape().size() == 0) {
            return;
        }
        if (src.sharesStorageWith(dst)) {
            if (src.offset() == dst.offset()) {
                return;
            }
            throw new IllegalArgumentException("copy: " + src.name() + " and " + dst.name()
                    + " overlap in one buffer at offsets " + src.offset() + " and " + dst.offset());
        }
        cl.copyBuffer(src, dst);
    }

    /** x: (B, O), bias: (O) → {@code y[b, o] = x[b, o] + bias[o]}. x, bias not modified; y modified (may be x). */
    static void biasAdd(OpenClBackend cl, Tensor x, Tensor bias, Tensor y) {
        OpShapes.bias("biasAdd", x, bias, y);
        bias(cl, "bias_add", x, bias, y);
    }

    /** x: (B, O), bias: (O) → {@code y[b, o] = max(0, x[b, o] + bias[o])}. y modified (may be x). */
    static void biasRelu(OpenClBackend cl, Tensor x, Tensor bias, Tensor y) {
        OpShapes.bias("biasRelu", x, bias, y);
        bias(cl, "bias_relu", x, bias, y);
    }

    /** {@code y = max(0, x)}. x not modified; y modified (may be x). */
    static void reluForward(OpenClBackend cl, Tensor x, Tensor y) {
        OpShapes.same("reluForward", "x", x, "y", y);
        int n = size(x);
        if (n == 0) {
            return;
        }
        int wg = Launch.groupSize(cl, WG, WG_DEFAULT);
        cl.enqueue(FILE, "relu_forward", Launch.global(n, wg), Launch.local(wg), n, x, y);
    }

    /** {@code dX = dY · [y > 0]}, y the forward output. y, dY not modified; dX modified (may be dY). */
    static void reluBackward(OpenClBackend cl, Tensor y, Tensor dY, Tensor dX) {
        OpShapes.same("reluBackward", "y", y, "dY", dY);
        OpShapes.same("reluBackward", "dY", dY, "dX", dX);
        int n = size(y);
        if (n == 0) {
            return;
        }
        int wg = Launch.groupSize(cl, WG, WG_DEFAULT);
        cl.enqueue(FILE, "relu_backward", Launch.global(n, wg), Launch.local(wg), n, y, dY, dX);
    }

    private static void bias(OpenClBackend cl, String kernel, Tensor x, Tensor bias, Tensor y) {
        int rows = x.shape().rows();
        int cols = x.shape().cols();
        if (rows == 0 || cols == 0) {
            return;
        }
        int local = (int) Math.min(Launch.groupSize(cl, WG, WG_DEFAULT), Launch.cover(cols, 8));
        cl.enqueue(FILE, kernel, new long[] {Launch.cover(cols, local), rows}, new long[] {local, 1},
                rows, cols, x, bias, y);
    }

    /**
     * The element count as the kernels' {@code int}.
     *
     * @throws IllegalArgumentException naming the tensor when it holds more than 2^31 − 1 elements
     */
    static int size(Tensor x) {
        return Launch.intArg("tensor " + x.name() + " " + x.shape(), "its element count", x.shape().size());
    }
}
