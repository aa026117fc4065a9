package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * One Adam/AdamW step over a flat parameter group, in place (DESIGN.md's Adam): params, grads, m,
 * v: (P) each; with g the {@link Clip clipped} gradient, {@code p -= lr·wd·p} (AdamW only), then
 * {@code m = b1·m + (1-b1)·g; v = b2·v + (1-b2)·g²; p -= lr·(m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)}.
 * params, m, v modified; grads not. The step t (from 1) and the learning rate are read from
 * {@code step} and {@code lr} when the op runs (a planned update is built before the first step);
 * {@code hyper.lr()} is only the value the optimizer starts lr at.
 */
public record AdamUpdate(Tensor params, Tensor grads, Tensor m, Tensor v, AdamHyper hyper, Scalar lr, Counter step,
                         Clip clip) implements Op {

    /** A step at the fixed learning rate {@code hyper.lr()}, no clipping. */
    public AdamUpdate(Tensor params, Tensor grads, Tensor m, Tensor v, AdamHyper hyper, Counter step) {
        this(params, grads, m, v, hyper, Scalar.of(hyper.lr()), step, Clip.NONE);
    }

    @Override
    public String name() {
        return "adamStep";
    }

    @Override
    public void validate() {
        Shapes.sameSize(name(), params, grads, m, v);
        clip.validate(name());
    }

    @Override
    public Cost cost() {
        long n = params.shape().size();
        return new Cost(14.0 * n, Cost.F * 7.0 * n);
    }

    @Override
    public List<Tensor> inputs() {
        return Shapes.list(params, grads, m, v, clip.sumSquares());
    }

    @Override
    public List<Tensor> outputs() {
        return List.of(params, m, v);
    }

    @Override
    public AdamUpdate rebind(UnaryOperator<Tensor> f) {
        return new AdamUpdate(f.apply(params), f.apply(grads), f.apply(m), f.apply(v), hyper, lr, step, clip.rebind(f));
    }
}
