package dev.clgrad.nn;

import dev.clgrad.ops.Activation;
import dev.clgrad.ops.BatchNormApply;
import dev.clgrad.ops.BatchNormBackward;
import dev.clgrad.ops.BatchNormStats;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Keras's {@code BatchNormalization(axis=-1, momentum=0.99, epsilon=1e-3, center=True,
 * scale=True)} (Ioffe and Szegedy, ICML 2015): per-sample x: (…, C) → y of the same shape, each
 * channel (the last axis) normalised and then scaled by gamma: (C) and shifted by beta: (C),
 * {@code y = gamma·(x − mean)/sqrt(variance + epsilon) + beta}. Parameters in Keras's order:
 * {@code gamma} (ones; only with scale), {@code beta} (zeros; only with center), and the buffers
 * {@code moving_mean} (zeros) and {@code moving_variance} (ones), saved with the weights.
 *
 * <p>Training: mean and variance are the batch's, over every axis but the last (the (N, C) matrix
 * of the batch, N = B·H·W for images, B for (B, C) inputs), the variance biased (over N); the same
 * launch updates {@code moving = momentum·moving + (1 − momentum)·batch} for both statistics, the
 * moving variance from that biased variance as Keras 3 does ({@code ops.moments}; PyTorch's
 * running variance is unbiased instead) ({@link BatchNormStats}, then {@link BatchNormApply}).
 * Backward through the batch statistics ({@link BatchNormBackward}):
 * {@code dX = gamma/σ·(dY − mean(dY) − x̂·mean(dY·x̂))}, {@code dGamma = Σ dY·x̂},
 * {@code dBeta = Σ dY}. Inference (evaluate, predict): the moving statistics, one
 * {@link BatchNormApply}, nothing updated. The optimizer never touches the buffers.
 */
public final class BatchNormalization extends Layer {
    /**
     * The layer's settings, Keras's defaults in {@link #KERAS}.
     *
     * @param momentum in [0, 1]: the weight of the old moving statistics per training step
     * @param epsilon  > 0, added to the variance before its square root
     * @param center   whether to learn the shift beta
     * @param scale    whether to learn the factor gamma
     */
    public record Options(double momentum, double epsilon, boolean center, boolean scale) {
        public static final Options KERAS = new Options(0.99, 1e-3, true, true);

        public Options {
            if (!(momentum >= 0 && momentum <= 1)) {
                throw new IllegalArgumentException("BatchNormalization: momentum must be in [0, 1], got " + momentum);
            }
            if (!(epsilon > 0 && epsilon < Float.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException("BatchNormalization: epsilon must be positive and finite, got "
                        + epsilon);
            }
        }

        public Options withMomentum(double m) {
            return new Options(m, epsilon, center, scale);
        }

        public Options withEpsilon(double e) {
            return new Options(momentum, e, center, scale);
        }

        public Options withCenter(boolean c) {
            return new Options(momentum, epsilon, c, scale);
        }

        public Options withScale(boolean s) {
            return new Options(momentum, epsilon, center, s);
        }
    }

    private final Options options;
    private final float momentum;
    private final float epsilon;

    /** Keras's defaults ({@link Options#KERAS}). */
    public BatchNormalization() {
        this(Options.KERAS);
    }

    public BatchNormalization(Options options) {
        this.options = options;
        this.momentum = (float) options.momentum();
        this.epsilon = (float) options.epsilon();
    }

    public Options options() {
        return options;
    }

    @Override
    public String type() {
        return "BatchNormalization";
    }

    @Override
    public String namePrefix() {
        return "batch_normalization";
    }

    @Override
    public String configType() {
        return "batch_normalization";
    }

    /** Momentum and epsilon as the shortest decimals that read back as the same floats. */
    @Override
    public Map<String, Object> config() {
        return LayerTypes.entries("momentum", Double.parseDouble(Float.toString(momentum)), "epsilon",
                Double.parseDouble(Float.toString(epsilon)), "center", options.center(), "scale", options.scale());
    }

    /**
     * {@code {"type": "batch_normalization", "momentum": 0.99, "epsilon": 0.001, "center": true,
     * "scale": true}}, each key optional (Keras's defaults).
     */
    static BatchNormalization fromConfig(LayerConfig c) {
        double momentum = c.number("momentum", 0, 1, false, Options.KERAS.momentum());
        double epsilon = c.number("epsilon", 0, 1, false, Options.KERAS.epsilon());
        if (!(epsilon > 0)) {
            throw c.error("epsilon", "expected a positive number, got " + epsilon);
        }
        return new BatchNormalization(new Options(momentum, epsilon, c.bool("center", true), c.bool("scale", true)));
    }

    @Override
    protected Shape outputShape(Shape in) {
        return in;
    }

    private int channels() {
        return inputShape().last();
    }

