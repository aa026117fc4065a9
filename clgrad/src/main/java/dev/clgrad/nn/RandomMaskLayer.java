package dev.clgrad.nn;

import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.Op;
import dev.clgrad.tensor.Tensor;

import java.util.Map;

/**
 * A layer that multiplies its input by Philox noise in training (and in Monte-Carlo prediction) and
 * is the identity at inference (x itself is returned, nothing runs): {@link Dropout} (one mask
 * element per value), {@link SpatialDropout2D} (one per sample and channel), {@link GaussianDropout}
 * (a normal factor per value) and {@link AlphaDropout} (dropout's mask, then an affine correction).
 * Forward and backward apply the same draws, e.g. for dropout {@code y = keep ? x/(1 − rate) : 0},
 * {@code dX = keep ? dY/(1 − rate) : 0}.
 *
 * <p>Counters (docs/ARCHITECTURE.md, "Masks"): the layer's Philox key is its seed, derived from the
 * model seed; each training step uses the 64-bit counter base {@link #offset()} and then advances it
 * by {@link #blocks} (for dropout {@code ceil(n/4)} blocks for a mask of n elements, four 32-bit
 * words per Philox block), so no two steps share a counter. Backward regenerates the mask from the
 * same (seed, offset) instead of storing it. The counter is saved in checkpoints ({@link #counters}).
 *
 * <p>Data parallel: a replica holding rows [r0, r0 + B) of a global batch of G rows draws from
 * {@code offset + r0·d/k} ({@link Lowering#rowStart}; d draws per row, k per block), so its draws
 * are those of the global rows, and advances by the global {@code ceil(G·d/k)}; a split starts
 * only at rows where {@code r0·d} is a multiple of k ({@link #rowAlignment}).
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

    /**
     * The op writing {@code out = in ⊙ mask} (the forward, or with {@code gradient} the backward)
     * for this layer's draws at {@code counter}: in, out of this layer's shape (B, …).
     */
    protected abstract Op apply(Tensor in, Counter counter, boolean gradient, Tensor out);

    /** d: the mask draws per sample (built): its values for dropout, its channels for spatial dropout. */
    protected abstract long drawsPerRow();

    /** k: draws per Philox block: 4 (one per 32-bit word) by default. */
    protected int drawsPerBlock() {
        return 4;
    }

    /** How far one call over {@code rows} rows advances the counter: {@code ceil(rows·d/k)} blocks. */
    private long blocks(long rows) {
        long n = rows * drawsPerRow();
        return n / drawsPerBlock() + (n % drawsPerBlock() == 0 ? 0 : 1);
    }

    /** {@code k / gcd(d, k)}: the first row whose draws start a whole block, and every multiple of it. */
    @Override
    public int rowAlignment() {
        int k = drawsPerBlock();
        return k / (int) gcd(drawsPerRow() % k, k);
    }

    private static long gcd(long a, long b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    /** {@code counter}, moved to where this program's rows start in the global batch's draws. */
    private Counter rowCounter(Lowering g, Counter counter) {
        if (g.rowStart() == 0) {
            return counter;
        }
        long draws = (long) g.rowStart() * drawsPerRow();
        if (draws % drawsPerBlock() != 0) {
            throw new IllegalStateException(name() + ": rows from " + g.rowStart() + " start at draw " + draws
                    + ", inside a Philox block of " + drawsPerBlock() + "; split batches at multiples of "
                    + rowAlignment() + " rows");
        }
        return g.shifted(counter, draws / drawsPerBlock());
    }

    /** The layer's keep mask at {@code counter} (dropout's rule, threshold and scale). */
    protected final Mask mask(Counter counter) {
        return new Mask(rate, seed, counter);
    }

    /**
     * Training and Monte-Carlo prediction draw ({@link Lowering#drawsMasks}), at the counter the
     * lowering names for this layer's ({@link Lowering#maskCounter}); otherwise x itself.
     */
    @Override
    public Tensor forward(Lowering g, Tensor x) {
        if (!g.drawsMasks()) {
            return x;
        }
        Counter counter = g.maskCounter(offset);
        Tensor y = g.workspace(this, "y", outputShape());
        g.emit(this, apply(x, rowCounter(g, counter), false, y));
        g.advanceAfterStep(counter, blocks(g.globalRows()));
        return y;
    }

    /** The identity: inference draws no mask. */
    @Override
    public String exportOnnx(OnnxGraph g, String x) {
        return x;
    }

    @Override
    public Tensor backward(Lowering g, Tensor dY) {
        if (!g.needsInputGradient(this)) {
            return null;
        }
        Tensor dX = g.workspace(this, "dX", inputShape());
        g.emit(this, apply(dY, rowCounter(g, offset), true, dX));
        return dX;
    }
}
