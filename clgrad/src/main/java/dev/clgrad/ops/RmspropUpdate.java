package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * One RMSprop step (Hinton's lecture 6e; PyTorch's form, momentum 0) over a flat parameter
 * group, in place: params, grads, v, gAvg: (P); with g the {@link Clip clipped} gradient,
 * {@code v = rho·v + (1-rho)·g²}; centered: {@code gAvg = rho·gAvg + (1-rho)·g;
 * p -= lr·g / (sqrt(v - gAvg²) + eps)}, else {@code p -= lr·g / (sqrt(v) + eps)}. lr is read when the
 * op runs. params, v, gAvg modified; grads not.
 *
 * @param gAvg the mean gradient, null unless centered
 */
public record RmspropUpdate(Tensor params, Tensor grads, Tensor v, Tensor gAvg, Scalar lr, float rho, float eps,
                            Clip clip) implements Op {
    @Override
    public String name() {
        return gAvg != null ? "rmspropCenteredStep" : "rmspropStep";
    }

    @Override
    public void validate() {
        Shapes.sameSize(name(), params, grads, v);
        if (gAvg != null) {
            Shapes.sameSize(name(), params, gAvg);
        }
        if (!(rho >= 0 && rho < 1) || !(eps > 0)) {
            throw new IllegalArgumentException(name() + ": rho must be in [0, 1) and eps > 0, got rho " + rho
                    + ", eps " + eps);
        }
        clip.validate(name());
    }

    @Override
    public Cost cost() {
        long n = params.shape().size();
        return new Cost((gAvg != null ? 12.0 : 8.0) * n, Cost.F * n * (gAvg != null ? 7 : 5));
    }

    @Override
    public List<Tensor> inputs() {
        return Shapes.list(params, grads, v, gAvg, clip.sumSquares());
    }

    @Override
    public List<Tensor> outputs() {
        return Shapes.list(params, v, gAvg);
    }

    @Override
    public RmspropUpdate rebind(UnaryOperator<Tensor> f) {
        return new RmspropUpdate(f.apply(params), f.apply(grads), f.apply(v), Op.map(f, gAvg), lr, rho, eps,
                clip.rebind(f));
    }
}
