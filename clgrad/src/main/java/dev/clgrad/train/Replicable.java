package dev.clgrad.train;

import dev.clgrad.backend.Backend;
import dev.clgrad.ops.Counter;

import java.util.Map;

/**
 * A model that data-parallel training ({@link Replicas}) can copy onto other devices and drive in
 * parts: each replica runs its rows' forward, loss and backward ({@link #gradientBatch}), the
 * replica set sums the gradients, and one replica applies the update ({@link #applyUpdate}).
 * {@code dev.clgrad.model.Sequential} is one. Host arrays are row-major: x: (rows·I), y: (rows·T).
 */
public interface Replicable extends Trainable, AutoCloseable {

    /**
     * A copy of this built, compiled model on {@code other}: the same layers, seed, loss and
     * metrics, and this model's current parameters, buffers and random-mask counters (not its
     * optimizer state: only the model itself updates). The caller closes it; {@code other} is not owned.
     */
    Replicable replica(Backend other);

    /**
     * The rows a split of a batch must start at multiples of, so that every random-mask layer's
     * share of the draws starts at a whole Philox block: the least common multiple of the layers'.
     */
    int rowAlignment();

    /**
     * A replica's share of a training step: uploads rows [from, from + rows) of the global batch
     * x: (globalRows·I), y: (globalRows·T) (not modified) and runs forward, the loss (added to the
     * device sums) and backward, its random masks those of those global rows; writes
     * {@link #gradients()}, the gradient of the mean loss over its rows. No update.
     */
    void gradientBatch(float[] x, float[] y, int from, int rows, int globalRows);

    /** The end of a training step: the optimizer's update from {@link #gradients()}, then the constraints. */
    void applyUpdate();

    /** The layers' random-mask counters by their checkpoint names ({@code dropout_1.offset}); live, not copies. */
    Map<String, Counter> counters();

    @Override
    void close();
}
