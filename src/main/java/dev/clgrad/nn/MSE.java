package dev.clgrad.nn;

import dev.clgrad.ops.MseLoss;
import dev.clgrad.tensor.Tensor;

/** Mean squared error: pred, target: (B, O) → {@code mean((pred - target)²)}; {@code dPred = 2(pred - target)/(B·O)}. */
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
        g.emit(null, new MseLoss(pred, target, lossSum, true, dPred));
    }

    @Override
    public boolean classification() {
        return false;
    }
}
