package dev.clgrad.optim;

import dev.clgrad.nn.Parameter;
import dev.clgrad.ops.Op;
import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * An update rule over a parameter group: the trainable parameters params: (P) and their gradients
 * grads: (P), one flat tensor each (every parameter of the model is a view into them), so a step
 * is one launch whatever the number of layers. The optimizer owns its state (moments, velocity),
 * allocated at zero when the step program is planned ({@link #updates}); {@link #close} frees it.
 * Its learning rate is a value the update ops read when they run: a schedule or a callback changes
 * it between steps without rebuilding the step program.
 */
public interface Optimizer extends AutoCloseable {

    /** The Keras name, such as {@code adam}. */
    String name();

    /**
     * The ops of one update of {@code params} from {@code grads}, to be replayed every step; the
     * step count and learning rate they use are read when they run. {@code variables} are the
     * trainable parameters (views of params and grads at their offsets; per-variable clipping uses
     * them). Allocates the state on the first call.
     */
    List<Op> updates(Tensor params, Tensor grads, List<Parameter> variables);

    /**
     * How many state tensors of the parameters' size {@link #updates} allocates (Adam's m and v: 2,
     * SGD's velocity: 1 with momentum, else 0), for planning a model's memory before they exist.
     */
    int stateTensors();

    /**
     * Advances the step count and sets the scheduled hyperparameters for the update about to run
     * (schedules read the count of earlier updates); the step program calls it before each step's
     * updates run.
     */
    void beginStep();

    /** Steps taken so far. */
    long iterations();

    /** The learning rate the next update uses. */
    double learningRate();

    /**
     * Sets the learning rate from the next update on, rebuilding nothing.
     *
     * @throws IllegalStateException    when a {@link Schedule} sets it
     * @throws IllegalArgumentException when not finite and >= 0
     */
    void setLearningRate(double value);

    /** The learning-rate schedule, or null when the learning rate is a constant (or set by callbacks). */
    Schedule learningRateSchedule();

    /**
     * The optimizer's config as JSON-ready values (Keras's {@code get_config}): {@code type}, the
     * learning rate (a number or a schedule's config), the rule's hyperparameters, clipping keys set.
     */
    Map<String, Object> config();

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

    /** {@code "adam"}, {@code "adamw"}, {@code "sgd"}, {@code "rmsprop"} or {@code "adagrad"} with Keras's defaults. */
    static Optimizer of(String name) {
        return switch (name) {
            case "adam" -> new Adam();
            case "adamw" -> new AdamW();
            case "sgd" -> new Sgd();
            case "rmsprop" -> new Rmsprop();
            case "adagrad" -> new Adagrad();
            default -> throw new IllegalArgumentException("unknown optimizer '" + name
                    + "'; expected \"adam\", \"adamw\", \"sgd\", \"rmsprop\" or \"adagrad\"");
        };
    }
}
