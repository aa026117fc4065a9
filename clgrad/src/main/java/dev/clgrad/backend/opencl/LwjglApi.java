package dev.clgrad.backend.opencl;

import org.lwjgl.PointerBuffer;
import org.lwjgl.opencl.KHRCommandBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.lwjgl.opencl.CL10.*;
import static org.lwjgl.opencl.CL12.clEnqueueFillBuffer;

/**
 * {@link ClApi} through LWJGL 3 ({@code -Dclgrad.binding=lwjgl}). Short-lived native memory comes
 * from the thread's {@link MemoryStack}; host arrays travel through a direct staging buffer.
 */
final class LwjglApi implements ClApi {
    private record H(long id) implements Platform, Device, Context, Queue, Mem, Program, Kernel, Event {
    }

    /** A command buffer and the one queue it was created for. */
    private record CB(long id, long queue) implements CommandBuffer {
    }

    private static final int STAGING_FLOATS = 1 << 20;
    private FloatBuffer staging;

    @Override
    public String name() {
        return "lwjgl";
    }

    @Override
    public List<Platform> platforms() {
        try (MemoryStack s = MemoryStack.stackPush()) {
            IntBuffer n = s.mallocInt(1);
            int status = clGetPlatformIDs(null, n);
            if (status == -1001 || n.get(0) == 0) {
                return List.of();
            }
            OpenClException.check(status, "clGetPlatformIDs");
            PointerBuffer ids = s.mallocPointer(n.get(0));
            OpenClException.check(clGetPlatformIDs(ids, (IntBuffer) null), "clGetPlatformIDs");
            List<Platform> out = new ArrayList<>();
            for (int i = 0; i < ids.capacity(); i++) {
                out.add(new H(ids.get(i)));
            }
            return out;
        }
    }

