package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

/**
 * The sizes of {@code C = alpha·op(A)·op(B) + beta·C}, row-major: op(A) is (M, K), op(B) is (K, N),
 * C is (M, N). A is stored (M, K), or (K, M) when transposed; B is (K, N), or (N, K) when transposed.
 */
public record GemmShape(int m, int n, int k) {

    /** Validates the operands of a GEMM and derives M, N, K from them. */
    public static GemmShape of(boolean transA, boolean transB, Tensor a, Tensor b, Tensor c) {
        requireMatrix("a", a);
        requireMatrix("b", b);
        requireMatrix("c", c);
        int m = transA ? a.shape().dim(1) : a.shape().dim(0);
        int ka = transA ? a.shape().dim(0) : a.shape().dim(1);
        int kb = transB ? b.shape().dim(1) : b.shape().dim(0);
        int n = transB ? b.shape().dim(0) : b.shape().dim(1);
        if (ka != kb) {
            throw new IllegalArgumentException("gemm: inner dimensions differ: op(a) is (" + m + ", " + ka
                    + "), op(b) is (" + kb + ", " + n + "); a is " + a.shape() + (transA ? " transposed" : "")
                    + ", b is " + b.shape() + (transB ? " transposed" : "") + "; expected op(a).cols == op(b).rows");
        }
        if (c.shape().dim(0) != m || c.shape().dim(1) != n) {
            throw new IllegalArgumentException("gemm: c is " + c.shape() + ", expected (" + m + ", " + n + ")");
        }
        if (m < 1 || n < 1 || ka < 1) {
            throw new IllegalArgumentException("gemm: M, N, K must be >= 1, got M=" + m + " N=" + n + " K=" + ka);
        }
        if (c.sharesStorageWith(a) || c.sharesStorageWith(b)) {
            throw new IllegalArgumentException("gemm: c must not alias a or b");
        }
        return new GemmShape(m, n, ka);
    }

    private static void requireMatrix(String what, Tensor t) {
        if (t.shape().rank() != 2) {
            throw new IllegalArgumentException("gemm: " + what + " must be a matrix, got shape " + t.shape());
        }
    }

    /** Floating-point operations of the product: 2·M·N·K. */
    public double flops() {
        return 2.0 * m * n * k;
    }
}
