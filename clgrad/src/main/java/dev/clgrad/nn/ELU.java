package dev.clgrad.nn;

import dev.clgrad.ops.Activation;

import java.util.Map;

/**
 * Keras's {@code ELU(alpha=1.0)}: x: (B, …) → {@code y = x > 0 ? x : α·(e^x − 1)}; backward
 * {@code dX = dY·(x > 0 ? 1 : α·e^x)} from the saved input x.
 */
public final class ELU extends ActivationLayer {
    private final double alpha;

    public ELU() {
        this(1.0);
    }

    /** @param alpha finite */
    public ELU(double alpha) {
        super(checked(alpha));
        this.alpha = alpha;
    }

    private static Activation checked(double alpha) {
        try {
            return Activation.elu(alpha);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("ELU: " + e.getMessage(), e);
        }
    }

    public double alpha() {
        return alpha;
    }

    /** {@code {"type": "elu", "alpha": 1.0}}; alpha in [-1e6, 1e6]. */
    static ELU fromConfig(LayerConfig c) {
        return new ELU(c.number("alpha", -1e6, 1e6, false, 1.0));
    }

    @Override
    public String type() {
        return "ELU";
    }

    @Override
    public String configType() {
        return "elu";
    }

    @Override
    public Map<String, Object> config() {
        return LayerTypes.entries("alpha", alpha);
    }
}
