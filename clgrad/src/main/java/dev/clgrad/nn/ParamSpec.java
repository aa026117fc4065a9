package dev.clgrad.nn;

import dev.clgrad.tensor.Shape;

/**
 * A parameter a layer declares: its local name (such as {@code kernel}), its shape, whether the
 * optimizer trains it or it is a buffer the layer updates itself (a moving statistic), and for a
 * trainable one its constraint and penalty (each null when none), which the planner applies.
 */
public record ParamSpec(String name, Shape shape, boolean trainable, Constraint constraint, Regularizer regularizer) {
    public ParamSpec {
        if (!trainable && (constraint != null || regularizer != null)) {
            throw new IllegalArgumentException("buffer " + name + " takes no constraint or regularizer");
        }
    }

    public static ParamSpec trainable(String name, Shape shape) {
        return new ParamSpec(name, shape, true, null, null);
    }

    public static ParamSpec buffer(String name, Shape shape) {
        return new ParamSpec(name, shape, false, null, null);
    }

    /** This parameter with constraint {@code c} and penalty {@code r} (either may be null). */
    public ParamSpec with(Constraint c, Regularizer r) {
        return new ParamSpec(name, shape, trainable, c, r);
    }
}
