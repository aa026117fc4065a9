package dev.clgrad.backend.opencl;

import dev.clgrad.ops.Regularize;
import dev.clgrad.ops.Renorm;

/**
 * The norm constraints and the L1/L2 penalties on OpenCL ({@code constraint.cl}), one launch per
 * parameter: {@link Renorm} one work-item per column, {@link Regularize} one work-group (the
 * penalty reduced in a fixed order, the gradient updated in the same pass), so repeated runs give
 * the same bits.
 */
final class ConstraintRoutine {
    static final String FILE = "constraint.cl";
    private static final String WG = "CONSTRAINT_WG";
    private static final int WG_DEFAULT = 64;
    private static final String REDUCE_WG = "REDUCE_WG";
    private static final int REDUCE_WG_DEFAULT = 256;

    private ConstraintRoutine() {
    }

    /** w: (R, C) renormed per column, in place. w modified. Null when w is empty. */
    static Call renorm(OpenClBackend cl, Renorm op) {
        int rows = op.w().shape().rows();
        int cols = op.w().shape().cols();
        if (rows == 0 || cols == 0) {
            return null;
        }
        int wg = Geometry.groupSize(cl, WG, WG_DEFAULT);
        return new Call.Kernel(FILE, "renorm_columns", Geometry.global(cols, wg), Geometry.local(wg),
                new Object[] {rows, cols, op.minNorm(), op.maxNorm(), op.rate(), op.w()});
    }

    /** {@code loss[0] (+)= penalty(w)}, and {@code grad += penalty'(w)} when the op has grad. w not modified; loss, grad modified. */
    static Call regularize(OpenClBackend cl, Regularize op) {
        int n = ElementwiseRoutine.size(op.w());
        int wg = Geometry.reductionGroupSize(cl, REDUCE_WG, REDUCE_WG_DEFAULT);
        int accumulate = op.accumulate() ? 1 : 0;
        if (op.grad() == null) {
            return new Call.Kernel(FILE, "regularize_penalty", Geometry.oneGroup(wg), Geometry.local(wg),
                    new Object[] {n, op.l1(), op.l2(), accumulate, op.w(), op.loss()});
        }
        return new Call.Kernel(FILE, "regularize", Geometry.oneGroup(wg), Geometry.local(wg),
                new Object[] {n, op.l1(), op.l2(), accumulate, op.w(), op.grad(), op.loss()});
    }
}
