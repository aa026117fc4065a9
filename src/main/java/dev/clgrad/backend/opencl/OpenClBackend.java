package dev.clgrad.backend.opencl;

import dev.clgrad.Config;
import dev.clgrad.backend.AdamHyper;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.DeviceBuffer;
import dev.clgrad.backend.DeviceInfo;
import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.logging.Logger;

/**
 * The {@link Backend} on one OpenCL device: a context, one in-order queue, the device's
 * {@link KernelLibrary} and a {@link BufferPool}. Ops are enqueued without waiting; only
 * {@link #download} and {@link #finish} block. Each op is a routine class that validates its
 * arguments and then calls {@link #enqueue}.
 */
public final class OpenClBackend implements Backend {
    private static final Logger LOG = Logger.getLogger(OpenClBackend.class.getName());

    private final ClApi api;
    private final DeviceInfo info;
    private final ClApi.Device device;
    private final ClApi.Context context;
    private final ClApi.Queue queue;
    private final KernelLibrary library;
    private final BufferPool pool;
    private final long maxWorkGroupSize;
    private boolean closed;

    OpenClBackend(ClApi api, ClDiscovery.Found found) {
        this.api = api;
        this.info = found.info();
        this.device = found.device();
        this.maxWorkGroupSize = found.maxWorkGroupSize();
        this.context = api.createContext(device);
        try {
            this.queue = api.createQueue(context, device, false);
        } catch (RuntimeException e) {
            api.release(context);
            throw e;
        }
        DeviceProfile profile = DeviceProfile.forDevice(found.platformName(), info.vendor(), info.name());
        this.library = new KernelLibrary(api, context, device, info.name(), info.driverVersion(), profile,
                new ProgramCache(Config.cacheDir()));
        this.pool = new BufferPool(api, context, info.maxAllocBytes());
    }

    /** The devices the binding can see ({@code jocl} or {@code lwjgl}). */
    public static List<DeviceInfo> devices(String binding) {
        return ClDiscovery.discover(ClBindings.get(binding)).devices().stream().map(ClDiscovery.Found::info).toList();
    }

    /** Why {@link #devices} is empty, or null when it is not. */
    public static String discoveryProblem(String binding) {
        return ClDiscovery.discover(ClBindings.get(binding)).problem();
    }

    /** Opens the device {@code opencl:P:D} through the binding; null when there is no such device. */
    public static OpenClBackend open(String id, String binding) {
        ClApi api = ClBindings.get(binding);
        for (ClDiscovery.Found f : ClDiscovery.discover(api).devices()) {
            if (f.info().id().equals(id)) {
                return new OpenClBackend(api, f);
            }
        }
        return null;
    }

    @Override
    public DeviceInfo info() {
        return info;
    }

    /** {@code jocl} or {@code lwjgl}. */
    public String binding() {
        return api.name();
    }

    /** The largest work-group the device accepts. */
    public long maxWorkGroupSize() {
        return maxWorkGroupSize;
    }

    /** The value of a kernel tunable for this device as passed to the compiler, else {@code fallback}. */
    public int define(String name, int fallback) {
        return library.profile().define(name, fallback);
    }

    /** Builds one kernel file now (from the binary cache when possible); for tools and tests. */
    public void buildProgram(String file) {
        library.program(file);
    }

    /** Builds arbitrary source with this device's options; for tests of build errors. */
    public void buildSource(String file, String source) {
        api.release(library.build(file, source, library.profile().buildOptions()));
    }

    /** Every program built so far: file, whether the binary came from the cache, milliseconds. */
    public List<ProgramBuild> builds() {
        return library.builds();
    }

    /** Buffer pool counters. */
    public String poolStats() {
        return pool.stats().toString();
    }

    /**
     * Launches {@code kernel} from {@code file} over {@code global} work-items in work-groups of
     * {@code local} (null lets the driver choose). Arguments in order: a {@link Tensor} fills two
     * kernel parameters, its buffer and its element offset ({@code int}); an Integer is an
     * {@code int}, a Float a {@code float}, a Long a {@code long}/{@code ulong}.
     */
    public synchronized void enqueue(String file, String kernel, long[] global, long[] local, Object... args) {
        checkOpen();
        ClApi.Kernel k = library.kernel(file, kernel);
        int index = 0;
        for (Object arg : args) {
            if (arg instanceof Tensor t) {
                api.setArg(k, index++, mem(t));
                api.setArg(k, index++, Math.toIntExact(t.offset()));
            } else if (arg instanceof Integer i) {
                api.setArg(k, index++, i.intValue());
            } else if (arg instanceof Float f) {
                api.setArg(k, index++, f.floatValue());
            } else if (arg instanceof Long l) {
                api.setArg(k, index++, l.longValue());
            } else {
                throw new IllegalArgumentException(kernel + ": argument " + index + " has unsupported type "
                        + (arg == null ? "null" : arg.getClass().getName()));
            }
        }
        api.enqueue(queue, k, kernel, global, local, false);
    }

