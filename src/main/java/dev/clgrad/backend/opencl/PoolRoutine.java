package dev.clgrad.backend.opencl;

import dev.clgrad.ops.Pool;
import dev.clgrad.ops.PoolBackward;
import dev.clgrad.ops.Pooling;
import dev.clgrad.ops.Window;
import dev.clgrad.tensor.Tensor;

/**
 * 2-D max and average pooling on OpenCL ({@code pool.cl}), forward and backward: one work-item per
 * element of the output (y forward, dX backward), the backward a gather over the windows holding
 * each tap. The geometry (image, output, window, strides, padding) goes to the kernels as ints;
 * the ops have validated it, so every window holds a tap. Max pooling's backward regenerates the
 * maxima from x rather than storing them.
 */
final class PoolRoutine {
    static final String FILE = "pool.cl";
    private static final String WG = "POOL_WG";
    private static final int WG_DEFAULT = 256;

    private PoolRoutine() {
    }

    /** x: (B, H, W, C) → y: (B, OH, OW, C), max or average. x not modified; y modified. Null when y is empty. */
    static Call forward(OpenClBackend cl, Pool op) {
        return call(cl, op.kind() == Pooling.MAX ? "max_pool_forward" : "avg_pool_forward", op.window(), op.x(),
                op.y(), op.x(), op.y());
    }

    /**
     * dY: (B, OH, OW, C) → dX: (B, H, W, C) (max: from x's regenerated maxima). x, dY not modified;
     * dX modified. Null when dX is empty.
     */
    static Call backward(OpenClBackend cl, PoolBackward op) {
        return op.kind() == Pooling.MAX
                ? call(cl, "max_pool_backward", op.window(), op.dX(), op.dX(), op.x(), op.dY(), op.dX())
                : call(cl, "avg_pool_backward", op.window(), op.dX(), op.dX(), op.dY(), op.dX());
    }

    /**
     * Kernel {@code name} over the elements of {@code out} with the geometry of {@code image}
     * (B, H, W, C) and {@code w}, then {@code tensors} in order.
     */
    private static Call call(OpenClBackend cl, String name, Window w, Tensor image, Tensor out, Tensor... tensors) {
        int n = ElementwiseRoutine.size(out);
        if (n == 0) {
            return null;
        }
        int wg = Geometry.groupSize(cl, WG, WG_DEFAULT);
        Object[] args = new Object[12 + tensors.length];
        int[] geometry = {n, w.h(), w.w(), image.shape().last(), w.oh(), w.ow(), w.kh(), w.kw(), w.sh(), w.sw(),
                w.padTop(), w.padLeft()};
        for (int i = 0; i < geometry.length; i++) {
            args[i] = geometry[i];
        }
        System.arraycopy(tensors, 0, args, geometry.length, tensors.length);
        return new Call.Kernel(FILE, name, Geometry.global(n, wg), Geometry.local(wg), args);
    }
}
