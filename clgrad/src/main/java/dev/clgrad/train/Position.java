package dev.clgrad.train;

import java.util.List;
import java.util.Map;

/**
 * Where training stands between two steps, as a checkpoint records it: the next step runs batch
 * {@code step} (from 0) of epoch {@code epoch} (from 0). The batch order is a pure function of
 * (seed, batchSize, shuffle, epoch) (see {@link dev.clgrad.data.Batches}), so resuming skips the
 * first {@code step} batches of the epoch; lossSum and metricSums are the epoch's device sums over
 * those batches (lossSum: each batch's mean loss times its rows, in double; metricSums: each
 * compiled metric's sum over rows, in order), so that a resumed epoch's device sums are exactly
 * those of a run straight through. {@code callbacks} holds the fit's callbacks'
 * {@link Callback#state}, keyed {@code <index>.<class>.<key>} (index in the fit's callback list),
 * restored into the same callbacks when the fit resumes.
 */
public record Position(int epoch, int step, long seed, int batchSize, boolean shuffle, double lossSum,
                       List<Double> metricSums, Map<String, Double> callbacks) {
    /** A position without callback state. */
    public Position(int epoch, int step, long seed, int batchSize, boolean shuffle, double lossSum,
                    List<Double> metricSums) {
        this(epoch, step, seed, batchSize, shuffle, lossSum, metricSums, Map.of());
    }

    public Position {
        metricSums = List.copyOf(metricSums);
        callbacks = Map.copyOf(callbacks);
        if (epoch < 0 || step < 0) {
            throw new IllegalArgumentException("position: epoch and step must be >= 0, got epoch " + epoch + ", step "
                    + step);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("position: batch size must be >= 1, got " + batchSize);
        }
    }
}
