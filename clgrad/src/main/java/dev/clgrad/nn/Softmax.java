package dev.clgrad.nn;

import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.Map;

/**
 * Keras's {@code Softmax(axis=-1)}: x: (B, …, C) → {@code y = e^(x − max) / Σ_C e^(x − max)} over the
 * last axis ({@link dev.clgrad.ops.Softmax}); backward {@code dX = y·(dY − Σ_C dY·y)} from the
 * saved output ({@link dev.clgrad.ops.SoftmaxBackward}). Only the last axis is supported.
 */
public final class Softmax extends Layer {
    private final LayerActivation softmax = LayerActivation.of("softmax");

    @Override
    public String outputActivation() {
        return softmax.name();
    }

    @Override
    public String type() {
        return "Softmax";
    }

    @Override
    public String configType() {
        return "softmax";
    }

    @Override
    public String namePrefix() {
        return "softmax";
    }

    @Override
    public Map<String, Object> config() {
        return LayerTypes.entries("axis", -1);
    }

    /** {@code {"type": "softmax", "axis": -1}}: the axis must be -1 (the last). */
    static Softmax fromConfig(LayerConfig c) {
        int axis = c.integer("axis", Integer.MIN_VALUE, Integer.MAX_VALUE, -1);
        if (axis != -1) {
            throw c.error("axis", "softmax runs over the last axis only; expected -1, got " + axis);
        }
        return new Softmax();
    }

    @Override
    protected Shape outputShape(Shape in) {
        return in;
    }

    @Override
    public Tensor forward(Lowering g, Tensor x) {
        return softmax.forward(g, this, x, null, outputShape());
    }

    @Override
    public String exportOnnx(OnnxGraph g, String x) {
        return softmax.exportOnnx(g, this, x);
    }

    @Override
    public Tensor backward(Lowering g, Tensor dY) {
        if (!g.needsInputGradient(this)) {
            return null;
        }
        return softmax.backward(g, this, dY, inputShape(), "dX");
    }
}
