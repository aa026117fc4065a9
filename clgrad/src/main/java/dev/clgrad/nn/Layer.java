package dev.clgrad.nn;

import dev.clgrad.ops.Counter;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * One stage of a model: a per-sample input shape in, a per-sample output shape out, its parameters
 * declared, and its forward and backward lowered to ops side by side ({@link Lowering}). A layer
 * never knows its neighbours; what runs fused with what is the planner's decision.
 *
 * <p>Life cycle: {@link #build} once with the per-sample input shape seen at the first batch (as
 * Keras does) and the layer's seed; the model places the declared {@link #parameters()} in a
 * {@link ParameterStore} and calls {@link #initialize}; the planner then calls {@link #forward}
 * and {@link #backward} once per program (a batch size, training or inference), not per step.
 */
public abstract class Layer {
    private String name;
    private Shape inputShape;
    private Shape outputShape;

    /** The Keras-style type name shown by {@code summary()}, such as {@code Dense}. */
    public abstract String type();

    /** The name prefix used for automatic names, such as {@code dense} for {@code dense_1}. */
    public abstract String namePrefix();

    /** The layer's type in model configs ({@link LayerTypes}), such as {@code dense}. */
    public abstract String configType();

    /** The layer's own config entries besides {@code type} (read back by its {@link LayerTypes} reader). */
    public Map<String, Object> config() {
        return Map.of();
    }

    /**
     * The layer's counters a checkpoint saves and restores, by name (a dropout layer's Philox
     * counter base); none by default.
     */
    public Map<String, Counter> counters() {
        return Map.of();
    }

    /**
     * Whether the layer draws one random mask for the whole batch (DropConnect's kernel mask), so
     * that the rows of one batch are not independent draws; Monte-Carlo prediction then runs its
     * passes one per batch. False by default.
     */
    public boolean sharesMaskAcrossBatch() {
        return false;
    }

    /**
     * The Keras name of the activation the layer's output ends in (its last step), such as
     * {@code softmax} or {@code sigmoid}; null for a layer that applies none. A model asks its last
     * layer, to refuse a loss that would apply the same activation again.
     */
    public String outputActivation() {
        return null;
    }

    /**
     * The rows a data-parallel split of the batch must start at multiples of (built layers), so
     * that each replica's share of this layer's draws starts at a whole Philox block
     * ({@link Lowering#rowStart}). 1 by default.
     */
    public int rowAlignment() {
        return 1;
    }

    /** The per-sample output shape for per-sample input {@code in}; throws if {@code in} does not fit. */
    protected abstract Shape outputShape(Shape in);

    /** Fixes the input shape and the seed of the layer's weights and masks; returns the output shape. */
    public final Shape build(Shape in, long seed) {
        if (inputShape != null) {
            throw new IllegalStateException("layer " + name + " is already built with input shape " + inputShape);
        }
        Shape out = outputShape(in);
        onBuild(seed);
        inputShape = in;
        outputShape = out;
        return out;
    }

    /**
     * Forgets the build, so that the layer can be built again: a model calls it when a check of the
     * whole model (its output shape, its memory) refuses what its layers were built into, before
     * anything was allocated for them.
     */
    public final void unbuild() {
        inputShape = null;
        outputShape = null;
    }

    /** Hook for layers that need the seed at build time. */
    protected void onBuild(long seed) {
    }

    /** The parameters, in flat-buffer order; none by default. */
    public List<ParamSpec> parameters() {
        return List.of();
    }

    /**
     * Writes the initial values of this layer's trainable parameters, in {@link #parameters()}
     * order and each at its offset in {@code flat}, the trainable group ({@code offsets[i]} for
     * parameter i; a buffer's entry is its offset in the buffer group). Modified: flat.
     */
    protected void initialize(float[] flat, int[] offsets) {
    }

    /**
     * Writes the initial values of this layer's buffers (a moving variance's ones), each at its
     * offset in {@code flat}, the buffer group ({@code offsets[i]} for parameter i, as in
     * {@link #initialize}); buffers not written start at zero. Modified: flat.
     */
    protected void initializeBuffers(float[] flat, int[] offsets) {
    }

    /**
     * x: (B, in…) → y: (B, out…): emits the forward ops into {@code g} and returns y (x itself for
     * a layer that is the identity here, such as dropout at inference). Saves what backward needs.
     */
    public abstract Tensor forward(Lowering g, Tensor x);

    /**
     * dY: (B, out…) → dX: (B, in…) for the forward lowered last into {@code g}: emits the ops that
     * write this layer's parameter gradients (overwriting) and, when
     * {@link Lowering#needsInputGradient}, dX, which it returns; else null.
     */
    public abstract Tensor backward(Lowering g, Tensor dY);

    /**
     * x: (B, in…) → y: (B, out…) at inference, as ONNX nodes: appends to {@code g} what computes
     * this built layer's output from the value named {@code x} with the model's weights, and
     * returns y's name ({@code x} itself for a layer that is the identity at inference, such as
     * dropout). Layouts as in {@link OnnxGraph}.
     */
    public abstract String exportOnnx(OnnxGraph g, String x);

    public String name() {
        return name;
    }

    /** Sets the name; by the model when the layer is added. */
    public void name(String n) {
        this.name = n;
    }

    public boolean isBuilt() {
        return inputShape != null;
    }

    /** The per-sample input shape; null before {@link #build}. */
    public Shape inputShape() {
        return inputShape;
    }

    /** The per-sample output shape; null before {@link #build}. */
    public Shape outputShape() {
        return outputShape;
    }

    /** Values in trainable parameters. */
    public long trainableCount() {
        return parameters().stream().filter(ParamSpec::trainable).mapToLong(p -> p.shape().size()).sum();
    }

    /** Values in non-trainable buffers. */
    public long bufferCount() {
        return parameters().stream().filter(p -> !p.trainable()).mapToLong(p -> p.shape().size()).sum();
    }

    /** Trainable and buffer values together, as Keras's "Param #". */
    public long parameterCount() {
        return trainableCount() + bufferCount();
    }
}
