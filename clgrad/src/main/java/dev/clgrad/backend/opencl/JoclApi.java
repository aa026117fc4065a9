package dev.clgrad.backend.opencl;

import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_event;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;
import org.jocl.cl_program;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.jocl.CL.*;

/** {@link ClApi} through JOCL (org.jocl), the default binding. JOCL's exceptions stay off (its default): every status is checked here. */
final class JoclApi implements ClApi {
    private record P(cl_platform_id id) implements Platform {
    }

    private record D(cl_device_id id) implements Device {
    }

    private record C(cl_context id) implements Context {
    }

    private record Q(cl_command_queue id) implements Queue {
    }

    private record M(cl_mem id) implements Mem {
    }

    private record Pr(cl_program id) implements Program {
    }

    private record K(cl_kernel id) implements Kernel {
    }

    private record E(cl_event id) implements Event {
    }

    /**
     * JOCL's native {@code clEnqueueWriteBuffer}, bypassing the public wrapper. The wrapper hands
     * every non-blocking transfer's event to a thread of JOCL's own that waits on it and releases
     * it, which can run after the backend has released its queue and context (a crash in PoCL
     * seen in the tests); the native call is the C function and nothing else. Null when this JOCL
     * lacks the method (any version but the 2.0.5 clgrad pins): then writes block.
     */
    static final MethodHandle WRITE_NATIVE = writeNative();

    private static MethodHandle writeNative() {
        try {
            return MethodHandles.privateLookupIn(CL.class, MethodHandles.lookup()).findStatic(CL.class,
                    "clEnqueueWriteBufferNative", MethodType.methodType(int.class, cl_command_queue.class,
                            cl_mem.class, boolean.class, long.class, long.class, Pointer.class, int.class,
                            cl_event[].class, cl_event.class));
        } catch (ReflectiveOperationException | SecurityException e) {
            return null;
        }
    }

    @Override
    public String name() {
        return "jocl";
    }

    @Override
    public List<Platform> platforms() {
        int[] n = new int[1];
        int status = clGetPlatformIDs(0, null, n);
        if (status == -1001 || n[0] == 0) {
            return List.of();
        }
        OpenClException.check(status, "clGetPlatformIDs");
        cl_platform_id[] ids = new cl_platform_id[n[0]];
        OpenClException.check(clGetPlatformIDs(ids.length, ids, null), "clGetPlatformIDs");
        List<Platform> out = new ArrayList<>();
        for (cl_platform_id id : ids) {
            out.add(new P(id));
        }
        return out;
    }

    @Override
    public String platformName(Platform platform) {
        cl_platform_id id = ((P) platform).id;
        long[] size = new long[1];
        OpenClException.check(clGetPlatformInfo(id, CL_PLATFORM_NAME, 0, null, size), "clGetPlatformInfo");
        byte[] buf = new byte[(int) size[0]];
        OpenClException.check(clGetPlatformInfo(id, CL_PLATFORM_NAME, buf.length, Pointer.to(buf), null),
                "clGetPlatformInfo");
        return cString(buf);
    }

    @Override
    public List<Device> devices(Platform platform) {
        cl_platform_id id = ((P) platform).id;
        int[] n = new int[1];
        int status = clGetDeviceIDs(id, CL_DEVICE_TYPE_ALL, 0, null, n);
        if (status == CL_DEVICE_NOT_FOUND) {
            return List.of();
        }
        OpenClException.check(status, "clGetDeviceIDs");
        cl_device_id[] ids = new cl_device_id[n[0]];
        OpenClException.check(clGetDeviceIDs(id, CL_DEVICE_TYPE_ALL, ids.length, ids, null), "clGetDeviceIDs");
        List<Device> out = new ArrayList<>();
        for (cl_device_id d : ids) {
            out.add(new D(d));
        }
        return out;
    }

    @Override
    public List<Device> subDevices(Device device, int computeUnits) {
        cl_device_id id = ((D) device).id;
        org.jocl.cl_device_partition_property props = new org.jocl.cl_device_partition_property();
        props.addProperty(CL_DEVICE_PARTITION_EQUALLY, computeUnits);
        int[] n = new int[1];
        if (clCreateSubDevices(id, props, 0, null, n) != CL_SUCCESS || n[0] == 0) {
            return List.of();
        }
        cl_device_id[] ids = new cl_device_id[n[0]];
        OpenClException.check(clCreateSubDevices(id, props, ids.length, ids, null), "clCreateSubDevices");
        List<Device> out = new ArrayList<>();
        for (cl_device_id d : ids) {
            out.add(new D(d));
        }
        return out;
    }

