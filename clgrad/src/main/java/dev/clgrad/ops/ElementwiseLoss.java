package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A loss that is a mean over elements, pred, target: (B, O), n = B·O, e = pred - target: the
 * forward {@code loss[0] (+)= (1/n) Σ_i f(pred[i], target[i])} (accumulate adds to loss[0]) and,
 * when dPred is not null, the gradient {@code dPred[i] = f'(pred[i], target[i]) · (1/n)}, in one
 * launch. Keras reduces these over the last axis and then over the batch, which for equal rows is
 * this mean. The function is the {@link Kind}; pred, target not modified; loss and dPred must not
 * alias them.
 *
 * @param delta Huber's δ (finite, > 0); 0 for every other kind
 */
public record ElementwiseLoss(Kind kind, float delta, Tensor pred, Tensor target, Tensor loss, boolean accumulate,
                              Tensor dPred) implements Op {
    /** Keras's ε of the probability losses: probabilities are clipped to [ε, 1 − ε] (float32). */
    public static final float EPSILON = 1e-7f;

    /**
     * The element function, with s(e) = 1 for e &gt; 0, −1 for e &lt; 0, e itself for ±0 and NaN. Each
     * kind's ordinal is its kernel code in {@code loss.cl}.
     */
    public enum Kind {
        /** {@code f = |e|}, {@code f' = s(e)}: Keras's {@code mean_absolute_error}, PyTorch's {@code l1_loss}. */
        MAE("mae"),
        /**
         * {@code f = e²/2} for |e| ≤ δ, else {@code δ·(|e| − δ/2)}; {@code f' = e} for |e| ≤ δ, else
         * {@code δ·s(e)}: Keras's {@code huber}, PyTorch's {@code huber_loss}.
         */
        HUBER("huber"),
        /**
         * Probabilities p, targets t in [0, 1]: with {@code q = clip(p, ε, 1 − ε)},
         * {@code f = −(t·log q + (1 − t)·log(1 − q))}; {@code f' = (q − t) / (q·(1 − q))} where p is
         * inside [ε, 1 − ε] and 0 where it was clipped (the gradient of a clip, as in Keras).
         */
        BINARY_CROSSENTROPY("binaryCrossentropy"),
        /**
         * Logits z, targets t: {@code f = max(z, 0) − z·t + log(1 + e^−|z|)} (never overflows);
         * {@code f' = sigmoid(z) − t}.
         */
        BINARY_CROSSENTROPY_FROM_LOGITS("binaryCrossentropyFromLogits");

        private final String opName;

        Kind(String opName) {
            this.opName = opName;
        }

        /** The op's name stem, such as {@code huber}. */
        public String opName() {
            return opName;
        }
    }

    @Override
    public String name() {
        return kind.opName() + (dPred == null ? "Forward" : "ForwardBackward");
    }

    @Override
    public void validate() {
        if (kind == null) {
            throw new IllegalArgumentException("elementwiseLoss: no kind given");
        }
        if (kind == Kind.HUBER ? !(delta > 0 && Float.isFinite(delta)) : delta != 0) {
            throw new IllegalArgumentException(name() + ": delta is " + delta + "; expected "
                    + (kind == Kind.HUBER ? "a finite number > 0" : "0 (only huber takes a delta)"));
        }
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
    public ElementwiseLoss rebind(UnaryOperator<Tensor> f) {
        return new ElementwiseLoss(kind, delta, f.apply(pred), f.apply(target), f.apply(loss), accumulate,
                Op.map(f, dPred));
    }
}
