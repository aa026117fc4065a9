package dev.clgrad.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keras's {@code ReduceLROnPlateau}: when the monitored metric has not improved for
 * {@code patience} epochs, multiplies the learning rate by {@code factor} (not below
 * {@code minLr}), then waits {@code cooldown} epochs before counting again. Improvement is lower
 * by more than minDelta ({@code mode} min), higher by more than minDelta (max), or min unless the
 * name contains {@code acc} (auto). Its state (best, wait, cooldown counter) is saved in
 * checkpoints ({@link #state}, {@link #restore}), the learning rate with the optimizer.
 * Defaults: monitor val_loss, factor 0.1, patience 10, mode auto, minDelta 1e-4, cooldown 0, minLr 0.
 */
public final class ReduceLROnPlateau implements Callback {
    private final String monitor;
    private final double factor;
    private final int patience;
    private final boolean maximize;
    private final double minDelta;
    private final int cooldown;
    private final double minLr;
    private double best;
    private int wait;
    private int cooldownCounter;

    public ReduceLROnPlateau() {
        this("val_loss", 0.1, 10, "auto", 1e-4, 0, 0);
    }

    public ReduceLROnPlateau(String monitor, double factor, int patience, String mode, double minDelta, int cooldown,
                             double minLr) {
        if (!(factor > 0 && factor < 1)) {
            throw new IllegalArgumentException("ReduceLROnPlateau: factor must be in (0, 1), got " + factor);
        }
        if (patience < 0 || cooldown < 0) {
            throw new IllegalArgumentException("ReduceLROnPlateau: patience and cooldown must be >= 0, got patience "
                    + patience + ", cooldown " + cooldown);
        }
        if (!(minDelta >= 0) || !Double.isFinite(minDelta) || !(minLr >= 0) || !Double.isFinite(minLr)) {
            throw new IllegalArgumentException("ReduceLROnPlateau: minDelta and minLr must be >= 0 and finite, got "
                    + "minDelta " + minDelta + ", minLr " + minLr);
        }
        this.maximize = switch (mode) {
            case "min" -> false;
            case "max" -> true;
            case "auto" -> monitor.contains("acc");
            default -> throw new IllegalArgumentException("ReduceLROnPlateau: mode must be min, max or auto, got '"
                    + mode + "'");
        };
        this.monitor = monitor;
        this.factor = factor;
        this.patience = patience;
        this.minDelta = minDelta;
        this.cooldown = cooldown;
        this.minLr = minLr;
        reset();
    }

    private void reset() {
        best = maximize ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        wait = 0;
        cooldownCounter = 0;
    }

    @Override
    public void onTrainBegin(TrainingState state) {
        reset();
    }

    @Override
    public void onEpochEnd(TrainingState state, Map<String, Double> logs) {
        Double current = logs.get(monitor);
        if (current == null) {
            throw new IllegalArgumentException("ReduceLROnPlateau: monitored metric '" + monitor + "' is not among "
                    + logs.keySet() + "; add validation data or monitor one of those");
        }
        if (cooldownCounter > 0) {
            cooldownCounter--;
            wait = 0;
        }
        if (maximize ? current > best + minDelta : current < best - minDelta) {
            best = current;
            wait = 0;
        } else if (cooldownCounter == 0 && ++wait >= patience) {
            double lr = state.model().optimizer().learningRate();
            if (lr > (float) minLr) {
                state.model().optimizer().setLearningRate(Math.max(lr * factor, minLr));
                cooldownCounter = cooldown;
                wait = 0;
            }
        }
    }

    @Override
    public Map<String, Double> state() {
        Map<String, Double> s = new LinkedHashMap<>();
        s.put("best", best);
        s.put("wait", (double) wait);
        s.put("cooldown", (double) cooldownCounter);
        return s;
    }

    @Override
    public void restore(Map<String, Double> s) {
        if (!s.keySet().equals(state().keySet())) {
            throw new IllegalArgumentException("ReduceLROnPlateau: saved state holds " + s.keySet() + ", expected "
                    + state().keySet());
        }
        best = s.get("best");
        wait = s.get("wait").intValue();
        cooldownCounter = s.get("cooldown").intValue();
    }

    public double best() {
        return best;
    }

    public int waitCount() {
        return wait;
    }
}
