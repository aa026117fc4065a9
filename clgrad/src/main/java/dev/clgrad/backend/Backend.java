package dev.clgrad.backend;

import dev.clgrad.ops.Composite;
import dev.clgrad.ops.ConvGemm;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.Op;
import dev.clgrad.ops.Philox;
import dev.clgrad.tensor.DeviceMemory;

import java.util.ArrayList;
import java.util.List;

/**
 * A device: its memory, {@link #run} of any {@link Op}, and its capabilities — which fused ops it
 * has one kernel for ({@link #fuses}). Ops are enqueued in program order; an op may return before
 * its result is computed (OpenCL), and only {@link #download} or {@link #finish} wait. The math of
 * every op is in its record (package {@code dev.clgrad.ops}); a backend computes exactly that, and
 * for a fused op it has no kernel for ({@link MatMul} epilogues, {@link Composite}s) it runs the
 * op's decomposition, so every backend runs every op.
 */
public interface Backend extends DeviceMemory, AutoCloseable {

    /** The device this backend runs on. */
    DeviceInfo info();

    @Override
    default String id() {
        return info().id();
    }

    /**
     * What the device can hold now ({@link MemoryLimits}): the largest one buffer and what new
     * buffers can still take, for checking a model's memory before anything is allocated. The
     * default takes the figures of {@link #info()} with nothing in use.
     */
    default MemoryLimits memoryLimits() {
        DeviceInfo d = info();
        return MemoryLimits.device("the memory of " + d.id(), d.maxAllocBytes(), "the most " + d.id()
                + " allocates at once", d.globalMemBytes(), 0);
    }

    /**
     * Validates {@code op} ({@link Op#validate}) and enqueues it.
     *
     * @throws IllegalArgumentException for operands the op rejects, naming the op and the shapes
     */
    void run(Op op);

    /**
     * Whether {@code op} runs as one launch here: every plain op does; a {@link MatMul} epilogue or
     * a {@link Composite} only where the backend has its kernel for these shapes. The planner
     * shows this in {@code explain}; an op for which this is false still runs, decomposed.
     */
    boolean fuses(Op op);

    /**
     * Whether the planner runs {@code conv}'s Im2Col and MatMul as this one implicit GEMM: in a
     * training step ({@code training}: the backward's filter gradient still reads the cols matrix,
     * so im2col runs anyway) or in inference (the im2col goes). A backend answers what {@code clgrad tune
     * conv} measured for it ({@code clgrad.conv}, where set, overrides it in the planner); the default keeps im2col.
     */
    default boolean implicitConv(ConvGemm conv, boolean training) {
        return false;
    }

    /**
     * The kernels {@link #run} launches for {@code op} here, in order (for plans and profiles): one
     * for an op the backend fuses, else its decomposition's.
     */
    List<String> kernels(Op op);

    /**
     * The op bound for replay: a step program prepares each of its ops once per batch size and
     * runs the result every step. The default runs {@link #run}; a backend may resolve kernels and
     * bind arguments here once.
     */
    default Launch prepare(Op op) {
        op.validate();
        return () -> run(op);
    }

    /**
     * {@link #prepare} of every op, in order: what a step program calls with all its ops, so that a
     * backend can resolve their kernels together (OpenCL builds the entry points of one kernel file
     * that the ops launch as one program). The default prepares them one by one.
     */
    default List<Launch> prepareAll(List<? extends Op> ops) {
        List<Launch> out = new ArrayList<>(ops.size());
        for (Op op : ops) {
            out.add(prepare(op));
        }
        return out;
    }

    /**
     * One Philox4x32-10 block computed by this device's own generator (the known-answer test of
     * {@code selftest}): ctr4 (c0..c3), key2 (k0, k1) → 4 words. The default is the Java spec
     * ({@link Philox#philox4x32}); a device backend runs its kernel.
     */
    default int[] philoxBlock(int[] ctr4, int[] key2) {
        int[] out = new int[4];
        Philox.philox4x32(ctr4, key2, out);
        return out;
    }

    /**
     * Starts reporting every kernel launch and host span to {@code sink}, or stops with null. On
     * OpenCL this switches to a queue with profiling enabled; while off, nothing is recorded.
     */
    void profile(ProfileSink sink);

    /** Opens a host span (a layer's forward, an optimizer step) reported to the profile sink, if any. */
    Span span(String name);

    /** Frees every buffer and device object; idempotent, never throws. */
    @Override
    void close();

    /** A prepared op: {@link #run} enqueues it with the values its counters hold now. */
    @FunctionalInterface
    interface Launch {
        void run();
    }
}
