package dev.clgrad.backend.opencl;

import java.util.List;

/**
 * The OpenCL calls clgrad makes, behind one small facade so that the engine never imports a
 * binding: {@link JoclApi} (default) and {@link LwjglApi} implement it. Handles are opaque
 * objects owned by the implementation that made them. Every call checks its status and throws an
 * {@link OpenClException} naming the call and the symbolic error.
 */
interface ClApi {
    /** Opaque OpenCL object handles. */
    interface Platform {
    }

    interface Device {
    }

    interface Context {
    }

    interface Queue {
    }

    interface Mem {
    }

    interface Program {
    }

    interface Kernel {
    }

    interface Event {
    }

    /** A recorded {@code cl_khr_command_buffer} (see {@link #createCommandBuffer}). */
    interface CommandBuffer {
    }

    /** What {@code clGetDeviceInfo} says about a device, read once at discovery. */
    record DeviceProps(String name, String vendor, String type, String version, String driverVersion,
                       int computeUnits, long globalMemBytes, long maxAllocBytes, long maxWorkGroupSize,
                       long localMemBytes) {
    }

    /** {@code jocl} or {@code lwjgl}. */
    String name();

    List<Platform> platforms();

    String platformName(Platform platform);

    List<Device> devices(Platform platform);

    DeviceProps deviceProps(Device device);

    /**
     * {@code clCreateSubDevices} with {@code CL_DEVICE_PARTITION_EQUALLY}: as many sub-devices of
     * {@code computeUnits} compute units each as the device holds (device fission); empty when the
     * device cannot be partitioned so. The caller releases each ({@link #release(Device)}).
     */
    List<Device> subDevices(Device device, int computeUnits);

    /** {@code clReleaseDevice}: for sub-devices only (root devices are not reference counted). */
    void release(Device device);

    Context createContext(Device device);

    Queue createQueue(Context context, Device device, boolean profiling);

    Mem createBuffer(Context context, long bytes);

    /** Blocking write of {@code count} floats from {@code src[srcOffset..]} at byte offset {@code dstByteOffset}. */
    void write(Queue queue, float[] src, int srcOffset, Mem dst, long dstByteOffset, int count);

    /**
     * Non-blocking write of {@code src}'s remaining floats (a direct buffer, untouched until the
     * returned event completes) at byte offset {@code dstByteOffset}.
     */
    Event writeAsync(Queue queue, java.nio.FloatBuffer src, Mem dst, long dstByteOffset);

    /** Blocks until the event's command has completed. */
    void waitFor(Event event);

    /** Blocking read of {@code count} floats into {@code dst[dstOffset..]}. */
    void read(Queue queue, Mem src, long srcByteOffset, float[] dst, int dstOffset, int count);

    void copy(Queue queue, Mem src, long srcByteOffset, Mem dst, long dstByteOffset, long bytes);

    /** {@code clEnqueueFillBuffer} of {@code bytes} (a multiple of 4) at {@code byteOffset} with the float {@code value}. */
    void fill(Queue queue, Mem dst, long byteOffset, long bytes, float value);

    Program programFromSource(Context context, String source);

    /** A program from a cached binary; throws {@link OpenClException} when the binary is refused. */
    Program programFromBinary(Context context, Device device, byte[] binary);

    /** Builds; returns the status code (0 on success) so the caller can attach the build log. */
    int build(Program program, Device device, String options);

    String buildLog(Program program, Device device);

    byte[] binary(Program program);

    Kernel createKernel(Program program, String name);

    void setArg(Kernel kernel, int index, Mem value);

    void setArg(Kernel kernel, int index, int value);

    void setArg(Kernel kernel, int index, float value);

    void setArg(Kernel kernel, int index, long value);

    /** An {@code int2} argument (x, y). */
    void setArg(Kernel kernel, int index, int x, int y);

    /**
     * Enqueues a kernel over {@code global} work-items ({@code local} may be null); returns its event
     * when {@code wantEvent}, else null. {@code context} names the kernel in errors.
     */
    Event enqueue(Queue queue, Kernel kernel, String kernelName, long[] global, long[] local, boolean wantEvent);

    void flush(Queue queue);

    void finish(Queue queue);

    /** Profiling time stamps in ns: queued, submit, start, end. */
    long[] eventTimes(Event event);

    void release(Event event);

    void release(Mem mem);

    void release(Kernel kernel);

    void release(Program program);

    void release(Queue queue);

    void release(Context context);

    // ---- cl_khr_command_buffer (LWJGL only: JOCL 2.0.5 has no binding for the extension) --------
    // Used only by the command-buffer benchmark (CommandBufferBench, test scope): the replayed step
    // keeps plain enqueues, since recording it was not clearly faster on PoCL 3.1 (docs/BENCHMARKS.md).

    /** Whether this binding can call {@code cl_khr_command_buffer}; the device must also list the extension. */
    default boolean commandBuffers() {
        return false;
    }

    /** {@code clCreateCommandBufferKHR} for one queue, no properties; recording starts. */
    default CommandBuffer createCommandBuffer(Queue queue) {
        throw new UnsupportedOperationException(name() + " has no binding for cl_khr_command_buffer");
    }

    /**
     * {@code clCommandNDRangeKernelKHR}: records the kernel with its arguments as they are set now
     * (the command buffer captures them), no sync points: commands run in recording order.
     */
    default void record(CommandBuffer buffer, Kernel kernel, String kernelName, long[] global, long[] local) {
        throw new UnsupportedOperationException(name() + " has no binding for cl_khr_command_buffer");
    }

    /** {@code clFinalizeCommandBufferKHR}: ends recording. */
    default void finalizeCommandBuffer(CommandBuffer buffer) {
        throw new UnsupportedOperationException(name() + " has no binding for cl_khr_command_buffer");
    }

    /** {@code clEnqueueCommandBufferKHR} on the buffer's own queue, no wait list, no event. */
    default void enqueue(CommandBuffer buffer) {
        throw new UnsupportedOperationException(name() + " has no binding for cl_khr_command_buffer");
    }

    /** {@code clReleaseCommandBufferKHR}. */
    default void release(CommandBuffer buffer) {
        throw new UnsupportedOperationException(name() + " has no binding for cl_khr_command_buffer");
    }
}
