package dev.clgrad.nn;

import dev.clgrad.ops.MseLoss;
import dev.clgrad.tensor.Tensor;

/**
 * Mean squared error: pred, target: (B, O) → {@code mean((pred - target)²)};
 * {@code dPred = 2(pred - target)/(B·O)}. A prediction of more axes, such as an image (B, H, W, C),
 * is seen as its (B, H·W·C) rows, as the targets are.
 */
public record MSE() implements Loss {
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
        g.emit(null, new MseLoss(rows(pred), target, lossSum, true, dPred == null ? null : rows(dPred)));
    }

    /** t: (B, …) as the matrix (B, O). */
    static Tensor rows(Tensor t) {
        return t.shape().rank() == 2 ? t : t.reshape(t.shape().rows(), t.shape().cols());
    }

    @Override
    public boolean classification() {
        return false;
    }
}
