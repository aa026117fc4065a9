package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Softmax over the last axis: x: (…, C), read as R = size / C rows of C →
 * {@code y[r, c] = e^(x[r, c] − m_r) / Σ_j e^(x[r, j] − m_r)}, m_r = max_j x[r, j] (subtracted so that
 * e^· never overflows): (…, C). Keras's {@code Softmax(axis=-1)} and {@code activation="softmax"}.
 * A row holding NaN or +∞ gives NaN throughout (+∞ − +∞), as PyTorch's. y may be x.
 */
public record Softmax(Tensor x, Tensor y) implements Op {
    @Override
    public String name() {
        return "softmaxForward";
    }

    @Override
    public void validate() {
        Shapes.same(name(), "x", x, "y", y);
    }

    /** C: the last axis. */
    public int cols() {
        return x.shape().last();
    }

    /** R: the rows of C. */
    public long rows() {
        return x.shape().size() / Math.max(1, cols());
    }

    @Override
    public Cost cost() {
        return Cost.elementwise(x.shape().size(), 1, 1, 5);
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
    public Softmax rebind(UnaryOperator<Tensor> f) {
        return new Softmax(f.apply(x), f.apply(y));
    }
}
