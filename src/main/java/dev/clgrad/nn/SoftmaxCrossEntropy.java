package dev.clgrad.nn;

import dev.clgrad.tensor.Tensor;

/**
 * Keras's {@code sparse_categorical_crossentropy} from logits: logits: (B, C), labels: (B, 1)
 * class indices stored as floats → {@code mean_b(logsumexp(logits[b]) - logits[b, label_b])};
 * {@code dLogits = (softmax(logits) - onehot(label)) / B}.
 */
public record SoftmaxCrossEntropy() implements Loss {
    @Override
    public String name() {
        return "sparse_categorical_crossentropy";
    }

    @Override
    public int targetColumns(int outputs) {
        return 1;
    }

    @Override
    public void lower(Lowering g, Tensor logits, Tensor labels, Tensor lossSum, Tensor dLogits) {
        g.emit(null, new dev.clgrad.ops.SoftmaxCrossEntropy(logits, labels.reshape(labels.shape().rows()), lossSum,
                true, dLogits));
    }

    @Override
    public boolean classification() {
        return true;
    }

    @Override
    public Metric.Kind accuracy() {
        return Metric.Kind.SPARSE_CATEGORICAL_ACCURACY;
    }

    @Override
    public boolean fromLogits() {
        return true;
    }
}
