package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * SGD with momentum over a flat parameter group, in place (PyTorch's form): params, grads,
 * velocity: (P); {@code g' = g + wd·p; vel = momentum·vel + g'; p -= lr·vel}. With momentum 0 the
 * velocity is unused and may be null.
 */
public record SgdUpdate(Tensor params, Tensor grads, Tensor velocity, float lr, float momentum, float weightDecay)
        implements Op {
    @Override
    public String name() {
        return "sgdStep";
    }

    @Override
    public void validate() {
        Shapes.sameSize(name(), params, grads);
        if (momentum != 0f) {
            if (velocity == null) {
                throw new IllegalArgumentException("sgdStep: momentum " + momentum + " needs a velocity tensor, got null");
            }
            Shapes.sameSize(name(), params, velocity);
        }
    }

    @Override
    public Cost cost() {
        long n = params.shape().size();
        return new Cost(4.0 * n, Cost.F * n * (momentum != 0f ? 5 : 3));
    }

    @Override
    public List<Tensor> inputs() {
        return Shapes.list(params, grads, momentum != 0f ? velocity : null);
    }

    @Override
    public List<Tensor> outputs() {
        return Shapes.list(params, momentum != 0f ? velocity : null);
    }

    @Override
    public SgdUpdate rebind(UnaryOperator<Tensor> f) {
        return new SgdUpdate(f.apply(params), f.apply(grads), Op.map(f, velocity), lr, momentum, weightDecay);
    }
}
