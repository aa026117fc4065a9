package dev.clgrad.nn;

import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Op;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

/**
 * What a layer lowers its forward and backward into: the planner's side of {@link Layer#forward}
 * and {@link Layer#backward}. A layer asks for workspace tensors, emits ops over them and its
 * parameters, and saves what its backward needs; it never sees its neighbours. The planner
 * ({@code dev.clgrad.exec}) implements this, fuses the emitted ops and places the workspace.
 */
public interface Lowering {

    /** Whether this is a training step (dropout on, backward follows) or inference. */
    boolean training();

    /**
     * Whether random-mask layers (dropout and its variants, DropConnect) draw their masks: in
     * training, and in a Monte-Carlo prediction program; otherwise they are the identity.
     */
    default boolean drawsMasks() {
        return training();
    }

    /**
     * The counter a random-mask layer whose training counter is {@code trainingCounter} draws from
     * in this program: that counter in training; in Monte-Carlo prediction the planner's sampling
     * twin of it, so predicting never moves training's counters.
     */
    default Counter maskCounter(Counter trainingCounter) {
        return trainingCounter;
    }

    /** B: the rows of the batch this program runs. */
    int rows();

    /**
     * Where this program's rows start in the global batch: 0 on one device; for a data-parallel
     * replica holding rows [r0, r0 + B) of a global batch, r0, so that its random-mask layers
     * draw the masks of those global rows.
     */
    default int rowStart() {
        return 0;
    }

    /** The rows of the global batch whose rows this program runs ({@link #rows} on one device). */
    default int globalRows() {
        return rows();
    }

    /**
     * {@code counter} read {@code blocks} Philox blocks further on ({@link Counter#plus}): where a
     * replica's rows start in a random-mask layer's draws. The same view each time this program
     * asks for the same counter, so that the forward's and the backward's masks are one (fusion
     * matches them).
     */
    Counter shifted(Counter counter, long blocks);

    /**
     * A new workspace tensor of shape (B, perSample…) for {@code owner}, named
     * {@code owner.what}: one value written once, placed in the shared arena by liveness.
     */
    Tensor workspace(Layer owner, String what, Shape perSample);

    /**
     * A new workspace tensor of exactly {@code shape}, one per batch rather than per sample (a
     * batch's per-channel statistics), named {@code owner.what}; placed as {@link #workspace} is.
     */
    Tensor batchValue(Layer owner, String what, Shape shape);

    /**
     * The parameter {@code name} of {@code owner}, such as {@code kernel}: (its declared shape). A
     * buffer ({@link ParamSpec#buffer}) is a parameter the layer's own ops update.
     */
    Tensor parameter(Layer owner, String name);

    /** The gradient of {@link #parameter}, overwritten by the backward each step. */
    Tensor gradient(Layer owner, String name);

    /** Appends an op to the step, attributed to {@code owner} in plans and profiles. */
    void emit(Layer owner, Op op);

    /** Keeps {@code t} for the layer's backward under {@code key}. */
    void save(Layer owner, String key, Tensor t);

    /** What {@link #save} kept. */
    Tensor saved(Layer owner, String key);

    /** Whether the layer's backward must compute its input gradient dX. */
    boolean needsInputGradient(Layer owner);

    /** Adds {@code delta} to {@code counter} after each run of the step (a dropout layer's Philox counter base). */
    void advanceAfterStep(Counter counter, long delta);
}
