package dev.clgrad.nn;

import dev.clgrad.ops.Activation;

/** Keras's {@code Activation("sigmoid")}: x: (B, …) → {@code y = 1/(1 + e^−x)}; backward {@code dX = dY·y(1 − y)}. */
public final class Sigmoid extends ActivationLayer {
    public Sigmoid() {
        super(Activation.SIGMOID);
    }

    @Override
    public String type() {
        return "Sigmoid";
    }

    @Override
    public String configType() {
        return "sigmoid";
    }

    @Override
    public String namePrefix() {
        return "sigmoid";
    }
}
