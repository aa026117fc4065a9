package dev.clgrad.tensor;

/**
 * A block of float32 storage owned by one backend: a {@code cl_mem} for OpenCL, a {@code float[]}
 * for the Java backend. Tensors are views onto buffers; only the backend that made a buffer reads
 * its contents.
 */
public abstract class DeviceBuffer {
    /**
     * clgrad's own limit on one buffer, whatever the device: the host addresses a buffer's elements
     * with int offsets and counts, and a Java backend buffer is a Java array.
     */
    public static final long MAX_FLOATS = Integer.MAX_VALUE - 8;

    private final long floats;

    protected DeviceBuffer(long floats) {
        this.floats = floats;
    }

    /** Capacity in float32 elements. */
    public final long floats() {
        return floats;
    }

    public final long bytes() {
        return floats * Float.BYTES;
    }
}