    private ClApi.Mem mem(Tensor t) {
        if (t.backend() != this) {
            throw new IllegalArgumentException("tensor " + t.name() + " lives on " + t.backend().id()
                    + ", not on " + info.id());
        }
        return ((BufferPool.ClBuffer) t.buffer()).mem;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("backend " + info.id() + " is closed");
        }
    }

    // ---- storage -------------------------------------------------------------------------------

    @Override
    public DeviceBuffer allocate(long floats) {
        checkOpen();
        return pool.take(floats);
    }

    @Override
    public void release(DeviceBuffer buffer) {
        if (!closed) {
            pool.give((BufferPool.ClBuffer) buffer);
        }
    }

    @Override
    public synchronized void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
        checkOpen();
        api.write(queue, src, srcOffset, ((BufferPool.ClBuffer) dst).mem, dstOffset * Float.BYTES, count);
    }

    @Override
    public synchronized void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count) {
        checkOpen();
        api.read(queue, ((BufferPool.ClBuffer) src).mem, srcOffset * Float.BYTES, dst, dstOffset, count);
    }

    /** Device-to-device copy of whole tensors' elements ({@code clEnqueueCopyBuffer}). */
    synchronized void copyBuffer(Tensor src, Tensor dst) {
        checkOpen();
        api.copy(queue, mem(src), src.offset() * Float.BYTES, mem(dst), dst.offset() * Float.BYTES,
                src.shape().size() * Float.BYTES);
    }

    @Override
    public int liveBuffers() {
        return pool.live();
    }

    @Override
    public synchronized void finish() {
        checkOpen();
        api.finish(queue);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            api.finish(queue);
        } catch (RuntimeException e) {
            LOG.warning("finishing the queue of " + info.id() + " failed: " + e.getMessage());
        }
        if (pool.live() > 0) {
            LOG.warning(info.id() + " closed with " + pool.live() + " device buffers still live");
        }
        pool.close();
        library.close();
        api.release(queue);
        api.release(context);
    }

    @Override
    public String toString() {
        return "OpenClBackend " + info.id() + " (" + info.name() + ", " + api.name() + ")";
    }

    // ---- ops: each delegates to its routine ----------------------------------------------------

    @Override
    public void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        GemmRoutine.gemm(this, transA, transB, alpha, a, b, beta, c);
    }

    @Override
    public void fill(Tensor x, float value) {
        ElementwiseRoutine.fill(this, x, value);
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        ElementwiseRoutine.copy(this, src, dst);
    }

    @Override
    public void biasAdd(Tensor x, Tensor bias, Tensor y) {
        ElementwiseRoutine.biasAdd(this, x, bias, y);
    }

    @Override
    public void biasRelu(Tensor x, Tensor bias, Tensor y) {
        ElementwiseRoutine.biasRelu(this, x, bias, y);
    }

    @Override
    public void reluForward(Tensor x, Tensor y) {
        ElementwiseRoutine.reluForward(this, x, y);
    }

    @Override
    public void reluBackward(Tensor y, Tensor dY, Tensor dX) {
        ElementwiseRoutine.reluBackward(this, y, dY, dX);
    }

    @Override
    public void dropoutForward(Tensor x, float p, long seed, long offset, Tensor y) {
        DropoutRoutine.forward(this, x, p, seed, offset, y);
    }

    @Override
    public void dropoutBackward(Tensor dY, float p, long seed, long offset, Tensor dX) {
        DropoutRoutine.backward(this, dY, p, seed, offset, dX);
    }

    @Override
    public void adamStep(Tensor params, Tensor grads, Tensor m, Tensor v, AdamHyper hyper, long step) {
        OptimizerRoutine.adamStep(this, params, grads, m, v, hyper, step);
    }

    @Override
    public void sgdStep(Tensor params, Tensor grads, Tensor velocity, float lr, float momentum, float weightDecay) {
        OptimizerRoutine.sgdStep(this, params, grads, velocity, lr, momentum, weightDecay);
    }

    @Override
    public void mseForward(Tensor pred, Tensor target, Tensor loss, boolean accumulate) {
        LossRoutine.mseForward(this, pred, target, loss, accumulate);
    }

    @Override
    public void mseBackward(Tensor pred, Tensor target, Tensor dPred) {
        LossRoutine.mseBackward(this, pred, target, dPred);
    }

    @Override
    public void softmaxCrossEntropyForward(Tensor logits, Tensor labels, Tensor loss, boolean accumulate) {
        LossRoutine.softmaxCrossEntropyForward(this, logits, labels, loss, accumulate);
    }

    @Override
    public void softmaxCrossEntropyBackward(Tensor logits, Tensor labels, Tensor dLogits) {
        LossRoutine.softmaxCrossEntropyBackward(this, logits, labels, dLogits);
    }

    @Override
    public void accuracyCount(Tensor logits, Tensor labels, Tensor count, boolean accumulate) {
        LossRoutine.accuracyCount(this, logits, labels, count, accumulate);
    }

    @Override
    public void columnSum(Tensor x, Tensor out) {
        ReduceRoutine.columnSum(this, x, out);
    }

    @Override
    public void sum(Tensor x, Tensor out) {
        ReduceRoutine.sum(this, x, out);
    }

    @Override
    public void mean(Tensor x, Tensor out) {
        ReduceRoutine.mean(this, x, out);
    }
}
