package dev.clgrad.backend.opencl;

import dev.clgrad.ops.AdamHyper;
import dev.clgrad.ops.AdamUpdate;
import dev.clgrad.ops.SgdUpdate;

/**
 * Adam/AdamW and SGD steps on OpenCL ({@code adam.cl}): one launch updates a whole flat parameter
 * buffer in place. The bias corrections {@code 1 - beta^t} are folded on the host, in double, into
 * PyTorch's {@code step_size = lr / (1 - beta1^t)} and {@code 1 / sqrt(1 - beta2^t)}, with t read
 * from the op's step counter at each launch ({@link Call.AdamCorrections}).
 */
final class OptimizerRoutine {
    static final String FILE = "adam.cl";
    private static final String WG = "OPTIMIZER_WG";
    private static final int WG_DEFAULT = 256;

    private OptimizerRoutine() {
    }

    /** The {@link AdamUpdate}: params, m, v modified; grads not modified. Null when there are no parameters. */
    static Call adam(OpenClBackend cl, AdamUpdate op) {
        int n = ElementwiseRoutine.size(op.params());
        if (n == 0) {
            return null;
        }
        AdamHyper h = op.hyper();
        int wg = Geometry.groupSize(cl, WG, WG_DEFAULT);
        return new Call.Kernel(FILE, "adam_step", Geometry.global(n, wg), Geometry.local(wg),
                new Object[] {n, h.lr(), h.beta1(), h.beta2(), h.eps(), h.weightDecay(),
                        new Call.AdamCorrections(h, op.step()), op.params(), op.grads(), op.m(), op.v()});
    }

    /**
     * The {@link SgdUpdate}: params and velocity modified; grads not modified. With momentum 0 the
     * velocity is not touched ({@code sgd_step_plain}). Null when there are no parameters.
     */
    static Call sgd(OpenClBackend cl, SgdUpdate op) {
        int n = ElementwiseRoutine.size(op.params());
        if (n == 0) {
            return null;
        }
        int wg = Geometry.groupSize(cl, WG, WG_DEFAULT);
        if (op.momentum() == 0f) {
            return new Call.Kernel(FILE, "sgd_step_plain", Geometry.global(n, wg), Geometry.local(wg),
                    new Object[] {n, op.lr(), op.weightDecay(), op.params(), op.grads()});
        }
        return new Call.Kernel(FILE, "sgd_step", Geometry.global(n, wg), Geometry.local(wg),
                new Object[] {n, op.lr(), op.momentum(), op.weightDecay(), op.params(), op.grads(), op.velocity()});
    }
}
