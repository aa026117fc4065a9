package dev.clgrad.nn;

import dev.clgrad.ops.ApplyAlphaMask;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Op;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

/**
 * Keras's {@code AlphaDropout(rate)} for self-normalising (SELU) networks (Klambauer et al.,
 * NeurIPS 2017): in training, x: (B, …) → {@code y = keep ? a·x + b : a·α' + b} with
 * {@code α' = −λα = −1.7580993408473766}, {@code a = ((1 − rate)(1 + rate·α'²))^−1/2},
 * {@code b = −a·α'·rate}, so zero-mean unit-variance inputs keep their mean and variance; at
 * inference the identity. Backward: {@code dX = keep ? a·dY : 0} ({@link ApplyAlphaMask}).
 *
 * <p>Counters (docs/ARCHITECTURE.md, "Masks"): the keep mask is {@link Dropout}'s, element i → i,
 * the counter base advancing by {@code ceil(n/4)} blocks a step.
 */
public final class AlphaDropout extends RandomMaskLayer {

    /** @param rate fraction of inputs dropped, in [0, 1) */
    public AlphaDropout(double rate) {
        super("AlphaDropout", rate);
    }

    @Override
    public String type() {
        return "AlphaDropout";
    }

    @Override
    public String namePrefix() {
        return "alpha_dropout";
    }

    @Override
    public String configType() {
        return "alpha_dropout";
    }

    /** {@code {"type": "alpha_dropout", "rate": R}}; R in [0, 1). */
    static AlphaDropout fromConfig(LayerConfig c) {
        return new AlphaDropout(c.number("rate", 0, 1, true));
    }

    @Override
    protected Shape outputShape(Shape in) {
        return in;
    }

    @Override
    protected Op apply(Tensor in, Counter counter, boolean gradient, Tensor out) {
        return new ApplyAlphaMask(in, mask(counter), gradient, out);
    }

    @Override
    protected long drawsPerRow() {
        return inputShape().size();
    }
}
