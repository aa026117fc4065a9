package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * x: (B, H, W, C) NHWC → cols: (B·OH·OW, KH·KW·C), the sliding windows of {@link Window} laid out
 * as rows: {@code cols[(b·OH + oh)·OW + ow, (kh·KW + kw)·C + c] = x[b, ih, iw, c]} with
 * {@code ih = oh·SH − PT + kh·DH}, {@code iw = ow·SW − PL + kw·DW}, and +0 where (ih, iw) lies in
 * the padding. With a Conv2D kernel (KH, KW, C, F) read as the matrix (KH·KW·C, F), the convolution
 * is {@code MatMul(cols, kernel)}, whose product (B·OH·OW, F) is already the NHWC output.
 * x not modified; cols overwritten, and must not alias x. {@link Col2Im} is its adjoint.
 */
public record Im2Col(Tensor x, Window window, Tensor cols) implements Op {
    @Override
    public String name() {
        return "im2col";
    }

    @Override
    public void validate() {
        Shapes.window(name(), "x", x, window, cols);
    }

    /** A copy: no FLOPs; x read once, cols written once. */
    @Override
    public Cost cost() {
        return new Cost(0, Cost.F * ((double) x.shape().size() + cols.shape().size()));
    }

    @Override
    public List<Tensor> inputs() {
        return List.of(x);
    }

    @Override
    public List<Tensor> outputs() {
        return List.of(cols);
    }

    @Override
    public Im2Col rebind(UnaryOperator<Tensor> f) {
        return new Im2Col(f.apply(x), window, f.apply(cols));
    }

    @Override
    public String toString() {
        return "im2col " + window;
    }
}
