package dev.clgrad.nn;

import dev.clgrad.ops.Philox;
import dev.clgrad.tensor.Tensor;

/**
 * Inverted dropout, Keras's {@code Dropout(rate)}: in training, x: (B, I) → {@code y = keep ? x/(1-p) : 0}
 * with the Philox mask of DESIGN.md; at inference the identity (x itself is returned, nothing runs).
 *
 * <p>Counters: the layer's seed is derived from the model seed; each training call uses the
 * 64-bit counter base {@code offset} and then advances it by {@code ceil(n/4)} blocks (n = B·I
 * elements, four 32-bit words per Philox block), so no two calls share a counter. Backward
 * regenerates the mask from the same (seed, offset) instead of storing it.
 *
 * <p>Fused after a Dense(relu) (see {@link Dense}), that layer applies the mask with the same
 * counters ({@link #claimCounters}) and this layer passes x through; its backward regenerates the
 * mask as usual, or passes dY through when the next Dense has already masked it.
 */
public final class Dropout extends Layer {
    private final float rate;
    private long seed;
    private long offset;
    private long lastOffset;
    private boolean fused;
    private boolean passGradient;

    /** @param rate fraction of inputs dropped, in [0, 1) */
    public Dropout(double rate) {
        if (!(rate >= 0 && rate < 1)) {
            throw new IllegalArgumentException("Dropout: rate must be in [0, 1), got " + rate);
        }
        this.rate = (float) rate;
    }

    public float rate() {
        return rate;
    }

    /** The layer's Philox key. */
    public long seed() {
        return seed;
    }

    /** The counter base the next training call will use. */
    public long offset() {
        return offset;
    }

    /** Sets the counter base of the next training call, as a checkpoint saved it. Modified: this. */
    public void restoreOffset(long counterBase) {
        this.offset = counterBase;
    }

    @Override
    public String type() {
        return "Dropout";
    }

    @Override
    public String namePrefix() {
        return "dropout";
    }

    @Override
    protected int outputWidth(int in) {
        return in;
    }

    @Override
    protected void onBuild(long layerSeed) {
        this.seed = layerSeed;
    }

    /** The previous Dense applies this layer's mask in its forward launch. */
    void fuseInto() {
        fused = true;
    }

    /** The next Dense masks the gradient itself: backward passes dY through. */
    void passGradient() {
        passGradient = true;
    }

    /** Takes the counters of a training call over {@code n} elements: returns the offset, then advances it. */
    long claimCounters(long n) {
        lastOffset = offset;
        offset += Philox.blocks(n);
        return lastOffset;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        if (!training || fused) {
            return x;
        }
        Tensor out = output(x.shape().rows());
        lastOffset = offset;
        backend().dropoutForward(x, rate, seed, lastOffset, out);
        offset += Philox.blocks(x.shape().size());
        return out;
    }

    @Override
    public Tensor backward(Tensor dY, boolean inputGradient) {
        if (!inputGradient) {
            return null;
        }
        if (passGradient) {
            return dY;
        }
        Tensor out = inputGradient(dY.shape().rows());
        backend().dropoutBackward(dY, rate, seed, lastOffset, out);
        return out;
    }

}
