package dev.clgrad.backend.opencl;

import dev.clgrad.Config;
import dev.clgrad.Diagnostics;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.DeviceInfo;
import dev.clgrad.backend.MemoryLimits;
import dev.clgrad.backend.ProfileSink;
import dev.clgrad.backend.Span;
import dev.clgrad.ops.AccuracyCount;
import dev.clgrad.ops.CategoricalCrossEntropy;
import dev.clgrad.ops.ElementwiseLoss;
import dev.clgrad.ops.RowMetric;
import dev.clgrad.ops.Act;
import dev.clgrad.ops.ActBackward;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.AdamUpdate;
import dev.clgrad.ops.ApplyAlphaMask;
import dev.clgrad.ops.ApplyChannelMask;
import dev.clgrad.ops.ApplyGaussianNoise;
import dev.clgrad.ops.ApplyMask;
import dev.clgrad.ops.BatchNormApply;
import dev.clgrad.ops.BatchNormBackward;
import dev.clgrad.ops.BatchNormStats;
import dev.clgrad.ops.BiasAct;
import dev.clgrad.ops.ColumnSum;
import dev.clgrad.ops.Composite;
import dev.clgrad.ops.ConvGemm;
import dev.clgrad.ops.Col2Im;
import dev.clgrad.ops.Copy;
import dev.clgrad.ops.Cost;
import dev.clgrad.ops.Epilogue;
import dev.clgrad.ops.Fill;
import dev.clgrad.ops.Im2Col;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.MseLoss;
import dev.clgrad.ops.Op;
import dev.clgrad.ops.Pool;
import dev.clgrad.ops.PoolBackward;
import dev.clgrad.ops.Regularize;
import dev.clgrad.ops.Renorm;
import dev.clgrad.ops.SgdUpdate;
import dev.clgrad.ops.AdagradUpdate;
import dev.clgrad.ops.RmspropUpdate;
import dev.clgrad.ops.SumSquares;
import dev.clgrad.ops.Softmax;
import dev.clgrad.ops.SoftmaxBackward;
import dev.clgrad.ops.SoftmaxCrossEntropy;
import dev.clgrad.ops.Sum;
import dev.clgrad.tensor.DeviceBuffer;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static java.lang.System.Logger.Level.WARNING;

/**
 * The {@link Backend} on one OpenCL device: a context, one in-order queue, the device's
 * {@link KernelLibrary} and a {@link BufferPool}. Ops are enqueued without waiting; only
 * {@link #download} and {@link #finish} block.
 *
 * <p>{@link #run} validates an op, lowers it to {@link Call}s (one routine class per op family:
 * {@link GemmRoutine}, {@link DenseRoutine}, {@link ElementwiseRoutine}, {@link DropoutRoutine},
 * {@link LossRoutine}, {@link ReduceRoutine}, {@link OptimizerRoutine}, {@link ConvRoutine},
 * {@link PoolRoutine}, {@link NormRoutine}, {@link ConstraintRoutine}) and enqueues them. A fused op
 * this device has no kernel for at its shapes ({@link #fuses} false) lowers to its decomposition,
 * each part its own op. {@link #prepare} lowers once and binds each call to a kernel object of its
 * own with its arguments set; its {@link Backend.Launch} then only re-reads the dynamic arguments
 * (a mask's counter, Adam's step) and enqueues.
 *
 * <p>While profiling ({@link #profile}), the queue has profiling enabled and every launch keeps its
 * event; events are read at the next {@link #finish} or {@link #download}, their device time
 * stamps shifted onto the host clock, and delivered to the sink with the name and the
 * {@link Op#cost} of the op each kernel runs (a composite run as one kernel declares its own cost;
 * run as parts, each part declares its own).
 */
public final class OpenClBackend implements Backend {
    private static final System.Logger LOG = Diagnostics.logger(OpenClBackend.class);

    private final ClApi api;
    private final DeviceInfo info;
    private final ClApi.Device device;
    /** Whether {@link #device} is a sub-device this backend made, released at close. */
    private final boolean subDevice;
    private final ClApi.Context context;
    private ClApi.Queue queue;
    private final KernelLibrary library;
    private final BufferPool pool;
    private final Scratch scratch;
    private final long maxWorkGroupSize;
    private final long localMemBytes;
    private boolean closed;

