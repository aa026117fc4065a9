package dev.clgrad.backend.opencl;

import dev.clgrad.ops.BatchNormApply;
import dev.clgrad.ops.BatchNormBackward;
import dev.clgrad.ops.BatchNormStats;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Batch normalisation on OpenCL ({@code batchnorm.cl}): the statistics with the moving update and
 * the backward as two-stage reductions, partial sums per block of rows into the backend's
 * {@link Scratch} and then each channel's sum over the blocks in block order (deterministic run to
 * run); the apply and the backward's dX run one work-item per element. x is seen as (N, C), C its
 * last dimension. An absent gamma, beta or gradient output is a flag of 0 with another of the op's
 * buffers passed in its place, which the kernel never touches.
 */
final class NormRoutine {
    static final String FILE = "batchnorm.cl";
    private static final String WG = "NORM_WG";
    private static final int WG_DEFAULT = 256;
    /** The most row blocks a reduction cuts N into (fewer when blocks would be shorter than MIN_ROWS). */
    static final int BLOCKS = 256;
    /** The fewest rows in a block (but the last). */
    static final int MIN_ROWS = 16;

    private NormRoutine() {
    }

    /**
     * The rows per block R for N rows: ceil(N / BLOCKS), at least MIN_ROWS; a function of N alone,
     * so the order of every sum is fixed for a shape.
     */
    static int blockRows(int n) {
        return Math.max(MIN_ROWS, (n + BLOCKS - 1) / BLOCKS);
    }

    /**
     * x: (N, C) → mean, variance (C), moving statistics updated in place, as two launches
     * ({@code batchnorm_stats_partial}, {@code batchnorm_stats_final}) through 2·B·C scratch floats.
     * x not modified; the rest modified. Empty when there are no channels or no rows.
     */
    static List<Call.Kernel> stats(OpenClBackend cl, BatchNormStats op) {
        Tensor x = op.x();
        int c = x.shape().last();
        if (c == 0 || ElementwiseRoutine.size(x) == 0) {
            return List.of();
        }
        int wg = Geometry.groupSize(cl, WG, WG_DEFAULT);
        int n = rows(x);
        int r = blockRows(n);
        int b = (n + r - 1) / r;
        int partials = Geometry.intArg("batchnorm_stats", "blocks x channels", (long) b * c);
        Call.ScratchBuffer part = new Call.ScratchBuffer(cl.scratch(), 2L * partials);
        return List.of(
                new Call.Kernel(FILE, "batchnorm_stats_partial", Geometry.global(partials, wg), Geometry.local(wg),
                        new Object[] {n, c, r, b, x, part}),
                new Call.Kernel(FILE, "batchnorm_stats_final", Geometry.global(c, wg), Geometry.local(wg),
                        new Object[] {n, c, r, b, op.momentum(), part, op.mean(), op.variance(), op.movingMean(),
                                op.movingVariance()}));
    }

    /** {@code y = f((x − mean)·gamma/sqrt(variance + eps) + beta)}. Inputs not modified; y modified (may be x). */
    static Call apply(OpenClBackend cl, BatchNormApply op) {
        Tensor x = op.x();
        int n = ElementwiseRoutine.size(x);
        if (n == 0) {
            return null;
        }
        int wg = Geometry.groupSize(cl, WG, WG_DEFAULT);
        return new Call.Kernel(FILE, "batchnorm_apply", Geometry.global(n, wg), Geometry.local(wg),
                new Object[] {n, x.shape().last(), flag(op.gamma()), flag(op.beta()), op.epsilon(),
                        op.activation().code(), op.activation().alpha(), x, op.mean(), op.variance(), or(op.gamma(), op.mean()),
                        or(op.beta(), op.mean()), op.y()});
    }

    /**
     * dX, dGamma, dBeta (each where asked) from x, dY and the batch statistics: the partial sums of
     * dY and dY·x̂ per block ({@code batchnorm_backward_partial}), their per-channel sums
     * ({@code batchnorm_backward_final}, into dGamma, dBeta and the scratch) and, where dX is asked,
     * dX per element ({@code batchnorm_backward_dx}); 2·B·C + 2·C scratch floats. Inputs not
     * modified. Empty when there are no channels or no rows.
     */
    static List<Call.Kernel> backward(OpenClBackend cl, BatchNormBackward op) {
        Tensor x = op.x();
        int c = x.shape().last();
        int size = ElementwiseRoutine.size(x);
        if (c == 0 || size == 0) {
            return List.of();
        }
        int wg = Geometry.groupSize(cl, WG, WG_DEFAULT);
        int n = rows(x);
        int r = blockRows(n);
        int b = (n + r - 1) / r;
        int partials = Geometry.intArg("batchnorm_backward", "blocks x channels", (long) b * c);
        Call.ScratchBuffer part = new Call.ScratchBuffer(cl.scratch(), 2L * partials + 2L * c);
        Tensor stand = op.dX() != null ? op.dX() : op.dBeta() != null ? op.dBeta() : op.dGamma();
        List<Call.Kernel> out = new ArrayList<>(3);
        out.add(new Call.Kernel(FILE, "batchnorm_backward_partial", Geometry.global(partials, wg), Geometry.local(wg),
                new Object[] {n, c, r, b, op.epsilon(), x, op.dY(), op.mean(), op.variance(), part}));
        out.add(new Call.Kernel(FILE, "batchnorm_backward_final", Geometry.global(c, wg), Geometry.local(wg),
                new Object[] {c, b, flag(op.dGamma()), flag(op.dBeta()), part, or(op.dGamma(), stand),
                        or(op.dBeta(), stand)}));
        if (op.dX() != null) {
            out.add(new Call.Kernel(FILE, "batchnorm_backward_dx", Geometry.global(size, wg), Geometry.local(wg),
                    new Object[] {size, n, c, b, flag(op.gamma()), op.epsilon(), x, op.dY(), op.mean(), op.variance(),
                            or(op.gamma(), op.mean()), part, op.dX()}));
        }
        return out;
    }

    /** N, the rows of x seen as (N, C); N·C is checked to fit the kernels' ints. */
    private static int rows(Tensor x) {
        return ElementwiseRoutine.size(x) / x.shape().last();
    }

    private static int flag(Tensor t) {
        return t == null ? 0 : 1;
    }

    private static Tensor or(Tensor t, Tensor stand) {
        return t == null ? stand : t;
    }
}
