package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * SGD with momentum over a flat parameter group, in place (PyTorch's form): params, grads,
 * velocity: (P); with g the {@link Clip clipped} gradient, {@code g' = g + wd·p;
 * vel = momentum·vel + g'; p -= lr·vel}, or with {@code nesterov} {@code p -= lr·(g' + momentum·vel)}
 * (after vel is updated). Without a velocity (null: Keras's momentum 0) {@code p -= lr·g'}. lr and
 * momentum are read when the op runs, so a schedule changes them without rebuilding the step.
 * params, velocity modified; grads not.
 */
public record SgdUpdate(Tensor params, Tensor grads, Tensor velocity, Scalar lr, Scalar momentum, float weightDecay,
                        boolean nesterov, Clip clip) implements Op {

    /** A plain step with fixed lr and momentum (a velocity is needed iff momentum != 0), no clipping. */
    public SgdUpdate(Tensor params, Tensor grads, Tensor velocity, float lr, float momentum, float weightDecay) {
        this(params, grads, momentum != 0f ? velocity : null, Scalar.of(lr), Scalar.of(momentum), weightDecay, false,
                Clip.NONE);
    }

    @Override
    public String name() {
        return nesterov ? "sgdNesterovStep" : "sgdStep";
    }

    @Override
    public void validate() {
        Shapes.sameSize(name(), params, grads);
        if (velocity != null) {
            Shapes.sameSize(name(), params, velocity);
        } else if (nesterov || momentum.get() != 0f) {
            throw new IllegalArgumentException(name() + ": momentum " + momentum + (nesterov ? " with nesterov" : "")
                    + " needs a velocity tensor, got null");
        }
        clip.validate(name());
    }

    @Override
    public Cost cost() {
        long n = params.shape().size();
        return new Cost((velocity != null ? 6.0 : 3.0) * n, Cost.F * n * (velocity != null ? 5 : 3));
    }

    @Override
    public List<Tensor> inputs() {
        return Shapes.list(params, grads, velocity, clip.sumSquares());
    }

    @Override
    public List<Tensor> outputs() {
        return Shapes.list(params, velocity);
    }

    @Override
    public SgdUpdate rebind(UnaryOperator<Tensor> f) {
        return new SgdUpdate(f.apply(params), f.apply(grads), Op.map(f, velocity), lr, momentum, weightDecay, nesterov,
                clip.rebind(f));
    }
}
