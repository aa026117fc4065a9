package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The backward of {@link Softmax} from its output: y, dY: (…, C), read as rows of C →
 * {@code dX[r, c] = y[r, c]·(dY[r, c] − Σ_j dY[r, j]·y[r, j])}: (…, C) (the Jacobian
 * {@code diag(y) − y·yᵀ} applied to dY). dX may be dY.
 */
public record SoftmaxBackward(Tensor y, Tensor dY, Tensor dX) implements Op {
    @Override
    public String name() {
        return "softmaxBackward";
    }

    @Override
    public void validate() {
        Shapes.same(name(), "y", y, "dY", dY);
        Shapes.same(name(), "dY", dY, "dX", dX);
    }

    /** C: the last axis. */
    public int cols() {
        return y.shape().last();
    }

    /** R: the rows of C. */
    public long rows() {
        return y.shape().size() / Math.max(1, cols());
    }

    @Override
    public Cost cost() {
        return Cost.elementwise(y.shape().size(), 2, 1, 4);
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
    public SoftmaxBackward rebind(UnaryOperator<Tensor> f) {
        return new SoftmaxBackward(f.apply(y), f.apply(dY), f.apply(dX));
    }
}
