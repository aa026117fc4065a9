package dev.clgrad.nn;

import java.util.Map;

/** Keras's {@code L1(l1=0.01)}: the penalty {@code l1·Σ|w|}, gradient {@code l1·sign(w)}. */
public record L1(double l1) implements Regularizer {
    public L1 {
        Regularizer.factor("L1", "l1", l1);
    }

    public L1() {
        this(DEFAULT);
    }

    @Override
    public double l2() {
        return 0;
    }

    @Override
    public String configType() {
        return "l1";
    }

    @Override
    public Map<String, Object> config() {
        return LayerTypes.entries("type", configType(), "l1", l1);
    }
}
