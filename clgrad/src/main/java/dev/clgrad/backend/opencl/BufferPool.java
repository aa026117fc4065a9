package dev.clgrad.backend.opencl;

import dev.clgrad.backend.BackendException;
import dev.clgrad.tensor.DeviceBuffer;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Device buffers recycled by exact size, so a training loop that asks for the same shapes every
 * step creates buffers only in its first step. Counts what it hands out (the leak detector) and
 * what it created and reused.
 */
final class BufferPool implements AutoCloseable {
    /** A {@code cl_mem} as a {@link DeviceBuffer}. */
    static final class ClBuffer extends DeviceBuffer {
        final ClApi.Mem mem;

        ClBuffer(ClApi.Mem mem, long floats) {
            super(floats);
            this.mem = mem;
        }
    }

    /** Pool counters: buffers live (handed out), free (pooled), created, reused; bytes live and free. */
    record Stats(int live, int free, long created, long reused, long liveBytes, long freeBytes) {
    }

    private final ClApi api;
    private final ClApi.Context context;
    private final long maxAllocBytes;
    private final Map<Long, ArrayDeque<ClBuffer>> free = new HashMap<>();
    private int live;
    private int freeCount;
    private long created;
    private long reused;
    private long liveBytes;
    private long freeBytes;

    BufferPool(ClApi api, ClApi.Context context, long maxAllocBytes) {
        this.api = api;
        this.context = context;
        this.maxAllocBytes = maxAllocBytes;
    }

    synchronized ClBuffer take(long floats) {
        long bytes = floats * Float.BYTES;
        if (bytes > maxAllocBytes) {
            throw new BackendException("cannot allocate " + bytes + " bytes (" + floats
                    + " floats): the device allows at most " + maxAllocBytes + " bytes per buffer");
        }
        ArrayDeque<ClBuffer> q = free.get(floats);
        ClBuffer b = q == null ? null : q.poll();
        if (b != null) {
            reused++;
            freeCount--;
            freeBytes -= bytes;
        } else {
            b = new ClBuffer(createTrimmingOnFailure(bytes), floats);
            created++;
        }
        live++;
        liveBytes += bytes;
        return b;
    }

    private ClApi.Mem createTrimmingOnFailure(long bytes) {
        try {
            return api.createBuffer(context, bytes);
        } catch (OpenClException e) {
            if (freeCount == 0) {
                throw e;
            }
            trim();
            return api.createBuffer(context, bytes);
        }
    }

    synchronized void give(ClBuffer b) {
        live--;
        liveBytes -= b.bytes();
        freeCount++;
        freeBytes += b.bytes();
        free.computeIfAbsent(b.floats(), k -> new ArrayDeque<>()).push(b);
    }

    /** Frees every pooled buffer. */
    synchronized void trim() {
        free.values().forEach(q -> q.forEach(b -> api.release(b.mem)));
        free.clear();
        freeCount = 0;
        freeBytes = 0;
    }

    synchronized int live() {
        return live;
    }

    synchronized Stats stats() {
        return new Stats(live, freeCount, created, reused, liveBytes, freeBytes);
    }

    @Override
    public void close() {
        trim();
    }
}
