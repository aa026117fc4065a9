package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Sparse categorical cross-entropy, pred: (B, C) class scores, labels: (B) class indices stored as
 * floats: the forward {@code loss[0] (+)= (1/B) Σ_b L_b} (accumulate adds to loss[0]) when loss is
 * not null, and the gradient {@code dPred = ∂/∂pred (1/B) Σ_b L_b} when dPred is not null; both in
 * one launch where the backend can. With l = label_b:
 * <ul>
 *   <li>fromLogits, pred = z: {@code L_b = logsumexp(z[b]) − z[b, l]} (max-subtracted);
 *       {@code dz[b, c] = (softmax(z[b])[c] − [c == l]) / B};</li>
 *   <li>probabilities, pred = p: as {@link CategoricalCrossEntropy} on probabilities with a one-hot
 *       target, Keras's {@code q = p / s_b} (s_b = Σ_c p[b, c]) clipped to [ε, 1 − ε]
 *       ({@link ElementwiseLoss#EPSILON}), {@code L_b = −log q_l}; where q_l is inside [ε, 1 − ε]
 *       {@code dp[b, c] = (1 − [c == l]/q_l) / (s_b·B)}, and 0 for the whole row where it was
 *       clipped (the gradient of a clip, as in Keras).</li>
 * </ul>
 * A label that is not a class index is an error. pred, labels not modified.
 *
 * @param fromLogits whether pred holds logits rather than probabilities
 */
public record SoftmaxCrossEntropy(boolean fromLogits, Tensor pred, Tensor labels, Tensor loss, boolean accumulate,
                                  Tensor dPred) implements Op {
    /** From logits. */
    public SoftmaxCrossEntropy(Tensor logits, Tensor labels, Tensor loss, boolean accumulate, Tensor dLogits) {
        this(true, logits, labels, loss, accumulate, dLogits);
    }

    @Override
    public String name() {
        String stem = fromLogits ? "softmaxCrossEntropy" : "sparseCategoricalCrossentropy";
        return stem + (loss == null ? "Backward" : dPred == null ? "Forward" : "ForwardBackward");
    }

    @Override
    public void validate() {
        if (loss == null && dPred == null) {
            throw new IllegalArgumentException(name() + ": neither loss nor dPred given; nothing to compute");
        }
        Shapes.labels(name(), pred, labels);
        if (loss != null) {
            Shapes.scalar(name(), "loss", loss);
        }
        if (dPred != null) {
            Shapes.same(name(), "pred", pred, "dPred", dPred);
        }
    }

    @Override
    public Cost cost() {
        double n = pred.shape().size();
        return new Cost(5 * n, Cost.F * (n + labels.shape().size() + (dPred != null ? n : 0) + (loss != null ? 1 : 0)));
    }

    @Override
    public List<Tensor> inputs() {
        return Shapes.list(pred, labels, accumulate ? loss : null);
    }

    @Override
    public List<Tensor> outputs() {
        return Shapes.list(loss, dPred);
    }

    @Override
    public SoftmaxCrossEntropy rebind(UnaryOperator<Tensor> f) {
        return new SoftmaxCrossEntropy(fromLogits, f.apply(pred), f.apply(labels), Op.map(f, loss), accumulate,
                Op.map(f, dPred));
    }
}
