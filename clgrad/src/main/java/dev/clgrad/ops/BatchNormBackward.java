package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The backward of training-mode batch normalisation ({@link BatchNormStats} then a linear
 * {@link BatchNormApply}), one launch: x, dY: (…, C) seen as (N, C); mean, variance (the batch's),
 * gamma: (C) → with {@code inv = 1 / sqrt(variance + epsilon)} and {@code x̂ = (x − mean)·inv}:
 * {@code dBeta[c] = Σ_n dY[n, c]}, {@code dGamma[c] = Σ_n dY[n, c]·x̂[n, c]} and
 * {@code dX = gamma·inv·(dY − dBeta/N − x̂·dGamma/N)}: the gradient through the batch statistics
 * too (Ioffe and Szegedy, ICML 2015). gamma null means 1 (no scale). Java sums in double in row
 * order, OpenCL in float32 over a fixed work-group tree. Inputs not modified; dX, dGamma, dBeta
 * modified; each may be null when not wanted (dGamma only with a gamma), but not all three.
 */
public record BatchNormBackward(Tensor x, Tensor dY, Tensor mean, Tensor variance, Tensor gamma, float epsilon,
                                Tensor dX, Tensor dGamma, Tensor dBeta) implements Op {
    @Override
    public String name() {
        return "batchNormBackward";
    }

    /** epsilon > 0 and finite, so that a zero variance still divides. */
    static void checkEpsilon(String op, float epsilon) {
        if (!(epsilon > 0f && epsilon < Float.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException(op + ": epsilon must be positive and finite, got " + epsilon);
        }
    }

    @Override
    public void validate() {
        Shapes.same(name(), "x", x, "dY", dY);
        if (dX != null) {
            Shapes.same(name(), "x", x, "dX", dX);
        }
        Shapes.channels(name(), x, mean, variance, gamma, dGamma, dBeta);
        checkEpsilon(name(), epsilon);
        if (dX == null && dGamma == null && dBeta == null) {
            throw new IllegalArgumentException(name() + ": nothing to compute: dX, dGamma and dBeta are all null");
        }
        if (dGamma != null && gamma == null) {
            throw new IllegalArgumentException(name() + ": dGamma " + dGamma.name() + " asked for without a gamma");
        }
        for (Tensor out : outputs()) {
            Shapes.noAlias(name(), out, x, dY, mean, variance, gamma);
        }
        Shapes.noAlias(name(), dGamma, dX, dBeta);
        Shapes.noAlias(name(), dBeta, dX);
    }

    @Override
    public Cost cost() {
        long n = x.shape().size();
        return new Cost(10.0 * n, Cost.F * ((dX == null ? 2.0 : 3.0) * n + 5.0 * x.shape().last()));
    }

    @Override
    public List<Tensor> inputs() {
        return Shapes.list(x, dY, mean, variance, gamma);
    }

    @Override
    public List<Tensor> outputs() {
        return Shapes.list(dX, dGamma, dBeta);
    }

    @Override
    public BatchNormBackward rebind(UnaryOperator<Tensor> f) {
        return new BatchNormBackward(f.apply(x), f.apply(dY), f.apply(mean), f.apply(variance), Op.map(f, gamma),
                epsilon, Op.map(f, dX), Op.map(f, dGamma), Op.map(f, dBeta));
    }
}
