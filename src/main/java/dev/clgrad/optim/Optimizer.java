package dev.clgrad.optim;

import dev.clgrad.ops.Op;
import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * An update rule over a parameter group: the trainable parameters params: (P) and their gradients
 * grads: (P), one flat tensor each (every parameter of the model is a view into them), so a step
 * is one launch whatever the number of layers. The optimizer owns its state (moments, velocity),
 * allocated at zero when the step program is planned ({@link #updates}); {@link #close} frees it.
 */
public interface Optimizer extends AutoCloseable {

    /** The Keras name, such as {@code adam}. */
    String name();

    /**
     * The ops of one update of {@code params} from {@code grads}, to be replayed every step; the
     * step count they use is read when they run. Allocates the state on the first call.
     */
    List<Op> updates(Tensor params, Tensor grads);

    /**
     * How many state tensors of the parameters' size {@link #updates} allocates (Adam's m and v: 2,
     * SGD's velocity: 1 with momentum, else 0), for planning a model's memory before they exist.
     */
    int stateTensors();

    /** Advances the step count; the step program calls it before each step's updates run. */
    void beginStep();

    /** Steps taken so far. */
    long iterations();

    /**
     * The state tensors by name, each (P) like the parameters ({@code m} and {@code v} for Adam,
     * {@code velocity} for SGD with momentum); empty before {@link #updates}. The tensors are the
     * optimizer's own (not copies): read them, do not close them.
     */
    Map<String, Tensor> state();

    /**
     * Replaces the state with {@code values} (named as {@link #state} names them, each of
     * params' size) and the step count, as a checkpoint saved them; an empty map with
     * {@code iterations == 0} resets the optimizer. The state tensors stay the same objects, so a
     * planned step program keeps updating them. Not modified: params, values. Modified: this.
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
