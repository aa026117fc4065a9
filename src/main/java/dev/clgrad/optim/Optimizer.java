package dev.clgrad.optim;

import dev.clgrad.tensor.Tensor;

import java.util.Map;

/**
 * Updates a model's parameters from their gradients. Both are one flat tensor each (every
 * parameter of the model is a view into them), so a step is one backend launch whatever the
 * number of layers. The optimizer owns its state (moments, velocity), allocated on the first
 * step to the parameters' size; {@link #close} frees it.
 */
public interface Optimizer extends AutoCloseable {

    /** The Keras name, such as {@code adam}. */
    String name();

    /** One update. params: (P) modified; grads: (P) not modified. */
    void step(Tensor params, Tensor grads);

    /** Steps taken so far. */
    long iterations();

    /**
     * The state tensors by name, each (P) like the parameters ({@code m} and {@code v} for Adam,
     * {@code velocity} for SGD with momentum); empty before the first step. The tensors are the
     * optimizer's own (not copies): read them, do not close them.
     */
    Map<String, Tensor> state();

    /**
     * Replaces the state with {@code values} (named as {@link #state} names them, each of
     * params' size) and the step count, as a checkpoint saved them; an empty map with
     * {@code iterations == 0} resets the optimizer. Not modified: params, values. Modified: this.
     *
     * @throws IllegalArgumentException when the names or sizes do not match this optimizer
     */
    void restore(Tensor params, Map<String, float[]> values, long iterations);

    /** Frees the state; idempotent, never throws. */
    @Override
    void close();

    /** {@code "adam"}, {@code "adamw"} or {@code "sgd"} with Keras's default hyperparameters. */
    static Optimizer of(String name) {
        return switch (name) {
            case "adam" -> new Adam();
            case "adamw" -> new AdamW();
            case "sgd" -> new Sgd();
            default -> throw new IllegalArgumentException("unknown optimizer '" + name
                    + "'; expected \"adam\", \"adamw\" or \"sgd\"");
        };
    }
}
