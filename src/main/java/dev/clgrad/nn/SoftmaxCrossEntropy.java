package dev.clgrad.nn;

import dev.clgrad.backend.Backend;
import dev.clgrad.tensor.Tensor;

/**
 * Keras's {@code sparse_categorical_crossentropy} from logits: logits: (B, C), labels: (B, 1)
 * class indices stored as floats → {@code mean_b(logsumexp(logits[b]) - logits[b, label_b])};
 * {@code dLogits = (softmax(logits) - onehot(label)) / B}.
 */
public final class SoftmaxCrossEntropy implements Loss {
    @Override
    public String name() {
        return "sparse_categorical_crossentropy";
    }

    @Override
    public int targetColumns(int outputs) {
        return 1;
    }

    @Override
    public void forward(Backend backend, Tensor logits, Tensor labels, Tensor loss, boolean accumulate) {
        backend.softmaxCrossEntropyForward(logits, labels, loss, accumulate);
    }

    @Override
    public void backward(Backend backend, Tensor logits, Tensor labels, Tensor dLogits) {
        backend.softmaxCrossEntropyBackward(logits, labels, dLogits);
    }

    @Override
    public void forwardBackward(Backend backend, Tensor pred, Tensor target, Tensor loss, boolean accumulate,
                                Tensor dPred) {
        backend.softmaxCrossEntropyForwardBackward(pred, target, loss, accumulate, dPred);
    }

    @Override
    public boolean classification() {
        return true;
    }
}
