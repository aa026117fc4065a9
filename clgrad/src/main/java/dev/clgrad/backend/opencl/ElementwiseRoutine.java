package dev.clgrad.backend.opencl;

import dev.clgrad.ops.Act;
import dev.clgrad.ops.ActBackward;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.BiasAct;
import dev.clgrad.ops.Copy;
import dev.clgrad.ops.Fill;
import dev.clgrad.tensor.Tensor;

/**
 * Fill, copy, bias + activation and activations forward/backward on OpenCL ({@code elementwise.cl};
 * copy is {@code clEnqueueCopyBuffer}). Each method turns its op (validated by the caller) into
 * one call, or null when there is nothing to do; the math is the op's. ReLU keeps its own kernels
 * ({@code bias_relu}, {@code relu_forward}, {@code relu_backward}); tanh and sigmoid run
 * {@code bias_act}, {@code act_forward} and {@code act_backward} with the activation code; linear
 * is {@code bias_add} or a copy.
 */
final class ElementwiseRoutine {
    static final String FILE = "elementwise.cl";
    private static final String WG = "ELEMENTWISE_WG";
    private static final int WG_DEFAULT = 256;

    private ElementwiseRoutine() {
    }

    /** {@code x[i] = value}, as the driver's buffer fill. x modified. */
    static Call fill(Fill op) {
        return size(op.x()) == 0 ? null : new Call.Fill(op.x(), op.value());
    }

    /**
     * {@code dst[i] = src[i]}; the shapes may differ when the sizes match. src not modified; dst
     * modified. dst may be src itself (nothing to do) but no other overlap of the two.
     */
    static Call copy(OpenClBackend cl, Copy op) {
        return copy(op.src(), op.dst());
    }

    private static Call copy(Tensor src, Tensor dst) {
        if (src.shape().size() == 0) {
            return null;
        }
        if (src.sharesStorageWith(dst)) {
            if (src.offset() == dst.offset()) {
                return null;
            }
            throw new IllegalArgumentException("copy: " + src.name() + " and " + dst.name()
                    + " overlap in one buffer at offsets " + src.offset() + " and " + dst.offset());
        }
        return new Call.Copy(src, dst);
    }

    /** x: (B, O), bias: (O) → {@code y[b, o] = f(x[b, o] + bias[o])}. x, bias not modified; y modified (may be x). */
    static Call biasAct(OpenClBackend cl, BiasAct op) {
        Tensor x = op.x();
        int rows = x.shape().rows();
        int cols = x.shape().cols();
        if (rows == 0 || cols == 0) {
            return null;
        }
        int local = (int) Math.min(Geometry.groupSize(cl, WG, WG_DEFAULT), Geometry.cover(cols, 8));
        long[] global = {Geometry.cover(cols, local), rows};
        long[] group = {local, 1};
        return switch (op.activation().kind()) {
            case LINEAR -> new Call.Kernel(FILE, "bias_add", global, group, new Object[] {rows, cols, x, op.bias(), op.y()});
            case RELU -> new Call.Kernel(FILE, "bias_relu", global, group, new Object[] {rows, cols, x, op.bias(), op.y()});
            default -> new Call.Kernel(FILE, "bias_act", global, group,
                    new Object[] {rows, cols, op.activation().code(), op.activation().alpha(), x, op.bias(), op.y()});
        };
    }

    /** {@code y = f(x)}. x not modified; y modified (may be x). */
    static Call act(OpenClBackend cl, Act op) {
        if (op.activation() == Activation.LINEAR) {
            return copy(op.x(), op.y());
        }
        int n = size(op.x());
        if (n == 0) {
            return null;
        }
        int wg = Geometry.groupSize(cl, WG, WG_DEFAULT);
        return op.activation() == Activation.RELU
                ? new Call.Kernel(FILE, "relu_forward", Geometry.global(n, wg), Geometry.local(wg),
                        new Object[] {n, op.x(), op.y()})
                : new Call.Kernel(FILE, "act_forward", Geometry.global(n, wg), Geometry.local(wg),
                        new Object[] {n, op.activation().code(), op.activation().alpha(), op.x(), op.y()});
    }

    /**
     * {@code dX = dY·g(v)}, v the forward output, or its input where the activation
     * {@link Activation#savesInput} (ReLU: {@code y > 0 ? dY : 0}). v, dY not modified;
     * dX modified (may be dY).
     */
    static Call actBackward(OpenClBackend cl, ActBackward op) {
        if (op.activation() == Activation.LINEAR) {
            return copy(op.dY(), op.dX());
        }
        int n = size(op.y());
        if (n == 0) {
            return null;
        }
        int wg = Geometry.groupSize(cl, WG, WG_DEFAULT);
        return op.activation() == Activation.RELU
                ? new Call.Kernel(FILE, "relu_backward", Geometry.global(n, wg), Geometry.local(wg),
                        new Object[] {n, op.y(), op.dY(), op.dX()})
                : new Call.Kernel(FILE, "act_backward", Geometry.global(n, wg), Geometry.local(wg),
                        new Object[] {n, op.activation().code(), op.activation().alpha(), op.y(), op.dY(), op.dX()});
    }

    /**
     * The element count as the kernels' {@code int}.
     *
     * @throws IllegalArgumentException naming the tensor when it holds more than 2^31 − 1 elements
     */
    static int size(Tensor x) {
        return Geometry.intArg("tensor " + x.name() + " " + x.shape(), "its element count", x.shape().size());
    }
}
