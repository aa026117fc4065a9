package dev.clgrad.backend;

import dev.clgrad.Config;
import dev.clgrad.tensor.DeviceBuffer;

import java.util.Locale;

/**
 * What a device can hold, as its backend reports it ({@link Backend#memoryLimits}), so that a
 * model's memory is checked against it before anything is allocated
 * ({@code dev.clgrad.exec.MemoryPlan}).
 *
 * @param maxBufferBytes the largest one buffer: the device's own limit, and never more than
 *                       {@link DeviceBuffer#MAX_FLOATS} floats
 * @param bufferLimit    what sets maxBufferBytes, for messages: {@code CL_DEVICE_MAX_MEM_ALLOC_SIZE of opencl:0:0}
 * @param totalBytes     all of the memory
 * @param availableBytes what new buffers can still take: totalBytes less what is in use
 * @param memory         what the memory is, for messages: {@code the global memory of opencl:0:0}, {@code the Java heap}
 * @param onHeap         whether it is the JVM heap, where host arrays live too (the Java backend)
 * @param capped         whether {@link Config#memoryCap()} set the limits rather than the memory itself
 */
public record MemoryLimits(long maxBufferBytes, String bufferLimit, long totalBytes, long availableBytes,
                           String memory, boolean onHeap, boolean capped) {
    private static final String INT_OFFSETS = "clgrad indexes a buffer with int offsets";
    private static final long GIB = 1L << 30;

    /**
     * A device's own memory, named {@code memory}: buffers of at most {@code maxAllocBytes}
     * ({@code allocLimit} says what sets it), {@code totalBytes} in all, of which this backend's
     * live buffers take {@code inUse}. Capped by {@link Config#memoryCap()}.
     */
    public static MemoryLimits device(String memory, long maxAllocBytes, String allocLimit, long totalBytes,
                                      long inUse) {
        long clgradMax = DeviceBuffer.MAX_FLOATS * Float.BYTES;
        boolean own = maxAllocBytes < clgradMax;
        return new MemoryLimits(own ? maxAllocBytes : clgradMax, own ? allocLimit : INT_OFFSETS, totalBytes,
                Math.max(totalBytes - inUse, 0), memory, false, false).withinCap(inUse);
    }

    /**
     * The JVM heap, where every host array lives: arrays of at most {@link DeviceBuffer#MAX_FLOATS}
     * floats, and what the heap has not yet used. When less than half of the heap is
     * free a garbage collection runs first, so that garbage does not count as used.
     */
    public static MemoryLimits heap() {
        Runtime rt = Runtime.getRuntime();
        long max = rt.maxMemory();
        long used = rt.totalMemory() - rt.freeMemory();
        if (max - used < max / 2) {
            System.gc();
            used = rt.totalMemory() - rt.freeMemory();
        }
        return new MemoryLimits(DeviceBuffer.MAX_FLOATS * Float.BYTES, "the longest Java array", max,
                Math.max(max - used, 0), "the Java heap (-Xmx " + size(max) + ")", true, false);
    }

    /**
     * These limits within {@link Config#memoryCap()}, when set: at most the cap in all and per
     * buffer, of which {@code inUse} (this backend's live buffers) is already taken.
     */
    public MemoryLimits withinCap(long inUse) {
        long cap = Config.memoryCap();
        if (cap >= totalBytes && cap >= maxBufferBytes) {
            return this;
        }
        String byCap = "the clgrad.memory cap of " + size(cap) + " on " + memory;
        return new MemoryLimits(Math.min(maxBufferBytes, cap), cap < maxBufferBytes ? byCap : bufferLimit,
                Math.min(totalBytes, cap), Math.max(Math.min(availableBytes, cap - inUse), 0),
                cap < totalBytes ? byCap : memory, onHeap, true);
    }

    /**
     * How to make {@code neededBytes} more fit: under a cap, a larger cap; on the heap, the
     * {@code -Xmx} that would hold them and how the launcher takes it; on a device, a smaller batch
     * or model.
     */
    public String hint(long neededBytes) {
        if (capped) {
            return "raise the clgrad.memory cap, or use a smaller batch or model";
        }
        if (onHeap) {
            long xmx = (totalBytes - availableBytes + neededBytes + GIB - 1) / GIB + 1;
            return "give the JVM more heap, such as -Xmx" + xmx + "g (the clgrad launcher takes JVM options from "
                    + "CLGRAD_JAVA_OPTS: CLGRAD_JAVA_OPTS=-Xmx" + xmx + "g clgrad ...), or use a smaller batch or model";
        }
        return "use a smaller batch or model, or a device with more memory";
    }

    /** Bytes for people: {@code 512 B}, {@code 1.50 MiB}, {@code 9.66 GiB}. */
    public static String size(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.2f %s", v, units[u]);
    }
}
