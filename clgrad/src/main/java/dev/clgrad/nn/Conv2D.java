package dev.clgrad.nn;

import dev.clgrad.ops.ActBackward;
import dev.clgrad.ops.Act;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.BiasAct;
import dev.clgrad.ops.Col2Im;
import dev.clgrad.ops.ColumnSum;
import dev.clgrad.ops.Im2Col;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.Window;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A 2-D convolution over NHWC images, Keras's {@code Conv2D(filters, kernel_size, strides=1,
 * padding="valid", dilation_rate=1, activation=None, use_bias=True)}: x: (B, H, W, C), kernel:
 * (KH, KW, C, F) as Keras stores it, bias: (F) →
 * {@code y[b, oh, ow, f] = act(bias[f] + Σ_{kh, kw, c} x[b, oh·SH − PT + kh·DH, ow·SW − PL + kw·DW, c]·kernel[kh, kw, c, f])}:
 * (B, OH, OW, F), positions in the padding reading 0 ({@link Window#keras} gives OH, OW and the
 * padding). The kernel is glorot-uniform with Keras's fans, {@code U(-l, l)} with
 * {@code l = sqrt(6 / (KH·KW·C + KH·KW·F))}, drawn from the layer's seed; the bias starts at zero.
 * PyTorch's {@code Conv2d.weight} (F, C, KH, KW) is this kernel permuted (3, 2, 0, 1).
 *
 * <p>Lowered as im2col and one GEMM, like {@link Dense} on the image's windows. Forward:
 * {@code cols = im2col(x)}: (B·OH·OW, KH·KW·C) ({@link Im2Col}; x itself for a 1x1 kernel with
 * stride 1 and no padding), {@code z = cols·W} with W the kernel as the matrix (KH·KW·C, F)
 * ({@link MatMul}; the product is already NHWC), {@code y = act(z + bias)} ({@link BiasAct}, or
 * {@link Act} without a bias). Backward: {@code dZ = dY·act'(y)} ({@link ActBackward}, unless
 * linear), {@code dW = colsᵀ·dZ}, {@code dBias = Σ dZ} ({@link ColumnSum}), and for the input
 * gradient {@code dCols = dZ·Wᵀ}, {@code dX = col2im(dCols)} ({@link Col2Im}). The planner fuses
 * bias and activation (and a following dropout's mask) into the GEMM's epilogue and the weight and
 * bias gradients into one launch, as for Dense.
 *
 * <p>Settings other than filters and kernel size take {@code with…} methods, each giving a new
 * layer: {@code new Conv2D(64, 3, "relu").withStrides(2).withPadding("same")}.
 */
public final class Conv2D extends Layer {
    private final int filters;
    private final int[] kernelSize;
    private final int[] strides;
    private final String padding;
    private final int[] dilation;
    private final LayerActivation activation;
    private final boolean useBias;
    private final WeightRules rules;
    private long seed;

    /** A linear convolution of {@code filters} output channels with a square kernel. */
    public Conv2D(int filters, int kernelSize) {
        this(filters, kernelSize, "linear");
    }

    /** @param activation a Keras activation name ({@link Activation#of}: "relu", "gelu", …, "linear" or null) or "softmax" */
    public Conv2D(int filters, int kernelSize, String activation) {
        this(filters, new int[] {kernelSize, kernelSize}, new int[] {1, 1}, "valid", new int[] {1, 1}, activation,
                true, WeightRules.NONE);
    }

    private Conv2D(int filters, int[] kernelSize, int[] strides, String padding, int[] dilation, String activation,
                   boolean useBias, WeightRules rules) {
        if (filters < 1) {
            throw new IllegalArgumentException("Conv2D: filters must be >= 1, got " + filters);
        }
        this.filters = filters;
        this.kernelSize = positive("kernelSize", kernelSize);
        this.strides = positive("strides", strides);
        this.dilation = positive("dilation", dilation);
        String p = padding == null ? "" : padding.toLowerCase(Locale.ROOT);
        if (!p.equals("valid") && !p.equals("same")) {
            throw new IllegalArgumentException("Conv2D: padding must be \"valid\" or \"same\", got \"" + padding + "\"");
        }
        this.padding = p;
        try {
            this.activation = LayerActivation.of(activation);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Conv2D: " + e.getMessage(), e);
        }
        this.useBias = useBias;
        this.rules = rules;
    }

    private static int[] positive(String what, int[] pair) {
        if (pair.length != 2 || pair[0] < 1 || pair[1] < 1) {
            throw new IllegalArgumentException("Conv2D: " + what + " must be two integers >= 1 (height, width), got "
                    + Arrays.toString(pair));
        }
        return pair.clone();
    }

    /** This layer with a kernel of {@code kh} rows and {@code kw} columns. */
    public Conv2D withKernelSize(int kh, int kw) {
        return new Conv2D(filters, new int[] {kh, kw}, strides, padding, dilation, activation.name(), useBias,
                rules);
    }

    /** This layer with stride {@code s} along both axes. */
    public Conv2D withStrides(int s) {
        return withStrides(s, s);
    }

    /** This layer with strides {@code (sh, sw)}. */
    public Conv2D withStrides(int sh, int sw) {
        return new Conv2D(filters, kernelSize, new int[] {sh, sw}, padding, dilation, activation.name(), useBias,
                rules);
    }

    /** This layer with Keras padding {@code "valid"} (none) or {@code "same"} (OH = ceil(H / SH)). */
    public Conv2D withPadding(String p) {
        return new Conv2D(filters, kernelSize, strides, p, dilation, activation.name(), useBias, rules);
    }

    /** This layer with dilation {@code d} along both axes (Keras's {@code dilation_rate}). */
    public Conv2D withDilation(int d) {
        return withDilation(d, d);
    }

    /** This layer with dilations {@code (dh, dw)}. */
    public Conv2D withDilation(int dh, int dw) {
        return new Conv2D(filters, kernelSize, strides, padding, new int[] {dh, dw}, activation.name(), useBias,
                rules);
    }

    /** This layer with another activation (a Keras name). */
    public Conv2D withActivation(String a) {
        return new Conv2D(filters, kernelSize, strides, padding, dilation, a, useBias, rules);
    }

    /** This layer with or without its bias (and a bias constraint or penalty, which apply only with one). */
    public Conv2D withUseBias(boolean b) {
        return new Conv2D(filters, kernelSize, strides, padding, dilation, activation.name(), b, rules);
    }

    /** This layer with Keras's {@code kernel_constraint} (null: none), applied after each update. */
    public Conv2D withKernelConstraint(Constraint c) {
        return new Conv2D(filters, kernelSize, strides, padding, dilation, activation.name(), useBias,
                rules.withKernelConstraint(c));
    }

    /** This layer with Keras's {@code bias_constraint} (null: none). */
    public Conv2D withBiasConstraint(Constraint c) {
        return new Conv2D(filters, kernelSize, strides, padding, dilation, activation.name(), useBias,
                rules.withBiasConstraint(c));
    }

    /** This layer with Keras's {@code kernel_regularizer} (null: none), its penalty added to the loss. */
    public Conv2D withKernelRegularizer(Regularizer r) {
        return new Conv2D(filters, kernelSize, strides, padding, dilation, activation.name(), useBias,
                rules.withKernelRegularizer(r));
    }

    /** This layer with Keras's {@code bias_regularizer} (null: none). */
    public Conv2D withBiasRegularizer(Regularizer r) {
        return new Conv2D(filters, kernelSize, strides, padding, dilation, activation.name(), useBias,
                rules.withBiasRegularizer(r));
    }

    /** The kernel's and bias's constraints and penalties. */
    public WeightRules rules() {
        return rules;
    }

    public int filters() {
        return filters;
    }

    /** (KH, KW). */
    public int[] kernelSize() {
        return kernelSize.clone();
    }

    /** (SH, SW). */
    public int[] strides() {
        return strides.clone();
    }

    /** {@code valid} or {@code same}. */
    public String padding() {
        return padding;
    }

    /** (DH, DW). */
    public int[] dilation() {
        return dilation.clone();
    }

    /** The Keras name of the activation, such as {@code relu} or {@code linear}. */
    public String activation() {
        return activation.name();
    }

    public boolean useBias() {
        return useBias;
    }

    @Override
    public String outputActivation() {
        return activation.name();
    }

    @Override
    public String type() {
        return "Conv2D";
    }

    @Override
    public String namePrefix() {
        return "conv2d";
    }

    @Override
    public String configType() {
        return "conv2d";
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = LayerTypes.entries("filters", filters, "kernelSize", pair(kernelSize), "strides",
                pair(strides), "padding", padding, "dilation", pair(dilation), "activation", activation.name(),
                "useBias", useBias);
        m.putAll(rules.config());
        return m;
    }

    private static List<Integer> pair(int[] p) {
        return List.of(p[0], p[1]);
    }

    /**
     * {@code {"type": "conv2d", "filters": F, "kernelSize": K or [KH, KW], "strides": 1, "padding":
     * "valid", "dilation": 1, "activation": "linear", "useBias": true}} and the {@link WeightRules#KEYS}; filters in [1, 2^24], sizes in
     * [1, 2^16].
     */
    static Conv2D fromConfig(LayerConfig c) {
        int filters = c.integer("filters", 1, 1 << 24);
        int[] kernel = c.pair("kernelSize", 1, 1 << 16, null);
        int[] strides = c.pair("strides", 1, 1 << 16, new int[] {1, 1});
        int[] dilation = c.pair("dilation", 1, 1 << 16, new int[] {1, 1});
        String padding = c.string("padding", "valid");
        if (!padding.equalsIgnoreCase("valid") && !padding.equalsIgnoreCase("same")) {
            throw c.error("padding", "expected \"valid\" or \"same\", got \"" + padding + "\"");
        }
        String act = c.string("activation", "linear");
        try {
            LayerActivation.of(act);
        } catch (IllegalArgumentException e) {
            throw c.error("activation", e.getMessage());
        }
        return new Conv2D(filters, kernel, strides, padding, dilation, act, c.bool("useBias", true),
                WeightRules.fromConfig(c));
    }

    /**
     * The window over per-sample input {@code in}: (H, W, C).
     *
     * @throws IllegalArgumentException naming the shape for any other rank, and the sizes when the
     *                                  dilated kernel does not fit the input with padding "valid"
     */
    private Window window(Shape in) {
        if (in.rank() != 3) {
            String hw = imageShape(in);
            String dims = hw.substring(1, hw.length() - 1);
            throw new IllegalArgumentException("Conv2D: the per-sample input must be (H, W, C) images, channels last, "
                    + "got " + in + "; declare image samples (model.input(" + dims + "), \"inputShape\": "
                    + hw + " in a config) or put a Reshape before it (new Reshape(" + dims + "), {\"type\": "
                    + "\"reshape\", \"targetShape\": " + hw + "} in a config)");
        }
        try {
            return Window.keras(in.dim(0), in.dim(1), kernelSize[0], kernelSize[1], strides[0], strides[1],
                    dilation[0], dilation[1], padding);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Conv2D: per-sample input " + in + ": " + e.getMessage(), e);
        }
    }

    /**
     * An image shape of as many values as {@code in} to suggest: [S, S, 1] or [S, S, 3] when the
     * size is a square (of 3 squares), else [H, W, C].
     */
    private static String imageShape(Shape in) {
        for (int c : new int[] {1, 3}) {
            long pixels = in.size() / c;
            long side = Math.round(Math.sqrt((double) pixels));
            if (in.size() % c == 0 && side * side == pixels && side > 0) {
                return "[" + side + ", " + side + ", " + c + "]";
            }
        }
        return "[H, W, C]";
    }

    /** The built layer's window. */
    private Window window() {
        return window(inputShape());
    }

    /** Whether x itself is the cols matrix: a 1x1 kernel with stride 1 and no padding. */
    private static boolean pointwise(Window w) {
        return w.taps() == 1 && w.sh() == 1 && w.sw() == 1 && w.padTop() == 0 && w.padLeft() == 0;
    }

    @Override
    protected Shape outputShape(Shape in) {
        Window w = window(in);
        return Shape.of(w.oh(), w.ow(), filters);
    }

    @Override
    protected void onBuild(long layerSeed) {
        this.seed = layerSeed;
    }

    @Override
    public List<ParamSpec> parameters() {
        List<ParamSpec> p = new ArrayList<>();
        p.add(rules.kernel(ParamSpec.trainable("kernel", Shape.of(kernelSize[0], kernelSize[1], inputShape().last(),
                filters))));
        if (useBias) {
            p.add(rules.bias(ParamSpec.trainable("bias", Shape.of(filters))));
        }
        return p;
    }

    @Override
    protected void initialize(float[] flat, int[] offsets) {
        int taps = kernelSize[0] * kernelSize[1];
        int n = taps * inputShape().last() * filters;
        double limit = Math.sqrt(6.0 / ((double) taps * inputShape().last() + (double) taps * filters));
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            flat[offsets[0] + i] = (float) ((2 * rng.nextDouble() - 1) * limit);
        }
        if (useBias) {
            Arrays.fill(flat, offsets[1], offsets[1] + filters, 0f);
        }
    }

    /** t: (B, …, N) as the matrix (B·…, N). */
    private static Tensor matrix(Tensor t) {
        Shape s = t.shape();
        return s.rank() == 2 ? t : t.reshape((int) (s.size() / s.last()), s.last());
    }

    /** The kernel (KH, KW, C, F), or its gradient, as the matrix (KH·KW·C, F). */
    private Tensor kernelMatrix(Tensor k) {
        return k.reshape(kernelSize[0] * kernelSize[1] * inputShape().last(), filters);
    }

    @Override
    public Tensor forward(Lowering g, Tensor x) {
        Window w = window();
        Tensor cols = matrix(x);
        if (!pointwise(w)) {
            int taps = w.taps() * inputShape().last();
            cols = g.workspace(this, "cols", Shape.of(w.oh() * w.ow(), taps)).reshape(g.rows() * w.oh() * w.ow(), taps);
            g.emit(this, new Im2Col(x, w, cols));
        }
        Tensor z = g.workspace(this, "z", outputShape());
        g.emit(this, MatMul.of(false, false, 1f, cols, kernelMatrix(g.parameter(this, "kernel")), 0f, matrix(z)));
        g.save(this, "cols", cols);
        return activation.forward(g, this, z, useBias ? g.parameter(this, "bias") : null, outputShape());
    }

    /**
     * ONNX Conv between Transposes: x (B, H, W, C) → (B, C, H, W), Conv with the kernel stored as
     * (F, C, KH, KW) (permuted (3, 2, 0, 1)), the bias, strides, dilations and the Keras padding as
     * explicit {@code pads} ({@link Window#onnxPads}), back to (B, OH, OW, F), then the activation.
     */
    @Override
    public String exportOnnx(OnnxGraph g, String x) {
        Window w = window();
        List<String> inputs = new ArrayList<>(List.of(g.toNchw(this, x), g.parameter(this, "kernel", 3, 2, 0, 1)));
        if (useBias) {
            inputs.add(g.parameter(this, "bias"));
        }
        String z = g.node(this, "Conv", inputs, "kernel_shape", kernelSize.clone(), "strides", strides.clone(),
                "dilations", dilation.clone(), "pads", w.onnxPads());
        return activation.exportOnnx(g, this, g.toNhwc(this, z));
    }

    @Override
    public Tensor backward(Lowering g, Tensor dY) {
        Tensor dZ = activation.backward(g, this, dY, outputShape(), "dZ");
        Tensor cols = g.saved(this, "cols");
        g.emit(this, MatMul.of(true, false, 1f, cols, matrix(dZ), 0f, kernelMatrix(g.gradient(this, "kernel"))));
        if (useBias) {
            g.emit(this, new ColumnSum(matrix(dZ), g.gradient(this, "bias")));
        }
        if (!g.needsInputGradient(this)) {
            return null;
        }
        Tensor kernel = kernelMatrix(g.parameter(this, "kernel"));
        Tensor dX = g.workspace(this, "dX", inputShape());
        Window w = window();
        if (pointwise(w)) {
            g.emit(this, MatMul.of(false, true, 1f, matrix(dZ), kernel, 0f, matrix(dX)));
            return dX;
        }
        Tensor dCols = g.workspace(this, "dCols", Shape.of(w.oh() * w.ow(), cols.shape().cols())).reshape(
                cols.shape().dims());
        g.emit(this, MatMul.of(false, true, 1f, matrix(dZ), kernel, 0f, dCols));
        g.emit(this, new Col2Im(dCols, w, dX));
        return dX;
    }
}
