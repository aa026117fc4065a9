package dev.clgrad.nn;

import dev.clgrad.ops.Act;
import dev.clgrad.ops.ActBackward;
import dev.clgrad.ops.Activation;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.Map;

/**
 * An activation as its own layer, x: (B, …) → {@code y = f(x)}: (B, …) ({@link Act}, or softmax
 * over the last axis); backward {@code dX = dY·f'(·)} from the saved output, or from the saved
 * input x for the activations that {@link Activation#savesInput} ({@link ActBackward}). Keras's
 * {@code Activation("gelu")} ({@code {"type": "activation", "activation": "gelu"}}); the named
 * layers ({@link ReLU}, {@link LeakyReLU}, {@link ELU}, {@link GELU}, …) are this with a fixed
 * activation. The planner fuses an element-wise one into a preceding product's epilogue as it
 * does {@code Dense(units, activation)}.
 */
public class ActivationLayer extends Layer {
    private final LayerActivation activation;
    /** "activation" (the config names the activation), or the type name this layer was read as. */
    private final String configType;

    /**
     * Keras's {@code Activation(name)}.
     *
     * @param activation a Keras activation name ({@link Activation#of}) or {@code softmax}
     */
    public ActivationLayer(String activation) {
        try {
            this.activation = LayerActivation.of(activation);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Activation: " + e.getMessage(), e);
        }
        this.configType = "activation";
    }

    protected ActivationLayer(Activation activation) {
        this(activation, null);
    }

    private ActivationLayer(Activation activation, String configType) {
        this.activation = LayerActivation.of(activation);
        this.configType = configType;
    }

    /** The layer of config type {@code type} ("selu", "swish", "silu"): that activation, no keys. */
    static ActivationLayer named(String type) {
        return new ActivationLayer(Activation.of(type), type);
    }

    /** {@code {"type": "activation", "activation": NAME}}. */
    static ActivationLayer fromConfig(LayerConfig c) {
        String name = c.string("activation", null);
        if (name == null) {
            throw c.error("activation", "missing; expected one of " + LayerActivation.NAMES);
        }
        try {
            return new ActivationLayer(name);
        } catch (IllegalArgumentException e) {
            throw c.error("activation", e.getMessage());
        }
    }

    /** The Keras name of the activation, such as {@code gelu} or {@code softmax}. */
    public String activationName() {
        return activation.name();
    }

    /** The element-wise activation, or null for softmax. */
    public Activation activation() {
        return activation.elementwise();
    }

    @Override
    public String outputActivation() {
        return activation.name();
    }

    @Override
    public String type() {
        return "Activation";
    }

    @Override
    public String configType() {
        return configType;
    }

    @Override
    public String namePrefix() {
        return configType();
    }

    @Override
    public Map<String, Object> config() {
        return "activation".equals(configType) ? LayerTypes.entries("activation", activation.name()) : Map.of();
    }

    @Override
    protected Shape outputShape(Shape in) {
        return in;
    }

    @Override
    public Tensor forward(Lowering g, Tensor x) {
        return activation.forward(g, this, x, null, outputShape());
    }

    @Override
    public String exportOnnx(OnnxGraph g, String x) {
        return activation.exportOnnx(g, this, x);
    }

    @Override
    public Tensor backward(Lowering g, Tensor dY) {
        if (!g.needsInputGradient(this)) {
            return null;
        }
        return activation.backward(g, this, dY, inputShape(), "dX");
    }
}
