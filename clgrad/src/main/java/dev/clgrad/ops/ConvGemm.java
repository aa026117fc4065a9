package dev.clgrad.ops;

import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A convolution as one implicit GEMM: x: (B, H, W, C) NHWC, kernel: (KH·KW·C, F) (a Conv2D kernel
 * (KH, KW, C, F) read as a matrix) → {@code c = epilogue(cols·kernel)}: (B·OH·OW, F), where cols is
 * the matrix of {@link Im2Col} ({@code cols[(b·OH + oh)·OW + ow, (kh·KW + kw)·C + ch] = x[b, ih, iw,
 * ch]}, +0 in the padding) but is never stored: each backend reads the A operand straight from x with
 * the window's index arithmetic. The {@link Epilogue} is a forward one (bias, activation, dropout
 * mask, kept pre-activation z), applied per element as {@link MatMul}'s. {@link #decompose} is the
 * reference: {@code Im2Col} into a cols matrix, then that MatMul. The planner puts this op in place of
 * an Im2Col and its MatMul where the backend measured it faster ({@code Backend.implicitConv}).
 * x, kernel (and the epilogue's inputs) not modified; c (and z) overwritten, not aliasing x or kernel.
 */
public record ConvGemm(Tensor x, Window window, Tensor kernel, Tensor c, Epilogue epilogue) implements Op {

    public ConvGemm {
        if (epilogue == null) {
            epilogue = Epilogue.NONE;
        }
    }

    /** The GEMM's sizes: M = B·OH·OW, N = F, K = KH·KW·C. */
    public GemmShape shape() {
        Shape s = x.shape();
        return new GemmShape(s.dim(0) * window.oh() * window.ow(), kernel.shape().dim(1), window.taps() * s.dim(3));
    }

    /** The Im2Col and MatMul this op fuses, the Im2Col writing {@code cols}: (B·OH·OW, KH·KW·C). */
    public List<Op> decompose(Tensor cols) {
        return List.of(new Im2Col(x, window, cols), new MatMul(false, false, 1f, cols, kernel, 0f, c, epilogue));
    }

    @Override
    public String name() {
        return "convgemm";
    }

    @Override
    public void validate() {
        Shape s = x.shape();
        if (s.rank() != 4 || s.dim(1) != window.h() || s.dim(2) != window.w()) {
            throw new IllegalArgumentException(name() + ": x is " + s + "; expected (B, " + window.h() + ", "
                    + window.w() + ", C) for the " + window);
        }
        long k = (long) window.taps() * s.dim(3);
        Shape w = kernel.shape();
        if (w.rank() != 2 || w.dim(0) != k) {
            throw new IllegalArgumentException(name() + ": kernel is " + w + " but x is " + s
                    + "; expected (KH·KW·C, F) with KH·KW·C = " + k + " for the " + window);
        }
        long m = (long) s.dim(0) * window.oh() * window.ow();
        Shape cs = c.shape();
        if (cs.rank() != 2 || cs.dim(0) != m || cs.dim(1) != w.dim(1)) {
            throw new IllegalArgumentException(name() + ": c is " + cs + "; expected (B·OH·OW, F) = (" + m + ", "
                    + w.dim(1) + ")");
        }
        if (epilogue.isGate()) {
            throw new IllegalArgumentException(name() + ": the epilogue must be a forward one, got " + epilogue);
        }
        epilogue.validate(c, 0f);
        for (Tensor out : outputs()) {
            if (out.sharesStorageWith(x) || out.sharesStorageWith(kernel)) {
                throw new IllegalArgumentException(name() + ": " + out.name() + " must not alias x or kernel");
            }
        }
    }

    /** The GEMM's FLOPs; x, the kernel, the bias read once, c (and z) written once. */
    @Override
    public Cost cost() {
        GemmShape g = shape();
        double bytes = Cost.F * ((double) x.shape().size() + kernel.shape().size() + (double) g.m() * g.n());
        if (epilogue.bias() != null) {
            bytes += Cost.F * g.n();
        }
        if (epilogue.z() != null) {
            bytes += Cost.F * (double) g.m() * g.n();
        }
        return new Cost(g.flops(), bytes);
    }

    @Override
    public List<Tensor> inputs() {
        List<Tensor> in = new ArrayList<>(List.of(x, kernel));
        if (epilogue.bias() != null) {
            in.add(epilogue.bias());
        }
        return in;
    }

    @Override
    public List<Tensor> outputs() {
        return epilogue.z() == null ? List.of(c) : List.of(c, epilogue.z());
    }

    @Override
    public ConvGemm rebind(UnaryOperator<Tensor> f) {
        return new ConvGemm(f.apply(x), window, f.apply(kernel), f.apply(c), epilogue.rebind(f));
    }

    @Override
    public String toString() {
        return "convgemm " + window + (epilogue.isNone() ? "" : " [" + epilogue + "]");
    }
}
