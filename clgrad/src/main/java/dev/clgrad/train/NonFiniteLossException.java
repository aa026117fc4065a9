package dev.clgrad.train;

/**
 * Training stopped because the loss, or the weights at an epoch end, became NaN or infinite. The
 * message gives the epoch and step (from 1, as the progress bar shows them), for the loss the last
 * step at which it was still finite, and the first layer, in model order, whose gradients of the
 * last step (or whose weights) are non-finite (or that none is, which points at the data). Nothing
 * is saved after training goes bad, so the last checkpoint on disk holds finite weights.
 */
public final class NonFiniteLossException extends ArithmeticException {
    private final int epoch;
    private final int step;
    private final String layer;

    NonFiniteLossException(String message, int epoch, int step, String layer) {
        super(message);
        this.epoch = epoch;
        this.step = step;
        this.layer = layer;
    }

    /** The epoch (from 0) in which the loss was found non-finite. */
    public int epoch() {
        return epoch;
    }

    /** Steps done in that epoch when it was found. */
    public int step() {
        return step;
    }

    /** The first layer (in model order) with non-finite gradients (or weights), or null when every gradient is finite. */
    public String layer() {
        return layer;
    }
}
