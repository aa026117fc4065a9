package dev.clgrad.backend.opencl;

import dev.clgrad.backend.OpShapes;
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

    /** x: (R, C) → {@code out[c] = sum_r x[r, c]}. x not modified; out modified. */
    static void columnSum(OpenClBackend cl, Tensor x, Tensor out) {
        OpShapes.columnSum(x, out);
        requireNoAlias("columnSum", x, out);
        int cols = x.shape().cols();
        if (cols == 0) {
            return;
        }
        int wg = Launch.reductionGroupSize(cl, WG, WG_DEFAULT);
        int vw = cl.define(VW, VW_DEFAULT);
        cl.enqueue(FILE, "column_sum", Launch.global((cols + vw - 1) / vw, wg), Launch.local(wg), x.shape().rows(), cols, x, out);
    }

    /** {@code out[0] = sum_i x[i]}. x not modified; out modified. */
    static void sum(OpenClBackend cl, Tensor x, Tensor out) {
        whole(cl, "sum", "sum_all", x, out);
    }

    /** {@code out[0] = sum_i x[i] / n}. x not modified; out modified. */
    static void mean(OpenClBackend cl, Tensor x, Tensor out) {
        whole(cl, "mean", "mean_all", x, out);
    }

    private static void whole(OpenClBackend cl, String op, String kernel, Tensor x, Tensor out) {
        OpShapes.scalar(op, out);
        requireNoAlias(op, x, out);
        int wg = Launch.reductionGroupSize(cl, WG, WG_DEFAULT);
        cl.enqueue(FILE, kernel, Launch.oneGroup(wg), Launch.local(wg), ElementwiseRoutine.size(x), x, out);
    }

    private static void requireNoAlias(String op, Tensor x, Tensor out) {
        if (out.sharesStorageWith(x)) {
            throw new IllegalArgumentException(op + ": out " + out.name() + " must not alias x " + x.name());
        }
    }
}
