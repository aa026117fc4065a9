package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Alpha dropout (Klambauer et al., "Self-Normalizing Neural Networks", NeurIPS 2017; Keras's
 * {@code AlphaDropout}) with the Philox keep {@link Mask} of dropout (element i → mask element i):
 * x, y: the same shape (n elements).
 * <pre>
 *   forward:   y[i] = keep(i) ? a·x[i] + b : a·α' + b
 *   gradient:  y[i] = keep(i) ? a·x[i] + 0 : 0        (x is dY, y is dX)
 * </pre>
 * with {@code α' = −λα = −1.7580993408473766} (SELU's negative saturation),
 * {@code a = ((1 − p)(1 + p·α'²))^−1/2} and {@code b = −a·α'·p}, so a zero-mean unit-variance input
 * keeps its mean and variance. a, b and {@code a·α' + b} are computed in float64 on the host and
 * rounded once; a backend computes {@code a·x + b} as two roundings (no fused multiply-add). The
 * mask's own scale {@code 1/(1 − p)} is not used. y may be x.
 */
public record ApplyAlphaMask(Tensor x, Mask mask, boolean gradient, Tensor y) implements Op {
    /** α' = −λα of SELU. */
    public static final double ALPHA_PRIME = -1.7580993408473766;

    @Override
    public String name() {
        return gradient ? "alphaDropoutBackward" : "alphaDropout";
    }

    @Override
    public void validate() {
        Shapes.same(name(), "x", x, "y", y);
    }

    /** {@code a = ((1 − p)(1 + p·α'²))^−1/2}, rounded to float. */
    public float a() {
        return (float) aExact(mask.rate());
    }

    /** {@code b = −a·α'·p} in float64, rounded to float; 0 for the gradient. */
    public float b() {
        double p = mask.rate();
        return gradient ? 0f : (float) (-aExact(p) * ALPHA_PRIME * p);
    }

    /** What a dropped element becomes: {@code a·α' + b} in float64, rounded to float; 0 for the gradient. */
    public float dropped() {
        double p = mask.rate();
        return gradient ? 0f : (float) (aExact(p) * ALPHA_PRIME * (1 - p));
    }

    private static double aExact(double p) {
        return 1.0 / Math.sqrt((1 - p) * (1 + p * ALPHA_PRIME * ALPHA_PRIME));
    }

    @Override
    public Cost cost() {
        return Cost.elementwise(x.shape().size(), 1, 1, 2);
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
    public ApplyAlphaMask rebind(UnaryOperator<Tensor> f) {
        return new ApplyAlphaMask(f.apply(x), mask, gradient, f.apply(y));
    }
}
