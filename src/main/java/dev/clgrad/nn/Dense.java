package dev.clgrad.nn;

import dev.clgrad.ops.Act;
import dev.clgrad.ops.ActBackward;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.BiasAct;
import dev.clgrad.ops.ColumnSum;
import dev.clgrad.ops.MatMul;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A fully connected layer, Keras's {@code Dense(units, activation)}: x: (B, …, I), kernel W: (I, O),
 * bias: (O) → {@code y = act(x·W + bias)}: (B, …, O), applied to the last axis as in Keras. W is
 * glorot-uniform, drawn from {@code U(-l, l)} with {@code l = sqrt(6 / (I + O))} (Glorot and
 * Bengio, AISTATS 2010) from the layer's seed; the bias starts at zero.
 *
 * <p>Forward: {@code z = x·W} ({@link MatMul}), {@code y = act(z + bias)} ({@link BiasAct}; for an
 * activation whose backward reads its input, the biased z kept and then {@link Act}; for softmax,
 * {@link dev.clgrad.ops.Softmax}: {@link LayerActivation}).
 * Backward: {@code dZ = dY·act'(·)} ({@link ActBackward} or the softmax backward, unless linear), {@code dW = xᵀ·dZ},
 * {@code dBias = Σ_b dZ}, {@code dX = dZ·Wᵀ}. The planner fuses these (bias and activation into the
 * product's epilogue, a following dropout's mask too, the next layer's input gradient gated by
 * this activation, weight and bias gradients in one launch).
 */
public final class Dense extends Layer {
    private final int units;
    private final LayerActivation activation;
    private final WeightRules rules;
    private long seed;

    /** A linear layer of {@code units} outputs. */
    public Dense(int units) {
        this(units, "linear");
    }

    /**
     * @param activation a Keras activation name ({@link Activation#of}: "relu", "gelu", "silu", …,
     *                   "linear" or null) or "softmax"
     */
    public Dense(int units, String activation) {
        this(units, activation, WeightRules.NONE);
    }

    private Dense(int units, String activation, WeightRules rules) {
        if (units < 1) {
            throw new IllegalArgumentException("Dense: units must be >= 1, got " + units);
        }
        this.units = units;
        try {
            this.activation = LayerActivation.of(activation);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Dense: " + e.getMessage(), e);
        }
        this.rules = rules;
    }

    /** This layer with Keras's {@code kernel_constraint} (null: none), applied after each update. */
    public Dense withKernelConstraint(Constraint c) {
        return new Dense(units, activation.name(), rules.withKernelConstraint(c));
    }

    /** This layer with Keras's {@code bias_constraint} (null: none). */
    public Dense withBiasConstraint(Constraint c) {
        return new Dense(units, activation.name(), rules.withBiasConstraint(c));
    }

    /** This layer with Keras's {@code kernel_regularizer} (null: none), its penalty added to the loss. */
    public Dense withKernelRegularizer(Regularizer r) {
        return new Dense(units, activation.name(), rules.withKernelRegularizer(r));
    }

    /** This layer with Keras's {@code bias_regularizer} (null: none). */
    public Dense withBiasRegularizer(Regularizer r) {
        return new Dense(units, activation.name(), rules.withBiasRegularizer(r));
    }

    /** The kernel's and bias's constraints and penalties. */
    public WeightRules rules() {
        return rules;
    }

    public int units() {
        return units;
    }

    /** The Keras name of the activation, such as {@code relu} or {@code linear}. */
    public String activation() {
        return activation.name();
    }

    @Override
    public String type() {
        return "Dense";
    }

    @Override
    public String namePrefix() {
        return "dense";
    }

    @Override
    public String configType() {
        return "dense";
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = LayerTypes.entries("units", units, "activation", activation.name());
        m.putAll(rules.config());
        return m;
    }

    /**
     * {@code {"type": "dense", "units": U, "activation": A}} and the {@link WeightRules#KEYS};
     * units in [1, 2^24].
     */
    static Dense fromConfig(LayerConfig c) {
        int units = c.integer("units", 1, 1 << 24);
        String act = c.string("activation", "linear");
        try {
            LayerActivation.of(act);
        } catch (IllegalArgumentException e) {
            throw c.error("activation", e.getMessage());
        }
        return new Dense(units, act, WeightRules.fromConfig(c));
    }

    @Override
    protected Shape outputShape(Shape in) {
        int[] d = in.dims();
        d[d.length - 1] = units;
        return Shape.of(d);
    }

    @Override
    protected void onBuild(long layerSeed) {
        this.seed = layerSeed;
    }

    @Override
    public List<ParamSpec> parameters() {
        return List.of(rules.kernel(ParamSpec.trainable("kernel", Shape.of(inputShape().last(), units))),
                rules.bias(ParamSpec.trainable("bias", Shape.of(units))));
    }

    @Override
    protected void initialize(float[] flat, int[] offsets) {
        int in = inputShape().last();
        int n = in * units;
        double limit = Math.sqrt(6.0 / (in + units));
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            flat[offsets[0] + i] = (float) ((2 * rng.nextDouble() - 1) * limit);
        }
        Arrays.fill(flat, offsets[1], offsets[1] + units, 0f);
    }

    /** t: (B, …, C) as the matrix (B·…, C). */
    private static Tensor matrix(Tensor t) {
        return t.shape().rank() == 2 ? t : t.reshape(t.shape().rows() * (t.shape().cols() / t.shape().last()),
                t.shape().last());
    }

    @Override
    public Tensor forward(Lowering g, Tensor x) {
        Tensor z = g.workspace(this, "z", outputShape());
        g.emit(this, MatMul.of(false, false, 1f, matrix(x), g.parameter(this, "kernel"), 0f, matrix(z)));
        g.save(this, "x", x);
        return activation.forward(g, this, z, g.parameter(this, "bias"), outputShape());
    }

    @Override
    public Tensor backward(Lowering g, Tensor dY) {
        Tensor dZ = activation.backward(g, this, dY, outputShape(), "dZ");
        Tensor x = matrix(g.saved(this, "x"));
        g.emit(this, MatMul.of(true, false, 1f, x, matrix(dZ), 0f, g.gradient(this, "kernel")));
        g.emit(this, new ColumnSum(matrix(dZ), g.gradient(this, "bias")));
        if (!g.needsInputGradient(this)) {
            return null;
        }
        Tensor dX = g.workspace(this, "dX", inputShape());
        g.emit(this, MatMul.of(false, true, 1f, matrix(dZ), g.parameter(this, "kernel"), 0f, matrix(dX)));
        return dX;
    }
}
