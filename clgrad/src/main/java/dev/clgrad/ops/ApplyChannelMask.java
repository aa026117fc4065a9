package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Spatial (channel) dropout with the Philox {@link Mask}: x, y: (B, …, C), the same shape; one mask
 * element per (sample, channel), element {@code j = b·C + c} of a mask call over B·C elements
 * (DESIGN.md's convention: word {@code j % 4} of the block at counter {@code offset + j/4}), so
 * {@code y[b, …, c] = keep(b·C + c) ? x[b, …, c]·scale : +0}, every position of a channel kept or
 * dropped together (Tompson et al., CVPR 2015; Keras's {@code SpatialDropout2D}). The owner
 * advances the counter by {@code ceil(B·C/4)} per call. Forward and backward are this same
 * function (the backward regenerates the mask). y may be x.
 */
public record ApplyChannelMask(Tensor x, Mask mask, Tensor y) implements Op {
    @Override
    public String name() {
        return "spatialDropout";
    }

    @Override
    public void validate() {
        Shapes.same(name(), "x", x, "y", y);
        if (x.shape().rank() < 2) {
            throw new IllegalArgumentException(name() + ": x is " + x.shape() + "; expected (B, …, C)");
        }
    }

    /** The B·C mask elements a call draws: its counter advances by ceil(that / 4). */
    public long maskElements() {
        return (long) x.shape().rows() * x.shape().last();
    }

    @Override
    public Cost cost() {
        return Cost.elementwise(x.shape().size(), 1, 1, 1);
    }

    @Override
    public List<Tensor> inputs() {
        return List.of(x);
    }

    @Override
    public List<Tensor> outputs() {
        return List.of(y);
    }

    @Override
    public ApplyChannelMask rebind(UnaryOperator<Tensor> f) {
        return new ApplyChannelMask(f.apply(x), mask, f.apply(y));
    }
}
