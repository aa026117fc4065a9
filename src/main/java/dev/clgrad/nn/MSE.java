package dev.clgrad.nn;

import dev.clgrad.ops.MseLoss;
import dev.clgrad.tensor.Tensor;

/**
 * Mean squared error: pred, target: (B, O) → {@code mean((pred - target)²)}; {@code dPred = 2(pred - target)/(B·O)}.
 * A model whose output per sample has more than one axis, (B, o1, o2, …) of O values, takes its
 * targets as they are stored, (B, O), compared value by value in row-major order.
 */
public final class MSE implements Loss {
    @Override
    public String name() {
        return "mse";
    }

    @Override
    public int targetColumns(int outputs) {
        return outputs;
    }

    @Override
    public void lower(Lowering g, Tensor pred, Tensor target, Tensor lossSum, Tensor dPred) {
        Tensor t = target.shape().equals(pred.shape()) ? target : target.reshape(pred.shape().dims());
        g.emit(null, new MseLoss(pred, t, lossSum, true, dPred));
    }

    @Override
    public boolean classification() {
        return false;
    }
}
