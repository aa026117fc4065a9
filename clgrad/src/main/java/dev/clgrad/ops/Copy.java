package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/** src, dst: any shapes of the same size → {@code dst[i] = src[i]}. */
public record Copy(Tensor src, Tensor dst) implements Op {
    @Override
    public String name() {
        return "copy";
    }

    @Override
    public void validate() {
        if (src.shape().size() != dst.shape().size()) {
            throw new IllegalArgumentException("copy: src " + src.name() + " is " + src.shape() + " but dst "
                    + dst.name() + " is " + dst.shape() + "; expected the same number of elements");
        }
    }

    @Override
    public Cost cost() {
        return Cost.elementwise(src.shape().size(), 1, 1, 0);
    }

    @Override
    public List<Tensor> inputs() {
        return List.of(src);
    }

    @Override
    public List<Tensor> outputs() {
        return List.of(dst);
    }

    @Override
    public Copy rebind(UnaryOperator<Tensor> f) {
        return new Copy(f.apply(src), f.apply(dst));
    }
}
