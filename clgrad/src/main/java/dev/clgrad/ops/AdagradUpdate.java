package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * One Adagrad step (Duchi, Hazan and Singer, JMLR 2011; PyTorch's form, no lr decay) over a flat
 * parameter group, in place: params, grads, accumulator: (P); with g the {@link Clip clipped}
 * gradient, {@code acc += g²; p -= lr·g / (sqrt(acc) + eps)}. lr is read when the op runs. params,
 * accumulator modified; grads not.
 */
public record AdagradUpdate(Tensor params, Tensor grads, Tensor accumulator, Scalar lr, float eps, Clip clip)
        implements Op {
    @Override
    public String name() {
        return "adagradStep";
    }

    @Override
    public void validate() {
        Shapes.sameSize(name(), params, grads, accumulator);
        if (!(eps > 0)) {
            throw new IllegalArgumentException(name() + ": eps must be > 0, got " + eps);
        }
        clip.validate(name());
    }

    @Override
    public Cost cost() {
        long n = params.shape().size();
        return new Cost(6.0 * n, Cost.F * 5.0 * n);
    }

    @Override
    public List<Tensor> inputs() {
        return Shapes.list(params, grads, accumulator, clip.sumSquares());
    }

    @Override
    public List<Tensor> outputs() {
        return List.of(params, accumulator);
    }

    @Override
    public AdagradUpdate rebind(UnaryOperator<Tensor> f) {
        return new AdagradUpdate(f.apply(params), f.apply(grads), f.apply(accumulator), lr, eps, clip.rebind(f));
    }
}
