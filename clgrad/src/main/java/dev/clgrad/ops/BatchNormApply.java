package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Batch normalisation's affine map, then an activation: x: (…, C) seen as (N, C), mean, variance,
 * gamma, beta: (C) → {@code y[n, c] = f((x[n, c] − mean[c])·a[c] + beta[c])}, same shape as x,
 * with {@code a[c] = gamma[c]·inv[c]} and {@code inv[c] = 1 / sqrt(variance[c] + epsilon)} in
 * float32; gamma 1 where it is null (Keras's {@code scale=False}), beta 0 where it is null
 * ({@code center=False}). In training mean and variance are the batch's ({@link BatchNormStats}),
 * at inference the moving statistics. The activation is linear for the layer itself; the planner
 * folds a following activation layer into it. Inputs not modified; y modified (may be x).
 */
public record BatchNormApply(Tensor x, Tensor mean, Tensor variance, Tensor gamma, Tensor beta, float epsilon,
                             Activation activation, Tensor y) implements Op {
    @Override
    public String name() {
        return activation == Activation.LINEAR ? "batchNormApply" : "batchNormApply" + capital(activation);
    }

    private static String capital(Activation a) {
        String n = a.opName();
        return Character.toUpperCase(n.charAt(0)) + n.substring(1);
    }

    @Override
    public void validate() {
        Shapes.same(name(), "x", x, "y", y);
        Shapes.channels(name(), x, mean, variance, gamma, beta);
        BatchNormBackward.checkEpsilon(name(), epsilon);
        Shapes.noAlias(name(), y, mean, variance, gamma, beta);
    }

    @Override
    public Cost cost() {
        long n = x.shape().size();
        return new Cost(3.0 * n, Cost.F * (2.0 * n + 4.0 * x.shape().last()));
    }

    @Override
    public List<Tensor> inputs() {
        return Shapes.list(x, mean, variance, gamma, beta);
    }

    @Override
    public List<Tensor> outputs() {
        return List.of(y);
    }

    @Override
    public BatchNormApply rebind(UnaryOperator<Tensor> f) {
        return new BatchNormApply(f.apply(x), f.apply(mean), f.apply(variance), Op.map(f, gamma), Op.map(f, beta),
                epsilon, activation, f.apply(y));
    }
}
