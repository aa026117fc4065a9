package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/** x: any shape → {@code x[i] = value}. */
public record Fill(Tensor x, float value) implements Op {
    @Override
    public String name() {
        return "fill";
    }

    @Override
    public void validate() {
        Shapes.required(name(), "x", x);
    }

    @Override
    public Cost cost() {
        return Cost.elementwise(x.shape().size(), 0, 1, 0);
    }

    @Override
    public List<Tensor> inputs() {
        return List.of();
    }

    @Override
    public List<Tensor> outputs() {
        return List.of(x);
    }

    @Override
    public Fill rebind(UnaryOperator<Tensor> f) {
        return new Fill(f.apply(x), value);
    }
}
