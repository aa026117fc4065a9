package dev.clgrad.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;


/** Where {@code fit} is, as callbacks see it; a callback may ask it to stop after the current epoch. */
public final class TrainingState {
    private final Trainable model;
    private final Fit fit;
    private final int epochs;
    private final int steps;
    private int epoch;
    private int step;
    private long samples;
    private double runningLoss = Double.NaN;
    private long epochStart;
    private long epochEnd;
    private boolean stop;
    private List<Callback> callbacks = List.of();

    TrainingState(Trainable model, Fit fit, int steps) {
        this.model = model;
        this.fit = fit;
        this.epochs = fit.epochs();
        this.steps = steps;
    }

    public Trainable model() {
        return model;
    }

    /** The options of this fit (seed, batch size and shuffle fix the batch order). */
    public Fit fit() {
        return fit;
    }

    /** The current epoch, from 0. */
    public int epoch() {
        return epoch;
    }

    public int epochs() {
        return epochs;
    }

    /** Steps done in the current epoch. */
    public int step() {
        return step;
    }

    /** Steps done since epoch 0 began: {@code epoch · steps + step}. */
    public long globalStep() {
        return (long) epoch * steps + step;
    }

    /** Steps per epoch. */
    public int steps() {
        return steps;
    }

    /** Training rows done in the current epoch. */
    public long samples() {
        return samples;
    }

    /** Mean batch loss of this epoch as of the last read of the device sum; NaN before the first. */
    public double runningLoss() {
        return runningLoss;
    }

    /** Seconds of training steps in the current epoch so far (validation excluded). */
    public double epochSeconds() {
        return ((epochEnd != 0 ? epochEnd : System.nanoTime()) - epochStart) / 1e9;
    }

    void callbacks(List<Callback> all) {
        callbacks = List.copyOf(all);
    }

    /** Every callback's {@link Callback#state}, keyed {@code <index>.<class>.<key>} ({@link Position#callbacks}). */
    public Map<String, Double> callbackStates() {
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < callbacks.size(); i++) {
            String prefix = i + "." + callbacks.get(i).getClass().getSimpleName() + ".";
            callbacks.get(i).state().forEach((k, v) -> out.put(prefix + k, v));
        }
        return out;
    }

    /** Restores each callback's saved state from {@code saved} ({@link #callbackStates}'s keys). */
    void restoreCallbacks(Map<String, Double> saved) {
        for (int i = 0; i < callbacks.size(); i++) {
            String prefix = i + "." + callbacks.get(i).getClass().getSimpleName() + ".";
            Map<String, Double> mine = new LinkedHashMap<>();
            saved.forEach((k, v) -> {
                if (k.startsWith(prefix)) {
                    mine.put(k.substring(prefix.length()), v);
                }
            });
            if (!mine.isEmpty()) {
                callbacks.get(i).restore(mine);
            }
        }
    }

    /** Ends training after the current epoch (as Keras's {@code model.stop_training = True}). */
    public void requestStop() {
        stop = true;
    }

    public boolean stopRequested() {
        return stop;
    }

    /** Starts epoch e with {@code doneSteps} steps of {@code doneRows} rows already done (a resumed epoch). */
    void beginEpoch(int e, int doneSteps, long doneRows) {
        epoch = e;
        step = doneSteps;
        samples = doneRows;
        runningLoss = Double.NaN;
        epochStart = System.nanoTime();
        epochEnd = 0;
    }

    void endTrainingSteps() {
        epochEnd = System.nanoTime();
    }

    void endStep(int rows) {
        step++;
        samples += rows;
    }

    void runningLoss(double loss) {
        runningLoss = loss;
    }
}
