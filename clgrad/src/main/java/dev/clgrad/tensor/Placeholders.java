package dev.clgrad.tensor;

/**
 * A memory that allocates nothing: a tensor on it has a shape, a name and views like any other but
 * no storage, so that what a model would take can be planned (its parameter groups laid out, its
 * steps lowered and their workspace placed) before anything is allocated. Copying data to or from
 * a placeholder is an error. The planner's symbolic workspace values are placeholders too, numbered
 * as they are asked for (a subclass that allocates its own buffers).
 */
public class Placeholders implements DeviceMemory {
    /** A buffer with a capacity and no storage. */
    private static final class Placeholder extends DeviceBuffer {
        Placeholder(long floats) {
            super(floats);
        }
    }

    @Override
    public String id() {
        return "placeholders";
    }

    @Override
    public DeviceBuffer allocate(long floats) {
        return new Placeholder(floats);
    }

    @Override
    public void release(DeviceBuffer buffer) {
    }

    @Override
    public void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
        throw new UnsupportedOperationException("a placeholder holds no data");
    }

    @Override
    public void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count) {
        throw new UnsupportedOperationException("a placeholder holds no data");
    }

    @Override
    public int liveBuffers() {
        return 0;
    }

    @Override
    public Transfers transfers() {
        return new Transfers(0, 0);
    }

    @Override
    public void finish() {
    }
}
