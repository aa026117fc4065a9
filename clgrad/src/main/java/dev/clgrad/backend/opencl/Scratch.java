package dev.clgrad.backend.opencl;

import dev.clgrad.Diagnostics;

import static java.lang.System.Logger.Level.WARNING;

/**
 * The temporary space of launches that hand data from one kernel to the next within one op (the
 * partial products of a split-K weight gradient): one device buffer per backend, shared by all of
 * them, since the backend's one in-order queue never runs two at once. It grows to the largest need
 * so far when a launch that needs it is prepared ({@link OpenClBackend#prepare}) or run outside a
 * program, so a replayed step allocates nothing; a launch reads the buffer when it is enqueued
 * ({@link Call.ScratchBuffer}), so launches prepared before it grew use the new one. A replaced
 * buffer is released at once: OpenCL frees it after the commands already queued on it complete. Not
 * a pooled buffer, so the leak count ({@link OpenClBackend#liveBuffers}) does not see it.
 */
final class Scratch implements AutoCloseable {
    private static final System.Logger LOG = Diagnostics.logger(Scratch.class);

    private final ClApi api;
    private final ClApi.Context context;
    private final long maxAllocBytes;
    private ClApi.Mem mem;
    private long floats;

    Scratch(ClApi api, ClApi.Context context, long maxAllocBytes) {
        this.api = api;
        this.context = context;
        this.maxAllocBytes = maxAllocBytes;
    }

    /**
     * Grows the buffer to {@code need} floats when it holds fewer.
     *
     * @throws IllegalArgumentException naming the kernel when {@code need} floats exceed the device's
     *                                  largest buffer
     */
    synchronized void reserve(String kernel, long need) {
        if (need * Float.BYTES > maxAllocBytes) {
            throw new IllegalArgumentException(kernel + ": its scratch area of " + need + " floats exceeds the "
                    + "device's largest buffer (" + maxAllocBytes + " bytes)");
        }
        if (need > floats) {
            ClApi.Mem grown = api.createBuffer(context, need * Float.BYTES);
            if (mem != null) {
                api.release(mem);
            }
            mem = grown;
            floats = need;
        }
    }

    /** The buffer now; a launch that reserved space finds at least that much. */
    synchronized ClApi.Mem mem() {
        return mem;
    }

    /** The floats the buffer holds (0 before the first reservation). */
    synchronized long floats() {
        return floats;
    }

    /** Releases the buffer; never throws. */
    @Override
    public synchronized void close() {
        if (mem != null) {
            try {
                api.release(mem);
            } catch (RuntimeException e) {
                LOG.log(WARNING, "releasing the scratch buffer failed: " + e.getMessage());
            }
            mem = null;
            floats = 0;
        }
    }
}
