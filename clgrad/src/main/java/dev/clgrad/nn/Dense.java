package dev.clgrad.nn;

import dev.clgrad.ops.Act;
import dev.clgrad.ops.ActBackward;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.ApplyMask;
import dev.clgrad.ops.BiasAct;
import dev.clgrad.ops.ColumnSum;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.Philox;
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
 *
 * <p>DropConnect ({@link #dropConnect}; Wan et al., ICML 2013): in training the kernel is replaced
 * by {@code Wm = M ⊙ W/(1 − rate)}, one Bernoulli keep mask M: (I, O) per step shared by every row
 * of the batch (the paper draws one per sample; one per batch keeps the forward a single GEMM), with
 * dropout's Philox rule ({@link ApplyMask} over the I·O kernel values, element {@code i·O + o}),
 * keyed by the layer's seed and its own counter {@code dropConnect.offset}, advanced by
 * {@code ceil(I·O/4)} blocks a step. Then {@code z = x·Wm}, {@code dX = dZ·Wmᵀ} and
 * {@code dW = M ⊙ (xᵀ·dZ)/(1 − rate)}, the mask regenerated in the backward from the same counter.
 * Inference uses the plain weights (Monte-Carlo prediction draws a mask per run).
 */
public final class Dense extends Layer {
    private final int units;
    private final LayerActivation activation;
    private final WeightRules rules;
    private long seed;
    private float dropConnect;
    private final Counter dropConnectOffset = new Counter(0);

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
        return new Dense(units, activation.name(), rules.withKernelConstraint(c)).dropConnect(dropConnect);
    }

    /** This layer with Keras's {@code bias_constraint} (null: none). */
    public Dense withBiasConstraint(Constraint c) {
        return new Dense(units, activation.name(), rules.withBiasConstraint(c)).dropConnect(dropConnect);
    }

    /** This layer with Keras's {@code kernel_regularizer} (null: none), its penalty added to the loss. */
    public Dense withKernelRegularizer(Regularizer r) {
        return new Dense(units, activation.name(), rules.withKernelRegularizer(r)).dropConnect(dropConnect);
    }

    /** This layer with Keras's {@code bias_regularizer} (null: none). */
    public Dense withBiasRegularizer(Regularizer r) {
        return new Dense(units, activation.name(), rules.withBiasRegularizer(r)).dropConnect(dropConnect);
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
    public String outputActivation() {
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
        if (dropConnect > 0) {
            m.put("dropConnect", Double.parseDouble(Float.toString(dropConnect)));
        }
        m.putAll(rules.config());
        return m;
    }

    /**
     * {@code {"type": "dense", "units": U, "activation": A, "dropConnect": R}} and the
     * {@link WeightRules#KEYS}; units in [1, 2^24], R in [0, 1) (default 0: off).
     */
    static Dense fromConfig(LayerConfig c) {
        int units = c.integer("units", 1, 1 << 24);
        String act = c.string("activation", "linear");
        try {
            LayerActivation.of(act);
        } catch (IllegalArgumentException e) {
            throw c.error("activation", e.getMessage());
        }
        return new Dense(units, act, WeightRules.fromConfig(c)).dropConnect(c.number("dropConnect", 0, 1, true, 0));
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
        Tensor kernel = dropConnectKernel(g);
        g.emit(this, MatMul.of(false, false, 1f, matrix(x), kernel, 0f, matrix(z)));
        g.save(this, "x", x);
        g.save(this, "kernel", kernel);
        return activation.forward(g, this, z, g.parameter(this, "bias"), outputShape());
    }

    /**
     * ONNX Gemm(x, W, bias) for x: (B, I); MatMul(x, W) then Add(bias) for x: (B, …, I); then
     * the activation. DropConnect is off at inference: the plain kernel.
     */
    @Override
    public String exportOnnx(OnnxGraph g, String x) {
        String w = g.parameter(this, "kernel");
        String b = g.parameter(this, "bias");
        String z = inputShape().rank() == 1
                ? g.node(this, "Gemm", List.of(x, w, b))
                : g.node(this, "Add", List.of(g.node(this, "MatMul", List.of(x, w)), b));
        return activation.exportOnnx(g, this, z);
    }

    @Override
    public Tensor backward(Lowering g, Tensor dY) {
        Tensor dZ = activation.backward(g, this, dY, outputShape(), "dZ");
        Tensor x = matrix(g.saved(this, "x"));
        Tensor dW = g.gradient(this, "kernel");
        g.emit(this, MatMul.of(true, false, 1f, x, matrix(dZ), 0f, dW));
        g.emit(this, new ColumnSum(matrix(dZ), g.gradient(this, "bias")));
        Tensor dX = null;
        if (g.needsInputGradient(this)) {
            dX = g.workspace(this, "dX", inputShape());
            g.emit(this, MatMul.of(false, true, 1f, matrix(dZ), g.saved(this, "kernel"), 0f, matrix(dX)));
        }
        if (dropConnect > 0) {
            g.emit(this, new ApplyMask(dW, dropConnectMask(dropConnectOffset), dW));
        }
        return dX;
    }

    // ---- DropConnect -----------------------------------------------------------------------------

    /**
     * Turns on DropConnect on the kernel at {@code rate} (0 turns it off); see the class comment.
     * Modified: this. Returns this.
     */
    public Dense dropConnect(double rate) {
        if (!(rate >= 0 && rate < 1)) {
            throw new IllegalArgumentException("Dense: dropConnect rate must be in [0, 1), got " + rate);
        }
        this.dropConnect = (float) rate;
        return this;
    }

    /** The layer's seed: its kernel's initial values and the DropConnect mask's Philox key. */
    public long seed() {
        return seed;
    }

    /** The DropConnect rate; 0 when off. */
    public float dropConnectRate() {
        return dropConnect;
    }

    /** The kernel mask's counter, saved in checkpoints as {@code rng.<layer>.dropConnect.offset}. */
    @Override
    public Map<String, Counter> counters() {
        return dropConnect > 0 ? Map.of("dropConnect.offset", dropConnectOffset) : Map.of();
    }

    /** One kernel mask serves every row of the batch. */
    @Override
    public boolean sharesMaskAcrossBatch() {
        return dropConnect > 0;
    }

    private Mask dropConnectMask(Counter counter) {
        return new Mask(dropConnect, seed, counter);
    }

    /**
     * The kernel the product uses: W itself, or where masks are drawn {@code Wm = M ⊙ W/(1 − rate)}:
     * (I, O), a per-batch workspace value written by one {@link ApplyMask} over the I·O values.
     */
    private Tensor dropConnectKernel(Lowering g) {
        Tensor w = g.parameter(this, "kernel");
        if (dropConnect == 0 || !g.drawsMasks()) {
            return w;
        }
        Counter counter = g.maskCounter(dropConnectOffset);
        Tensor masked = g.batchValue(this, "maskedKernel", w.shape());
        g.emit(this, new ApplyMask(w, dropConnectMask(counter), masked));
        g.advanceAfterStep(counter, Philox.blocks(w.shape().size()));
        return masked;
    }
}
