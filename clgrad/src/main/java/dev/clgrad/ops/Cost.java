package dev.clgrad.ops;

/**
 * What an op costs, for the profiler and {@code explain}: floating-point operations and bytes
 * moved, counting each input read once and each output written once (DESIGN.md's convention for
 * GB/s). Every op declares its cost once, in its {@link Op#cost()}.
 */
public record Cost(double flops, double bytes) {
    static final double F = Float.BYTES;
    public static final Cost NONE = new Cost(0, 0);

    /** Both costs together, as one launch that does both. */
    public Cost plus(Cost other) {
        return new Cost(flops + other.flops, bytes + other.bytes);
    }

    /** An element-wise op over {@code n} elements with {@code reads} inputs and {@code writes} outputs of size n. */
    static Cost elementwise(long n, int reads, int writes, int flopsPerElement) {
        return new Cost((double) n * flopsPerElement, F * n * (reads + writes));
    }
}
