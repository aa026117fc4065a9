package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Categorical cross-entropy against one-hot or soft targets, pred, target: (B, C): the forward
 * {@code loss[0] (+)= (1/B) Σ_b L_b} (accumulate adds to loss[0]) and, when dPred is not null, the
 * gradient {@code dPred = ∂/∂pred (1/B) Σ_b L_b}, in one launch. With T_b = Σ_c target[b, c]:
 * <ul>
 *   <li>fromLogits, pred = z: {@code L_b = Σ_c t_c·(lse_b − z_c)}, lse_b the max-subtracted
 *       log-sum-exp of the row (Keras's {@code -sum(t · log_softmax(z))});
 *       {@code dz_c = (softmax(z)_c·T_b − t_c) / B};</li>
 *   <li>probabilities, pred = p: Keras's {@code q = p / Σ_c p_c} (s_b = Σ_c p_c), clipped to
 *       [ε, 1 − ε] ({@link ElementwiseLoss#EPSILON}), {@code L_b = −Σ_c t_c·log q_c}; with
 *       g_c = −t_c / q_c where q_c is inside [ε, 1 − ε] and 0 where clipped, and U_b the sum of
 *       t_c over the classes not clipped, {@code dp_c = (g_c + U_b) / (s_b·B)}.</li>
 * </ul>
 * pred, target not modified; loss and dPred must not alias them.
 */
public record CategoricalCrossEntropy(boolean fromLogits, Tensor pred, Tensor target, Tensor loss, boolean accumulate,
                                      Tensor dPred) implements Op {
    @Override
    public String name() {
        return "categoricalCrossentropy" + (fromLogits ? "FromLogits" : "") + (dPred == null ? "Forward"
                : "ForwardBackward");
    }

    @Override
    public void validate() {
        Shapes.same(name(), "pred", pred, "target", target);
        Shapes.scalar(name(), "loss", Shapes.required(name(), "loss", loss));
        if (dPred != null) {
            Shapes.same(name(), "pred", pred, "dPred", dPred);
            Shapes.noAlias(name(), dPred, pred, target, loss);
        }
        Shapes.noAlias(name(), loss, pred, target);
    }

    @Override
    public Cost cost() {
        double n = pred.shape().size();
        return new Cost(8 * n, Cost.F * (2 * n + (dPred != null ? n : 0) + 1));
    }

    @Override
    public List<Tensor> inputs() {
        return Shapes.list(pred, target, accumulate ? loss : null);
    }

    @Override
    public List<Tensor> outputs() {
        return Shapes.list(loss, dPred);
    }

    @Override
    public CategoricalCrossEntropy rebind(UnaryOperator<Tensor> f) {
        return new CategoricalCrossEntropy(fromLogits, f.apply(pred), f.apply(target), f.apply(loss), accumulate,
                Op.map(f, dPred));
    }
}
