package dev.clgrad.backend.opencl;

import dev.clgrad.ops.AdamHyper;
import dev.clgrad.backend.OpShapes;
import dev.clgrad.tensor.Tensor;

/**
 * Adam/AdamW and SGD steps on OpenCL ({@code adam.cl}): one launch updates a whole flat parameter
 * buffer in place. The bias corrections {@code 1 - beta^t} are folded on the host, in double, into
 * PyTorch's {@code step_size = lr / (1 - beta1^t)} and {@code 1 / sqrt(1 - beta2^t)}.
 */
final class OptimizerRoutine {
    static final String FILE = "adam.cl";
    private static final String WG = "OPTIMIZER_WG";
    private static final int WG_DEFAULT = 256;

    private OptimizerRoutine() {
    }

    /**
     * See {@link dev.clgrad.backend.Backend#adamStep}. params, m, v modified; grads not modified.
     *
     * @throws IllegalArgumentException when a state tensor's size differs from params', or step < 1
     */
    static void adamStep(OpenClBackend cl, Tensor params, Tensor grads, Tensor m, Tensor v, AdamHyper hyper,
                         long step) {
        OpShapes.optimizerState("adamStep", params, grads, m, v);
        if (step < 1) {
            throw new IllegalArgumentException("adamStep: step counts from 1, got " + step);
        }
        int n = ElementwiseRoutine.size(params);
        if (n == 0) {
            return;
        }
        int wg = Launch.groupSize(cl, WG, WG_DEFAULT);
        double bc1 = 1 - Math.pow(hyper.beta1(), step);
        double bc2 = 1 - Math.pow(hyper.beta2(), step);
        float stepSize = (float) (hyper.lr() / bc1);
        float invSqrtBc2 = (float) (1 / Math.sqrt(bc2));
        cl.enqueue(FILE, "adam_step", Launch.global(n, wg), Launch.local(wg), n, hyper.lr(), hyper.beta1(),
                hyper.beta2(), hyper.eps(), hyper.weightDecay(), stepSize, invSqrtBc2, params, grads, m, v);
    }

    /**
     * See {@link dev.clgrad.backend.Backend#sgdStep}. params and velocity modified; grads not
     * modified. Without a velocity buffer the momentum must be 0.
     *
     * @throws IllegalArgumentException for mismatched sizes, or momentum != 0 without velocity
     */
    static void sgdStep(OpenClBackend cl, Tensor params, Tensor grads, Tensor velocity, float lr, float momentum,
                        float weightDecay) {
        OpShapes.optimizerState("sgdStep", params, grads);
        int n = ElementwiseRoutine.size(params);
        int wg = Launch.groupSize(cl, WG, WG_DEFAULT);
        if (velocity == null) {
            if (momentum != 0f) {
                throw new IllegalArgumentException("sgdStep: momentum " + momentum + " needs a velocity tensor, got null");
            }
            if (n > 0) {
                cl.enqueue(FILE, "sgd_step_plain", Launch.global(n, wg), Launch.local(wg), n, lr, weightDecay,
                        params, grads);
            }
            return;
        }
        OpShapes.optimizerState("sgdStep", params, velocity);
        if (n > 0) {
            cl.enqueue(FILE, "sgd_step", Launch.global(n, wg), Launch.local(wg), n, lr, momentum, weightDecay,
                    params, grads, velocity);
        }
    }
}
