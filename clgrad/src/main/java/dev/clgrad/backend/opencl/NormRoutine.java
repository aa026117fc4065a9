package dev.clgrad.backend.opencl;

import dev.clgrad.ops.BatchNormApply;
import dev.clgrad.ops.BatchNormBackward;
import dev.clgrad.ops.BatchNormStats;
import dev.clgrad.tensor.Tensor;

/**
 * Batch normalisation on OpenCL ({@code batchnorm.cl}): the statistics with the moving update and
 * the backward run one work-group per channel, each reducing its column in a fixed tree order
 * (deterministic run to run); the apply runs one work-item per element. x is seen as (N, C), C its
 * last dimension. An absent gamma, beta or gradient output is a flag of 0 with another of the op's
 * buffers passed in its place, which the kernel never touches.
 */
final class NormRoutine {
    static final String FILE = "batchnorm.cl";
    private static final String WG = "NORM_WG";
    private static final int WG_DEFAULT = 256;

    private NormRoutine() {
    }

    /**
     * x: (N, C) → mean, variance (C), moving statistics updated in place. x not modified; the rest
     * modified. Null when there are no channels.
     */
    static Call stats(OpenClBackend cl, BatchNormStats op) {
        Tensor x = op.x();
        int c = x.shape().last();
        if (c == 0) {
            return null;
        }
        int wg = Geometry.reductionGroupSize(cl, WG, WG_DEFAULT);
        return new Call.Kernel(FILE, "batchnorm_stats", new long[] {(long) c * wg}, Geometry.local(wg),
                new Object[] {rows(x), c, op.momentum(), x, op.mean(), op.variance(), op.movingMean(),
                        op.movingVariance()});
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

    /** dX, dGamma, dBeta (each where asked) from x, dY and the batch statistics. Inputs not modified. */
    static Call backward(OpenClBackend cl, BatchNormBackward op) {
        Tensor x = op.x();
        int c = x.shape().last();
        if (c == 0) {
            return null;
        }
        int wg = Geometry.reductionGroupSize(cl, WG, WG_DEFAULT);
        Tensor stand = op.dX() != null ? op.dX() : op.dBeta() != null ? op.dBeta() : op.dGamma();
        return new Call.Kernel(FILE, "batchnorm_backward", new long[] {(long) c * wg}, Geometry.local(wg),
                new Object[] {rows(x), c, flag(op.gamma()), op.epsilon(), flag(op.dX()),
                        flag(op.dGamma()), flag(op.dBeta()), x, op.dY(), op.mean(), op.variance(),
                        or(op.gamma(), op.mean()), or(op.dX(), stand), or(op.dGamma(), stand),
                        or(op.dBeta(), stand)});
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
