package dev.clgrad.nn;

import dev.clgrad.ops.Op;
import dev.clgrad.ops.Renorm;
import dev.clgrad.tensor.Tensor;

import java.util.Map;

/** Keras's {@code UnitNorm()}: each unit's weights ({@link Constraint#units}) divided by their norm, {@code w / (1e-7 + n)}. */
public record UnitNorm() implements Constraint {
    @Override
    public String configType() {
        return "unit_norm";
    }

    @Override
    public Map<String, Object> config() {
        return LayerTypes.entries("type", configType());
    }

    @Override
    public Op op(Tensor w) {
        return new Renorm(Constraint.units(w), 1f, 1f, 1f);
    }
}
