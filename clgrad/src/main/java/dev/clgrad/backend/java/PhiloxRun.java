package dev.clgrad.backend.java;

import dev.clgrad.ops.Philox;

/**
 * Philox4x32-10 ({@link Philox}, the spec) over a run of consecutive counters at once, laid out so
 * HotSpot C2 vectorises the rounds: the four state words of up to {@link #CAPACITY} blocks live in
 * four {@code long[]} (each 32-bit word zero-extended), and every round is one same-index loop over
 * the blocks of 64-bit multiplies, shifts and xors. A scalar block is a dependency chain of 20
 * multiplies; the run does them side by side. One instance per thread: not thread-safe.
 */
final class PhiloxRun {
    /** Blocks per run. */
    static final int CAPACITY = 256;
    private static final int ROUNDS = 10;
    private static final long MASK = 0xFFFFFFFFL;
    private static final long M0 = 0xD2511F53L;
    private static final long M1 = 0xCD9E8D57L;
    private static final long W0 = 0x9E3779B9L;
    private static final long W1 = 0xBB67AE85L;

    private final long[] c0 = new long[CAPACITY];
    private final long[] c1 = new long[CAPACITY];
    private final long[] c2 = new long[CAPACITY];
    private final long[] c3 = new long[CAPACITY];
    /** The output words in element order: {@code words[4·j + q]} is word q of block j. */
    final int[] words = new int[4 * CAPACITY];

    /**
     * Fills {@link #words} with Philox(counter = offset + first + j, key) for j < count, the counter
     * an unsigned 128-bit sum as in {@link Philox#counter}; key2 = (k0, k1) not modified. Each round
     * maps (c0, c1, c2, c3) to (hi(M1·c2) ^ c1 ^ k0, lo(M1·c2), hi(M0·c0) ^ c3 ^ k1, lo(M0·c0)) and
     * bumps the key by (W0, W1).
     */
    void generate(long offset, long first, int count, int[] key2) {
        if (count < 0 || count > CAPACITY) {
            throw new IllegalArgumentException("PhiloxRun: count must be in [0, " + CAPACITY + "], got " + count);
        }
        long[] a = c0;
        long[] b = c1;
        long[] c = c2;
        long[] d = c3;
        int[] out = words;
        long start = offset + first;
        for (int j = 0; j < count; j++) {
            long lo = start + j;
            a[j] = lo & MASK;
            b[j] = lo >>> 32;
            c[j] = 0;
            d[j] = 0;
        }
        if (count > 0 && Long.compareUnsigned(start + count - 1, offset) < 0) {
            for (int j = 0; j < count; j++) {
                c[j] = Long.compareUnsigned(start + j, offset) < 0 ? 1 : 0;
            }
        }
        long k0 = key2[0] & MASK;
        long k1 = key2[1] & MASK;
        for (int r = 0; r < ROUNDS; r++) {
            for (int j = 0; j < count; j++) {
                long p0 = M0 * a[j];
                long p1 = M1 * c[j];
                long n0 = (p1 >>> 32) ^ b[j] ^ k0;
                long n2 = (p0 >>> 32) ^ d[j] ^ k1;
                b[j] = p1 & MASK;
                d[j] = p0 & MASK;
                a[j] = n0;
                c[j] = n2;
            }
            k0 = (k0 + W0) & MASK;
            k1 = (k1 + W1) & MASK;
        }
        for (int j = 0; j < count; j++) {
            out[4 * j] = (int) a[j];
            out[4 * j + 1] = (int) b[j];
            out[4 * j + 2] = (int) c[j];
            out[4 * j + 3] = (int) d[j];
        }
    }
}
