package dev.clgrad.backend;

/**
 * What an op declares for profiling: floating-point operations and bytes moved, counting each
 * input read once and each output written once (the DESIGN convention for GB/s).
 */
public record OpCost(double flops, double bytes) {
    private static final double F = Float.BYTES;

    /** {@code C = alpha·op(A)·op(B) + beta·C}: 2·M·N·K FLOPs; A, B read, C written (and read when beta != 0). */
    public static OpCost gemm(GemmShape s, float beta) {
        double mn = (double) s.m() * s.n();
        return new OpCost(s.flops(), F * ((double) s.m() * s.k() + (double) s.k() * s.n() + mn * (beta == 0 ? 1 : 2)));
    }

    /** An element-wise op over {@code n} elements with {@code reads} inputs and {@code writes} outputs of size n. */
    public static OpCost elementwise(long n, int reads, int writes, int flopsPerElement) {
        return new OpCost((double) n * flopsPerElement, F * n * (reads + writes));
    }

    /** Bias add over (rows, cols): x and bias read, y written. */
    public static OpCost bias(long rows, long cols) {
        return new OpCost((double) rows * cols, F * (2.0 * rows * cols + cols));
    }

    /** Adam/AdamW over n parameters: p, g, m, v read; p, m, v written. */
    public static OpCost adam(long n) {
        return new OpCost(14.0 * n, F * 7.0 * n);
    }

    /** SGD over n parameters: p, g (and velocity) read; p (and velocity) written. */
    public static OpCost sgd(long n, boolean momentum) {
        return new OpCost(4.0 * n, F * n * (momentum ? 5 : 3));
    }

    /** A reduction of n elements into {@code outputs} values. */
    public static OpCost reduce(long n, long outputs) {
        return new OpCost(n, F * (n + outputs));
    }

    /** A row-wise loss over (rows, cols) logits or predictions with {@code targets} target values. */
    public static OpCost loss(long rows, long cols, long targets, boolean gradient) {
        double n = (double) rows * cols;
        return new OpCost(5 * n, F * (n + targets + (gradient ? n : 1)));
    }
}
