package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/** x: any shape → {@code y = activation(x)}, same shape ({@link Activation#apply}). y may be x. */
public record Act(Activation activation, Tensor x, Tensor y) implements Op {
    @Override
    public String name() {
        return activation.opName() + "Forward";
    }

    @Override
    public void validate() {
        Shapes.same(name(), "x", x, "y", y);
    }

    @Override
    public Cost cost() {
        return Cost.elementwise(x.shape().size(), 1, 1, activation == Activation.RELU ? 1 : 4);
    }

    @Override
    public List<Tensor> inputs() {
        return List.of(x);
    }

    @Override
    public List<Tensor> outputs() {
        return List.of(y);
    }

    @Override
    public Act rebind(UnaryOperator<Tensor> f) {
        return new Act(activation, f.apply(x), f.apply(y));
    }
}
