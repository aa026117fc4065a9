package dev.clgrad.ops;

/**
 * An inverted-dropout mask (DESIGN.md's Philox convention): element i of a call over n elements is
 * kept iff {@code (philox(offset + i/4, seed)[i % 4] >>> 8) >= ceil(rate·2^24)}, and a kept value is
 * scaled by {@code 1/(1-rate)}. The counter base {@code offset} is read when the op runs, so a
 * replayed step program draws fresh masks each step; the layer that owns the counter advances it
 * by {@code ceil(n/4)} after each call.
 *
 * @param rate in [0, 1); 0 keeps every element
 */
public record Mask(float rate, long seed, Counter offset) {
    public Mask {
        Philox.threshold(rate);
        if (offset == null) {
            throw new IllegalArgumentException("Mask: the counter is null");
        }
    }

    /** A mask at a fixed counter base. */
    public static Mask fixed(float rate, long seed, long offset) {
        return new Mask(rate, seed, Counter.of(offset));
    }

    /** {@code ceil(rate·2^24)}: the keep threshold on the top 24 bits of a Philox word. */
    public int threshold() {
        return Philox.threshold(rate);
    }

    /** {@code 1/(1-rate)}. */
    public float scale() {
        return Philox.keepScale(rate);
    }

    @Override
    public String toString() {
        return "dropout(" + rate + ")";
    }
}
