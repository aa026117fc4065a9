package dev.clgrad.nn;

import dev.clgrad.ops.Act;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.Op;
import dev.clgrad.tensor.Tensor;

import java.util.Map;

/** Keras's {@code NonNeg()}: negative weights set to zero, {@code w·[w >= 0]}, as a ReLU in place. */
public record NonNeg() implements Constraint {
    @Override
    public String configType() {
        return "non_neg";
    }

    @Override
    public Map<String, Object> config() {
        return LayerTypes.entries("type", configType());
    }

    @Override
    public Op op(Tensor w) {
        return new Act(Activation.RELU, w, w);
    }
}