    /** A launch whose event is read at the next synchronisation. */
    private record Pending(ClApi.Event event, String kernel, String op, Cost cost, long hostNs) {
    }

    /** One call of a lowered op, with the op it runs and the call's cost (they go to the profile). */
    private record Step(Op op, Call call, Cost cost) {
    }

    /** Releases the kernel objects of prepared launches nobody holds any more. */
    private static final Cleaner CLEANER = Cleaner.create();

    /** Uploads up to this many floats go through a staging buffer and do not block. */
    static final int STAGED_FLOATS = 1 << 22;

    private final Staging[] staging = {new Staging(), new Staging(), new Staging(), new Staging()};
    private int nextStaging;
    private long uploads;
    private long downloads;
    private ProfileSink sink;
    private final List<Pending> pending = new ArrayList<>();
    private final OwnedKernels owned;
    private final String platformName;
    /** PoCL's kernel-cache folder where a step may start a {@link CompileAhead} helper, else null. */
    private final Path compileAheadCache;
    private final List<Process> helpers = new ArrayList<>();
    private long clockOffsetNs = Long.MIN_VALUE;

    OpenClBackend(ClApi api, ClDiscovery.Found found) {
        this.api = api;
        this.info = found.info();
        this.device = found.open(api);
        this.subDevice = found.parts() > 0;
        this.maxWorkGroupSize = found.maxWorkGroupSize();
        this.localMemBytes = found.localMemBytes();
        Boolean binaryCache = Config.binaryCache();
        try {
            this.context = api.createContext(device);
        } catch (RuntimeException e) {
            releaseSubDevice();
            throw e;
        }
        try {
            this.queue = api.createQueue(context, device, false);
        } catch (RuntimeException e) {
            api.release(context);
            releaseSubDevice();
            throw e;
        }
        DeviceProfile profile = DeviceProfile.forDevice(found.platformName(), info.vendor(), info.name())
                .withDefines(TuningFile.load(Config.cacheDir(), info.name(), info.driverVersion()))
                .withDefines(Config.defines());
        boolean cacheBinaries = binaryCache != null ? binaryCache : profile.binaryCache();
        this.library = new KernelLibrary(api, context, device, info.name(), info.driverVersion(), profile,
                new ProgramCache(cacheBinaries ? Config.cacheDir() : null));
        this.pool = new BufferPool(api, context, info.maxAllocBytes());
        this.scratch = new Scratch(api, context, info.maxAllocBytes());
        this.owned = new OwnedKernels(api);
        this.platformName = found.platformName();
        this.compileAheadCache = CompileAhead.applies(platformName) ? CompileAhead.poclCacheDir() : null;
    }

    /** The devices the binding can see ({@code jocl} or {@code lwjgl}). */
    public static List<DeviceInfo> devices(String binding) {
        return ClDiscovery.discover(ClBindings.get(binding)).devices().stream().map(ClDiscovery.Found::info).toList();
    }

    /** Why {@link #devices} is empty, or null when it is not. */
    public static String discoveryProblem(String binding) {
        return ClDiscovery.discover(ClBindings.get(binding)).problem();
    }

    /**
     * Opens the device {@code opencl:P:D}, or the sub-device {@code opencl:P:D/K:i}
     * ({@link ClDiscovery#find}), through the binding; null when there is no such device.
     */
    public static OpenClBackend open(String id, String binding) {
        ClApi api = ClBindings.get(binding);
        ClDiscovery.Found f = ClDiscovery.find(api, ClDiscovery.discover(api).devices(), id);
        return f == null ? null : new OpenClBackend(api, f);
    }

    private void releaseSubDevice() {
        if (subDevice) {
            api.release(device);
        }
    }

    @Override
    public DeviceInfo info() {
        return info;
    }

