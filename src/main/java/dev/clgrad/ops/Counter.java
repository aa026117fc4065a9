package dev.clgrad.ops;

/**
 * A 64-bit value an op reads when it runs rather than when it is built: a dropout layer's Philox
 * counter base, an optimizer's step count. A replayed step program keeps its ops and advances
 * their counters, so nothing is rebuilt per step. Not thread-safe: one step program owns it.
 */
public final class Counter {
    private long value;

    public Counter(long value) {
        this.value = value;
    }

    /** A counter fixed at {@code value} (tests, benchmarks, single launches). */
    public static Counter of(long value) {
        return new Counter(value);
    }

    public long get() {
        return value;
    }

    /** Sets the value, as a checkpoint saved it. */
    public void set(long v) {
        value = v;
    }

    /** Returns the value, then adds {@code delta} (wrapping, as the unsigned counters do). */
    public long getAndAdd(long delta) {
        long v = value;
        value += delta;
        return v;
    }

    @Override
    public String toString() {
        return Long.toUnsignedString(value);
    }
}
