package dev.clgrad.nn;

import dev.clgrad.ops.ApplyMask;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Op;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

/**
 * Inverted dropout, Keras's {@code Dropout(rate)}: in training, x: (B, …) → {@code y = keep ? x/(1-p) : 0}
 * with the Philox mask of DESIGN.md ({@link ApplyMask}), one mask element per value, n = B·…
 * elements a step; at inference the identity. Counters as {@link RandomMaskLayer} says.
 */
public final class Dropout extends RandomMaskLayer {

    /** @param rate fraction of inputs dropped, in [0, 1) */
    public Dropout(double rate) {
        super("Dropout", rate);
    }

    @Override
    public String type() {
        return "Dropout";
    }

    @Override
    public String namePrefix() {
        return "dropout";
    }

    @Override
    public String configType() {
        return "dropout";
    }

    /** {@code {"type": "dropout", "rate": R}}; R in [0, 1). */
    static Dropout fromConfig(LayerConfig c) {
        return new Dropout(c.number("rate", 0, 1, true));
    }

    @Override
    protected Shape outputShape(Shape in) {
        return in;
    }

    @Override
    protected Op apply(Tensor in, Counter counter, boolean gradient, Tensor out) {
        return new ApplyMask(in, mask(counter), out);
    }

    @Override
    protected long drawsPerRow() {
        return inputShape().size();
    }
}
