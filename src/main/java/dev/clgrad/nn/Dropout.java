package dev.clgrad.nn;

import dev.clgrad.ops.ApplyMask;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.Philox;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.Map;

/**
 * Inverted dropout, Keras's {@code Dropout(rate)}: in training, x: (B, …) → {@code y = keep ? x/(1-p) : 0}
 * with the Philox mask of DESIGN.md ({@link ApplyMask}); at inference the identity (x itself is
 * returned, nothing runs).
 *
 * <p>Counters: the layer's seed is derived from the model seed; each training step uses the
 * 64-bit counter base {@link #offset()} and then advances it by {@code ceil(n/4)} blocks (n = B·…
 * elements, four 32-bit words per Philox block), so no two steps share a counter. Backward
 * regenerates the mask from the same (seed, offset) instead of storing it.
 */
public final class Dropout extends Layer {
    private final float rate;
    private final Counter offset = new Counter(0);
    private long seed;

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

    /** The counter base the next training step will use. */
    public long offset() {
        return offset.get();
    }

    /** Sets the counter base of the next training step, as a checkpoint saved it. Modified: this. */
    public void restoreOffset(long counterBase) {
        offset.set(counterBase);
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
    public String configType() {
        return "dropout";
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

    /** {@code {"type": "dropout", "rate": R}}; R in [0, 1). */
    static Dropout fromConfig(LayerConfig c) {
        return new Dropout(c.number("rate", 0, 1, true));
    }

    @Override
    protected Shape outputShape(Shape in) {
        return in;
    }

    @Override
    protected void onBuild(long layerSeed) {
        this.seed = layerSeed;
    }

    private Mask mask() {
        return new Mask(rate, seed, offset);
    }

    @Override
    public Tensor forward(Lowering g, Tensor x) {
        if (!g.training()) {
            return x;
        }
        Tensor y = g.workspace(this, "y", outputShape());
        g.emit(this, new ApplyMask(x, mask(), y));
        g.advanceAfterStep(offset, Philox.blocks(x.shape().size()));
        return y;
    }

    @Override
    public Tensor backward(Lowering g, Tensor dY) {
        if (!g.needsInputGradient(this)) {
            return null;
        }
        Tensor dX = g.workspace(this, "dX", inputShape());
        g.emit(this, new ApplyMask(dY, mask(), dX));
        return dX;
    }
}
