package dev.clgrad.backend;

/**
 * Receives what a backend measures while profiling is on ({@link Backend#profile}): one
 * {@link KernelRecord} per kernel launch (OpenCL: from event time stamps; Java: wall clock per op)
 * and one {@link HostSpan} per {@link Backend#span} closed. Every time is in host nanoseconds
 * ({@link System#nanoTime()}); device clocks are aligned to it before records are delivered.
 */
public interface ProfileSink {

    /** A kernel launch: queued, started and ended, with the FLOPs and bytes its op declares. */
    record KernelRecord(String kernel, String op, long queuedNs, long startNs, long endNs, double flops,
                        double bytes) {
    }

    /** A named span of host work on one thread. */
    record HostSpan(String name, String thread, long startNs, long endNs) {
    }

    void kernel(KernelRecord record);

    void span(HostSpan span);
}
