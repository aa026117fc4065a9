package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Gaussian dropout with {@link GaussianNoise}: x, y: the same shape (n elements),
 * {@code y[i] = x[i]·(1 + σ·z(i))}. Forward and backward are this same function (dX = dY times the
 * same factors, regenerated from the same counters). y may be x.
 */
public record ApplyGaussianNoise(Tensor x, GaussianNoise noise, Tensor y) implements Op {
    @Override
    public String name() {
        return "gaussianDropout";
    }

    @Override
    public void validate() {
        Shapes.same(name(), "x", x, "y", y);
    }

    /** Box–Muller with the polynomial log, sqrt and sine/cosine: about 40 flops an element. */
    @Override
    public Cost cost() {
        return Cost.elementwise(x.shape().size(), 1, 1, 40);
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
    public ApplyGaussianNoise rebind(UnaryOperator<Tensor> f) {
        return new ApplyGaussianNoise(f.apply(x), noise, f.apply(y));
    }
}
