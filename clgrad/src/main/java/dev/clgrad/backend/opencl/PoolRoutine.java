package dev.clgrad.backend.opencl;

import dev.clgrad.ops.Pool;
import dev.clgrad.ops.PoolBackward;
import dev.clgrad.ops.Pooling;
import dev.clgrad.ops.Window;
import dev.clgrad.tensor.Tensor;

/**
 * 2-D max and average pooling on OpenCL ({@code pool.cl}), forward and backward: one work-item per
 * vector of {@code POOL_VW} channels of one pixel of the output (y forward, dX backward), over the
 * 2-D range (channel vectors, pixels), the backward a gather over the windows holding each tap. The
 * geometry (image, output, window, strides, padding) goes to the kernels as ints; the ops have
 * validated it, so every window holds a tap. Max pooling's backward regenerates the maxima from x
 * rather than storing them.
 */
final class PoolRoutine {
    static final String FILE = "pool.cl";
    private static final String WG = "POOL_WG";
    private static final int WG_DEFAULT = 256;
    private static final String VW = "POOL_VW";
    private static final int VW_DEFAULT = 4;

    private PoolRoutine() {
    }

    /** x: (B, H, W, C) → y: (B, OH, OW, C), max or average. x not modified; y modified. Null when y is empty. */
    static Call forward(OpenClBackend cl, Pool op) {
        return call(cl, op.kind() == Pooling.MAX ? "max_pool_forward" : "avg_pool_forward", true, op.window(),
                op.x(), op.x(), op.y());
    }

    /**
     * dY: (B, OH, OW, C) → dX: (B, H, W, C) (max: from x's regenerated maxima). x, dY not modified;
     * dX modified. Null when dX is empty.
     */
    static Call backward(OpenClBackend cl, PoolBackward op) {
        return op.kind() == Pooling.MAX
                ? call(cl, "max_pool_backward", false, op.window(), op.dX(), op.x(), op.dY(), op.dX())
                : call(cl, "avg_pool_backward", false, op.window(), op.dX(), op.dY(), op.dX());
    }

    /**
     * Kernel {@code name} over the pixels of y (forward) or of the image (backward), with the
     * geometry of {@code image} (B, H, W, C) and {@code w}, then {@code tensors} in order, after
     * checking that the pixel counts the kernels index with {@code int}s fit.
     */
    private static Call call(OpenClBackend cl, String name, boolean forward, Window w, Tensor image,
                             Tensor... tensors) {
        if (image.shape().size() == 0) {
            return null;
        }
        int batch = image.shape().dim(0);
        int channels = image.shape().last();
        int imagePixels = Geometry.intArg(name, "the pixels of the image (B·H·W)", (long) batch * w.h() * w.w());
        int pooledPixels = Geometry.intArg(name, "the pixels of the pooled image (B·OH·OW)",
                (long) batch * w.oh() * w.ow());
        int pixels = forward ? pooledPixels : imagePixels;
        int wg = Geometry.groupSize(cl, WG, WG_DEFAULT);
        int vw = cl.define(VW, VW_DEFAULT);
        int vectors = (channels + vw - 1) / vw;
        int l0 = Math.min(wg, vectors);
        int l1 = Math.max(1, wg / l0);
        long[] global = {Geometry.cover(vectors, l0), Geometry.cover(pixels, l1)};
        Geometry.intArg(name, "the work-items along the pixels (" + pixels + " rounded up to groups of " + l1 + ")",
                global[1]);
        Object[] args = new Object[12 + tensors.length];
        int[] geometry = {pixels, w.h(), w.w(), channels, w.oh(), w.ow(), w.kh(), w.kw(), w.sh(), w.sw(),
                w.padTop(), w.padLeft()};
        for (int i = 0; i < geometry.length; i++) {
            args[i] = geometry[i];
        }
        System.arraycopy(tensors, 0, args, geometry.length, tensors.length);
        return new Call.Kernel(FILE, name, global, new long[] {l0, l1}, args);
    }
}
