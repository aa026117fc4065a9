package dev.clgrad.ops;

/**
 * Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3", SC'11;
 * the Random123 reference) and the dropout-mask convention of DESIGN.md that every backend follows.
 * This class is the living spec: {@code opencl-kernels/philox.cl} must give the same bits.
 *
 * <p>Mask convention: for element {@code i} of a dropout call with unsigned 64-bit counter base
 * {@code offset}, the 128-bit block counter is {@code offset + floor(i/4)} as words (c0 lowest),
 * the key is (seed low 32 bits, seed high 32 bits), {@code u = philox(counter, key)[i mod 4]}, and
 * the element is kept iff {@code (u >>> 8) >= t} with {@code t = ceil(p·2^24)}. A call over
 * {@code n} elements consumes {@link #blocks(long) ceil(n/4)} counters. Kept elements are multiplied by
 * {@link #keepScale(float)}, dropped ones are zero.
 */
public final class Philox {
    /** Round multipliers and Weyl key increments of Philox4x32 (Random123's PHILOX_M4x32_*, PHILOX_W32_*). */
    static final int M0 = 0xD2511F53;
    static final int M1 = 0xCD9E8D57;
    static final int W0 = 0x9E3779B9;
    static final int W1 = 0xBB67AE85;
    static final int ROUNDS = 10;

    private Philox() {
    }

    /**
     * One Philox4x32-10 block: ctr4 (c0..c3), key2 (k0, k1) → out4. Each round is
     * {@code (hi(M0·c0), lo(M0·c0)), (hi(M1·c2), lo(M1·c2))} →
     * {@code (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)}, with the key bumped by (W0, W1) between rounds.
     * ctr4 and key2 not modified; out4 modified (may be ctr4).
     */
    public static void philox4x32(int[] ctr4, int[] key2, int[] out4) {
        int c0 = ctr4[0];
        int c1 = ctr4[1];
        int c2 = ctr4[2];
        int c3 = ctr4[3];
        int k0 = key2[0];
        int k1 = key2[1];
        for (int r = 0; r < ROUNDS; r++) {
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            c1 = (int) p1;
            c3 = (int) p0;
            c0 = n0;
            c2 = n2;
            k0 += W0;
            k1 += W1;
        }
        out4[0] = c0;
        out4[1] = c1;
        out4[2] = c2;
        out4[3] = c3;
    }

    /**
     * {@code t = ceil(p·2^24)}: the 24-bit keep threshold of a dropout rate, computed on the host once.
     *
     * @throws IllegalArgumentException when p is outside [0, 1)
     */
    public static int threshold(float p) {
        checkRate(p);
        return (int) Math.ceil(p * 16777216.0);
    }

    private static void checkRate(float p) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("dropout: rate must be in [0, 1), got " + p);
        }
    }

    /** Whether element {@code i} (≥ 0) of the call at {@code offset} is kept; see the class comment. */
    public static boolean keep(long seed, long offset, long i, int threshold) {
        int[] ctr = new int[4];
        counter(offset, i >>> 2, ctr);
        philox4x32(ctr, key(seed), ctr);
        return (ctr[(int) (i & 3)] >>> 8) >= threshold;
    }

    /** The factor kept elements are multiplied by, {@code (float) (1 / (1 - p))}, computed on the host once. */
    public static float keepScale(float p) {
        checkRate(p);
        return (float) (1.0 / (1.0 - p));
    }

    /**
     * Writes the 128-bit counter {@code offset + block} as words c0..c3 (c0 lowest) into ctr4, both
     * operands unsigned 64-bit: a sum past 2^64 carries into c2. ctr4 modified.
     */
    public static void counter(long offset, long block, int[] ctr4) {
        long lo = offset + block;
        ctr4[0] = (int) lo;
        ctr4[1] = (int) (lo >>> 32);
        ctr4[2] = Long.compareUnsigned(lo, offset) < 0 ? 1 : 0;
        ctr4[3] = 0;
    }

    /** The key (seed low 32 bits, seed high 32 bits). */
    public static int[] key(long seed) {
        return new int[] {(int) seed, (int) (seed >>> 32)};
    }

    /** How far a call over {@code n} elements advances its layer's offset: {@code ceil(n/4)}. */
    public static long blocks(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("Philox.blocks: element count must be >= 0, got " + n);
        }
        return (n + 3) >>> 2;
    }
}
