package dev.clgrad.nn;

import dev.clgrad.ops.ElementwiseLoss;
import dev.clgrad.tensor.Tensor;

import java.util.Map;

/**
 * Keras's {@code binary_crossentropy}, pred, target: (B, O), targets in [0, 1]: the mean over
 * elements of {@code −(t·log p + (1 − t)·log(1 − p))}. On probabilities (Keras's default) p is
 * clipped to [1e-7, 1 − 1e-7] first, as Keras does, and the gradient is 0 where it was clipped; from
 * logits z it is the stable {@code max(z, 0) − z·t + log(1 + e^−|z|)} with
 * {@code dz = (sigmoid(z) − t)/(B·O)} (PyTorch's {@code binary_cross_entropy_with_logits}). See
 * {@link ElementwiseLoss.Kind}. Predictions of more axes are seen as their rows.
 *
 * @param fromLogits whether pred holds logits rather than probabilities
 */
public record BinaryCrossentropy(boolean fromLogits) implements Loss {
    /** On probabilities, Keras's default. */
    public BinaryCrossentropy() {
        this(false);
    }

    @Override
    public String name() {
        return "binary_crossentropy";
    }

    @Override
    public int targetColumns(int outputs) {
        return outputs;
    }

    @Override
    public void lower(Lowering g, Tensor pred, Tensor target, Tensor lossSum, Tensor dPred) {
        ElementwiseLoss.Kind kind = fromLogits ? ElementwiseLoss.Kind.BINARY_CROSSENTROPY_FROM_LOGITS
                : ElementwiseLoss.Kind.BINARY_CROSSENTROPY;
        g.emit(null, new ElementwiseLoss(kind, 0f, MSE.rows(pred), target, lossSum, true,
                dPred == null ? null : MSE.rows(dPred)));
    }

    @Override
    public boolean classification() {
        return false;
    }

    @Override
    public Metric.Kind accuracy() {
        return Metric.Kind.BINARY_ACCURACY;
    }

    @Override
    public String probabilityActivation() {
        return "sigmoid";
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("fromLogits", fromLogits);
    }
}
