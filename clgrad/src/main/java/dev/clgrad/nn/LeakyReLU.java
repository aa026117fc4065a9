package dev.clgrad.nn;

import dev.clgrad.ops.Activation;

import java.util.Map;

/**
 * Keras's {@code LeakyReLU(negative_slope=0.3)}: x: (B, …) → {@code y = x > 0 ? x : s·x}; backward
 * {@code dX = dY·(y > 0 ? 1 : s)}. (As an activation name, {@code "leaky_relu"} has Keras's slope 0.2.)
 */
public final class LeakyReLU extends ActivationLayer {
    /** Keras's layer default. */
    public static final double DEFAULT_SLOPE = 0.3;
    private final double negativeSlope;

    public LeakyReLU() {
        this(DEFAULT_SLOPE);
    }

    /** @param negativeSlope finite and >= 0 */
    public LeakyReLU(double negativeSlope) {
        super(checked(negativeSlope));
        this.negativeSlope = negativeSlope;
    }

    private static Activation checked(double s) {
        try {
            return Activation.leakyRelu(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("LeakyReLU: " + e.getMessage(), e);
        }
    }

    public double negativeSlope() {
        return negativeSlope;
    }

    /** {@code {"type": "leaky_relu", "negativeSlope": 0.3}}; the slope in [0, 1e6]. */
    static LeakyReLU fromConfig(LayerConfig c) {
        return new LeakyReLU(c.number("negativeSlope", 0, 1e6, false, DEFAULT_SLOPE));
    }

    @Override
    public String type() {
        return "LeakyReLU";
    }

    @Override
    public String configType() {
        return "leaky_relu";
    }

    @Override
    public Map<String, Object> config() {
        return LayerTypes.entries("negativeSlope", negativeSlope);
    }
}