    @Override
    public void release(Device device) {
        clReleaseDevice(((D) device).id);
    }

    @Override
    public DeviceProps deviceProps(Device device) {
        cl_device_id id = ((D) device).id;
        long type = deviceLong(id, CL_DEVICE_TYPE);
        return new DeviceProps(deviceString(id, CL_DEVICE_NAME), deviceString(id, CL_DEVICE_VENDOR),
                ClDiscovery.typeName(type), deviceString(id, CL_DEVICE_VERSION), deviceString(id, CL_DRIVER_VERSION),
                deviceInt(id, CL_DEVICE_MAX_COMPUTE_UNITS), deviceLong(id, CL_DEVICE_GLOBAL_MEM_SIZE),
                deviceLong(id, CL_DEVICE_MAX_MEM_ALLOC_SIZE), deviceSizeT(id, CL_DEVICE_MAX_WORK_GROUP_SIZE),
                deviceLong(id, CL_DEVICE_LOCAL_MEM_SIZE));
    }

    private static String deviceString(cl_device_id id, int param) {
        long[] size = new long[1];
        OpenClException.check(clGetDeviceInfo(id, param, 0, null, size), "clGetDeviceInfo");
        byte[] buf = new byte[(int) size[0]];
        OpenClException.check(clGetDeviceInfo(id, param, buf.length, Pointer.to(buf), null), "clGetDeviceInfo");
        return cString(buf);
    }

    private static long deviceLong(cl_device_id id, int param) {
        long[] v = new long[1];
        OpenClException.check(clGetDeviceInfo(id, param, Sizeof.cl_ulong, Pointer.to(v), null), "clGetDeviceInfo");
        return v[0];
    }

    private static long deviceSizeT(cl_device_id id, int param) {
        long[] v = new long[1];
        OpenClException.check(clGetDeviceInfo(id, param, Sizeof.size_t, Pointer.to(v), null), "clGetDeviceInfo");
        return v[0];
    }

    private static int deviceInt(cl_device_id id, int param) {
        int[] v = new int[1];
        OpenClException.check(clGetDeviceInfo(id, param, Sizeof.cl_uint, Pointer.to(v), null), "clGetDeviceInfo");
        return v[0];
    }

    private static String cString(byte[] buf) {
        int n = 0;
        while (n < buf.length && buf[n] != 0) {
            n++;
        }
        return new String(buf, 0, n, StandardCharsets.UTF_8).trim();
    }

    @Override
    public Context createContext(Device device) {
        int[] err = new int[1];
        cl_context c = clCreateContext(null, 1, new cl_device_id[] {((D) device).id}, null, null, err);
        OpenClException.check(err[0], "clCreateContext");
        return new C(c);
    }

    @Override
    @SuppressWarnings("deprecation")
    public Queue createQueue(Context context, Device device, boolean profiling) {
        int[] err = new int[1];
        cl_command_queue q = clCreateCommandQueue(((C) context).id, ((D) device).id,
                profiling ? CL_QUEUE_PROFILING_ENABLE : 0, err);
        OpenClException.check(err[0], "clCreateCommandQueue");
        return new Q(q);
    }

    @Override
    public Mem createBuffer(Context context, long bytes) {
        int[] err = new int[1];
        cl_mem m = clCreateBuffer(((C) context).id, CL_MEM_READ_WRITE, bytes, null, err);
        OpenClException.check(err[0], "clCreateBuffer", "size=" + bytes + " bytes");
        return new M(m);
    }

    @Override
    public void write(Queue queue, float[] src, int srcOffset, Mem dst, long dstByteOffset, int count) {
        OpenClException.check(clEnqueueWriteBuffer(((Q) queue).id, ((M) dst).id, CL_TRUE, dstByteOffset,
                (long) count * Sizeof.cl_float, Pointer.to(src).withByteOffset((long) srcOffset * Sizeof.cl_float),
                0, null, null), "clEnqueueWriteBuffer", "offset=" + dstByteOffset + " bytes=" + 4L * count);
    }

