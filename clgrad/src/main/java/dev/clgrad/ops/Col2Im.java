package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * cols: (B·OH·OW, KH·KW·C) → dx: (B, H, W, C) NHWC, the adjoint of {@link Im2Col} (a convolution's
 * input gradient from {@code dCols = dZ·kernelᵀ}): each element of dx is the sum of the cols
 * entries that {@link Im2Col} copies it into,
 * {@code dx[b, ih, iw, c] = +0 + Σ cols[(b·OH + oh)·OW + ow, (kh·KW + kw)·C + c]} over the taps
 * (kh, kw) for which {@code oh = (ih + PT − kh·DH) / SH} and {@code ow = (iw + PL − kw·DW) / SW}
 * are whole and inside the output, added in float32 with kh, then kw, ascending (every backend in
 * this order, so all give the same bits); an element no window reads is +0. Computed as a gather,
 * each element of dx by one thread, no atomics. cols not modified; dx overwritten, and must not
 * alias cols.
 */
public record Col2Im(Tensor cols, Window window, Tensor dx) implements Op {
    @Override
    public String name() {
        return "col2im";
    }

    @Override
    public void validate() {
        Shapes.window(name(), "dx", dx, window, cols);
    }

    /** One addition per cols entry; cols read once, dx written once. */
    @Override
    public Cost cost() {
        return new Cost(cols.shape().size(), Cost.F * ((double) cols.shape().size() + dx.shape().size()));
    }

    @Override
    public List<Tensor> inputs() {
        return List.of(cols);
    }

    @Override
    public List<Tensor> outputs() {
        return List.of(dx);
    }

    @Override
    public Col2Im rebind(UnaryOperator<Tensor> f) {
        return new Col2Im(f.apply(cols), window, f.apply(dx));
    }

    @Override
    public String toString() {
        return "col2im " + window;
    }
}
