package dev.clgrad.train;

import dev.clgrad.optim.Schedule;

/**
 * Keras's {@code LearningRateScheduler}: at the start of every epoch sets the optimizer's learning
 * rate to {@code rule(epoch, lr)} (epoch from 0, lr the current one). The optimizer's learning
 * rate is a run-time value, so nothing is rebuilt. Its only state is the learning rate, which a
 * checkpoint saves with the optimizer; a fit resumed mid-epoch keeps it rather than applying the
 * rule to it twice.
 */
public final class LearningRateScheduler implements Callback {
    /** The new learning rate from the epoch (from 0) and the current learning rate. */
    @FunctionalInterface
    public interface Rule {
        double next(int epoch, double lr);
    }

    private final Rule rule;

    public LearningRateScheduler(Rule rule) {
        this.rule = rule;
    }

    /** The learning rate at epoch e is {@code schedule.value(e)} (a JSON config's form). */
    public static LearningRateScheduler of(Schedule schedule) {
        return new LearningRateScheduler((epoch, lr) -> schedule.value(epoch));
    }

    @Override
    public void onEpochBegin(TrainingState state) {
        if (state.step() > 0) {
            return; // a fit resumed mid-epoch: the checkpoint's learning rate already is this epoch's
        }
        double lr = state.model().optimizer().learningRate();
        double next = rule.next(state.epoch(), lr);
        if (!Double.isFinite(next) || !(next >= 0)) {
            throw new IllegalArgumentException("LearningRateScheduler: the rule gave learning rate " + next
                    + " at epoch " + state.epoch() + " (from " + lr + "); expected a finite value >= 0");
        }
        state.model().optimizer().setLearningRate(next);
    }
}
