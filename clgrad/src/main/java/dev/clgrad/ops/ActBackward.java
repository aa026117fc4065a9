package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The backward of {@link Act} from its output y: {@code dX = dY·g(y)}, g the derivative from the
 * output ({@link Activation#derivative}) — or, for an activation that {@link Activation#savesInput}
 * (elu, selu, gelu, silu), from its input: then {@code y} holds the forward's z; for ReLU a select,
 * {@code dX = y > 0 ? dY : (y is NaN ? NaN : +0)} (a NaN output has a NaN derivative; dY's NaN and ±∞
 * pass only where y > 0).
 * y, dY, dX: the same shape. dX may be dY.
 */
public record ActBackward(Activation activation, Tensor y, Tensor dY, Tensor dX) implements Op {
    @Override
    public String name() {
        return activation.opName() + "Backward";
    }

    @Override
    public void validate() {
        Shapes.same(name(), "y", y, "dY", dY);
        Shapes.same(name(), "dY", dY, "dX", dX);
    }

    @Override
    public Cost cost() {
        return Cost.elementwise(y.shape().size(), 2, 1, activation == Activation.RELU ? 1 : 3);
    }

    @Override
    public List<Tensor> inputs() {
        return List.of(y, dY);
    }

    @Override
    public List<Tensor> outputs() {
        return List.of(dX);
    }

    @Override
    public ActBackward rebind(UnaryOperator<Tensor> f) {
        return new ActBackward(activation, f.apply(y), f.apply(dY), f.apply(dX));
    }
}
