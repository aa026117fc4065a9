package dev.clgrad.nn;

import dev.clgrad.tensor.Tensor;

import java.util.Map;

/**
 * A training objective over one batch: pred: (B, O) and target: (B, T) → a scalar, the mean over
 * the batch, added into a device scalar so a loop can sum many batches before one read. A loss
 * lowers like a layer ({@link Lowering}): its forward and, in training, its gradient as one op.
 * The losses by Keras name are {@link LossTypes}; each is a record, so equal settings are equal.
 */
public interface Loss {

    /** The Keras name, such as {@code mse}. */
    String name();

    /** Target columns T per row for a model with {@code outputs} outputs. */
    int targetColumns(int outputs);

    /**
     * Emits {@code lossSum[0] += L(pred, target)} and, when {@code dPred} is not null, the
     * gradient {@code dPred = ∂L/∂pred}: (B, O), as one op. pred, target not modified.
     */
    void lower(Lowering g, Tensor pred, Tensor target, Tensor lossSum, Tensor dPred);

    /** Whether targets are class indices (one per row) rather than values per output. */
    boolean classification();

    /**
     * What the metric {@code accuracy} means with this loss, as Keras resolves it: sparse
     * categorical, categorical or binary accuracy; null when it has no accuracy (a regression loss).
     */
    default Metric.Kind accuracy() {
        return null;
    }

    /** Whether the predictions are logits rather than probabilities (binary accuracy's threshold is then 0). */
    default boolean fromLogits() {
        return false;
    }

    /**
     * The activation whose output is the probabilities this loss takes when not {@link #fromLogits}
     * ({@code softmax} for the categorical losses, {@code sigmoid} for binary cross-entropy), as a
     * Keras name; null for a loss of values. A model whose last layer ends in it refuses the loss
     * from logits, which would apply it twice.
     */
    default String probabilityActivation() {
        return null;
    }

    /** The settings a config writes besides the name, such as {@code {"fromLogits": true}}; empty when none. */
    default Map<String, Object> config() {
        return Map.of();
    }

    /**
     * The loss of Keras name {@code name} with its default settings ({@link LossTypes}):
     * {@code mse}, {@code mae}, {@code huber}, {@code binary_crossentropy},
     * {@code categorical_crossentropy}, {@code sparse_categorical_crossentropy} (from logits, unlike Keras).
     */
    static Loss of(String name) {
        return LossTypes.create(name);
    }
}
