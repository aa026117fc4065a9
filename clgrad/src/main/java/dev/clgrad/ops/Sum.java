package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/** x: any shape (n elements) → {@code out[0] = Σ_i x[i]}, or the mean {@code Σ_i x[i] / n} when {@code mean}. */
public record Sum(Tensor x, Tensor out, boolean mean) implements Op {
    @Override
    public String name() {
        return mean ? "mean" : "sum";
    }

    @Override
    public void validate() {
        Shapes.scalar(name(), "out", out);
    }

    @Override
    public Cost cost() {
        return new Cost(x.shape().size(), Cost.F * (x.shape().size() + 1));
    }

    @Override
    public List<Tensor> inputs() {
        return List.of(x);
    }

    @Override
    public List<Tensor> outputs() {
        return List.of(out);
    }

    @Override
    public Sum rebind(UnaryOperator<Tensor> f) {
        return new Sum(f.apply(x), f.apply(out), mean);
    }
}