    /**
     * Non-blocking through {@link #WRITE_NATIVE}; {@code src} stays untouched until the event
     * completes (the caller's staging slot holds it). Blocking when that handle is missing.
     */
    @Override
    public Event writeAsync(Queue queue, FloatBuffer src, Mem dst, long dstByteOffset) {
        cl_event event = new cl_event();
        long bytes = (long) src.remaining() * Sizeof.cl_float;
        int status;
        if (WRITE_NATIVE == null) {
            status = clEnqueueWriteBuffer(((Q) queue).id, ((M) dst).id, CL_TRUE, dstByteOffset, bytes,
                    Pointer.to(src), 0, null, event);
        } else {
            try {
                status = (int) WRITE_NATIVE.invokeExact(((Q) queue).id, ((M) dst).id, false, dstByteOffset, bytes,
                        Pointer.to(src), 0, (cl_event[]) null, event);
            } catch (Throwable t) {
                throw new IllegalStateException("JOCL's clEnqueueWriteBufferNative failed", t);
            }
        }
        OpenClException.check(status, "clEnqueueWriteBuffer", "offset=" + dstByteOffset + " bytes=" + bytes);
        return new E(event);
    }

    @Override
    public void waitFor(Event event) {
        OpenClException.check(clWaitForEvents(1, new cl_event[] {((E) event).id}), "clWaitForEvents");
    }

    @Override
    public void read(Queue queue, Mem src, long srcByteOffset, float[] dst, int dstOffset, int count) {
        OpenClException.check(clEnqueueReadBuffer(((Q) queue).id, ((M) src).id, CL_TRUE, srcByteOffset,
                (long) count * Sizeof.cl_float, Pointer.to(dst).withByteOffset((long) dstOffset * Sizeof.cl_float),
                0, null, null), "clEnqueueReadBuffer", "offset=" + srcByteOffset + " bytes=" + 4L * count);
    }

    @Override
    public void copy(Queue queue, Mem src, long srcByteOffset, Mem dst, long dstByteOffset, long bytes) {
        OpenClException.check(clEnqueueCopyBuffer(((Q) queue).id, ((M) src).id, ((M) dst).id, srcByteOffset,
                dstByteOffset, bytes, 0, null, null), "clEnqueueCopyBuffer", "bytes=" + bytes);
    }

    @Override
    public void fill(Queue queue, Mem dst, long byteOffset, long bytes, float value) {
        OpenClException.check(clEnqueueFillBuffer(((Q) queue).id, ((M) dst).id, Pointer.to(new float[] {value}),
                Sizeof.cl_float, byteOffset, bytes, 0, null, null), "clEnqueueFillBuffer",
                "offset=" + byteOffset + " bytes=" + bytes);
    }

    @Override
    public Program programFromSource(Context context, String source) {
        int[] err = new int[1];
        cl_program p = clCreateProgramWithSource(((C) context).id, 1, new String[] {source},
                null, err);
        OpenClException.check(err[0], "clCreateProgramWithSource");
        return new Pr(p);
    }

    @Override
    public Program programFromBinary(Context context, Device device, byte[] binary) {
        int[] err = new int[1];
        int[] binStatus = new int[1];
        cl_program p = clCreateProgramWithBinary(((C) context).id, 1, new cl_device_id[] {((D) device).id},
                new long[] {binary.length}, new byte[][] {binary}, binStatus, err);
        OpenClException.check(err[0], "clCreateProgramWithBinary");
        if (binStatus[0] != CL_SUCCESS) {
            clReleaseProgram(p);
            throw new OpenClException("clCreateProgramWithBinary", binStatus[0], "binary status");
        }
        return new Pr(p);
    }

    @Override
    public int build(Program program, Device device, String options) {
        return clBuildProgram(((Pr) program).id, 1, new cl_device_id[] {((D) device).id}, options, null, null);
    }

    @Override
    public String buildLog(Program program, Device device) {
        cl_program p = ((Pr) program).id;
        cl_device_id d = ((D) device).id;
        long[] size = new long[1];
        if (clGetProgramBuildInfo(p, d, CL_PROGRAM_BUILD_LOG, 0, null, size) != CL_SUCCESS) {
            return "(no build log)";
        }
        byte[] buf = new byte[(int) size[0]];
        clGetProgramBuildInfo(p, d, CL_PROGRAM_BUILD_LOG, buf.length, Pointer.to(buf), null);
        return cString(buf);
    }

