package dev.clgrad.train;

import dev.clgrad.ops.Copy;
import dev.clgrad.tensor.Tensor;

import java.util.Map;

/**
 * Stops training when a monitored metric has not improved for {@code patience} epochs, as Keras's
 * {@code EarlyStopping}. Improvement means lower by more than {@code minDelta} for losses, higher
 * for metrics whose name contains {@code acc}. With {@code restoreBestWeights} the parameters of
 * the best epoch are kept in a device copy and put back when training ends.
 */
public final class EarlyStopping implements Callback {
    private final String monitor;
    private final int patience;
    private final double minDelta;
    private final boolean restoreBestWeights;
    private final boolean maximize;
    private double best;
    private int wait;
    private int stoppedEpoch = -1;
    private Tensor bestWeights;

    /** Monitors {@code val_loss} with patience 0 and minDelta 0. */
    public EarlyStopping() {
        this("val_loss", 0, 0, false);
    }

    public EarlyStopping(String monitor, int patience, double minDelta, boolean restoreBestWeights) {
        if (patience < 0) {
            throw new IllegalArgumentException("EarlyStopping: patience must be >= 0, got " + patience);
        }
        if (!(minDelta >= 0)) {
            throw new IllegalArgumentException("EarlyStopping: minDelta must be >= 0, got " + minDelta);
        }
        this.monitor = monitor;
        this.patience = patience;
        this.minDelta = minDelta;
        this.restoreBestWeights = restoreBestWeights;
        this.maximize = monitor.contains("acc");
    }

    @Override
    public void onTrainBegin(TrainingState state) {
        best = maximize ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        wait = 0;
        stoppedEpoch = -1;
    }

    @Override
    public void onEpochEnd(TrainingState state, Map<String, Double> logs) {
        Double value = logs.get(monitor);
        if (value == null) {
            throw new IllegalArgumentException("EarlyStopping: monitored metric '" + monitor + "' is not among "
                    + logs.keySet() + "; add validation data or monitor one of those");
        }
        boolean improved = maximize ? value > best + minDelta : value < best - minDelta;
        if (improved) {
            best = value;
            wait = 0;
            if (restoreBestWeights) {
                Tensor params = state.model().parameters();
                if (bestWeights == null) {
                    bestWeights = Tensor.empty(params.memory(), params.shape(), "earlyStopping.best");
                }
                state.model().backend().run(new Copy(params, bestWeights));
            }
        } else if (++wait > patience) {
            stoppedEpoch = state.epoch();
            state.requestStop();
        }
    }

    @Override
    public void onTrainEnd(TrainingState state) {
        if (bestWeights != null) {
            state.model().backend().run(new Copy(bestWeights, state.model().parameters()));
            bestWeights.close();
            bestWeights = null;
        }
    }

    /** The epoch (from 0) at which training was stopped, or -1. */
    public int stoppedEpoch() {
        return stoppedEpoch;
    }

    /** The best monitored value seen. */
    public double best() {
        return best;
    }
}
