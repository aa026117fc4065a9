package dev.clgrad.nn;

import dev.clgrad.ops.ElementwiseLoss;
import dev.clgrad.tensor.Tensor;

/**
 * Mean absolute error, Keras's {@code mae} ({@code mean_absolute_error}): pred, target: (B, O) →
 * {@code mean(|pred − target|)}; {@code dPred = s(pred − target)/(B·O)} with s the sign (0 at 0).
 * Predictions of more axes are seen as their (B, H·W·C) rows, as {@link MSE} does.
 */
public record MAE() implements Loss {
    @Override
    public String name() {
        return "mae";
    }

    @Override
    public int targetColumns(int outputs) {
        return outputs;
    }

    @Override
    public void lower(Lowering g, Tensor pred, Tensor target, Tensor lossSum, Tensor dPred) {
        g.emit(null, new ElementwiseLoss(ElementwiseLoss.Kind.MAE, 0f, MSE.rows(pred), target, lossSum, true,
                dPred == null ? null : MSE.rows(dPred)));
    }

    @Override
    public boolean classification() {
        return false;
    }
}
