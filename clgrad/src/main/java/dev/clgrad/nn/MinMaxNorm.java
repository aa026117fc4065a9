package dev.clgrad.nn;

import dev.clgrad.ops.Op;
import dev.clgrad.ops.Renorm;
import dev.clgrad.tensor.Tensor;

import java.util.Map;

/**
 * Keras's {@code MinMaxNorm(min_value=0, max_value=1, rate=1)}: each unit's norm n
 * ({@link Constraint#units}) moved towards [minValue, maxValue],
 * {@code w·(rate·clip(n, minValue, maxValue) + (1 − rate)·n) / (1e-7 + n)}.
 */
public record MinMaxNorm(double minValue, double maxValue, double rate) implements Constraint {
    public MinMaxNorm {
        if (!(minValue >= 0 && minValue <= maxValue && maxValue <= Float.MAX_VALUE && rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException("MinMaxNorm: expected 0 <= minValue <= maxValue (finite) and rate in "
                    + "[0, 1], got minValue " + minValue + ", maxValue " + maxValue + ", rate " + rate);
        }
    }

    /** Keras's defaults: norms clipped to [0, 1] at rate 1. */
    public MinMaxNorm() {
        this(0, 1, 1);
    }

    @Override
    public String configType() {
        return "min_max_norm";
    }

    @Override
    public Map<String, Object> config() {
        return LayerTypes.entries("type", configType(), "minValue", minValue, "maxValue", maxValue, "rate", rate);
    }

    @Override
    public Op op(Tensor w) {
        return new Renorm(Constraint.units(w), (float) minValue, (float) maxValue, (float) rate);
    }
}
