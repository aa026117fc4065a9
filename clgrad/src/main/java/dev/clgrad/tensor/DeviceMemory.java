package dev.clgrad.tensor;

/**
 * A device's memory, the part of a backend that tensors need: buffers of float32 elements, copies
 * between host and device, and the wait for pending work. Contents of a new buffer are undefined.
 */
public interface DeviceMemory {

    /** The spec that selects this device, such as {@code opencl:0:0} or {@code java}. */
    String id();

    /** A buffer of at least {@code floats} elements, from the pool when one is free. Contents undefined. */
    DeviceBuffer allocate(long floats);

    /** Returns a buffer to the pool. The caller must not use it afterwards. */
    void release(DeviceBuffer buffer);

    /** Copies {@code count} floats from the host into the buffer, starting at element {@code dstOffset}. */
    void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count);

    /** Waits for enqueued work, then copies {@code count} floats from the buffer to the host. */
    void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count);

    /**
     * Host↔device copies since this memory was opened: {@link #upload} and {@link #download} calls
     * (a training step makes one upload, its batch; the planner's programs make none).
     */
    Transfers transfers();

    /** Counts of host↔device copies. */
    record Transfers(long uploads, long downloads) {
    }

    /** Buffers allocated and not yet released (pooled free buffers do not count): the leak detector. */
    int liveBuffers();

    /** Blocks until every enqueued operation has completed. */
    void finish();
}
