package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Keras's L1/L2 weight penalty of one parameter w: (n): {@code loss[0] (+)= Σ_i (l1·|w_i| + l2·w_i²)}
 * (accumulate adds to loss[0]) and, when grad is not null, its gradient added to the parameter's:
 * {@code grad_i += l1·sign(w_i) + 2·l2·w_i} (sign(0) = 0, as TensorFlow's and PyTorch's). One
 * launch for both where the backend can. Not modified: w. Modified: loss, grad (which must not
 * alias w or loss).
 */
public record Regularize(Tensor w, Tensor grad, float l1, float l2, Tensor loss, boolean accumulate) implements Op {
    @Override
    public String name() {
        return grad == null ? "regularizePenalty" : "regularize";
    }

    @Override
    public void validate() {
        Shapes.scalar(name(), "loss", loss);
        if (grad != null) {
            Shapes.sameSize(name(), w, grad);
            Shapes.noAlias(name(), grad, w, loss);
        }
        Shapes.noAlias(name(), loss, w);
        if (!(l1 >= 0 && l2 >= 0 && Float.isFinite(l1) && Float.isFinite(l2))) {
            throw new IllegalArgumentException(name() + ": l1 and l2 must be finite and >= 0, got l1 " + l1 + ", l2 "
                    + l2);
        }
    }

    @Override
    public Cost cost() {
        long n = w.shape().size();
        return new Cost((grad == null ? 4.0 : 8.0) * n, Cost.F * ((grad == null ? 1 : 3) * n + 1));
    }

    @Override
    public List<Tensor> inputs() {
        return Shapes.list(w, grad, accumulate ? loss : null);
    }

    @Override
    public List<Tensor> outputs() {
        return Shapes.list(grad, loss);
    }

    @Override
    public Regularize rebind(UnaryOperator<Tensor> f) {
        return new Regularize(f.apply(w), Op.map(f, grad), l1, l2, f.apply(loss), accumulate);
    }
}
