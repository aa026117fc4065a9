package dev.clgrad.nn;

import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.List;

/**
 * Keras's {@code Flatten()}: x: (B, d1, d2, …) → y: (B, d1·d2·…), the same values row-major. A view,
 * not a computation: forward and backward emit no op.
 */
public final class Flatten extends Layer {
    @Override
    public String type() {
        return "Flatten";
    }

    @Override
    public String namePrefix() {
        return "flatten";
    }

    @Override
    public String configType() {
        return "flatten";
    }

    @Override
    protected Shape outputShape(Shape in) {
        long n = in.size();
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("Flatten: input " + in + " holds " + n + " values per sample");
        }
        return Shape.of((int) n);
    }

    @Override
    public Tensor forward(Lowering g, Tensor x) {
        return x.reshape(x.shape().rows(), (int) outputShape().size());
    }

    /** ONNX Flatten at axis 1: row-major over the per-sample axes, as here. */
    @Override
    public String exportOnnx(OnnxGraph g, String x) {
        return g.node(this, "Flatten", List.of(x), "axis", 1);
    }

    @Override
    public Tensor backward(Lowering g, Tensor dY) {
        if (!g.needsInputGradient(this)) {
            return null;
        }
        return dY.reshape(inputShape().withBatch(dY.shape().rows()).dims());
    }
}
