package dev.clgrad.nn;

import dev.clgrad.ops.ApplyChannelMask;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Op;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

/**
 * Keras's {@code SpatialDropout2D(rate)} (Tompson et al., CVPR 2015): in training, per-sample
 * x: (H, W, C) → y of the same shape with whole channels dropped per sample,
 * {@code y[b, h, w, c] = keep(b, c) ? x/(1 − rate) : 0}; at inference the identity. Adjacent
 * pixels of a feature map are strongly correlated, so dropping pixels one by one barely
 * regularises a convolutional layer; dropping the map does.
 *
 * <p>Counters (docs/ARCHITECTURE.md, "Masks"): one Philox mask element per (sample, channel),
 * element {@code j = b·C + c} of a mask call over B·C elements with Dropout's keep rule, threshold
 * and scale ({@link ApplyChannelMask}); the counter base advances by {@code ceil(B·C/4)} blocks a
 * step, as {@link RandomMaskLayer} says.
 */
public final class SpatialDropout2D extends RandomMaskLayer {

    /** @param rate fraction of channels dropped, in [0, 1) */
    public SpatialDropout2D(double rate) {
        super("SpatialDropout2D", rate);
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
    protected Op apply(Tensor in, Counter counter, boolean gradient, Tensor out) {
        return new ApplyChannelMask(in, mask(counter), out);
    }

    @Override
    protected long drawsPerRow() {
        return inputShape().last();
    }
}
