package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * 2-D pooling over NHWC images: x: (B, H, W, C) → y: (B, OH, OW, C) with the {@link Window}
 * (H, W) → (OH, OW) (window KH×KW, strides, Keras padding; no dilation), each channel on its own:
 * {@code y[b, oh, ow, c]} is the {@link Pooling} (max, or average with padding excluded from the
 * count) of {@code x[b, ih, iw, c]} over the window's taps inside the input,
 * {@code ih = oh·SH − PT + kh}, {@code iw = ow·SW − PL + kw}. Max: the first maximum in scan order
 * (kh, then kw); a NaN tap makes the output NaN ({@link Pooling#takesMax}). Average: the taps
 * summed in float32 in scan order from the first one, then divided by their count. x not
 * modified; y must not alias x.
 */
public record Pool(Pooling kind, Window window, Tensor x, Tensor y) implements Op {
    @Override
    public String name() {
        return kind.prefix() + "PoolForward";
    }

    @Override
    public void validate() {
        Shapes.pooled(name(), window, "x", x, "y", y);
        if (y.sharesStorageWith(x)) {
            throw new IllegalArgumentException(name() + ": y " + y.name() + " must not alias x " + x.name());
        }
    }

    @Override
    public Cost cost() {
        return new Cost((double) y.shape().size() * window.taps(), Cost.F * (x.shape().size() + y.shape().size()));
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
    public Pool rebind(UnaryOperator<Tensor> f) {
        return new Pool(kind, window, f.apply(x), f.apply(y));
    }

    @Override
    public String toString() {
        return name() + " " + window;
    }
}
