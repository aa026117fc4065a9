package dev.clgrad.nn;

import dev.clgrad.tensor.Tensor;

/**
 * A training objective over one batch: pred: (B, O) and target: (B, T) → a scalar, the mean over
 * the batch, added into a device scalar so a loop can sum many batches before one read. A loss
 * lowers like a layer ({@link Lowering}): its forward and, in training, its gradient as one op.
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

    /** Whether targets are class indices, so that the {@code accuracy} metric applies. */
    boolean classification();

    /** {@code "mse"} or {@code "sparse_categorical_crossentropy"} (from logits). */
    static Loss of(String name) {
        return switch (name) {
            case "mse", "mean_squared_error" -> new MSE();
            case "sparse_categorical_crossentropy" -> new SoftmaxCrossEntropy();
            default -> throw new IllegalArgumentException("unknown loss '" + name
                    + "'; expected \"mse\" or \"sparse_categorical_crossentropy\"");
        };
    }
}
