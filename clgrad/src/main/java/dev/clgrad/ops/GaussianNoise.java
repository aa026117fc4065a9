package dev.clgrad.ops;

/**
 * Keras's Gaussian-dropout noise (Srivastava et al., JMLR 2014, §10): element i of a call is
 * multiplied by {@code 1 + σ·z(i)}, {@code σ = sqrt(rate/(1 − rate))} rounded to float once on the
 * host, z a standard normal ({@link Normal#boxMuller}) from Philox words at the counter base
 * {@code offset} (read when the op runs).
 *
 * <p>Counters: element i uses the Philox block at the 128-bit counter {@code offset + floor(i/2)}
 * (key (seed low, seed high), as {@link Philox#counter}) and its words {@code 2·(i mod 2)} and
 * {@code 2·(i mod 2) + 1} as (w1, w2); a call over n elements consumes {@link #blocks ceil(n/2)}
 * blocks, which the owner adds to the counter after each call.
 *
 * @param rate in [0, 1); 0 multiplies by exactly 1
 */
public record GaussianNoise(float rate, long seed, Counter offset) {
    public GaussianNoise {
        if (!(rate >= 0f && rate < 1f)) {
            throw new IllegalArgumentException("GaussianDropout: rate must be in [0, 1), got " + rate);
        }
        if (offset == null) {
            throw new IllegalArgumentException("GaussianNoise: the counter is null");
        }
    }

    /** Noise at a fixed counter base. */
    public static GaussianNoise fixed(float rate, long seed, long offset) {
        return new GaussianNoise(rate, seed, Counter.of(offset));
    }

    /** {@code σ = sqrt(rate/(1 − rate))}, rounded once to float. */
    public float sigma() {
        return (float) Math.sqrt(rate / (1.0 - rate));
    }

    /** How far a call over {@code n} elements advances its counter: {@code ceil(n/2)} blocks. */
    public static long blocks(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("GaussianNoise.blocks: element count must be >= 0, got " + n);
        }
        return (n + 1) >>> 1;
    }

    /** {@code 1 + σ·z(i)} for element i (≥ 0) of a call at counter base {@code base}: the spec, one element. */
    public float factor(long base, long i) {
        int[] ctr = new int[4];
        Philox.counter(base, i >>> 1, ctr);
        Philox.philox4x32(ctr, Philox.key(seed), ctr);
        int w = 2 * (int) (i & 1);
        return 1f + sigma() * Normal.boxMuller(ctr[w], ctr[w + 1]);
    }

    @Override
    public String toString() {
        return "gaussian(" + rate + ")";
    }
}
