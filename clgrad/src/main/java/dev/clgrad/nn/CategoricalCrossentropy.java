package dev.clgrad.nn;

import dev.clgrad.ops.CategoricalCrossEntropy;
import dev.clgrad.tensor.Tensor;

import java.util.Map;

/**
 * Keras's {@code categorical_crossentropy}, pred: (B, C) class scores, target: (B, C) one-hot or
 * soft (rows of probabilities): the batch mean of {@code −Σ_c t_c·log q_c}. On probabilities
 * (Keras's default) q is pred with its rows normalised to sum 1 and clipped to [1e-7, 1 − 1e-7], as
 * Keras does; from logits it is the stable log-softmax, as PyTorch's {@code cross_entropy} with
 * probability targets. Gradients in {@link CategoricalCrossEntropy}. Prediction and target are one
 * vector per sample: an output of more axes is refused.
 *
 * @param fromLogits whether pred holds logits rather than probabilities
 */
public record CategoricalCrossentropy(boolean fromLogits) implements Loss {
    /** On probabilities, Keras's default. */
    public CategoricalCrossentropy() {
        this(false);
    }

    @Override
    public String name() {
        return "categorical_crossentropy";
    }

    @Override
    public int targetColumns(int outputs) {
        return outputs;
    }

    @Override
    public void lower(Lowering g, Tensor pred, Tensor target, Tensor lossSum, Tensor dPred) {
        if (pred.shape().rank() != 2) {
            throw new IllegalArgumentException("categorical_crossentropy takes one vector of class scores per sample, "
                    + "got predictions of shape " + pred.shape() + "; put a Flatten (or GlobalAveragePooling2D) before "
                    + "the last Dense layer");
        }
        g.emit(null, new CategoricalCrossEntropy(fromLogits, pred, target, lossSum, true, dPred));
    }

    @Override
    public boolean classification() {
        return false;
    }

    @Override
    public Metric.Kind accuracy() {
        return Metric.Kind.CATEGORICAL_ACCURACY;
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
