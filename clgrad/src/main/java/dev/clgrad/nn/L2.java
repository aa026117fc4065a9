package dev.clgrad.nn;

import java.util.Map;

/** Keras's {@code L2(l2=0.01)}: the penalty {@code l2·Σw²}, gradient {@code 2·l2·w}. */
public record L2(double l2) implements Regularizer {
    public L2 {
        Regularizer.factor("L2", "l2", l2);
    }

    public L2() {
        this(DEFAULT);
    }

    @Override
    public double l1() {
        return 0;
    }

    @Override
    public String configType() {
        return "l2";
    }

    @Override
    public Map<String, Object> config() {
        return LayerTypes.entries("type", configType(), "l2", l2);
    }
}
