package dev.clgrad.nn;

import dev.clgrad.ops.Activation;

import java.util.Map;

/**
 * GELU as a layer, PyTorch's {@code nn.GELU(approximate)} and Keras's {@code Activation("gelu")} /
 * {@code gelu(x, approximate)}: x: (B, …) → {@code y = x·Φ(x)} (exact, with erf), or with
 * {@code approximate} the tanh form {@code x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))/2}; backward from
 * the saved input x ({@link Activation}).
 */
public final class GELU extends ActivationLayer {
    private final boolean approximate;

    /** The exact GELU. */
    public GELU() {
        this(false);
    }

    public GELU(boolean approximate) {
        super(Activation.gelu(approximate));
        this.approximate = approximate;
    }

    public boolean approximate() {
        return approximate;
    }

    /** {@code {"type": "gelu", "approximate": false}}. */
    static GELU fromConfig(LayerConfig c) {
        return new GELU(c.bool("approximate", false));
    }

    @Override
    public String type() {
        return "GELU";
    }

    @Override
    public String configType() {
        return "gelu";
    }

    @Override
    public Map<String, Object> config() {
        return LayerTypes.entries("approximate", approximate);
    }
}
