package dev.clgrad.backend.opencl;

import dev.clgrad.ops.AdagradUpdate;
import dev.clgrad.ops.AdamHyper;
import dev.clgrad.ops.AdamUpdate;
import dev.clgrad.ops.Clip;
import dev.clgrad.ops.RmspropUpdate;
import dev.clgrad.ops.SgdUpdate;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Adam/AdamW, SGD, RMSprop and Adagrad steps on OpenCL ({@code adam.cl}): one launch updates a
 * whole flat parameter buffer in place. The learning rate and momentum are {@link Call.ScalarValue}
 * arguments read at each launch. Adam's bias corrections {@code 1 - beta^t} are folded on the host,
 * in double, into PyTorch's {@code step_size = lr / (1 - beta1^t)} and {@code 1 / sqrt(1 - beta2^t)},
 * with t read from the op's step counter at each launch ({@link Call.AdamCorrections}). Every step
 * ends with the clip arguments {@code clip_value, clip_norm, sq} (sq is the gradient buffer when
 * there is no norm to read).
 */
final class OptimizerRoutine {
    static final String FILE = "adam.cl";
    private static final String WG = "OPTIMIZER_WG";
    private static final int WG_DEFAULT = 256;

    private OptimizerRoutine() {
    }

    /** The {@link AdamUpdate}: params, m, v modified; grads not modified. Null when there are no parameters. */
    static Call adam(OpenClBackend cl, AdamUpdate op) {
        AdamHyper h = op.hyper();
        return kernel(cl, "adam_step", op.params(), op.grads(), op.clip(), new Object[] {
                new Call.ScalarValue(op.lr()), h.beta1(), h.beta2(), h.eps(), h.weightDecay(),
                new Call.AdamCorrections(h, op.lr(), op.step()), op.params(), op.grads(), op.m(), op.v()});
    }

    /**
     * The {@link SgdUpdate}: params and velocity modified; grads not modified. Without a velocity
     * (momentum 0) {@code sgd_step_plain}. Null when there are no parameters.
     */
    static Call sgd(OpenClBackend cl, SgdUpdate op) {
        if (op.velocity() == null) {
            return kernel(cl, "sgd_step_plain", op.params(), op.grads(), op.clip(), new Object[] {
                    new Call.ScalarValue(op.lr()), op.weightDecay(), op.params(), op.grads()});
        }
        return kernel(cl, "sgd_step", op.params(), op.grads(), op.clip(), new Object[] {
                new Call.ScalarValue(op.lr()), new Call.ScalarValue(op.momentum()), op.weightDecay(),
                op.nesterov() ? 1 : 0, op.params(), op.grads(), op.velocity()});
    }

    /** The {@link RmspropUpdate}: params, v (and gAvg) modified; grads not. Null when there are no parameters. */
    static Call rmsprop(OpenClBackend cl, RmspropUpdate op) {
        List<Object> args = new ArrayList<>(Arrays.asList(new Call.ScalarValue(op.lr()), op.rho(), op.eps(),
                op.params(), op.grads(), op.v()));
        if (op.gAvg() != null) {
            args.add(op.gAvg());
        }
        return kernel(cl, op.gAvg() != null ? "rmsprop_centered_step" : "rmsprop_step", op.params(), op.grads(),
                op.clip(), args.toArray());
    }

    /** The {@link AdagradUpdate}: params, accumulator modified; grads not. Null when there are no parameters. */
    static Call adagrad(OpenClBackend cl, AdagradUpdate op) {
        return kernel(cl, "adagrad_step", op.params(), op.grads(), op.clip(), new Object[] {
                new Call.ScalarValue(op.lr()), op.eps(), op.params(), op.grads(), op.accumulator()});
    }

    /** One work-item per element: {@code n}, then {@code args}, then the clip's arguments. */
    private static Call kernel(OpenClBackend cl, String name, Tensor params, Tensor grads, Clip clip, Object[] args) {
        int n = ElementwiseRoutine.size(params);
        if (n == 0) {
            return null;
        }
        int wg = Geometry.groupSize(cl, WG, WG_DEFAULT);
        Object[] all = new Object[args.length + 4];
        all[0] = n;
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = clip.value();
        all[args.length + 2] = clip.norm();
        all[args.length + 3] = clip.sumSquares() != null ? clip.sumSquares() : grads;
        return new Call.Kernel(FILE, name, Geometry.global(n, wg), Geometry.local(wg), all);
    }
}
