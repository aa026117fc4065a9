package dev.clgrad.nn;

import dev.clgrad.ops.ApplyGaussianNoise;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.GaussianNoise;
import dev.clgrad.ops.Op;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

/**
 * Keras's {@code GaussianDropout(rate)} (Srivastava et al., JMLR 2014, §10): in training,
 * x: (B, …) → {@code y = x·(1 + σ·z)}, one standard normal z per value, {@code σ² = rate/(1 − rate)}
 * (the variance of inverted dropout's multiplier at that rate, with mean 1); at inference the
 * identity. The backward multiplies dY by the same factors, regenerated from the same counters.
 *
 * <p>Counters (docs/ARCHITECTURE.md, "Masks"): value i of a call uses the Philox block at
 * {@code offset + floor(i/2)}, words {@code 2·(i mod 2)} and {@code 2·(i mod 2) + 1} into
 * Box–Muller ({@link GaussianNoise}); the counter base advances by {@code ceil(n/2)} blocks a step.
 */
public final class GaussianDropout extends RandomMaskLayer {

    /** @param rate the dropout rate whose multiplier variance the noise has, in [0, 1) */
    public GaussianDropout(double rate) {
        super("GaussianDropout", rate);
    }

    @Override
    public String type() {
        return "GaussianDropout";
    }

    @Override
    public String namePrefix() {
        return "gaussian_dropout";
    }

    @Override
    public String configType() {
        return "gaussian_dropout";
    }

    /** {@code {"type": "gaussian_dropout", "rate": R}}; R in [0, 1). */
    static GaussianDropout fromConfig(LayerConfig c) {
        return new GaussianDropout(c.number("rate", 0, 1, true));
    }

    @Override
    protected Shape outputShape(Shape in) {
        return in;
    }

    @Override
    protected Op apply(Tensor in, Counter counter, boolean gradient, Tensor out) {
        return new ApplyGaussianNoise(in, new GaussianNoise(rate(), seed(), counter), out);
    }

    @Override
    protected long drawsPerRow() {
        return inputShape().size();
    }

    @Override
    protected int drawsPerBlock() {
        return 2;
    }
}
