package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * {@code C = epilogue(alpha·op(A)·op(B) + beta·C)}, row-major, float32 accumulation: op(A): (M, K),
 * op(B): (K, N), C: (M, N); A is stored (M, K), or (K, M) when transposed; B (K, N), or (N, K).
 * Any M, N, K >= 1. C must not alias A or B; with {@code beta == 0} C's old contents are ignored
 * (NaN included). The {@link Epilogue} (bias, activation, dropout mask, or a gradient gate) is
 * applied per element before the store; {@link #decompose} is its reference and the fallback of a
 * backend without the fused kernel.
 */
public record MatMul(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c,
                     Epilogue epilogue) implements Op {

    public MatMul {
        if (epilogue == null) {
            epilogue = Epilogue.NONE;
        }
    }

    /** {@code C = alpha·op(A)·op(B) + beta·C}. */
    public static MatMul of(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        return new MatMul(transA, transB, alpha, a, b, beta, c, Epilogue.NONE);
    }

    /** The sizes M, N, K, checking the operands. */
    public GemmShape shape() {
        return GemmShape.of(transA, transB, a, b, c);
    }

    /** This product with another epilogue. */
    public MatMul withEpilogue(Epilogue e) {
        return new MatMul(transA, transB, alpha, a, b, beta, c, e);
    }

    /** This product with its output scaled by {@code factor} (alpha·factor). */
    public MatMul scaled(float factor) {
        return new MatMul(transA, transB, alpha * factor, a, b, beta, c, epilogue);
    }

    @Override
    public String name() {
        return "matmul";
    }

    @Override
    public void validate() {
        shape();
        epilogue.validate(c, beta);
        Tensor z = epilogue.z();
        if (z != null && (z.sharesStorageWith(a) || z.sharesStorageWith(b))) {
            throw new IllegalArgumentException("matmul: the kept pre-activation z (" + z.name() + ") must not alias a or b");
        }
    }

    @Override
    public Cost cost() {
        GemmShape s = shape();
        double mn = (double) s.m() * s.n();
        double bytes = Cost.F * ((double) s.m() * s.k() + (double) s.k() * s.n() + mn * (beta == 0 ? 1 : 2));
        if (epilogue.bias() != null) {
            bytes += Cost.F * s.n();
        }
        if (epilogue.gate() != null || epilogue.z() != null) {
            bytes += Cost.F * mn;
        }
        return new Cost(s.flops(), bytes);
    }

    @Override
    public List<Tensor> inputs() {
        List<Tensor> in = new ArrayList<>(List.of(a, b));
        if (beta != 0f) {
            in.add(c);
        }
        if (epilogue.bias() != null) {
            in.add(epilogue.bias());
        }
        if (epilogue.gate() != null) {
            in.add(epilogue.gate());
        }
        return in;
    }

    @Override
    public List<Tensor> outputs() {
        return epilogue.z() == null ? List.of(c) : List.of(c, epilogue.z());
    }

    @Override
    public MatMul rebind(UnaryOperator<Tensor> f) {
        return new MatMul(transA, transB, alpha, f.apply(a), f.apply(b), beta, f.apply(c), epilogue.rebind(f));
    }

    /**
     * The unfused ops that compute the same function: the plain product, then {@link BiasAct} or
     * {@link Act} and {@link ApplyMask} on C in place, or {@link ActBackward} for a gate; with a
     * kept z, the product into z, the bias on z in place, then {@code C = activation(z)} and the mask.
     */
    public List<Op> decompose() {
        List<Op> ops = new ArrayList<>();
        Tensor z = epilogue.z();
        if (z != null) {
            ops.add(MatMul.of(transA, transB, alpha, a, b, 0f, z));
            if (epilogue.bias() != null) {
                ops.add(new BiasAct(z, epilogue.bias(), Activation.LINEAR, z));
            }
            ops.add(new Act(epilogue.activation(), z, c));
            if (epilogue.mask() != null) {
                ops.add(new ApplyMask(c, epilogue.mask(), c));
            }
            return ops;
        }
        ops.add(MatMul.of(transA, transB, alpha, a, b, beta, c));
        if (epilogue.isGate()) {
            ops.add(new ActBackward(epilogue.activation(), epilogue.gate(), c, c));
            return ops;
        }
        if (epilogue.bias() != null) {
            ops.add(new BiasAct(c, epilogue.bias(), epilogue.activation(), c));
        } else if (epilogue.activation() != Activation.LINEAR) {
            ops.add(new Act(epilogue.activation(), c, c));
        }
        if (epilogue.mask() != null) {
            ops.add(new ApplyMask(c, epilogue.mask(), c));
        }
        return ops;
    }

    /**
     * The float64 reference of the plain product: {@code C = alpha·op(A)·op(B) + beta·C}, row-major,
     * op(A): (M, K), op(B): (K, N); with beta 0, C is ignored (may be null). Not modified: a, b, c.
     */
    public static double[] reference(boolean transA, boolean transB, int m, int n, int k, double alpha, double[] a,
                                     double[] b, double beta, double[] c) {
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int q = 0; q < k; q++) {
                    s += (transA ? a[q * m + i] : a[i * k + q]) * (transB ? b[j * k + q] : b[q * n + j]);
                }
                out[i * n + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * n + j]);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "matmul " + (transA ? "T" : "N") + (transB ? "T" : "N") + (alpha != 1f ? " alpha=" + alpha : "")
                + (beta != 0f ? " beta=" + beta : "") + (epilogue.isNone() ? "" : " [" + epilogue + "]");
    }
}