    @Override
    public byte[] binary(Program program) {
        cl_program p = ((Pr) program).id;
        long[] sizes = new long[1];
        OpenClException.check(clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, Sizeof.size_t, Pointer.to(sizes), null),
                "clGetProgramInfo(CL_PROGRAM_BINARY_SIZES)");
        byte[] bin = new byte[(int) sizes[0]];
        OpenClException.check(clGetProgramInfo(p, CL_PROGRAM_BINARIES, Sizeof.POINTER,
                Pointer.to(Pointer.to(bin)), null), "clGetProgramInfo(CL_PROGRAM_BINARIES)");
        return bin;
    }

    @Override
    public Kernel createKernel(Program program, String name) {
        int[] err = new int[1];
        cl_kernel k = clCreateKernel(((Pr) program).id, name, err);
        OpenClException.check(err[0], "clCreateKernel(" + name + ")");
        return new K(k);
    }

    @Override
    public void setArg(Kernel kernel, int index, Mem value) {
        OpenClException.check(clSetKernelArg(((K) kernel).id, index, Sizeof.cl_mem, Pointer.to(((M) value).id)),
                "clSetKernelArg", "index " + index);
    }

    @Override
    public void setArg(Kernel kernel, int index, int value) {
        OpenClException.check(clSetKernelArg(((K) kernel).id, index, Sizeof.cl_int, Pointer.to(new int[] {value})),
                "clSetKernelArg", "index " + index);
    }

    @Override
    public void setArg(Kernel kernel, int index, float value) {
        OpenClException.check(clSetKernelArg(((K) kernel).id, index, Sizeof.cl_float,
                Pointer.to(new float[] {value})), "clSetKernelArg", "index " + index);
    }

    @Override
    public void setArg(Kernel kernel, int index, long value) {
        OpenClException.check(clSetKernelArg(((K) kernel).id, index, Sizeof.cl_long,
                Pointer.to(new long[] {value})), "clSetKernelArg", "index " + index);
    }

    @Override
    public void setArg(Kernel kernel, int index, int x, int y) {
        OpenClException.check(clSetKernelArg(((K) kernel).id, index, Sizeof.cl_int2, Pointer.to(new int[] {x, y})),
                "clSetKernelArg", "index " + index);
    }

    @Override
    public Event enqueue(Queue queue, Kernel kernel, String kernelName, long[] global, long[] local,
                         boolean wantEvent) {
        cl_event event = wantEvent ? new cl_event() : null;
        int status = clEnqueueNDRangeKernel(((Q) queue).id, ((K) kernel).id, global.length, null, global, local,
                0, null, event);
        OpenClException.check(status, "clEnqueueNDRangeKernel(" + kernelName + ")",
                "global=" + Arrays.toString(global) + " local=" + Arrays.toString(local));
        return wantEvent ? new E(event) : null;
    }

    @Override
    public void flush(Queue queue) {
        OpenClException.check(clFlush(((Q) queue).id), "clFlush");
    }

    @Override
    public void finish(Queue queue) {
        OpenClException.check(clFinish(((Q) queue).id), "clFinish");
    }

    @Override
    public long[] eventTimes(Event event) {
        cl_event e = ((E) event).id;
        int[] params = {CL_PROFILING_COMMAND_QUEUED, CL_PROFILING_COMMAND_SUBMIT, CL_PROFILING_COMMAND_START,
            CL_PROFILING_COMMAND_END};
        long[] out = new long[4];
        long[] v = new long[1];
        for (int i = 0; i < 4; i++) {
            OpenClException.check(clGetEventProfilingInfo(e, params[i], Sizeof.cl_ulong, Pointer.to(v), null),
                    "clGetEventProfilingInfo");
            out[i] = v[0];
        }
        return out;
    }

    @Override
    public void release(Event event) {
        clReleaseEvent(((E) event).id);
    }

    @Override
    public void release(Mem mem) {
        clReleaseMemObject(((M) mem).id);
    }

    @Override
    public void release(Kernel kernel) {
        clReleaseKernel(((K) kernel).id);
    }

    @Override
    public void release(Program program) {
        clReleaseProgram(((Pr) program).id);
    }

    @Override
    public void release(Queue queue) {
        clReleaseCommandQueue(((Q) queue).id);
    }

    @Override
    public void release(Context context) {
        clReleaseContext(((C) context).id);
    }
}