    @Override
    public List<ParamSpec> parameters() {
        Shape c = Shape.of(channels());
        List<ParamSpec> out = new ArrayList<>(4);
        if (options.scale()) {
            out.add(ParamSpec.trainable("gamma", c));
        }
        if (options.center()) {
            out.add(ParamSpec.trainable("beta", c));
        }
        out.add(ParamSpec.buffer("moving_mean", c));
        out.add(ParamSpec.buffer("moving_variance", c));
        return out;
    }

    /** gamma ones, beta zeros. */
    @Override
    protected void initialize(float[] flat, int[] offsets) {
        int c = channels();
        int i = 0;
        if (options.scale()) {
            Arrays.fill(flat, offsets[i], offsets[i] + c, 1f);
            i++;
        }
        if (options.center()) {
            Arrays.fill(flat, offsets[i], offsets[i] + c, 0f);
        }
    }

    /** moving_mean zeros, moving_variance ones. */
    @Override
    protected void initializeBuffers(float[] flat, int[] offsets) {
        int c = channels();
        int mean = (options.scale() ? 1 : 0) + (options.center() ? 1 : 0);
        Arrays.fill(flat, offsets[mean], offsets[mean] + c, 0f);
        Arrays.fill(flat, offsets[mean + 1], offsets[mean + 1] + c, 1f);
    }

    /** t: (B, …, C) as the matrix (N, C). */
    private Tensor matrix(Tensor t) {
        return t.reshape((int) (t.shape().size() / channels()), channels());
    }

    private Tensor gamma(Lowering g) {
        return options.scale() ? g.parameter(this, "gamma") : null;
    }

    private Tensor beta(Lowering g) {
        return options.center() ? g.parameter(this, "beta") : null;
    }

    @Override
    public Tensor forward(Lowering g, Tensor x) {
        Tensor y = g.workspace(this, "y", outputShape());
        Tensor movingMean = g.parameter(this, "moving_mean");
        Tensor movingVariance = g.parameter(this, "moving_variance");
        if (!g.training()) {
            g.emit(this, new BatchNormApply(matrix(x), movingMean, movingVariance, gamma(g), beta(g), epsilon,
                    Activation.LINEAR, matrix(y)));
            return y;
        }
        Shape c = Shape.of(channels());
        Tensor mean = g.batchValue(this, "mean", c);
        Tensor variance = g.batchValue(this, "variance", c);
        g.emit(this, new BatchNormStats(matrix(x), mean, variance, movingMean, movingVariance, momentum));
        g.emit(this, new BatchNormApply(matrix(x), mean, variance, gamma(g), beta(g), epsilon, Activation.LINEAR,
                matrix(y)));
        g.save(this, "x", x);
        g.save(this, "mean", mean);
        g.save(this, "variance", variance);
        return y;
    }

    /**
     * ONNX BatchNormalization (inference: the moving statistics, {@code epsilon}) over the channel
     * axis 1: x: (B, C) directly; x: (B, …, C) transposed to (B, C, …) and back. Without scale or
     * center, gamma is a constant of ones and beta of zeros.
     */
    @Override
    public String exportOnnx(OnnxGraph g, String x) {
        int rank = inputShape().rank() + 1;
        int[] toFirst = new int[rank];
        int[] toLast = new int[rank];
        for (int i = 1; i < rank; i++) {
            toFirst[i] = i == 1 ? rank - 1 : i - 1;
            toLast[i] = i == rank - 1 ? 1 : i + 1;
        }
        String in = rank == 2 ? x : g.node(this, "Transpose", List.of(x), "perm", toFirst);
        float[] ones = new float[channels()];
        Arrays.fill(ones, 1f);
        String gamma = options.scale() ? g.parameter(this, "gamma") : g.constant(this, "gamma", ones, channels());
        String beta = options.center() ? g.parameter(this, "beta")
                : g.constant(this, "beta", new float[channels()], channels());
        String y = g.node(this, "BatchNormalization", List.of(in, gamma, beta, g.parameter(this, "moving_mean"),
                g.parameter(this, "moving_variance")), "epsilon", epsilon);
        return rank == 2 ? y : g.node(this, "Transpose", List.of(y), "perm", toLast);
    }

    @Override
    public Tensor backward(Lowering g, Tensor dY) {
        boolean dx = g.needsInputGradient(this);
        if (!dx && trainableCount() == 0) {
            return null;
        }
        Tensor dX = dx ? g.workspace(this, "dX", inputShape()) : null;
        g.emit(this, new BatchNormBackward(matrix(g.saved(this, "x")), matrix(dY), g.saved(this, "mean"),
                g.saved(this, "variance"), gamma(g), epsilon, dX == null ? null : matrix(dX),
                options.scale() ? g.gradient(this, "gamma") : null,
                options.center() ? g.gradient(this, "beta") : null));
        return dX;
    }
}
