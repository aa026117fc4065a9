package dev.clgrad.nn;

import dev.clgrad.ops.Pool;
import dev.clgrad.ops.PoolBackward;
import dev.clgrad.ops.Pooling;
import dev.clgrad.ops.Window;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A 2-D pooling layer over NHWC images, Keras's {@code MaxPooling2D} and {@code AveragePooling2D}:
 * per-sample x: (H, W, C) → y: (OH, OW, C), each channel pooled over windows of
 * {@code poolSize} (KH, KW) moved by {@code strides} (SH, SW; Keras's default: the pool size) with
 * {@code padding} "valid" (no padding, {@code OH = floor((H − KH)/SH) + 1}) or "same"
 * ({@code OH = ceil(H/SH)}, padded as TensorFlow pads, padding never a maximum and never counted
 * in an average); see {@link Window}. Forward {@link Pool}, backward {@link PoolBackward} (max
 * pooling keeps x to regenerate its maxima). No parameters.
 */
public abstract sealed class Pooling2D extends Layer permits MaxPooling2D, AveragePooling2D {
    /** Largest pool size and stride a config may give. */
    static final int MAX_SIZE = 1 << 16;

    private final Pooling kind;
    private final int[] poolSize;
    private final int[] strides;
    private final String padding;
    private Window window;

    /**
     * @param poolSize (KH, KW), each >= 1
     * @param strides  (SH, SW), each >= 1; null for the pool size
     * @param padding  "valid" or "same"
     */
    Pooling2D(Pooling kind, int[] poolSize, int[] strides, String padding) {
        this.kind = kind;
        this.poolSize = pair("poolSize", poolSize);
        this.strides = strides == null ? this.poolSize.clone() : pair("strides", strides);
        if (!"valid".equals(padding) && !"same".equals(padding)) {
            throw new IllegalArgumentException(type() + ": padding must be \"valid\" or \"same\", got "
                    + (padding == null ? "null" : "\"" + padding + "\""));
        }
        this.padding = padding;
    }

    private int[] pair(String what, int[] v) {
        if (v == null || v.length != 2 || v[0] < 1 || v[1] < 1) {
            throw new IllegalArgumentException(type() + ": " + what + " must be two integers >= 1, got "
                    + (v == null ? "null" : Arrays.toString(v)));
        }
        return v.clone();
    }

    /** A subclass's constructor, for {@link #fromConfig}. */
    @FunctionalInterface
    interface Factory {
        Pooling2D create(int[] poolSize, int[] strides, String padding);
    }

    /** {@code {"poolSize": 2 | [KH, KW], "strides": S | [SH, SW], "padding": "valid" | "same"}}. */
    static Pooling2D fromConfig(LayerConfig c, Factory f) {
        int[] pool = c.pair("poolSize", 1, MAX_SIZE, new int[] {2, 2});
        int[] strides = c.pair("strides", 1, MAX_SIZE, pool);
        String padding = c.string("padding", "valid");
        if (!padding.equals("valid") && !padding.equals("same")) {
            throw c.error("padding", "expected \"valid\" or \"same\", got \"" + padding + "\"");
        }
        return f.create(pool, strides, padding);
    }

    /** (KH, KW). */
    public int[] poolSize() {
        return poolSize.clone();
    }

    /** (SH, SW). */
    public int[] strides() {
        return strides.clone();
    }

    public String padding() {
        return padding;
    }

    @Override
    public Map<String, Object> config() {
        return LayerTypes.entries("poolSize", poolSize.clone(), "strides", strides.clone(), "padding", padding);
    }

    /** {@code MaxPooling2D max_pooling2d_1}, or the type alone before the layer is named. */
    static String describe(Layer layer) {
        return layer.name() == null ? layer.type() : layer.type() + " " + layer.name();
    }

    /**
     * The per-sample shape (H, W, C) that {@code in} must be for an image layer.
     *
     * @throws IllegalArgumentException naming the layer and the shape when {@code in} is not rank 3
     */
    static void requireImage(Layer layer, Shape in) {
        if (in.rank() != 3) {
            throw new IllegalArgumentException(describe(layer) + ": expected per-sample inputs of shape (H, W, C) "
                    + "(channels last), got " + in + "; feed images, e.g. samples of shape (28, 28, 1)");
        }
    }

    @Override
    protected Shape outputShape(Shape in) {
        requireImage(this, in);
        int h = in.dim(0);
        int w = in.dim(1);
        if (padding.equals("valid") && (poolSize[0] > h || poolSize[1] > w)) {
            throw new IllegalArgumentException(describe(this) + ": poolSize " + poolSize[0] + "x" + poolSize[1]
                    + " is larger than the input " + h + "x" + w + " (per-sample input " + in + ") with padding "
                    + "\"valid\"; use padding \"same\" or a smaller pool");
        }
        window = Window.keras(h, w, poolSize[0], poolSize[1], strides[0], strides[1], 1, 1, padding);
        return Shape.of(window.oh(), window.ow(), in.dim(2));
    }

    @Override
    public Tensor forward(Lowering g, Tensor x) {
        Tensor y = g.workspace(this, "y", outputShape());
        g.emit(this, new Pool(kind, window, x, y));
        if (kind == Pooling.MAX) {
            g.save(this, "x", x);
        }
        return y;
    }

    /**
     * ONNX MaxPool or AveragePool between Transposes to NCHW and back, with the Keras padding as
     * explicit {@code pads} ({@link Window#onnxPads}): MaxPool's padding is never a maximum, and
     * AveragePool with {@code count_include_pad} 0 averages over the taps inside the image, as here.
     */
    @Override
    public String exportOnnx(OnnxGraph g, String x) {
        String nchw = g.toNchw(this, x);
        String y = kind == Pooling.MAX
                ? g.node(this, "MaxPool", List.of(nchw), "kernel_shape", poolSize.clone(), "strides", strides.clone(),
                        "pads", window.onnxPads())
                : g.node(this, "AveragePool", List.of(nchw), "kernel_shape", poolSize.clone(), "strides",
                        strides.clone(), "pads", window.onnxPads(), "count_include_pad", 0);
        return g.toNhwc(this, y);
    }

    @Override
    public Tensor backward(Lowering g, Tensor dY) {
        if (!g.needsInputGradient(this)) {
            return null;
        }
        Tensor dX = g.workspace(this, "dX", inputShape());
        g.emit(this, new PoolBackward(kind, window, kind == Pooling.MAX ? g.saved(this, "x") : null, dY, dX));
        return dX;
    }
}
