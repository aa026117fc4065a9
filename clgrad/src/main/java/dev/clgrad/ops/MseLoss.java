package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Mean squared error over a batch, pred, target: (B, O), n = B·O: the forward
 * {@code loss[0] (+)= mean((pred - target)²)} (accumulate adds to loss[0]) when loss is not null,
 * and the gradient {@code dPred = 2·(pred - target)/n} when dPred is not null; both in one launch
 * where the backend can. pred, target not modified; loss and dPred must not alias them.
 */
public record MseLoss(Tensor pred, Tensor target, Tensor loss, boolean accumulate, Tensor dPred) implements Op {
    @Override
    public String name() {
        return loss == null ? "mseBackward" : dPred == null ? "mseForward" : "mseForwardBackward";
    }

    @Override
    public void validate() {
        if (loss == null && dPred == null) {
            throw new IllegalArgumentException("mse: neither loss nor dPred given; nothing to compute");
        }
        Shapes.same(name(), "pred", pred, "target", target);
        if (loss != null) {
            Shapes.scalar(name(), "loss", loss);
        }
        if (dPred != null) {
            Shapes.same(name(), "pred", pred, "dPred", dPred);
        }
    }

    @Override
    public Cost cost() {
        double n = pred.shape().size();
        return new Cost(5 * n, Cost.F * (2 * n + (dPred != null ? n : 0) + (loss != null ? 1 : 0)));
    }

    @Override
    public List<Tensor> inputs() {
        return Shapes.list(pred, target, accumulate ? loss : null);
    }

    @Override
    public List<Tensor> outputs() {
        return Shapes.list(loss, dPred);
    }

    @Override
    public MseLoss rebind(UnaryOperator<Tensor> f) {
        return new MseLoss(f.apply(pred), f.apply(target), Op.map(f, loss), accumulate, Op.map(f, dPred));
    }
}
