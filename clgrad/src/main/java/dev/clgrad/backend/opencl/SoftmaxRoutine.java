package dev.clgrad.backend.opencl;

import dev.clgrad.ops.Softmax;
import dev.clgrad.ops.SoftmaxBackward;

/**
 * Softmax over the last axis on OpenCL ({@code softmax.cl}): one work-group per row, reducing the
 * row's max and sum (forward) or its dot product (backward) with a fixed tree, so the result is
 * the same every run. Tensors are seen as (R, C), C their last dimension.
 */
final class SoftmaxRoutine {
    static final String FILE = "softmax.cl";
    private static final String WG = "SOFTMAX_WG";
    private static final int WG_DEFAULT = 256;

    private SoftmaxRoutine() {
    }

    /** x: (R, C) → y = softmax(x) per row. x not modified; y modified (may be x). Null for no rows. */
    static Call forward(OpenClBackend cl, Softmax op) {
        int rows = Geometry.intArg("softmax", "its rows", op.rows());
        if (rows == 0 || op.cols() == 0) {
            return null;
        }
        int wg = Geometry.reductionGroupSize(cl, WG, WG_DEFAULT);
        return new Call.Kernel(FILE, "softmax_forward", new long[] {(long) rows * wg}, Geometry.local(wg),
                new Object[] {rows, op.cols(), op.x(), op.y()});
    }

    /** y, dY: (R, C) → dX = y·(dY − Σ dY·y) per row. y, dY not modified; dX modified (may be dY). */
    static Call backward(OpenClBackend cl, SoftmaxBackward op) {
        int rows = Geometry.intArg("softmaxBackward", "its rows", op.rows());
        if (rows == 0 || op.cols() == 0) {
            return null;
        }
        int wg = Geometry.reductionGroupSize(cl, WG, WG_DEFAULT);
        return new Call.Kernel(FILE, "softmax_backward", new long[] {(long) rows * wg}, Geometry.local(wg),
                new Object[] {rows, op.cols(), op.y(), op.dY(), op.dX()});
    }
}
