package dev.clgrad.nn;

import dev.clgrad.ops.ElementwiseLoss;
import dev.clgrad.tensor.Tensor;

import java.util.Map;

/**
 * Keras's {@code huber} loss, pred, target: (B, O), e = pred − target: the mean over elements of
 * {@code e²/2} where |e| ≤ δ and {@code δ·(|e| − δ/2)} beyond (PyTorch's {@code huber_loss});
 * {@code dPred = clip(e, −δ, δ)/(B·O)}. Predictions of more axes are seen as their rows.
 *
 * @param delta where the quadratic turns linear: finite, > 0 (Keras's default 1.0)
 */
public record Huber(double delta) implements Loss {
    public Huber {
        if (!(delta > 0 && Float.isFinite((float) delta))) {
            throw new IllegalArgumentException("huber: delta must be a finite number > 0, got " + delta);
        }
    }

    /** δ = 1, Keras's default. */
    public Huber() {
        this(1.0);
    }

    static Huber fromConfig(LayerConfig c) {
        return new Huber(c.number("delta", Double.MIN_VALUE, Float.MAX_VALUE, false, 1.0));
    }

    @Override
    public String name() {
        return "huber";
    }

    @Override
    public int targetColumns(int outputs) {
        return outputs;
    }

    @Override
    public void lower(Lowering g, Tensor pred, Tensor target, Tensor lossSum, Tensor dPred) {
        g.emit(null, new ElementwiseLoss(ElementwiseLoss.Kind.HUBER, (float) delta, MSE.rows(pred), target, lossSum,
                true, dPred == null ? null : MSE.rows(dPred)));
    }

    @Override
    public boolean classification() {
        return false;
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("delta", delta);
    }
}
