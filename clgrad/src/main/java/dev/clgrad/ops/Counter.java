package dev.clgrad.ops;

/**
 * A 64-bit value an op reads when it runs rather than when it is built: a dropout layer's Philox
 * counter base, an optimizer's step count. A replayed step program keeps its ops and advances
 * their counters, so nothing is rebuilt per step. Not thread-safe: one step program owns it.
 */
public final class Counter {
    /** The counter this one reads {@link #value} past ({@link #plus}); null for a counter of its own. */
    private final Counter base;
    private long value;

    public Counter(long value) {
        this(null, value);
    }

    private Counter(Counter base, long value) {
        this.base = base;
        this.value = value;
    }

    /** A counter fixed at {@code value} (tests, benchmarks, single launches). */
    public static Counter of(long value) {
        return new Counter(value);
    }

    /**
     * A read-only view that reads {@code delta} past this counter (wrapping), whatever this one
     * holds when it is read: a data-parallel replica's mask counter, whose rows start
     * {@code delta} Philox blocks into the global batch's draws.
     */
    public Counter plus(long delta) {
        return new Counter(this, delta);
    }

    public long get() {
        return base == null ? value : base.get() + value;
    }

    /** Sets the value, as a checkpoint saved it. */
    public void set(long v) {
        checkOwn();
        value = v;
    }

    /** Returns the value, then adds {@code delta} (wrapping, as the unsigned counters do). */
    public long getAndAdd(long delta) {
        checkOwn();
        long v = value;
        value += delta;
        return v;
    }

    private void checkOwn() {
        if (base != null) {
            throw new IllegalStateException("counter " + this + " is a view " + value + " past another; move that one");
        }
    }

    @Override
    public String toString() {
        return Long.toUnsignedString(get());
    }
}
