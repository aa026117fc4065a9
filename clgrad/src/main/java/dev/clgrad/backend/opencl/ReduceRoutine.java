package dev.clgrad.backend.opencl;

import dev.clgrad.ops.ColumnSum;
import dev.clgrad.ops.Sum;
import dev.clgrad.ops.SumSquares;
import dev.clgrad.tensor.Tensor;

/**
 * Column sums, sum and mean on OpenCL ({@code reduce.cl}). The whole-tensor reductions run in one
 * work-group in a fixed order, so repeated runs give the same bits.
 */
final class ReduceRoutine {
    static final String FILE = "reduce.cl";
    private static final String WG = "REDUCE_WG";
    private static final int WG_DEFAULT = 256;
    private static final String VW = "REDUCE_VW";
    private static final int VW_DEFAULT = 1;

    private ReduceRoutine() {
    }

    /** x: (R, C) → {@code out[c] = sum_r x[r, c]}. x not modified; out modified. Null when C = 0. */
    static Call columnSum(OpenClBackend cl, ColumnSum op) {
        Tensor x = op.x();
        requireNoAlias("columnSum", x, op.out());
        int cols = x.shape().cols();
        if (cols == 0) {
            return null;
        }
        int wg = Geometry.reductionGroupSize(cl, WG, WG_DEFAULT);
        int vw = cl.define(VW, VW_DEFAULT);
        return new Call.Kernel(FILE, "column_sum", Geometry.global((cols + vw - 1) / vw, wg), Geometry.local(wg),
                new Object[] {x.shape().rows(), cols, x, op.out()});
    }

    /** {@code out[0] = sum_i x[i]}, or that over n when the op asks for the mean. x not modified; out modified. */
    static Call sum(OpenClBackend cl, Sum op) {
        requireNoAlias(op.name(), op.x(), op.out());
        int wg = Geometry.reductionGroupSize(cl, WG, WG_DEFAULT);
        return new Call.Kernel(FILE, op.mean() ? "mean_all" : "sum_all", Geometry.oneGroup(wg), Geometry.local(wg),
                new Object[] {ElementwiseRoutine.size(op.x()), op.x(), op.out()});
    }

    /** {@code out[0] = sum_i x[i]²} ({@link SumSquares}). x not modified; out modified. */
    static Call sumSquares(OpenClBackend cl, SumSquares op) {
        requireNoAlias(op.name(), op.x(), op.out());
        int wg = Geometry.reductionGroupSize(cl, WG, WG_DEFAULT);
        return new Call.Kernel(FILE, "sum_squares_all", Geometry.oneGroup(wg), Geometry.local(wg),
                new Object[] {ElementwiseRoutine.size(op.x()), op.x(), op.out()});
    }

    private static void requireNoAlias(String op, Tensor x, Tensor out) {
        if (out.sharesStorageWith(x)) {
            throw new IllegalArgumentException(op + ": out " + out.name() + " must not alias x " + x.name());
        }
    }
}
