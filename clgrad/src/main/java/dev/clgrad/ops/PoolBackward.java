package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The backward of {@link Pool}: dY: (B, OH, OW, C) → dX: (B, H, W, C), as a gather per element of
 * dX (so overlapping windows need no atomics and the sums have a fixed order):
 * {@code dX[b, ih, iw, c] = Σ dY[b, oh, ow, c]·share} over the windows (oh, ow) that hold the tap
 * (ih, iw), oh then ow ascending, summed in float32 from +0. Max: share is 1 where (ih, iw) is the
 * window's maximum, regenerated from x (the first maximum in scan order, the first NaN in a window
 * holding one; {@link Pooling#takesMax}), else 0: each output's gradient goes to one tap. Average:
 * {@code dY/count} for each window, count its taps inside the input. An element no window routes
 * to is +0.
 *
 * @param x the forward's input (B, H, W, C), read by max pooling; null for average pooling, which
 *          needs no x
 */
public record PoolBackward(Pooling kind, Window window, Tensor x, Tensor dY, Tensor dX) implements Op {
    @Override
    public String name() {
        return kind.prefix() + "PoolBackward";
    }

    @Override
    public void validate() {
        Shapes.pooled(name(), window, "dX", dX, "dY", dY);
        if (kind == Pooling.MAX) {
            Shapes.required(name(), "x (the forward's input, whose maxima route the gradient)", x);
            Shapes.same(name(), "x", x, "dX", dX);
        } else if (x != null) {
            throw new IllegalArgumentException(name() + ": average pooling's backward reads no x; got " + x.name()
                    + " " + x.shape());
        }
        for (Tensor in : inputs()) {
            if (dX.sharesStorageWith(in)) {
                throw new IllegalArgumentException(name() + ": dX " + dX.name() + " must not alias " + in.name());
            }
        }
    }

    /** Max: each tap of a window rescans the window for its maximum. */
    @Override
    public Cost cost() {
        double taps = window.taps();
        double flops = dY.shape().size() * taps * (kind == Pooling.MAX ? taps : 1);
        return new Cost(flops, Cost.F * (dY.shape().size() + dX.shape().size() * (kind == Pooling.MAX ? 2 : 1)));
    }

    @Override
    public List<Tensor> inputs() {
        return Shapes.list(x, dY);
    }

    @Override
    public List<Tensor> outputs() {
        return List.of(dX);
    }

    @Override
    public PoolBackward rebind(UnaryOperator<Tensor> f) {
        return new PoolBackward(kind, window, Op.map(f, x), f.apply(dY), f.apply(dX));
    }

    @Override
    public String toString() {
        return name() + " " + window;
    }
}
