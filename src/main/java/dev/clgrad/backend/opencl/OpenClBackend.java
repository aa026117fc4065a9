package dev.clgrad.backend.opencl;

import dev.clgrad.Config;
import dev.clgrad.backend.AdamHyper;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.DeviceBuffer;
import dev.clgrad.backend.DeviceInfo;
import dev.clgrad.backend.GemmShape;
import dev.clgrad.backend.OpCost;
import dev.clgrad.backend.ProfileSink;
import dev.clgrad.backend.Span;
import dev.clgrad.tensor.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * The {@link Backend} on one OpenCL device: a context, one in-order queue, the device's
 * {@link KernelLibrary} and a {@link BufferPool}. Ops are enqueued without waiting; only
 * {@link #download} and {@link #finish} block. Each op is a routine class that validates its
 * arguments and then calls {@link #enqueue}.
 *
 * <p>While profiling ({@link #profile}), the queue has profiling enabled and every launch keeps its
 * event; events are read at the next {@link #finish} or {@link #download}, their device time
 * stamps shifted onto the host clock, and delivered to the sink with the FLOPs and bytes of the op
 * that launched them (an op's cost goes to its first kernel).
 */
public final class OpenClBackend implements Backend {
    private static final Logger LOG = Logger.getLogger(OpenClBackend.class.getName());

    private final ClApi api;
    private final DeviceInfo info;
    private final ClApi.Device device;
    private final ClApi.Context context;
    private ClApi.Queue queue;
    private final KernelLibrary library;
    private final BufferPool pool;
    private final long maxWorkGroupSize;
    private final long localMemBytes;
    private boolean closed;

    /** A launch whose event is read at the next synchronisation. */
    private record Pending(ClApi.Event event, String kernel, String op, OpCost cost, long hostNs) {
    }

    /** Uploads up to this many floats go through a staging buffer and do not block. */
    static final int STAGED_FLOATS = 1 << 22;

    private final Staging[] staging = {new Staging(), new Staging(), new Staging(), new Staging()};
    private int nextStaging;
    private ProfileSink sink;
    private final List<Pending> pending = new ArrayList<>();
    private String op;
    private OpCost opCost;
    private long clockOffsetNs = Long.MIN_VALUE;

    OpenClBackend(ClApi api, ClDiscovery.Found found) {
        this.api = api;
        this.info = found.info();
        this.device = found.device();
        this.maxWorkGroupSize = found.maxWorkGroupSize();
        this.localMemBytes = found.localMemBytes();
        Boolean binaryCache = Config.binaryCache();
        this.context = api.createContext(device);
        try {
            this.queue = api.createQueue(context, device, false);
        } catch (RuntimeException e) {
            api.release(context);
            throw e;
        }
        DeviceProfile profile = DeviceProfile.forDevice(found.platformName(), info.vendor(), info.name())
                .withDefines(TuningFile.load(Config.cacheDir(), info.name(), info.driverVersion()));
        boolean cacheBinaries = binaryCache != null ? binaryCache : profile.binaryCache();
        this.library = new KernelLibrary(api, context, device, info.name(), info.driverVersion(), profile,
                new ProgramCache(cacheBinaries ? Config.cacheDir() : null));
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

    /** The local memory of one work-group on this device ({@code CL_DEVICE_LOCAL_MEM_SIZE}), in bytes. */
    public long localMemBytes() {
        return localMemBytes;
    }

    /** The value of a kernel tunable for this device as passed to the compiler, else {@code fallback}. */
    public int define(String name, int fallback) {
        return library.profile().define(name, fallback);
    }

    /** Builds one kernel file now (from the binary cache when possible); for tools and tests. */
    public void buildProgram(String file) {
        checkOpen();
        library.program(file);
    }

    /** Builds arbitrary source with this device's options; for tests of build errors. */
    public void buildSource(String file, String source) {
        checkOpen();
        api.release(library.build(file, source, library.profile().buildOptions()));
    }

    /** Every program built so far: file, whether the binary came from the cache, milliseconds. */
    public List<ProgramBuild> builds() {
        return library.builds();
    }

    /** Whether clgrad caches this device's program binaries (see {@code clgrad.binaryCache}). */
    public boolean cachesBinaries() {
        return library.cachesBinaries();
    }

    /** The binding facade and kernel library, for the tuner in this package. */
    ClApi api() {
        return api;
    }

    KernelLibrary library() {
        return library;
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
        launch(library.kernel(file, kernel), kernel, global, local, args);
    }

    /** {@link #enqueue} of a kernel object the caller built (the GEMM tuner's candidates). */
    synchronized void launch(ClApi.Kernel k, String kernel, long[] global, long[] local, Object... args) {
        checkOpen();
        int index = 0;
        for (Object arg : args) {
            if (arg instanceof Tensor t) {
                api.setArg(k, index++, mem(t));
                api.setArg(k, index++, Launch.intArg(kernel, "the element offset of " + t.name(), t.offset()));
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
        ClApi.Event event = api.enqueue(queue, k, kernel, global, local, sink != null);
        if (event != null) {
            pending.add(new Pending(event, kernel, op == null ? kernel : op, opCost == null ? new OpCost(0, 0) : opCost,
                    System.nanoTime()));
            opCost = null;
        }
    }

    /** Names the op whose kernels follow and what it costs; only while profiling. */
    private void declare(String name, OpCost cost) {
        op = name;
        opCost = cost;
    }

    @Override
    public synchronized void profile(ProfileSink newSink) {
        checkOpen();
        api.finish(queue);
        drainEvents();
        if ((newSink != null) != (sink != null)) {
            ClApi.Queue next = api.createQueue(context, device, newSink != null);
            api.release(queue);
            queue = next;
        }
        sink = newSink;
        op = null;
        opCost = null;
    }

    @Override
    public Span span(String name) {
        return Span.open(sink, name);
    }

    /**
     * Reads the pending events (their commands have completed) and reports them. The device clock
     * is put on the host clock with one offset, the smallest (host enqueue time − device queued
     * time) seen: the host stamp is taken just after the enqueue returns, so that bound is tight.
     */
    private void drainEvents() {
        if (pending.isEmpty()) {
            return;
        }
        List<long[]> times = new ArrayList<>(pending.size());
        for (Pending p : pending) {
            long[] t = api.eventTimes(p.event());
            api.release(p.event());
            times.add(t);
            clockOffsetNs = Math.min(clockOffsetNs == Long.MIN_VALUE ? Long.MAX_VALUE : clockOffsetNs, p.hostNs() - t[0]);
        }
        for (int i = 0; i < pending.size(); i++) {
            Pending p = pending.get(i);
            long[] t = times.get(i);
            if (sink != null) {
                sink.kernel(new ProfileSink.KernelRecord(p.kernel(), p.op(), t[0] + clockOffsetNs,
                        t[2] + clockOffsetNs, t[3] + clockOffsetNs, p.cost().flops(), p.cost().bytes()));
            }
        }
        pending.clear();
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

    /**
     * Copies the floats into a staging buffer and enqueues a non-blocking write, so that a training
     * step's batch upload queues behind the previous step's kernels instead of waiting for them.
     * Uploads larger than {@link #STAGED_FLOATS} are written blocking, without staging.
     */
    @Override
    public synchronized void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
        checkOpen();
        ClApi.Mem mem = ((BufferPool.ClBuffer) dst).mem;
        if (count > STAGED_FLOATS) {
            api.write(queue, src, srcOffset, mem, dstOffset * Float.BYTES, count);
            return;
        }
        Staging slot = staging[nextStaging];
        nextStaging = (nextStaging + 1) % staging.length;
        slot.awaitWrite(api);
        FloatBuffer buf = slot.capacity(count);
        buf.put(src, srcOffset, count).flip();
        slot.pending = api.writeAsync(queue, buf, mem, dstOffset * Float.BYTES);
    }

    /** A direct host buffer for a non-blocking write, reused once its last write has completed. */
    private static final class Staging {
        FloatBuffer buffer;
        ClApi.Event pending;

        void awaitWrite(ClApi api) {
            if (pending != null) {
                api.waitFor(pending);
                api.release(pending);
                pending = null;
            }
        }

        FloatBuffer capacity(int floats) {
            if (buffer == null || buffer.capacity() < floats) {
                buffer = ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
            }
            buffer.clear();
            return buffer;
        }
    }

    @Override
    public synchronized void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count) {
        checkOpen();
        api.read(queue, ((BufferPool.ClBuffer) src).mem, srcOffset * Float.BYTES, dst, dstOffset, count);
        if (sink != null) {
            api.finish(queue);
            drainEvents();
        }
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
        drainEvents();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            api.finish(queue);
            drainEvents();
            for (Staging slot : staging) {
                slot.awaitWrite(api);
            }
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
        if (sink != null) {
            declare("gemm", OpCost.gemm(GemmShape.of(transA, transB, a, b, c), beta));
        }
        GemmRoutine.gemm(this, transA, transB, alpha, a, b, beta, c);
    }

    @Override
    public void denseForward(Tensor x, Tensor w, Tensor bias, boolean relu, float p, long seed, long offset,
                             Tensor y) {
        if (sink != null) {
            declare("denseForward", OpCost.gemm(GemmShape.of(false, false, x, w, y), 0f));
        }
        DenseRoutine.forward(this, x, w, bias, relu, p, seed, offset, y);
    }

    @Override
    public void denseBackwardMasked(Tensor dY, Tensor w, Tensor h, float p, Tensor dX) {
        if (sink != null) {
            declare("denseBackwardMasked", OpCost.gemm(GemmShape.of(false, true, dY, w, dX), 0f));
        }
        DenseRoutine.backwardMasked(this, dY, w, h, p, dX);
    }

    @Override
    public void denseBackwardWeights(Tensor x, Tensor dY, Tensor dW, Tensor dBias) {
        if (sink != null) {
            declare("denseBackwardWeights", OpCost.gemm(GemmShape.of(true, false, x, dY, dW), 0f));
        }
        DenseRoutine.backwardWeights(this, x, dY, dW, dBias);
    }

    @Override
    public void denseBackward(Tensor h, Tensor dY, Tensor w, float p, Tensor dW, Tensor dBias, Tensor dX) {
        if (sink != null) {
            OpCost weights = OpCost.gemm(GemmShape.of(true, false, h, dY, dW), 0f);
            OpCost input = OpCost.gemm(GemmShape.of(false, true, dY, w, dX), 0f);
            declare("denseBackward", new OpCost(weights.flops() + input.flops(), weights.bytes() + input.bytes()));
        }
        DenseRoutine.backward(this, h, dY, w, p, dW, dBias, dX);
    }

    @Override
    public void mseDenseBackward(Tensor pred, Tensor target, Tensor h, Tensor w, float p, Tensor loss,
                                 boolean accumulate, Tensor dPred, Tensor dW, Tensor dBias, Tensor dX) {
        if (sink != null) {
            OpCost mse = OpCost.loss(pred.shape().rows(), pred.shape().cols(), target.shape().size(), true);
            OpCost weights = OpCost.gemm(GemmShape.of(true, false, h, pred, dW), 0f);
            OpCost input = OpCost.gemm(GemmShape.of(false, true, pred, w, dX), 0f);
            declare("mseDenseBackward", new OpCost(mse.flops() + weights.flops() + input.flops(),
                    mse.bytes() + weights.bytes() + input.bytes()));
        }
        DenseRoutine.mseBackward(this, pred, target, h, w, p, loss, accumulate, dPred, dW, dBias, dX);
    }

    @Override
    public void fill(Tensor x, float value) {
        if (sink != null) {
            declare("fill", OpCost.elementwise(x.shape().size(), 0, 1, 0));
        }
        ElementwiseRoutine.fill(this, x, value);
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        if (sink != null) {
            declare("copy", OpCost.elementwise(src.shape().size(), 1, 1, 0));
        }
        ElementwiseRoutine.copy(this, src, dst);
    }

    @Override
    public void biasAdd(Tensor x, Tensor bias, Tensor y) {
        if (sink != null) {
            declare("biasAdd", OpCost.bias(x.shape().rows(), x.shape().cols()));
        }
        ElementwiseRoutine.biasAdd(this, x, bias, y);
    }

    @Override
    public void biasRelu(Tensor x, Tensor bias, Tensor y) {
        if (sink != null) {
            declare("biasRelu", OpCost.bias(x.shape().rows(), x.shape().cols()));
        }
        ElementwiseRoutine.biasRelu(this, x, bias, y);
    }

    @Override
    public void reluForward(Tensor x, Tensor y) {
        if (sink != null) {
            declare("reluForward", OpCost.elementwise(x.shape().size(), 1, 1, 1));
        }
        ElementwiseRoutine.reluForward(this, x, y);
    }

    @Override
    public void reluBackward(Tensor y, Tensor dY, Tensor dX) {
        if (sink != null) {
            declare("reluBackward", OpCost.elementwise(y.shape().size(), 2, 1, 1));
        }
        ElementwiseRoutine.reluBackward(this, y, dY, dX);
    }

    @Override
    public void dropoutForward(Tensor x, float p, long seed, long offset, Tensor y) {
        if (sink != null) {
            declare("dropoutForward", OpCost.elementwise(x.shape().size(), 1, 1, 1));
        }
        DropoutRoutine.forward(this, x, p, seed, offset, y);
    }

    @Override
    public void dropoutBackward(Tensor dY, float p, long seed, long offset, Tensor dX) {
        if (sink != null) {
            declare("dropoutBackward", OpCost.elementwise(dY.shape().size(), 1, 1, 1));
        }
        DropoutRoutine.backward(this, dY, p, seed, offset, dX);
    }

    @Override
    public void adamStep(Tensor params, Tensor grads, Tensor m, Tensor v, AdamHyper hyper, long step) {
        if (sink != null) {
            declare("adamStep", OpCost.adam(params.shape().size()));
        }
        OptimizerRoutine.adamStep(this, params, grads, m, v, hyper, step);
    }

    @Override
    public void sgdStep(Tensor params, Tensor grads, Tensor velocity, float lr, float momentum, float weightDecay) {
        if (sink != null) {
            declare("sgdStep", OpCost.sgd(params.shape().size(), momentum != 0));
        }
        OptimizerRoutine.sgdStep(this, params, grads, velocity, lr, momentum, weightDecay);
    }

    @Override
    public void mseForward(Tensor pred, Tensor target, Tensor loss, boolean accumulate) {
        if (sink != null) {
            declare("mseForward", OpCost.loss(pred.shape().rows(), pred.shape().cols(), target.shape().size(), false));
        }
        LossRoutine.mseForward(this, pred, target, loss, accumulate);
    }

    @Override
    public void mseBackward(Tensor pred, Tensor target, Tensor dPred) {
        if (sink != null) {
            declare("mseBackward", OpCost.loss(pred.shape().rows(), pred.shape().cols(), target.shape().size(), true));
        }
        LossRoutine.mseBackward(this, pred, target, dPred);
    }

    @Override
    public void mseForwardBackward(Tensor pred, Tensor target, Tensor loss, boolean accumulate, Tensor dPred) {
        if (sink != null) {
            declare("mseForwardBackward", OpCost.loss(pred.shape().rows(), pred.shape().cols(), target.shape().size(), true));
        }
        LossRoutine.mseForwardBackward(this, pred, target, loss, accumulate, dPred);
    }

    @Override
    public void softmaxCrossEntropyForward(Tensor logits, Tensor labels, Tensor loss, boolean accumulate) {
        if (sink != null) {
            declare("softmaxCrossEntropyForward", OpCost.loss(logits.shape().rows(), logits.shape().cols(), labels.shape().size(), false));
        }
        LossRoutine.softmaxCrossEntropyForward(this, logits, labels, loss, accumulate);
    }

    @Override
    public void softmaxCrossEntropyBackward(Tensor logits, Tensor labels, Tensor dLogits) {
        if (sink != null) {
            declare("softmaxCrossEntropyBackward", OpCost.loss(logits.shape().rows(), logits.shape().cols(), labels.shape().size(), true));
        }
        LossRoutine.softmaxCrossEntropyBackward(this, logits, labels, dLogits);
    }

    @Override
    public void softmaxCrossEntropyForwardBackward(Tensor logits, Tensor labels, Tensor loss, boolean accumulate,
                                                   Tensor dLogits) {
        if (sink != null) {
            declare("softmaxCrossEntropyForwardBackward", OpCost.loss(logits.shape().rows(), logits.shape().cols(), labels.shape().size(), true));
        }
        LossRoutine.softmaxCrossEntropyForwardBackward(this, logits, labels, loss, accumulate, dLogits);
    }

    @Override
    public void accuracyCount(Tensor logits, Tensor labels, Tensor count, boolean accumulate) {
        if (sink != null) {
            declare("accuracyCount", OpCost.loss(logits.shape().rows(), logits.shape().cols(), labels.shape().size(), false));
        }
        LossRoutine.accuracyCount(this, logits, labels, count, accumulate);
    }

    @Override
    public void columnSum(Tensor x, Tensor out) {
        if (sink != null) {
            declare("columnSum", OpCost.reduce(x.shape().size(), out.shape().size()));
        }
        ReduceRoutine.columnSum(this, x, out);
    }

    @Override
    public void sum(Tensor x, Tensor out) {
        if (sink != null) {
            declare("sum", OpCost.reduce(x.shape().size(), 1));
        }
        ReduceRoutine.sum(this, x, out);
    }

    @Override
    public void mean(Tensor x, Tensor out) {
        if (sink != null) {
            declare("mean", OpCost.reduce(x.shape().size(), 1));
        }
        ReduceRoutine.mean(this, x, out);
    }
}
