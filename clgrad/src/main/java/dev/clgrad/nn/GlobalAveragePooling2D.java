package dev.clgrad.nn;

import dev.clgrad.ops.Pool;
import dev.clgrad.ops.PoolBackward;
import dev.clgrad.ops.Pooling;
import dev.clgrad.ops.Window;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.List;

/**
 * Keras's {@code GlobalAveragePooling2D()}: per-sample x: (H, W, C) → y: (C), the mean of each
 * channel over the whole image, {@code y[c] = Σ_{h,w} x[h, w, c] / (H·W)}; its gradient is
 * {@code dY[c] / (H·W)} at every position. Lowered to average pooling with one H×W window
 * ({@link Pool}, {@link PoolBackward}), y seen as (1, 1, C). No parameters.
 */
public final class GlobalAveragePooling2D extends Layer {
    private Window window;

    @Override
    public String type() {
        return "GlobalAveragePooling2D";
    }

    @Override
    public String namePrefix() {
        return "global_average_pooling2d";
    }

    @Override
    public String configType() {
        return "global_average_pooling2d";
    }

    @Override
    protected Shape outputShape(Shape in) {
        Pooling2D.requireImage(this, in);
        window = Window.keras(in.dim(0), in.dim(1), in.dim(0), in.dim(1), 1, 1, 1, 1, "valid");
        return Shape.of(in.dim(2));
    }

    /** t: (B, C) seen as the (B, 1, 1, C) output of one window per image. */
    private static Tensor pooled(Tensor t) {
        return t.reshape(t.shape().rows(), 1, 1, t.shape().cols());
    }

    @Override
    public Tensor forward(Lowering g, Tensor x) {
        Tensor y = g.workspace(this, "y", outputShape());
        g.emit(this, new Pool(Pooling.AVERAGE, window, x, pooled(y)));
        return y;
    }

    /** ONNX ReduceMean over the NHWC axes 1 and 2, not kept: (B, C). */
    @Override
    public String exportOnnx(OnnxGraph g, String x) {
        return g.node(this, "ReduceMean", List.of(x), "axes", new int[] {1, 2}, "keepdims", 0);
    }

    @Override
    public Tensor backward(Lowering g, Tensor dY) {
        if (!g.needsInputGradient(this)) {
            return null;
        }
        Tensor dX = g.workspace(this, "dX", inputShape());
        g.emit(this, new PoolBackward(Pooling.AVERAGE, window, null, pooled(dY), dX));
        return dX;
    }
}
