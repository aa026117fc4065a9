package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Inverted dropout with the Philox {@link Mask}: x, y: the same shape (n elements),
 * {@code y[i] = keep(i) ? x[i]/(1-p) : 0}. Forward and backward are this same function (the
 * backward regenerates the mask from the same counters). y may be x.
 */
public record ApplyMask(Tensor x, Mask mask, Tensor y) implements Op {
    @Override
    public String name() {
        return "dropout";
    }

    @Override
    public void validate() {
        Shapes.same(name(), "x", x, "y", y);
    }

    @Override
    public Cost cost() {
        return Cost.elementwise(x.shape().size(), 1, 1, 1);
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
    public ApplyMask rebind(UnaryOperator<Tensor> f) {
        return new ApplyMask(f.apply(x), mask, f.apply(y));
    }
}