    @Override
    public String platformName(Platform platform) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            PointerBuffer size = s.mallocPointer(1);
            long id = ((H) platform).id;
            OpenClException.check(clGetPlatformInfo(id, CL_PLATFORM_NAME, (ByteBuffer) null, size), "clGetPlatformInfo");
            ByteBuffer buf = s.malloc((int) size.get(0));
            OpenClException.check(clGetPlatformInfo(id, CL_PLATFORM_NAME, buf, null), "clGetPlatformInfo");
            return cString(buf);
        }
    }

    @Override
    public List<Device> devices(Platform platform) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            long id = ((H) platform).id;
            IntBuffer n = s.mallocInt(1);
            int status = clGetDeviceIDs(id, CL_DEVICE_TYPE_ALL, null, n);
            if (status == CL_DEVICE_NOT_FOUND) {
                return List.of();
            }
            OpenClException.check(status, "clGetDeviceIDs");
            PointerBuffer ids = s.mallocPointer(n.get(0));
            OpenClException.check(clGetDeviceIDs(id, CL_DEVICE_TYPE_ALL, ids, (IntBuffer) null), "clGetDeviceIDs");
            List<Device> out = new ArrayList<>();
            for (int i = 0; i < ids.capacity(); i++) {
                out.add(new H(ids.get(i)));
            }
            return out;
        }
    }

    @Override
    public List<Device> subDevices(Device device, int computeUnits) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            long id = ((H) device).id;
            PointerBuffer props = s.mallocPointer(3).put(0, org.lwjgl.opencl.CL12.CL_DEVICE_PARTITION_EQUALLY)
                    .put(1, computeUnits).put(2, 0);
            IntBuffer n = s.mallocInt(1);
            if (org.lwjgl.opencl.CL12.clCreateSubDevices(id, props, null, n) != CL_SUCCESS || n.get(0) == 0) {
                return List.of();
            }
            PointerBuffer ids = s.mallocPointer(n.get(0));
            OpenClException.check(org.lwjgl.opencl.CL12.clCreateSubDevices(id, props, ids, (IntBuffer) null),
                    "clCreateSubDevices");
            List<Device> out = new ArrayList<>();
            for (int i = 0; i < ids.capacity(); i++) {
                out.add(new H(ids.get(i)));
            }
            return out;
        }
    }

    @Override
    public void release(Device device) {
        org.lwjgl.opencl.CL12.clReleaseDevice(((H) device).id);
    }

    @Override
    public DeviceProps deviceProps(Device device) {
        long id = ((H) device).id;
        return new DeviceProps(deviceString(id, CL_DEVICE_NAME), deviceString(id, CL_DEVICE_VENDOR),
                ClDiscovery.typeName(deviceLong(id, CL_DEVICE_TYPE)), deviceString(id, CL_DEVICE_VERSION),
                deviceString(id, CL_DRIVER_VERSION), (int) deviceInt(id, CL_DEVICE_MAX_COMPUTE_UNITS),
                deviceLong(id, CL_DEVICE_GLOBAL_MEM_SIZE), deviceLong(id, CL_DEVICE_MAX_MEM_ALLOC_SIZE),
                deviceSizeT(id, CL_DEVICE_MAX_WORK_GROUP_SIZE), deviceLong(id, CL_DEVICE_LOCAL_MEM_SIZE));
    }

    private static String deviceString(long id, int param) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            PointerBuffer size = s.mallocPointer(1);
            OpenClException.check(clGetDeviceInfo(id, param, (ByteBuffer) null, size), "clGetDeviceInfo");
            ByteBuffer buf = s.malloc((int) size.get(0));
            OpenClException.check(clGetDeviceInfo(id, param, buf, null), "clGetDeviceInfo");
            return cString(buf);
        }
    }

    private static long deviceLong(long id, int param) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            LongBuffer v = s.mallocLong(1);
            OpenClException.check(clGetDeviceInfo(id, param, v, null), "clGetDeviceInfo");
            return v.get(0);
        }
    }

    private static long deviceSizeT(long id, int param) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            PointerBuffer v = s.mallocPointer(1);
            OpenClException.check(clGetDeviceInfo(id, param, v, null), "clGetDeviceInfo");
            return v.get(0);
        }
    }

    private static long deviceInt(long id, int param) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            IntBuffer v = s.mallocInt(1);
            OpenClException.check(clGetDeviceInfo(id, param, v, null), "clGetDeviceInfo");
            return v.get(0);
        }
    }

    private static String cString(ByteBuffer buf) {
        int n = 0;
        while (n < buf.limit() && buf.get(n) != 0) {
            n++;
        }
        byte[] bytes = new byte[n];
        buf.get(0, bytes);
        return new String(bytes, java.nio.charset.StandardCharsets.UTF_8).trim();
    }

    @Override
    public Context createContext(Device device) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            IntBuffer err = s.mallocInt(1);
            long c = clCreateContext(null, ((H) device).id, null, 0, err);
            OpenClException.check(err.get(0), "clCreateContext");
            return new H(c);
        }
    }

    @Override
    public Queue createQueue(Context context, Device device, boolean profiling) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            IntBuffer err = s.mallocInt(1);
            long q = clCreateCommandQueue(((H) context).id, ((H) device).id,
                    profiling ? CL_QUEUE_PROFILING_ENABLE : 0, err);
            OpenClException.check(err.get(0), "clCreateCommandQueue");
            return new H(q);
        }
    }

    @Override
    public Mem createBuffer(Context context, long bytes) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            IntBuffer err = s.mallocInt(1);
            long m = clCreateBuffer(((H) context).id, CL_MEM_READ_WRITE, bytes, err);
            OpenClException.check(err.get(0), "clCreateBuffer", "size=" + bytes + " bytes");
            return new H(m);
        }
    }

    private FloatBuffer staging() {
        if (staging == null) {
            staging = MemoryUtil.memAllocFloat(STAGING_FLOATS);
        }
        return staging;
    }

    @Override
    public synchronized void write(Queue queue, float[] src, int srcOffset, Mem dst, long dstByteOffset, int count) {
        FloatBuffer stage = staging();
        for (int done = 0; done < count; ) {
            int n = Math.min(STAGING_FLOATS, count - done);
            stage.clear();
            stage.put(src, srcOffset + done, n).flip();
            long at = dstByteOffset + 4L * done;
            OpenClException.check(clEnqueueWriteBuffer(((H) queue).id, ((H) dst).id, true, at, stage, null, null),
                    "clEnqueueWriteBuffer", "offset=" + at + " bytes=" + 4L * n);
            done += n;
        }
    }

    @Override
    public Event writeAsync(Queue queue, FloatBuffer src, Mem dst, long dstByteOffset) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            PointerBuffer ev = s.mallocPointer(1);
            OpenClException.check(clEnqueueWriteBuffer(((H) queue).id, ((H) dst).id, false, dstByteOffset, src, null, ev),
                    "clEnqueueWriteBuffer", "offset=" + dstByteOffset + " bytes=" + 4L * src.remaining());
            return new H(ev.get(0));
        }
    }

    @Override
    public void waitFor(Event event) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            OpenClException.check(clWaitForEvents(s.pointers(((H) event).id)), "clWaitForEvents");
        }
    }

    @Override
    public synchronized void read(Queue queue, Mem src, long srcByteOffset, float[] dst, int dstOffset, int count) {
        FloatBuffer stage = staging();
        for (int done = 0; done < count; ) {
            int n = Math.min(STAGING_FLOATS, count - done);
            stage.clear().limit(n);
            long at = srcByteOffset + 4L * done;
            OpenClException.check(clEnqueueReadBuffer(((H) queue).id, ((H) src).id, true, at, stage, null, null),
                    "clEnqueueReadBuffer", "offset=" + at + " bytes=" + 4L * n);
            stage.get(dst, dstOffset + done, n);
            done += n;
        }
    }

    @Override
    public void copy(Queue queue, Mem src, long srcByteOffset, Mem dst, long dstByteOffset, long bytes) {
        OpenClException.check(clEnqueueCopyBuffer(((H) queue).id, ((H) src).id, ((H) dst).id, srcByteOffset,
                dstByteOffset, bytes, null, null), "clEnqueueCopyBuffer", "bytes=" + bytes);
    }

    @Override
    public void fill(Queue queue, Mem dst, long byteOffset, long bytes, float value) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            OpenClException.check(clEnqueueFillBuffer(((H) queue).id, ((H) dst).id, s.malloc(Float.BYTES).putFloat(0, value),
                    byteOffset, bytes, null, null), "clEnqueueFillBuffer", "offset=" + byteOffset + " bytes=" + bytes);
        }
    }

    @Override
    public Program programFromSource(Context context, String source) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            IntBuffer err = s.mallocInt(1);
            long p = clCreateProgramWithSource(((H) context).id, source, err);
            OpenClException.check(err.get(0), "clCreateProgramWithSource");
            return new H(p);
        }
    }

    @Override
    public Program programFromBinary(Context context, Device device, byte[] binary) {
        ByteBuffer bin = MemoryUtil.memAlloc(binary.length);
        try (MemoryStack s = MemoryStack.stackPush()) {
            bin.put(binary).flip();
            IntBuffer err = s.mallocInt(1);
            IntBuffer binStatus = s.mallocInt(1);
            long p = clCreateProgramWithBinary(((H) context).id, s.pointers(((H) device).id), bin, binStatus, err);
            OpenClException.check(err.get(0), "clCreateProgramWithBinary");
            if (binStatus.get(0) != CL_SUCCESS) {
                clReleaseProgram(p);
                throw new OpenClException("clCreateProgramWithBinary", binStatus.get(0), "binary status");
            }
            return new H(p);
        } finally {
            MemoryUtil.memFree(bin);
        }
    }

    @Override
    public int build(Program program, Device device, String options) {
        return clBuildProgram(((H) program).id, ((H) device).id, options, null, 0);
    }

    @Override
    public String buildLog(Program program, Device device) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            PointerBuffer size = s.mallocPointer(1);
            long p = ((H) program).id;
            long d = ((H) device).id;
            if (clGetProgramBuildInfo(p, d, CL_PROGRAM_BUILD_LOG, (ByteBuffer) null, size) != CL_SUCCESS) {
                return "(no build log)";
            }
            ByteBuffer buf = MemoryUtil.memAlloc((int) Math.max(1, size.get(0)));
            try {
                clGetProgramBuildInfo(p, d, CL_PROGRAM_BUILD_LOG, buf, null);
                return cString(buf);
            } finally {
                MemoryUtil.memFree(buf);
            }
        }
    }

    @Override
    public byte[] binary(Program program) {
        long p = ((H) program).id;
        try (MemoryStack s = MemoryStack.stackPush()) {
            PointerBuffer sizes = s.mallocPointer(1);
            OpenClException.check(clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, sizes, null),
                    "clGetProgramInfo(CL_PROGRAM_BINARY_SIZES)");
            int n = (int) sizes.get(0);
            ByteBuffer bin = MemoryUtil.memAlloc(n);
            try {
                PointerBuffer ptrs = s.pointers(MemoryUtil.memAddress(bin));
                OpenClException.check(clGetProgramInfo(p, CL_PROGRAM_BINARIES, ptrs, null),
                        "clGetProgramInfo(CL_PROGRAM_BINARIES)");
                byte[] out = new byte[n];
                bin.get(0, out);
                return out;
            } finally {
                MemoryUtil.memFree(bin);
            }
        }
    }

    @Override
    public Kernel createKernel(Program program, String name) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            IntBuffer err = s.mallocInt(1);
            long k = clCreateKernel(((H) program).id, name, err);
            OpenClException.check(err.get(0), "clCreateKernel(" + name + ")");
            return new H(k);
        }
    }

    @Override
    public void setArg(Kernel kernel, int index, Mem value) {
        OpenClException.check(clSetKernelArg1p(((H) kernel).id, index, ((H) value).id), "clSetKernelArg",
                "index " + index);
    }

    @Override
    public void setArg(Kernel kernel, int index, int value) {
        OpenClException.check(clSetKernelArg1i(((H) kernel).id, index, value), "clSetKernelArg", "index " + index);
    }

    @Override
    public void setArg(Kernel kernel, int index, float value) {
        OpenClException.check(clSetKernelArg1f(((H) kernel).id, index, value), "clSetKernelArg", "index " + index);
    }

    @Override
    public void setArg(Kernel kernel, int index, long value) {
        OpenClException.check(clSetKernelArg1l(((H) kernel).id, index, value), "clSetKernelArg", "index " + index);
    }

    @Override
    public void setArg(Kernel kernel, int index, int x, int y) {
        OpenClException.check(clSetKernelArg2i(((H) kernel).id, index, x, y), "clSetKernelArg", "index " + index);
    }

    @Override
    public Event enqueue(Queue queue, Kernel kernel, String kernelName, long[] global, long[] local,
                         boolean wantEvent) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            PointerBuffer g = s.mallocPointer(global.length);
            for (int i = 0; i < global.length; i++) {
                g.put(i, global[i]);
            }
            PointerBuffer l = null;
            if (local != null) {
                l = s.mallocPointer(local.length);
                for (int i = 0; i < local.length; i++) {
                    l.put(i, local[i]);
                }
            }
            PointerBuffer ev = wantEvent ? s.mallocPointer(1) : null;
            int status = clEnqueueNDRangeKernel(((H) queue).id, ((H) kernel).id, global.length, null, g, l, null, ev);
            OpenClException.check(status, "clEnqueueNDRangeKernel(" + kernelName + ")",
                    "global=" + Arrays.toString(global) + " local=" + Arrays.toString(local));
            return wantEvent ? new H(ev.get(0)) : null;
        }
    }

    @Override
    public void flush(Queue queue) {
        OpenClException.check(clFlush(((H) queue).id), "clFlush");
    }

    @Override
    public void finish(Queue queue) {
        OpenClException.check(clFinish(((H) queue).id), "clFinish");
    }

    @Override
    public long[] eventTimes(Event event) {
        int[] params = {CL_PROFILING_COMMAND_QUEUED, CL_PROFILING_COMMAND_SUBMIT, CL_PROFILING_COMMAND_START,
            CL_PROFILING_COMMAND_END};
        long[] out = new long[4];
        try (MemoryStack s = MemoryStack.stackPush()) {
            LongBuffer v = s.mallocLong(1);
            for (int i = 0; i < 4; i++) {
                OpenClException.check(clGetEventProfilingInfo(((H) event).id, params[i], v, null),
                        "clGetEventProfilingInfo");
                out[i] = v.get(0);
            }
        }
        return out;
    }

    @Override
    public void release(Event event) {
        clReleaseEvent(((H) event).id);
    }

    @Override
    public void release(Mem mem) {
        clReleaseMemObject(((H) mem).id);
    }

    @Override
    public void release(Kernel kernel) {
        clReleaseKernel(((H) kernel).id);
    }

    @Override
    public void release(Program program) {
        clReleaseProgram(((H) program).id);
    }

    @Override
    public void release(Queue queue) {
        clReleaseCommandQueue(((H) queue).id);
    }

    @Override
    public void release(Context context) {
        clReleaseContext(((H) context).id);
    }

    // ---- cl_khr_command_buffer -----------------------------------------------------------------
    // LWJGL 3.3.6 binds the provisional 0.9.x entry points (clCommandNDRangeKernelKHR with a
    // properties pointer after the queue and a trailing mutable handle), the revision PoCL 3.1
    // implements (0.9.0). The base extension records to the buffer's one queue: the command_queue
    // argument of the clCommand* calls must be NULL.

    @Override
    public boolean commandBuffers() {
        return org.lwjgl.opencl.CL.getICD().clCreateCommandBufferKHR != MemoryUtil.NULL;
    }

    @Override
    public CommandBuffer createCommandBuffer(Queue queue) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            IntBuffer err = s.mallocInt(1);
            long q = ((H) queue).id;
            long cb = KHRCommandBuffer.clCreateCommandBufferKHR(s.pointers(q), null, err);
            OpenClException.check(err.get(0), "clCreateCommandBufferKHR");
            return new CB(cb, q);
        }
    }

    @Override
    public void record(CommandBuffer buffer, Kernel kernel, String kernelName, long[] global, long[] local) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            PointerBuffer g = s.mallocPointer(global.length);
            for (int i = 0; i < global.length; i++) {
                g.put(i, global[i]);
            }
            PointerBuffer l = null;
            if (local != null) {
                l = s.mallocPointer(local.length);
                for (int i = 0; i < local.length; i++) {
                    l.put(i, local[i]);
                }
            }
            int status = KHRCommandBuffer.clCommandNDRangeKernelKHR(((CB) buffer).id, MemoryUtil.NULL,
                    (LongBuffer) null, ((H) kernel).id, global.length, null, g, l, (IntBuffer) null, null, null);
            OpenClException.check(status, "clCommandNDRangeKernelKHR(" + kernelName + ")",
                    "global=" + Arrays.toString(global) + " local=" + Arrays.toString(local));
        }
    }

    @Override
    public void finalizeCommandBuffer(CommandBuffer buffer) {
        OpenClException.check(KHRCommandBuffer.clFinalizeCommandBufferKHR(((CB) buffer).id),
                "clFinalizeCommandBufferKHR");
    }

    @Override
    public void enqueue(CommandBuffer buffer) {
        try (MemoryStack s = MemoryStack.stackPush()) {
            CB cb = (CB) buffer;
            OpenClException.check(KHRCommandBuffer.clEnqueueCommandBufferKHR(s.pointers(cb.queue), cb.id, null, null),
                    "clEnqueueCommandBufferKHR");
        }
    }

    @Override
    public void release(CommandBuffer buffer) {
        KHRCommandBuffer.clReleaseCommandBufferKHR(((CB) buffer).id);
    }
}
