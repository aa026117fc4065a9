package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Softmax cross-entropy from logits, logits: (B, C), labels: (B) class indices stored as floats:
 * the forward {@code loss[0] (+)= mean_b(logsumexp(logits[b]) - logits[b, label_b])} (max-subtracted;
 * accumulate adds to loss[0]) when loss is not null, and the gradient
 * {@code dLogits[b, c] = (softmax(logits[b])[c] - [c == label_b]) / B} when dLogits is not null;
 * both in one launch where the backend can. A label that is not a class index is an error.
 */
public record SoftmaxCrossEntropy(Tensor logits, Tensor labels, Tensor loss, boolean accumulate, Tensor dLogits)
        implements Op {
    @Override
    public String name() {
        return loss == null ? "softmaxCrossEntropyBackward"
                : dLogits == null ? "softmaxCrossEntropyForward" : "softmaxCrossEntropyForwardBackward";
    }

    @Override
    public void validate() {
        if (loss == null && dLogits == null) {
            throw new IllegalArgumentException("softmaxCrossEntropy: neither loss nor dLogits given; nothing to compute");
        }
        Shapes.labels(name(), logits, labels);
        if (loss != null) {
            Shapes.scalar(name(), "loss", loss);
        }
        if (dLogits != null) {
            Shapes.same(name(), "logits", logits, "dLogits", dLogits);
        }
    }

    @Override
    public Cost cost() {
        double n = logits.shape().size();
        return new Cost(5 * n, Cost.F * (n + labels.shape().size() + (dLogits != null ? n : 0) + (loss != null ? 1 : 0)));
    }

    @Override
    public List<Tensor> inputs() {
        return Shapes.list(logits, labels, accumulate ? loss : null);
    }

    @Override
    public List<Tensor> outputs() {
        return Shapes.list(loss, dLogits);
    }

    @Override
    public SoftmaxCrossEntropy rebind(UnaryOperator<Tensor> f) {
        return new SoftmaxCrossEntropy(f.apply(logits), f.apply(labels), Op.map(f, loss), accumulate,
                Op.map(f, dLogits));
    }
}