    /** The device's per-buffer limit and global memory, less this backend's live buffers (pooled free ones are trimmed when needed). */
    @Override
    public MemoryLimits memoryLimits() {
        return MemoryLimits.device("the global memory of " + info.id(), info.maxAllocBytes(),
                "CL_DEVICE_MAX_MEM_ALLOC_SIZE of " + info.id(), info.globalMemBytes(), pool.stats().liveBytes());
    }

    /** {@code jocl} or {@code lwjgl}. */
    public String binding() {
        return api.name();
    }

    /** The name of the device's OpenCL platform ({@code CL_PLATFORM_NAME}). */
    String platformName() {
        return platformName;
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

    /**
     * Builds a program of one empty kernel and releases it, so that the driver's compiler is set
     * up before the first real build: PoCL's first build in a process costs about 0.9 s more than
     * the next with its kernel cache empty, most of it one-time set-up ({@link
     * dev.clgrad.backend.Backends#prefetch} does this while the caller reads its data).
     */
    public void warmUpCompiler() {
        buildSource("compiler warm-up", "__kernel void warm_up(void) {\n}\n");
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

    /** The temporary space of launches that pass data between two kernels of one op. */
    Scratch scratch() {
        return scratch;
    }

    /** Buffer pool counters. */
    public String poolStats() {
        return pool.stats().toString();
    }

    /**
     * Launches {@code kernel} from {@code file} over {@code global} work-items in work-groups of
     * {@code local} (null lets the driver choose), for tools and tests; the profile names the
     * kernel as its op, with no cost. Arguments in order: a {@link Tensor} fills two kernel
     * parameters, its buffer and its element offset ({@code int}); an Integer is an {@code int}, a
     * Float a {@code float}, a Long a {@code long}/{@code ulong}.
     */
    /** The {@code philox_kat} kernel of {@code philox.cl} on one block. */
    @Override
    public int[] philoxBlock(int[] c, int[] k) {
        try (Tensor words = Tensor.empty(this, Shape.of(4), "philox.words")) {
            enqueue("philox.cl", "philox_kat", new long[] {1}, null, c[0], c[1], c[2], c[3], k[0], k[1], words);
            float[] f = words.toArray();
            int[] out = new int[4];
            for (int j = 0; j < 4; j++) {
                out[j] = Float.floatToRawIntBits(f[j]);
            }
            return out;
        }
    }

    public synchronized void enqueue(String file, String kernel, long[] global, long[] local, Object... args) {
        checkOpen();
        launch(library.kernel(file, kernel), kernel, global, local, args);
    }

    /** {@link #enqueue} of a kernel object the caller built (the GEMM tuner's candidates). */
    synchronized void launch(ClApi.Kernel k, String kernel, long[] global, long[] local, Object... args) {
        checkOpen();
        setArgs(k, kernel, args, true);
        submit(k, kernel, global, local, kernel, Cost.NONE);
    }

    /** Sets every argument of {@code args} on the kernel object, in order ({@link Call.Kernel}). */
    private void setArgs(ClApi.Kernel k, String kernel, Object[] args, boolean dynamicToo) {
        int index = 0;
        for (Object arg : args) {
            if (arg instanceof Tensor t) {
                api.setArg(k, index, mem(t));
                api.setArg(k, index + 1, Geometry.intArg(kernel, "the element offset of " + t.name(), t.offset()));
            } else if (arg instanceof Integer i) {
                api.setArg(k, index, i.intValue());
            } else if (arg instanceof Float f) {
                api.setArg(k, index, f.floatValue());
            } else if (arg instanceof Long l) {
                api.setArg(k, index, l.longValue());
            } else if (arg instanceof Call.Int2 p) {
                api.setArg(k, index, p.x(), p.y());
            } else if (arg instanceof Call.Dynamic d) {
                if (dynamicToo) {
                    d.set(api, k, index);
                }
            } else {
                throw new IllegalArgumentException(kernel + ": argument " + index + " has unsupported type "
                        + (arg == null ? "null" : arg.getClass().getName()));
            }
            index += Call.width(arg);
        }
    }

    /** Enqueues the kernel object as it is set; while profiling, keeps its event for the op's name and cost. */
    private void submit(ClApi.Kernel k, String kernel, long[] global, long[] local, String op, Cost cost) {
        ClApi.Event event = api.enqueue(queue, k, kernel, global, local, sink != null);
        if (event != null) {
            pending.add(new Pending(event, kernel, op, cost, System.nanoTime()));
        }
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
        if (t.memory() != this) {
            throw new IllegalArgumentException("tensor " + t.name() + " lives on " + t.memory().id()
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
     * step's batch upload queues behind the previous step's kernels instead of waiting for them
     * (both bindings; see {@code JoclApi.writeAsync} for how JOCL's is made non-blocking).
     * Uploads larger than {@link #STAGED_FLOATS} are written blocking, without staging.
     */
    @Override
    public synchronized void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
        checkOpen();
        uploads++;
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
        downloads++;
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
    public synchronized Transfers transfers() {
        return new Transfers(uploads, downloads);
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
        helpers.forEach(Process::destroy);
        helpers.clear();
        try {
            api.finish(queue);
            drainEvents();
            for (Staging slot : staging) {
                slot.awaitWrite(api);
            }
        } catch (RuntimeException e) {
            LOG.log(WARNING, "finishing the queue of " + info.id() + " failed: " + e.getMessage());
        }
        if (pool.live() > 0) {
            LOG.log(WARNING, info.id() + " closed with " + pool.live() + " device buffers still live");
        }
        pool.close();
        scratch.close();
        owned.close();
        library.close();
        api.release(queue);
        api.release(context);
        releaseSubDevice();
    }

    @Override
    public String toString() {
        return "OpenClBackend " + info.id() + " (" + info.name() + ", " + api.name() + ")";
    }

    // ---- ops: validate, lower to calls, enqueue --------------------------------------------------

    @Override
    public void run(Op op) {
        op.validate();
        execute(lower(op));
    }

    /**
     * Which ops run as one launch here. Every plain op does (Copy as one buffer copy, a linear Act
     * as a copy or nothing; BatchNormStats and BatchNormBackward as their own two-stage reductions,
     * two or three launches of {@code batchnorm.cl} that are one kernel's stages, not a decomposition). A {@link MatMul}: without an epilogue (or with a linear gate) always;
     * with a forward epilogue when it has a bias and is an NN product ({@code gemm_nn_bias},
     * {@code gemm_naive_bias}; any activation, any mask); with a ReLU gate when it is an NT product
     * ({@code gemm_nt_mask}, {@code gemm_naive_mask}); anything else (no bias, transposes, a tanh or
     * sigmoid gate) runs {@link MatMul#decompose}. A {@link Composite}: DENSE_WEIGHT_GRADS when its
     * weight-gradient product is a naive-kernel shape ({@code gemm_naive_wgrad}) and its K does not
     * split; DENSE_BACKWARD and MSE_DENSE_BACKWARD when both its products are and its weight
     * gradient does not split ({@code dense_backward_naive}, {@code dense_mse_backward_naive});
     * else its parts (a weight gradient over a long K as two launches, {@code gemm_splitk_wgrad}
     * and {@code gemm_splitk_sum}: {@link DenseRoutine#splitsWeightGrads}). A naive shape is one
     * of few multiply-adds or whose tiles would be mostly padding on this device's GEMM tile
     * ({@link GemmRoutine#naive}).
     *
     * @throws IllegalArgumentException for an op that does not validate
     */
    @Override
    public boolean fuses(Op op) {
        op.validate();
        if (op instanceof MatMul m) {
            return plain(m) || DenseRoutine.fusesForward(m) || DenseRoutine.fusesGate(m);
        }
        if (op instanceof Composite c) {
            return c.kind() == Composite.Kind.DENSE_WEIGHT_GRADS ? DenseRoutine.fusesWeightGrads(this, c)
                    : DenseRoutine.fusesBackward(this, c);
        }
        return true;
    }

    /** What this device's tuning file says ({@link ConvRoutine#implicit}). */
    @Override
    public boolean implicitConv(ConvGemm conv, boolean training) {
        return ConvRoutine.implicit(this, conv, training);
    }

    /**
     * Validates and lowers {@code op} once, and binds each of its calls to a kernel object of its own
     * with the arguments set, the global and local sizes resolved, and the op's name and cost kept
     * for the profile. The returned launch re-reads only the dynamic arguments (a mask's counter
     * base, Adam's step and bias corrections) and enqueues; its tensors must stay open while it is
     * used. Kernel objects are released when the launch is no longer reachable, or at {@link #close}.
     */
    @Override
    public Backend.Launch prepare(Op op) {
        return prepareAll(List.of(op)).get(0);
    }

    /**
     * {@link #prepare} of every op, with the kernels of all of them built first, together: the
     * files and the entry points of {@value KernelLibrary#ONE_KERNEL} files (gemm.cl) that the ops
     * launch, as one program ({@link KernelLibrary#prebuild}).
     */
    @Override
    public List<Backend.Launch> prepareAll(List<? extends Op> ops) {
        List<List<Step>> lowered = new ArrayList<>(ops.size());
        Map<String, Set<String>> kernels = new TreeMap<>();
        for (Op op : ops) {
            op.validate();
            List<Step> steps = lower(op);
            lowered.add(steps);
            for (Step step : steps) {
                if (step.call() instanceof Call.Kernel k) {
                    kernels.computeIfAbsent(k.file(), f -> new TreeSet<>()).add(k.name());
                }
            }
        }
        synchronized (this) {
            checkOpen();
            Set<String> before = compileAheadCache == null ? null : CompileAhead.cachedPrograms(compileAheadCache);
            library.prebuild(kernels);
            List<Backend.Launch> out = new ArrayList<>(lowered.size());
            for (List<Step> steps : lowered) {
                out.add(bind(steps));
            }
            if (before != null) {
                compileAhead(before, lowered);
            }
            return out;
        }
    }

    /**
     * Starts a {@link CompileAhead} helper for the launches of {@code lowered} when building them put
     * a program in PoCL's cache that {@code before}, the cache's programs until then, lacked.
     */
    private void compileAhead(Set<String> before, List<List<Step>> lowered) {
        List<Call.Kernel> calls = lowered.stream().flatMap(List::stream).map(Step::call)
                .filter(Call.Kernel.class::isInstance).map(Call.Kernel.class::cast).toList();
        if (calls.size() < 2 || before.containsAll(CompileAhead.cachedPrograms(compileAheadCache))) {
            return;
        }
        helpers.removeIf(p -> !p.isAlive());
        CompileAhead.start(CompileAhead.job(api.name(), info.id(), library, calls), Map.of()).ifPresent(helpers::add);
    }

    /** The calls of one op bound for replay as one launch; called with the lock held. */
    private Backend.Launch bind(List<Step> steps) {
        Backend.Launch[] bound = new Backend.Launch[steps.size()];
        for (int i = 0; i < bound.length; i++) {
            bound[i] = bind(steps.get(i));
        }
        if (bound.length == 1) {
            return bound[0];
        }
        return () -> {
            synchronized (this) {
                for (Backend.Launch b : bound) {
                    b.run();
                }
            }
        };
    }

    /** The kernels {@code run(op)} launches here, in order ({@code copy} for a buffer copy). */
    @Override
    public List<String> kernels(Op op) {
        op.validate();
        return lower(op).stream().map(s -> s.call() instanceof Call.Kernel k ? k.name()
                : s.call() instanceof Call.Fill ? "fill" : "copy").toList();
    }

    /** A product with nothing to apply after it: no epilogue, or a gate whose derivative is 1. */
    private static boolean plain(MatMul m) {
        Epilogue e = m.epilogue();
        return e.isNone() || (e.isGate() && e.activation() == Activation.LINEAR);
    }

    /** The calls of a validated op, each with the op it runs: one for a plain op, the parts' for a decomposed one. */
    private List<Step> lower(Op op) {
        List<Step> steps = new ArrayList<>(4);
        lower(op, steps);
        return steps;
    }

    private void lower(Op op, List<Step> out) {
        if (op instanceof MatMul m) {
            GemmRoutine.Packed packed = plain(m) ? GemmRoutine.packed(this, m)
                    : DenseRoutine.fusesGate(m) ? DenseRoutine.backwardMaskedPacked(this, m) : null;
            if (packed != null) {
                out.add(new Step(m, packed.pack(), packed.packCost()));
                out.add(new Step(m, packed.gemm(), m.cost()));
            } else if (plain(m)) {
                add(out, m, GemmRoutine.gemm(this, m));
            } else if (DenseRoutine.fusesForward(m)) {
                add(out, m, DenseRoutine.forward(this, m));
            } else if (DenseRoutine.fusesGate(m)) {
                add(out, m, DenseRoutine.backwardMasked(this, m));
            } else {
                for (Op part : m.decompose()) {
                    lower(part, out);
                }
            }
        } else if (op instanceof Composite c) {
            lowerComposite(c, out);
        } else if (op instanceof BatchNormStats o) {
            NormRoutine.stats(this, o).forEach(k -> add(out, o, k));
        } else if (op instanceof BatchNormBackward o) {
            NormRoutine.backward(this, o).forEach(k -> add(out, o, k));
        } else {
            add(out, op, call(op));
        }
    }

    /**
     * A composite as one naive kernel where {@link #fuses} says so; else DENSE_WEIGHT_GRADS runs as
     * the split-K pair over a long K, or its parts, DENSE_BACKWARD the DENSE_WEIGHT_GRADS of its
     * first two parts and then its gated product, MSE_DENSE_BACKWARD its loss and then the
     * DENSE_BACKWARD of the rest.
     */
    private void lowerComposite(Composite c, List<Step> out) {
        List<Op> parts = c.parts();
        switch (c.kind()) {
            case DENSE_WEIGHT_GRADS -> {
                if (DenseRoutine.splitsWeightGrads(this, c)) {
                    DenseRoutine.SplitK split = DenseRoutine.weightGradsSplit(this, c);
                    out.add(new Step(c, split.partials(), c.cost()));
                    out.add(new Step(c, split.sum(), split.sumCost()));
                } else if (DenseRoutine.fusesWeightGrads(this, c)) {
                    add(out, c, DenseRoutine.weightGrads(this, c));
                } else {
                    parts.forEach(p -> lower(p, out));
                }
            }
            case DENSE_BACKWARD -> {
                if (DenseRoutine.fusesBackward(this, c)) {
                    add(out, c, DenseRoutine.backward(this, c));
                } else {
                    lower(new Composite(Composite.Kind.DENSE_WEIGHT_GRADS, parts.subList(0, 2)), out);
                    lower(parts.get(2), out);
                }
            }
            case MSE_DENSE_BACKWARD -> {
                if (DenseRoutine.fusesBackward(this, c)) {
                    add(out, c, DenseRoutine.mseBackward(this, c));
                } else {
                    lower(parts.get(0), out);
                    lower(new Composite(Composite.Kind.DENSE_BACKWARD, parts.subList(1, 4)), out);
                }
            }
            default -> throw new IllegalArgumentException("no OpenCL lowering for composite " + c.name());
        }
    }

    /** The one call of a plain op, or null when it has nothing to do (no elements, a copy onto itself). */
    private Call call(Op op) {
        if (op instanceof BiasAct o) {
            return ElementwiseRoutine.biasAct(this, o);
        } else if (op instanceof Act o) {
            return ElementwiseRoutine.act(this, o);
        } else if (op instanceof ActBackward o) {
            return ElementwiseRoutine.actBackward(this, o);
        } else if (op instanceof ApplyMask o) {
            return DropoutRoutine.apply(this, o);
        } else if (op instanceof Fill o) {
            return ElementwiseRoutine.fill(o);
        } else if (op instanceof Copy o) {
            return ElementwiseRoutine.copy(this, o);
        } else if (op instanceof ColumnSum o) {
            return ReduceRoutine.columnSum(this, o);
        } else if (op instanceof Sum o) {
            return ReduceRoutine.sum(this, o);
        } else if (op instanceof AdamUpdate o) {
            return OptimizerRoutine.adam(this, o);
        } else if (op instanceof SgdUpdate o) {
            return OptimizerRoutine.sgd(this, o);
        } else if (op instanceof MseLoss o) {
            return LossRoutine.mse(this, o);
        } else if (op instanceof SoftmaxCrossEntropy o) {
            return LossRoutine.softmaxCrossEntropy(this, o);
        } else if (op instanceof AccuracyCount o) {
            return LossRoutine.accuracyCount(this, o);
        } else if (op instanceof ElementwiseLoss o) {
            return LossRoutine.elementwiseLoss(this, o);
        } else if (op instanceof CategoricalCrossEntropy o) {
            return LossRoutine.categoricalCrossEntropy(this, o);
        } else if (op instanceof RowMetric o) {
            return LossRoutine.rowMetric(this, o);
        } else if (op instanceof Im2Col o) {
            return ConvRoutine.im2col(this, o);
        } else if (op instanceof Col2Im o) {
            return ConvRoutine.col2im(this, o);
        } else if (op instanceof ConvGemm o) {
            return ConvRoutine.implicit(this, o);
        } else if (op instanceof Pool o) {
            return PoolRoutine.forward(this, o);
        } else if (op instanceof PoolBackward o) {
            return PoolRoutine.backward(this, o);
        } else if (op instanceof BatchNormApply o) {
            return NormRoutine.apply(this, o);
        } else if (op instanceof ApplyChannelMask o) {
            return DropoutRoutine.applyPerChannel(this, o);
        } else if (op instanceof Renorm o) {
            return ConstraintRoutine.renorm(this, o);
        } else if (op instanceof Regularize o) {
            return ConstraintRoutine.regularize(this, o);
        } else if (op instanceof SumSquares o) {
            return ReduceRoutine.sumSquares(this, o);
        } else if (op instanceof RmspropUpdate o) {
            return OptimizerRoutine.rmsprop(this, o);
        } else if (op instanceof AdagradUpdate o) {
            return OptimizerRoutine.adagrad(this, o);
        } else if (op instanceof Softmax o) {
            return SoftmaxRoutine.forward(this, o);
        } else if (op instanceof SoftmaxBackward o) {
            return SoftmaxRoutine.backward(this, o);
        } else if (op instanceof ApplyGaussianNoise o) {
            return DropoutRoutine.gaussian(this, o);
        } else if (op instanceof ApplyAlphaMask o) {
            return DropoutRoutine.alpha(this, o);
        }
        throw new IllegalArgumentException("no OpenCL routine for op " + op.name() + " (" + op.getClass().getSimpleName()
                + ")");
    }

    private static void add(List<Step> out, Op op, Call call) {
        if (call != null) {
            out.add(new Step(op, call, op.cost()));
        }
    }

    /** Enqueues the calls of one op, naming each launch's op and cost to the profile while profiling. */
    private synchronized void execute(List<Step> steps) {
        checkOpen();
        for (Step s : steps) {
            if (s.call() instanceof Call.Kernel k) {
                ClApi.Kernel kernel = library.kernel(k.file(), k.name());
                reserveScratch(k);
                setArgs(kernel, k.name(), k.args(), true);
                submit(kernel, k.name(), k.global(), k.local(), s.op().name(), sink != null ? s.cost() : Cost.NONE);
            } else if (s.call() instanceof Call.Copy c) {
                copyBuffer(c.src(), c.dst());
            } else if (s.call() instanceof Call.Fill f) {
                api.fill(queue, mem(f.x()), f.x().offset() * Float.BYTES, f.x().shape().size() * Float.BYTES, f.value());
            }
        }
    }

    /** Grows the scratch buffer to what the launch's {@link Call.ScratchBuffer} arguments need. */
    private void reserveScratch(Call.Kernel k) {
        for (Object arg : k.args()) {
            if (arg instanceof Call.ScratchBuffer b) {
                scratch.reserve(k.name(), b.floats());
            }
        }
    }

    /** One call bound for replay; called with the lock held. */
    private Backend.Launch bind(Step step) {
        if (step.call() instanceof Call.Fill f) {
            ClApi.Mem x = mem(f.x());
            long offset = f.x().offset() * Float.BYTES;
            long bytes = f.x().shape().size() * Float.BYTES;
            float value = f.value();
            return () -> {
                synchronized (this) {
                    checkOpen();
                    api.fill(queue, x, offset, bytes, value);
                }
            };
        }
        if (step.call() instanceof Call.Copy c) {
            ClApi.Mem src = mem(c.src());
            ClApi.Mem dst = mem(c.dst());
            long srcOffset = c.src().offset() * Float.BYTES;
            long dstOffset = c.dst().offset() * Float.BYTES;
            long bytes = c.src().shape().size() * Float.BYTES;
            return () -> {
                synchronized (this) {
                    checkOpen();
                    api.copy(queue, src, srcOffset, dst, dstOffset, bytes);
                }
            };
        }
        Call.Kernel k = (Call.Kernel) step.call();
        reserveScratch(k);
        ClApi.Kernel kernel = owned.create(library, k.file(), k.name());
        try {
            List<Integer> at = new ArrayList<>();
            List<Call.Dynamic> dynamic = new ArrayList<>();
            int index = 0;
            for (Object arg : k.args()) {
                if (arg instanceof Call.Dynamic d) {
                    at.add(index);
                    dynamic.add(d);
                }
                index += Call.width(arg);
            }
            setArgs(kernel, k.name(), k.args(), false);
            Bound bound = new Bound(kernel, k.name(), k.global(), k.local(), at.stream().mapToInt(Integer::intValue)
                    .toArray(), dynamic.toArray(Call.Dynamic[]::new), step.op().name(), step.cost());
            CLEANER.register(bound, new Release(owned, kernel));
            return bound;
        } catch (RuntimeException e) {
            owned.release(kernel);
            throw e;
        }
    }

    /** A prepared kernel launch: its own kernel object, arguments set but the dynamic ones. */
    private final class Bound implements Backend.Launch {
        private final ClApi.Kernel kernel;
        private final String name;
        private final long[] global;
        private final long[] local;
        private final int[] dynamicAt;
        private final Call.Dynamic[] dynamic;
        private final String op;
        private final Cost cost;

        Bound(ClApi.Kernel kernel, String name, long[] global, long[] local, int[] dynamicAt, Call.Dynamic[] dynamic,
              String op, Cost cost) {
            this.kernel = kernel;
            this.name = name;
            this.global = global;
            this.local = local;
            this.dynamicAt = dynamicAt;
            this.dynamic = dynamic;
            this.op = op;
            this.cost = cost;
        }

        @Override
        public void run() {
            synchronized (OpenClBackend.this) {
                checkOpen();
                for (int i = 0; i < dynamic.length; i++) {
                    dynamic[i].set(api, kernel, dynamicAt[i]);
                }
                submit(kernel, name, global, local, op, cost);
            }
        }

        @Override
        public String toString() {
            return "prepared " + name + " (" + op + ")";
        }
    }

    /** The kernel objects of prepared launches, released once each: by the {@link #CLEANER} or at close. */
    private static final class OwnedKernels {
        private final ClApi api;
        private final Set<ClApi.Kernel> live = Collections.newSetFromMap(new IdentityHashMap<>());

        OwnedKernels(ClApi api) {
            this.api = api;
        }

        synchronized ClApi.Kernel create(KernelLibrary library, String file, String name) {
            ClApi.Kernel k = library.newKernel(file, name);
            live.add(k);
            return k;
        }

        synchronized void release(ClApi.Kernel k) {
            if (live.remove(k)) {
                try {
                    api.release(k);
                } catch (RuntimeException e) {
                    LOG.log(WARNING, "releasing a prepared kernel failed: " + e.getMessage());
                }
            }
        }

        synchronized void close() {
            for (ClApi.Kernel k : live) {
                try {
                    api.release(k);
                } catch (RuntimeException e) {
                    LOG.log(WARNING, "releasing a prepared kernel failed: " + e.getMessage());
                }
            }
            live.clear();
        }
    }

    /** The cleaning action of a {@link Bound}: holds the kernel, not the launch. */
    private record Release(OwnedKernels owned, ClApi.Kernel kernel) implements Runnable {
        @Override
        public void run() {
            owned.release(kernel);
        }
    }
}
