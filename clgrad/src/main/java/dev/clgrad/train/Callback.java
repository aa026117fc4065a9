package dev.clgrad.train;

import java.util.Map;

/**
 * Hooks around {@code fit}, as in Keras; every method does nothing by default. {@code logs} map
 * metric names ({@code loss}, {@code accuracy}, {@code val_loss}, …) to this epoch's values.
 */
public interface Callback {
    default void onTrainBegin(TrainingState state) {
    }

    default void onEpochBegin(TrainingState state) {
    }

    /** After each step; {@link TrainingState#runningLoss()} changes only when the loop read the loss. */
    default void onBatchEnd(TrainingState state) {
    }

    default void onEpochEnd(TrainingState state, Map<String, Double> logs) {
    }

    default void onTrainEnd(TrainingState state) {
    }

    /**
     * What the callback must carry across a resume (ReduceLROnPlateau's best, wait, cooldown), saved
     * in checkpoints; empty for callbacks without state.
     */
    default Map<String, Double> state() {
        return Map.of();
    }

    /** Restores {@link #state} after {@link #onTrainBegin} of a resumed fit. */
    default void restore(Map<String, Double> state) {
    }
}
