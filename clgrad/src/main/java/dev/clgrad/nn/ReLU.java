package dev.clgrad.nn;

import dev.clgrad.ops.Activation;

/** Keras's {@code ReLU()}: x: (B, …) → {@code y = max(0, x)}; backward {@code dX = y > 0 ? dY : 0}. */
public final class ReLU extends ActivationLayer {
    public ReLU() {
        super(Activation.RELU);
    }

    @Override
    public String type() {
        return "ReLU";
    }

    @Override
    public String configType() {
        return "relu";
    }

    @Override
    public String namePrefix() {
        return "re_lu";
    }
}
