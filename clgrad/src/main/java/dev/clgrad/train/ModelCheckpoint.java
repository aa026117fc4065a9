package dev.clgrad.train;


import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Saves a checkpoint ({@code dev.clgrad.io.Checkpoint}) to a folder during {@code fit}, as Keras's {@code ModelCheckpoint}:
 * every N steps (counted from the start of training, across epochs) and/or at the end of every
 * N-th epoch. Each save replaces the previous one atomically. Before saving it reads the epoch's
 * loss sum (the save waits for the device anyway) and stops training if it is not finite, so a
 * checkpoint never holds weights from after the loss went bad. A failed write is an
 * {@link UncheckedIOException} and leaves the previous checkpoint in place.
 */
public final class ModelCheckpoint implements Callback {
    private final Path dir;
    private final int everySteps;
    private final int everyEpochs;
    private long saves;

    /** Saves at the end of every epoch. */
    public ModelCheckpoint(Path dir) {
        this(dir, 0, 1);
    }

    /**
     * @param everySteps  steps between saves, or 0 for none
     * @param everyEpochs epochs between saves, or 0 for none
     */
    public ModelCheckpoint(Path dir, int everySteps, int everyEpochs) {
        if (everySteps < 0 || everyEpochs < 0 || everySteps == 0 && everyEpochs == 0) {
            throw new IllegalArgumentException("ModelCheckpoint: everySteps and everyEpochs must be >= 0, not both 0;"
                    + " got " + everySteps + " and " + everyEpochs);
        }
        this.dir = dir;
        this.everySteps = everySteps;
        this.everyEpochs = everyEpochs;
    }

    /** Saves every {@code n} steps (and not at epoch ends). */
    public static ModelCheckpoint everySteps(Path dir, int n) {
        return new ModelCheckpoint(dir, n, 0);
    }

    /** Checkpoints written so far by this callback. */
    public long saves() {
        return saves;
    }

    @Override
    public void onBatchEnd(TrainingState state) {
        if (everySteps > 0 && state.globalStep() % everySteps == 0) {
            double[] totals = state.model().totals();
            Trainer.finiteLoss(state.model(), state, totals[0] / Math.max(state.samples(), 1));
            List<Double> metricSums = new ArrayList<>();
            for (int m = 1; m < totals.length; m++) {
                metricSums.add(totals[m]);
            }
            save(state.model(), position(state, state.epoch(), state.step(), totals[0], metricSums));
        }
    }

    @Override
    public void onEpochEnd(TrainingState state, Map<String, Double> logs) {
        if (everyEpochs > 0 && (state.epoch() + 1) % everyEpochs == 0) {
            save(state.model(), position(state, state.epoch() + 1, 0, 0, List.of()));
        }
    }

    private static Position position(TrainingState state, int epoch, int step, double lossSum,
                                     List<Double> metricSums) {
        Fit fit = state.fit();
        return new Position(epoch, step, fit.seed(), fit.batchSize(), fit.shuffle(), lossSum, metricSums,
                state.callbackStates());
    }

    private void save(Trainable model, Position position) {
        try {
            model.checkpoint(dir, position);
            saves++;
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }
}
