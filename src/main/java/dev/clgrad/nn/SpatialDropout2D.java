package dev.clgrad.nn;

import dev.clgrad.ops.ApplyChannelMask;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.Philox;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.Map;

/**
 * Keras's {@code SpatialDropout2D(rate)} (Tompson et al., CVPR 2015): in training, per-sample
 * x: (H, W, C) → y of the same shape with whole channels dropped per sample,
 * {@code y[b, h, w, c] = keep(b, c) ? x/(1 − rate) : 0}; at inference the identity (x itself is
 * returned, nothing runs). Adjacent pixels of a feature map are strongly correlated, so dropping
 * pixels one by one barely regularises a convolutional layer; dropping the map does.
 *
 * <p>Counters (docs/ARCHITECTURE.md, "Masks"): one Philox mask element per (sample, channel),
 * element {@code j = b·C + c} of a mask call over B·C elements with Dropout's keep rule, threshold
 * and scale ({@link ApplyChannelMask}); each training step uses the 64-bit counter base
 * {@link #offset()} and then advances it by {@code ceil(B·C/4)} blocks. Backward regenerates the
 * mask from the same (seed, offset).
 */
public final class SpatialDropout2D extends Layer {
    private final float rate;
    private final Counter offset = new Counter(0);
    private long seed;

    /** @param rate fraction of channels dropped, in [0, 1) */
    public SpatialDropout2D(double rate) {
        if (!(rate >= 0 && rate < 1)) {
            throw new IllegalArgumentException("SpatialDropout2D: rate must be in [0, 1), got " + rate);
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

    @Override
    public String type() {
        return "SpatialDropout2D";
    }

    @Override
    public String namePrefix() {
        return "spatial_dropout2d";
    }

    @Override
    public String configType() {
        return "spatial_dropout2d";
    }

    /** The rate as the shortest decimal that reads back as the same float. */
    @Override
    public Map<String, Object> config() {
        return LayerTypes.entries("rate", Double.parseDouble(Float.toString(rate)));
    }

    @Override
    public Map<String, Counter> counters() {
        return Map.of("offset", offset);
    }

    /** {@code {"type": "spatial_dropout2d", "rate": R}}; R in [0, 1). */
    static SpatialDropout2D fromConfig(LayerConfig c) {
        return new SpatialDropout2D(c.number("rate", 0, 1, true));
    }

    @Override
    protected Shape outputShape(Shape in) {
        Pooling2D.requireImage(this, in);
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
        ApplyChannelMask op = new ApplyChannelMask(x, mask(), y);
        g.emit(this, op);
        g.advanceAfterStep(offset, Philox.blocks(op.maskElements()));
        return y;
    }

    @Override
    public Tensor backward(Lowering g, Tensor dY) {
        if (!g.needsInputGradient(this)) {
            return null;
        }
        Tensor dX = g.workspace(this, "dX", inputShape());
        g.emit(this, new ApplyChannelMask(dY, mask(), dX));
        return dX;
    }
}
