package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * x: any shape (n elements) → {@code out[0] = Σ_i x[i]²}: the squared L2 norm of a gradient that a
 * norm {@link Clip} reads on the device. x not modified; out modified (must not alias x).
 */
public record SumSquares(Tensor x, Tensor out) implements Op {
    @Override
    public String name() {
        return "sumSquares";
    }

    @Override
    public void validate() {
        Shapes.scalar(name(), "out", out);
        Shapes.noAlias(name(), out, x);
    }

    @Override
    public Cost cost() {
        return new Cost(2.0 * x.shape().size(), Cost.F * (x.shape().size() + 1));
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
    public SumSquares rebind(UnaryOperator<Tensor> f) {
        return new SumSquares(f.apply(x), f.apply(out));
    }
}
