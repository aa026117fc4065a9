package dev.clgrad.nn;

import dev.clgrad.tensor.Shape;

/**
 * A parameter a layer declares: its local name (such as {@code kernel}), its shape, and whether
 * the optimizer trains it or it is a buffer the layer updates itself (a moving statistic).
 */
public record ParamSpec(String name, Shape shape, boolean trainable) {
    public static ParamSpec trainable(String name, Shape shape) {
        return new ParamSpec(name, shape, true);
    }

    public static ParamSpec buffer(String name, Shape shape) {
        return new ParamSpec(name, shape, false);
    }
}
