package dev.clgrad.nn;

import dev.clgrad.ops.Activation;

/** Keras's {@code Activation("tanh")}: x: (B, …) → {@code y = tanh(x)}; backward {@code dX = dY·(1 − y²)}. */
public final class Tanh extends ActivationLayer {
    public Tanh() {
        super(Activation.TANH);
    }

    @Override
    public String type() {
        return "Tanh";
    }

    @Override
    public String configType() {
        return "tanh";
    }

    @Override
    public String namePrefix() {
        return "tanh";
    }
}
