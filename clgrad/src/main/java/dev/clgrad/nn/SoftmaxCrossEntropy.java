package dev.clgrad.nn;

import dev.clgrad.tensor.Tensor;

import java.util.Map;

/**
 * Keras's {@code sparse_categorical_crossentropy}, pred: (B, C) class scores, labels: (B, 1) class
 * indices stored as floats: the batch mean of {@code −log q[b, label_b]}, in one op with its
 * gradient ({@link dev.clgrad.ops.SoftmaxCrossEntropy}). From logits (the default here), q is the
 * stable log-softmax: {@code logsumexp(z[b]) − z[b, label_b]}, {@code dz = (softmax(z) − onehot(label)) / B},
 * PyTorch's {@code cross_entropy}. On probabilities (Keras's {@code from_logits=False}) q is pred
 * with its rows normalised to sum 1 and clipped to [1e-7, 1 − 1e-7], as
 * {@link CategoricalCrossentropy} on probabilities does, and the gradient is 0 where it was clipped.
 *
 * <p>The default is from logits, unlike Keras's {@code from_logits=False}: every config and saved
 * model from before the option existed means logits, and from logits is the numerically stable
 * form (end the model in a linear layer). A model that ends in softmax takes {@code fromLogits =
 * false}; the model refuses a softmax output with this loss from logits.
 *
 * @param fromLogits whether pred holds logits rather than probabilities
 */
public record SoftmaxCrossEntropy(boolean fromLogits) implements Loss {
    /** From logits, the default of {@code sparse_categorical_crossentropy} here. */
    public SoftmaxCrossEntropy() {
        this(true);
    }

    @Override
    public String name() {
        return "sparse_categorical_crossentropy";
    }

    @Override
    public int targetColumns(int outputs) {
        return 1;
    }

    @Override
    public void lower(Lowering g, Tensor pred, Tensor labels, Tensor lossSum, Tensor dPred) {
        g.emit(null, new dev.clgrad.ops.SoftmaxCrossEntropy(fromLogits, pred, labels.reshape(labels.shape().rows()),
                lossSum, true, dPred));
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
    public String probabilityActivation() {
        return "softmax";
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("fromLogits", fromLogits);
    }
}
