package dev.clgrad.nn;

import dev.clgrad.backend.Backend;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.List;

/**
 * One stage of a {@link Sequential} model: x: (B, I) → y: (B, O), with {@link #forward} and
 * {@link #backward} side by side and explicit gradients (no tape).
 *
 * <p>Life cycle: {@link #build} once with the input width seen at the first batch (as Keras
 * does); the model then lays the parameters of every layer out in one flat tensor and calls
 * {@link #initialize} and {@link #bind}; {@link #allocate} sizes the layer's workspace for the
 * largest batch, and each step runs on views of it with the batch's row count.
 */
public abstract class Layer {
    private String name;
    private int inFeatures = -1;
    private int outFeatures = -1;
    private Backend backend;
    private Tensor y;
    private Tensor dX;

    /** The Keras-style type name shown by {@code summary()}, such as {@code Dense}. */
    public abstract String type();

    /** The name prefix used for automatic names, such as {@code dense} for {@code dense_1}. */
    public abstract String namePrefix();

    /** The output width for input width {@code in}; throws if {@code in} does not fit. */
    protected abstract int outputWidth(int in);

    /**
     * Fixes the input width and the seed from which the layer draws its initial weights and
     * dropout masks; returns the output width. Called once, by the model.
     */
    final int build(int in, long seed) {
        if (inFeatures >= 0) {
            throw new IllegalStateException("layer " + name + " is already built with input width " + inFeatures);
        }
        outFeatures = outputWidth(in);
        inFeatures = in;
        onBuild(seed);
        return outFeatures;
    }

    /** Hook for subclasses that need the seed at build time. */
    protected void onBuild(long seed) {
    }

    /** Parameters' names (without the layer prefix) and shapes, in flat-buffer order. Empty by default. */
    protected List<ParamShape> parameterShapes() {
        return List.of();
    }

    /**
     * Writes the initial values of this layer's parameters, in {@link #parameterShapes()} order,
     * into {@code flat} from {@code offset}. Modified: flat.
     */
    protected void initialize(float[] flat, int offset) {
    }

    /** Receives views of the flat parameter and gradient tensors, one per parameter, in order. */
    protected void bind(List<Tensor> params, List<Tensor> grads) {
    }

    /**
     * Allocates the workspace for batches of up to {@code maxBatch} rows on {@code backend}: the
     * output y: (maxBatch, O) and the input gradient dX: (maxBatch, I), freeing any earlier one.
     */
    protected void allocate(Backend b, int maxBatch) {
        release();
        backend = b;
        y = Tensor.empty(b, Shape.of(maxBatch, outFeatures), name + ".y");
        dX = Tensor.empty(b, Shape.of(maxBatch, inFeatures), name + ".dX");
    }

    /** Frees the workspace, dX then y; idempotent, never throws. */
    protected void release() {
        if (dX != null) {
            dX.close();
            dX = null;
        }
        if (y != null) {
            y.close();
            y = null;
        }
    }

    /** The backend of the workspace. */
    protected Backend backend() {
        return backend;
    }

    /** The first {@code rows} rows of the output workspace y, as a view. */
    protected Tensor output(int rows) {
        return y.rows(rows);
    }

    /** The first {@code rows} rows of the input-gradient workspace dX, as a view. */
    protected Tensor inputGradient(int rows) {
        return dX.rows(rows);
    }

    /**
     * x: (B, I) → y: (B, O), a view of this layer's workspace (or x itself where the layer is the
     * identity). x is not modified and must stay unchanged until {@link #backward}.
     */
    public abstract Tensor forward(Tensor x, boolean training);

    /**
     * dY: (B, O) → dX: (B, I), for the batch of the last {@link #forward}; writes the gradients of
     * this layer's parameters (overwriting, not accumulating). dY may be modified (used as scratch).
     * With {@code inputGradient} false dX is not computed and null is returned.
     */
    public abstract Tensor backward(Tensor dY, boolean inputGradient);

    public String name() {
        return name;
    }

    void name(String n) {
        this.name = n;
    }

    public boolean isBuilt() {
        return inFeatures >= 0;
    }

    public int inFeatures() {
        return inFeatures;
    }

    public int outFeatures() {
        return outFeatures;
    }

    /** Number of trainable values. */
    public long parameterCount() {
        long n = 0;
        for (ParamShape p : parameterShapes()) {
            n += p.shape().size();
        }
        return n;
    }

    /** A parameter's local name and shape, before the model places it in the flat buffer. */
    protected record ParamShape(String name, Shape shape) {
    }
}
