package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * One Adam/AdamW step over a flat parameter group, in place (DESIGN.md's Adam): params, grads, m,
 * v: (P) each; {@code p -= lr·wd·p} (AdamW only), then {@code m = b1·m + (1-b1)·g;
 * v = b2·v + (1-b2)·g²; p -= lr·(m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)}. params, m, v modified;
 * grads not. The step t (from 1) is read from {@code step} when the op runs (a planned update is built
 * before the first step).
 */
public record AdamUpdate(Tensor params, Tensor grads, Tensor m, Tensor v, AdamHyper hyper, Counter step)
        implements Op {
    @Override
    public String name() {
        return "adamStep";
    }

    @Override
    public void validate() {
        Shapes.sameSize(name(), params, grads, m, v);
    }

    @Override
    public Cost cost() {
        long n = params.shape().size();
        return new Cost(14.0 * n, Cost.F * 7.0 * n);
    }

    @Override
    public List<Tensor> inputs() {
        return List.of(params, grads, m, v);
    }

    @Override
    public List<Tensor> outputs() {
        return List.of(params, m, v);
    }

    @Override
    public AdamUpdate rebind(UnaryOperator<Tensor> f) {
        return new AdamUpdate(f.apply(params), f.apply(grads), f.apply(m), f.apply(v), hyper, step);
    }
}
