package dev.clgrad.nn;

import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.Op;
import dev.clgrad.ops.Philox;
import dev.clgrad.tensor.Tensor;

import java.util.Map;

/**
 * A layer that multiplies its input by a Philox keep mask in training and is the identity at
 * inference (x itself is returned, nothing runs): {@link Dropout} (one mask element per value) and
 * {@link SpatialDropout2D} (one per sample and channel). Forward and backward apply the same mask:
 * {@code y = keep ? x/(1 − rate) : 0}, {@code dX = keep ? dY/(1 − rate) : 0}.
 *
 * <p>Counters (docs/ARCHITECTURE.md, "Masks"): the layer's Philox key is its seed, derived from the
 * model seed; each training step uses the 64-bit counter base {@link #offset()} and then advances it
 * by {@code ceil(n/4)} blocks for a mask of n elements (four 32-bit words per Philox block), so no
 * two steps share a counter. Backward regenerates the mask from the same (seed, offset) instead of
 * storing it. The counter is saved in checkpoints ({@link #counters}).
 */
public abstract class RandomMaskLayer extends Layer {
    private final float rate;
    private final Counter offset = new Counter(0);
    private long seed;

    /** @param rate fraction dropped, in [0, 1); {@code type} names the layer in the error */
    protected RandomMaskLayer(String type, double rate) {
        if (!(rate >= 0 && rate < 1)) {
            throw new IllegalArgumentException(type + ": rate must be in [0, 1), got " + rate);
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

    /** The counter base the next training step will use. */
    public long offset() {
        return offset.get();
    }

    /** Sets the counter base of the next training step, as a checkpoint saved it. Modified: this. */
    public void restoreOffset(long counterBase) {
        offset.set(counterBase);
    }

    /** The rate as the shortest decimal that reads back as the same float (0.3, not 0.30000001192092896). */
    @Override
    public Map<String, Object> config() {
        return LayerTypes.entries("rate", Double.parseDouble(Float.toString(rate)));
    }

    @Override
    public Map<String, Counter> counters() {
        return Map.of("offset", offset);
    }

    @Override
    protected void onBuild(long layerSeed) {
        this.seed = layerSeed;
    }

    /** The op writing {@code out = in ⊙ mask}: in, out of this layer's shape (B, …). */
    protected abstract Op applyMask(Tensor in, Mask mask, Tensor out);

    /** n: the mask elements one call over x draws (B·… values, or B·C channels). */
    protected abstract long maskElements(Tensor x);

    private Mask mask() {
        return new Mask(rate, seed, offset);
    }

    @Override
    public Tensor forward(Lowering g, Tensor x) {
        if (!g.training()) {
            return x;
        }
        Tensor y = g.workspace(this, "y", outputShape());
        g.emit(this, applyMask(x, mask(), y));
        g.advanceAfterStep(offset, Philox.blocks(maskElements(x)));
        return y;
    }

    @Override
    public Tensor backward(Lowering g, Tensor dY) {
        if (!g.needsInputGradient(this)) {
            return null;
        }
        Tensor dX = g.workspace(this, "dX", inputShape());
        g.emit(this, applyMask(dY, mask(), dX));
        return dX;
    }
}
