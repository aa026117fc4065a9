package dev.clgrad.nn;

import dev.clgrad.backend.Backend;
import dev.clgrad.tensor.Tensor;

/**
 * A training objective over one batch: pred: (B, O) and target: (B, T) → a scalar, the mean over
 * the batch. Forward adds into a device scalar so a loop can sum many batches before one read.
 */
public interface Loss {

    /** The Keras name, such as {@code mse}. */
    String name();

    /** Target columns T per row for a model with {@code outputs} outputs. */
    int targetColumns(int outputs);

    /** {@code loss[0] (+)= L(pred, target)}. pred, target not modified; loss modified. */
    void forward(Backend backend, Tensor pred, Tensor target, Tensor loss, boolean accumulate);

    /** {@code dPred = ∂L/∂pred}: (B, O). pred, target not modified; dPred modified. */
    void backward(Backend backend, Tensor pred, Tensor target, Tensor dPred);

    /**
     * {@link #forward} and {@link #backward} as one backend op (one launch on OpenCL): {@code loss[0] (+)= L}
     * and {@code dPred = ∂L/∂pred}. pred, target not modified; loss, dPred modified.
     */
    void forwardBackward(Backend backend, Tensor pred, Tensor target, Tensor loss, boolean accumulate, Tensor dPred);

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
