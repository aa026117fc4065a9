package dev.clgrad.nn;

import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Keras's {@code Reshape(target_shape)}: x: (B, d1, d2, …) → y: (B, t1, t2, …), the same values
 * row-major, with at most one target dimension −1 standing for what the others leave (e.g.
 * {@code Reshape(28, 28, 1)} turns (B, 784) into images, {@code Reshape(-1, 1)} adds an axis). A
 * view, not a computation: forward and backward emit no op.
 */
public final class Reshape extends Layer {
    private final int[] target;

    /**
     * @param targetShape the per-sample output dimensions, each >= 1 or one of them −1
     * @throws IllegalArgumentException for no dimension, one below −1 or 0, or two −1s
     */
    public Reshape(int... targetShape) {
        if (targetShape.length == 0) {
            throw new IllegalArgumentException("Reshape: targetShape needs at least one dimension");
        }
        int unknown = 0;
        for (int d : targetShape) {
            if (d < 1 && d != -1) {
                throw new IllegalArgumentException("Reshape: targetShape " + Arrays.toString(targetShape)
                        + " has dimension " + d + "; expected sizes >= 1, or -1 once for the size the others leave");
            }
            unknown += d == -1 ? 1 : 0;
        }
        if (unknown > 1) {
            throw new IllegalArgumentException("Reshape: targetShape " + Arrays.toString(targetShape)
                    + " has more than one -1; at most one dimension can be inferred");
        }
        this.target = targetShape.clone();
    }

    /** The target shape as given (a −1 kept). */
    public int[] targetShape() {
        return target.clone();
    }

    @Override
    public String type() {
        return "Reshape";
    }

    @Override
    public String namePrefix() {
        return "reshape";
    }

    @Override
    public String configType() {
        return "reshape";
    }

    @Override
    public Map<String, Object> config() {
        return LayerTypes.entries("targetShape", Arrays.stream(target).boxed().toList());
    }

    /** {@code {"type": "reshape", "targetShape": [28, 28, 1]}}: dimensions in [1, 2^24], or −1 once. */
    static Reshape fromConfig(LayerConfig c) {
        int[] dims = c.integers("targetShape", -1, 1 << 24);
        try {
            return new Reshape(dims);
        } catch (IllegalArgumentException e) {
            throw c.error("targetShape", e.getMessage());
        }
    }

    /**
     * The target with its −1 resolved for {@code in}.
     *
     * @throws IllegalArgumentException naming both shapes when the sizes do not match
     */
    @Override
    protected Shape outputShape(Shape in) {
        long known = 1;
        int at = -1;
        for (int i = 0; i < target.length; i++) {
            if (target[i] == -1) {
                at = i;
            } else {
                known *= target[i];
            }
        }
        int[] out = target.clone();
        if (at >= 0 && in.size() % known == 0 && in.size() / known <= Integer.MAX_VALUE) {
            out[at] = (int) (in.size() / known);
        }
        Shape s = at >= 0 && out[at] == -1 ? null : Shape.of(out);
        if (s == null || s.size() != in.size()) {
            throw new IllegalArgumentException("Reshape: cannot reshape the per-sample input " + in + " ("
                    + in.size() + " values) to " + Arrays.toString(target) + (at >= 0 ? " (" + known
                    + " values times the -1)" : " (" + known + " values)")
                    + "; the target must hold as many values as the input");
        }
        return s;
    }

    @Override
    public Tensor forward(Lowering g, Tensor x) {
        return x.reshape(outputShape().withBatch(x.shape().rows()).dims());
    }

    /** ONNX Reshape to (0, out…): 0 keeps the batch dimension, the rest is the resolved target. */
    @Override
    public String exportOnnx(OnnxGraph g, String x) {
        long[] shape = new long[outputShape().rank() + 1];
        for (int i = 1; i < shape.length; i++) {
            shape[i] = outputShape().dim(i - 1);
        }
        return g.node(this, "Reshape", List.of(x, g.int64s(this, "shape", shape)));
    }

    @Override
    public Tensor backward(Lowering g, Tensor dY) {
        if (!g.needsInputGradient(this)) {
            return null;
        }
        return dY.reshape(inputShape().withBatch(dY.shape().rows()).dims());
    }
}
