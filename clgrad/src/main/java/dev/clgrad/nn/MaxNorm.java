package dev.clgrad.nn;

import dev.clgrad.ops.Op;
import dev.clgrad.ops.Renorm;
import dev.clgrad.tensor.Tensor;

import java.util.Map;

/**
 * Keras's {@code MaxNorm(max_value=2)}: each unit's weights ({@link Constraint#units}) rescaled to a
 * norm of at most maxValue, {@code w·clip(n, 0, maxValue) / (1e-7 + n)} (Srivastava et al., JMLR
 * 2014, §5.1: max-norm with dropout, c ≈ 3–4).
 */
public record MaxNorm(double maxValue) implements Constraint {
    static final double DEFAULT = 2;

    public MaxNorm {
        if (!(maxValue >= 0 && maxValue <= Float.MAX_VALUE)) {
            throw new IllegalArgumentException("MaxNorm: maxValue must be a finite number >= 0, got " + maxValue);
        }
    }

    /** Keras's default, maxValue 2. */
    public MaxNorm() {
        this(DEFAULT);
    }

    @Override
    public String configType() {
        return "max_norm";
    }

    @Override
    public Map<String, Object> config() {
        return LayerTypes.entries("type", configType(), "maxValue", maxValue);
    }

    @Override
    public Op op(Tensor w) {
        return new Renorm(Constraint.units(w), 0f, (float) maxValue, 1f);
    }
}
