package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/** x: (R, C) → {@code out[c] = Σ_r x[r, c]}: (C), e.g. bias gradients. Accumulates in double on Java. */
public record ColumnSum(Tensor x, Tensor out) implements Op {
    @Override
    public String name() {
        return "columnSum";
    }

    @Override
    public void validate() {
        if (out.shape().size() != x.shape().cols()) {
            throw new IllegalArgumentException("columnSum: x is " + x.shape() + " but out is " + out.shape()
                    + "; expected out of size " + x.shape().cols());
        }
    }

    @Override
    public Cost cost() {
        return new Cost(x.shape().size(), Cost.F * (x.shape().size() + out.shape().size()));
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
    public ColumnSum rebind(UnaryOperator<Tensor> f) {
        return new ColumnSum(f.apply(x), f.apply(out));
    }
}
