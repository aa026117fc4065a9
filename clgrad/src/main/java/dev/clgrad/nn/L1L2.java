package dev.clgrad.nn;

import java.util.Map;

/** Keras's {@code L1L2(l1=0, l2=0)}: the penalty {@code l1·Σ|w| + l2·Σw²}, gradient {@code l1·sign(w) + 2·l2·w}. */
public record L1L2(double l1, double l2) implements Regularizer {
    public L1L2 {
        Regularizer.factor("L1L2", "l1", l1);
        Regularizer.factor("L1L2", "l2", l2);
    }

    @Override
    public String configType() {
        return "l1_l2";
    }

    @Override
    public Map<String, Object> config() {
        return LayerTypes.entries("type", configType(), "l1", l1, "l2", l2);
    }
}
