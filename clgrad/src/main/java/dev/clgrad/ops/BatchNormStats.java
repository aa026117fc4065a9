package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The batch statistics of batch normalisation and the moving-statistics update, in one launch:
 * x: (…, C) seen as the matrix (N, C), N the product of every axis but the last → per channel
 * {@code mean[c] = Σ_n x[n, c] / N} and the biased variance
 * {@code variance[c] = Σ_n (x[n, c] − mean[c])² / N}: (C) (two passes over x, so a large mean does
 * not cancel the variance away); then, in place,
 * {@code movingMean = momentum·movingMean + (1 − momentum)·mean} and
 * {@code movingVariance = momentum·movingVariance + (1 − momentum)·variance}: (C), with that same
 * biased variance, as Keras 3's {@code BatchNormalization} does (its {@code ops.moments}; PyTorch
 * would put the unbiased N/(N−1) variance into its running variance). Java sums in double, in row
 * order; OpenCL in float32 over a fixed work-group tree: both deterministic run to run.
 * x not modified; mean, variance modified; movingMean, movingVariance modified (read first).
 *
 * @param momentum in [0, 1]; 1 leaves the moving statistics as they are
 */
public record BatchNormStats(Tensor x, Tensor mean, Tensor variance, Tensor movingMean, Tensor movingVariance,
                             float momentum) implements Op {
    @Override
    public String name() {
        return "batchNormStats";
    }

    @Override
    public void validate() {
        Shapes.channels(name(), x, mean, variance, movingMean, movingVariance);
        if (!(momentum >= 0f && momentum <= 1f)) {
            throw new IllegalArgumentException(name() + ": momentum must be in [0, 1], got " + momentum);
        }
        Shapes.noAlias(name(), mean, x, variance, movingMean, movingVariance);
        Shapes.noAlias(name(), variance, x, movingMean, movingVariance);
        Shapes.noAlias(name(), movingMean, x, movingVariance);
        Shapes.noAlias(name(), movingVariance, x);
    }

    @Override
    public Cost cost() {
        long n = x.shape().size();
        return new Cost(4.0 * n, Cost.F * (n + 6.0 * x.shape().last()));
    }

    @Override
    public List<Tensor> inputs() {
        return List.of(x, movingMean, movingVariance);
    }

    @Override
    public List<Tensor> outputs() {
        return List.of(mean, variance, movingMean, movingVariance);
    }

    @Override
    public BatchNormStats rebind(UnaryOperator<Tensor> f) {
        return new BatchNormStats(f.apply(x), f.apply(mean), f.apply(variance), f.apply(movingMean),
                f.apply(movingVariance), momentum);
    }
}
