package dev.clgrad.backend.java;

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
import dev.clgrad.ops.AdamHyper;
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
import dev.clgrad.ops.GemmShape;
import dev.clgrad.ops.Im2Col;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.MseLoss;
import dev.clgrad.ops.Op;
import dev.clgrad.ops.Philox;
import dev.clgrad.ops.Pool;
import dev.clgrad.ops.PoolBackward;
import dev.clgrad.ops.Regularize;
import dev.clgrad.ops.Renorm;
import dev.clgrad.ops.SgdUpdate;
import dev.clgrad.ops.AdagradUpdate;
import dev.clgrad.ops.Clip;
import dev.clgrad.ops.RmspropUpdate;
import dev.clgrad.ops.SumSquares;
import dev.clgrad.ops.Softmax;
import dev.clgrad.ops.SoftmaxBackward;
import dev.clgrad.ops.SoftmaxCrossEntropy;
import dev.clgrad.ops.Sum;
import dev.clgrad.tensor.DeviceBuffer;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pure-Java CPU backend and the living spec of every op: buffers are {@code float[]}, ops run
 * synchronously on the calling thread and a fork-join pool (GEMM and large element-wise ops), and
 * {@link #run} computes exactly the function each op's record documents (package
 * {@code dev.clgrad.ops}); tanh and sigmoid are {@link Activation#apply} and
 * {@link Activation#derivative}, element by element. Dropout masks are bit-identical to
 * every other backend's ({@link Philox}). Reductions accumulate in double. Freed buffers are pooled
 * by exact size up to {@link #POOL_BYTES}.
 *
 * <p>Every {@link MatMul} epilogue is fused ({@link #fuses}): after the GEMM, one pass over C in
 * cache-sized row blocks applies the bias and activation and then the dropout mask to each block,
 * or the gradient gate, giving the bits of {@link MatMul#decompose} run op by op. A
 * {@link Composite} runs its parts in order.
 *
 * <p>With the Vector API, GEMM runs {@link VectorGemm} and Adam, bias (linear and ReLU), ReLU's
 * backward, the column sum, col2im and dropout run {@link VectorOps} and {@link VectorDropout},
 * and max pooling's channel loops {@link VectorPooling}, on whole vectors, the scalar loops doing
 * the tails; both give the same bits.
 *
 * <p><b>Special values</b> (NaN, ±∞, −0.0, subnormals) follow IEEE 754 float32 arithmetic in
 * every op, subnormals never flushed; every backend gives the same bits (any NaN standing for any
 * NaN) where the op is one IEEE operation or a selection per element, and the same NaNs and
 * infinities elsewhere ({@code dev.clgrad.selftest.SpecialValues} checks both). Per op:
 * <ul>
 *   <li>gemm: NaN and ∞ propagate through the sums (∞·0 and ∞ − ∞ are NaN); with alpha = 0, A and
 *       B are not read (BLAS), so C = beta·C; with beta = 0, C is not read.</li>
 *   <li>biasAdd: {@code x + bias}. reluForward, biasRelu: {@code Math.max(0, ·)}: NaN stays NaN,
 *       −0.0 and −∞ become +0.</li>
 *   <li>reluBackward (and the masked Dense gradients): {@code y > 0 ? dY : (y is NaN ? NaN : +0)}.</li>
 *   <li>dropout: selects, {@code keep ? x·scale : +0}: a dropped NaN or ∞ becomes +0, a kept one
 *       stays NaN or ∞ (scale is finite and positive).</li>
 *   <li>fused ops (MatMul epilogues, composites): exactly their decomposition.</li>
 *   <li>losses, sums and means: NaN propagates; an infinite input gives ±∞ or NaN (∞ − ∞), as the
 *       formula says; softmax cross-entropy subtracts a row maximum that is NaN when the row holds
 *       one, so the row's loss and gradient are NaN; a row of −∞ is NaN (−∞ − (−∞)).</li>
 *   <li>im2col: a copy, the padding +0; col2im: each element +0 plus its taps in float32, kh then
 *       kw ascending ({@link JavaConv}), so NaN and ∞ propagate and ∞ − ∞ is NaN.</li>
 *   <li>accuracyCount: NaN is the maximum of its row (NumPy's and PyTorch's argmax); first
 *       maximum on ties.</li>
 *   <li>Adam, SGD: the formulas in IEEE arithmetic; AdamW's decay is {@code p·(1 − lr·wd)} (so an
 *       infinite parameter stays infinite), SGD's operations are never fused.</li>
 *   <li>max pooling: a selection, the first maximum in scan order ({@code v > best}, so −0 and +0
 *       tie and the first stays); a window holding a NaN gives its first NaN, and its gradient goes
 *       to that tap. Average pooling: the float32 sum of the taps, then one division.</li>
 *   <li>batch normalisation: NaN and ∞ propagate through the statistics as the formulas say (a
 *       channel holding a NaN, or +∞ and −∞, has a NaN mean or variance, so all of it is NaN).</li>
 *   <li>spatial dropout: selects per (sample, channel), like dropout.</li>
 * </ul>
 *
 * <p>Pooling and batch normalisation run {@link JavaPooling} and {@link JavaBatchNorm}, their spec.
 */
public final class JavaBackend implements Backend {
    /** Largest total size of released arrays kept for reuse. */
    static final long POOL_BYTES = 256L << 20;
    /** Element-wise ops over fewer elements than this per thread run on the calling thread. */
    private static final int GRAIN = 1 << 15;
    /** As {@link #GRAIN} for the Vector API's memory-bound ops, about ten times faster per element. */
    private static final int VECTOR_GRAIN = 1 << 18;
    /**
     * Parameters per chunk of an Adam step, which the threads claim as they go: split in two halves,
     * the caller's half of the Fashion-MNIST MLP's parameters took 449 µs and the worker's 303
     * (medians per step, 2 Zen 3 cores), and the worker waited for the rest.
     */
    private static final int OPTIMIZER_CHUNK = 1 << 14;
    /**
     * Element-wise ops over fewer elements than this take the scalar loop even with the Vector API:
     * as fast at that size, and compiled early, where Vector API code runs interpreted, allocating
     * per vector, for its first few hundred calls (0.3 s of the seed example's first epoch).
     */
    static final int VECTOR_MIN = 1024;
    /**
     * Elements of C per row block of a fused epilogue (64 KiB): the block stays in L2 between its
     * bias-and-activation pass and its dropout pass.
     */
    static final int EPILOGUE_BLOCK = 1 << 14;
    /** Fewest columns per thread of a column sum: 256 bytes of each row. */
    private static final int SUM_GRAIN_COLUMNS = 64;
    /** Each thread's Philox scratch for dropout. */
    private static final ThreadLocal<PhiloxRun> PHILOX = ThreadLocal.withInitial(PhiloxRun::new);

    /** Inference runs a convolution over a multiple of this many channels implicit ({@link #implicitConv}). */
    private static final int IMPLICIT_CHANNELS = 16;
    private final ParallelLoop loop;
    private final boolean vectorApi;
    private final int vectorMin;
    private final DeviceInfo info;
    private final Map<Integer, ArrayDeque<float[]>> pool = new HashMap<>();
    private long pooledBytes;
    private int live;
    private final AtomicLong uploads = new AtomicLong();
    private final AtomicLong downloads = new AtomicLong();
    private long liveBytes;
    private boolean closed;
    private volatile ProfileSink sink;

    /** A backend using every available processor. */
    public JavaBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /**
     * A backend using {@code threads} threads for its parallel ops, and the Vector API's GEMM kernel
     * when the JVM has it ({@code --add-modules jdk.incubator.vector}).
     */
    public JavaBackend(int threads) {
        this(threads, JavaGemm.VECTOR_API);
    }

    /**
     * Why this JVM's Java backends run without the Vector API kernels and how to get them, or null
     * when they have them (or the JVM has the module but vectors narrower than 128 bits).
     */
    public static String missingVectorApi() {
        return JavaGemm.VECTOR_MODULE ? null : "the Java backend runs its auto-vectorised loops; the JVM option"
                + " --add-modules jdk.incubator.vector gives it the Vector API kernels (GEMM 2-3x faster)";
    }

    /**
     * A one-thread backend that runs only the scalar loops: the spec that the Vector API kernels
     * and every OpenCL kernel are held to bit for bit on special values
     * ({@code dev.clgrad.selftest.SpecialValues}).
     */
    public static JavaBackend scalarSpec() {
        return new JavaBackend(1, false);
    }

    /** As {@link #JavaBackend(int)}, choosing the Vector API's kernels or the scalar (auto-vectorised) ones. */
    JavaBackend(int threads, boolean vectorApi) {
        this(threads, vectorApi, VECTOR_MIN);
    }

    /** As {@link #JavaBackend(int, boolean)}, element-wise ops taking the Vector API from {@code vectorMin} elements. */
    JavaBackend(int threads, boolean vectorApi, int vectorMin) {
        if (vectorApi && !JavaGemm.VECTOR_API) {
            throw new IllegalStateException("the Vector API kernels need the JVM option --add-modules jdk.incubator.vector and vectors of at least 128 bits");
        }
        if (vectorApi) {
            VectorProfiles.settle();
        }
        this.loop = new ParallelLoop(threads);
        this.vectorApi = vectorApi;
        this.vectorMin = vectorMin;
        long maxMemory = Runtime.getRuntime().maxMemory();
        String kernels = vectorApi ? "Vector API " + VectorGemm.vectorBits() + "-bit kernels" : "auto-vectorised loops";
        this.info = new DeviceInfo("java", "java", "Java (" + threads + " threads, " + kernels + ")",
                System.getProperty("java.vendor"),
                "CPU", "Java " + Runtime.version(), System.getProperty("java.vm.version"), threads, maxMemory,
                Math.min(maxMemory, (long) Integer.MAX_VALUE * Float.BYTES));
    }

    @Override
    public DeviceInfo info() {
        return info;
    }

    /** The JVM heap ({@link MemoryLimits#heap}), where this backend's buffers are arrays beside every host array. */
    @Override
    public synchronized MemoryLimits memoryLimits() {
        return MemoryLimits.heap().withinCap(liveBytes);
    }

    // ---- storage -------------------------------------------------------------------------------

    @Override
    public synchronized DeviceBuffer allocate(long floats) {
        if (closed) {
            throw new IllegalStateException("java backend is closed");
        }
        if (floats < 1 || floats > DeviceBuffer.MAX_FLOATS) {
            throw new IllegalArgumentException("allocate: the java backend holds 1 to " + DeviceBuffer.MAX_FLOATS
                    + " floats per buffer, asked for " + floats);
        }
        ArrayDeque<float[]> free = pool.get((int) floats);
        float[] data = free == null ? null : free.poll();
        if (data != null) {
            pooledBytes -= (long) data.length * Float.BYTES;
        } else {
            data = new float[(int) floats];
        }
        live++;
        liveBytes += (long) data.length * Float.BYTES;
        return new JavaBuffer(this, data);
    }

    @Override
    public synchronized void release(DeviceBuffer buffer) {
        JavaBuffer b = own(buffer, "release");
        if (b.released) {
            throw new IllegalStateException("release: buffer of " + b.floats() + " floats was already released");
        }
        b.released = true;
        live--;
        long bytes = (long) b.data.length * Float.BYTES;
        liveBytes -= bytes;
        if (!closed && pooledBytes + bytes <= POOL_BYTES) {
            pool.computeIfAbsent(b.data.length, n -> new ArrayDeque<>()).push(b.data);
            pooledBytes += bytes;
        }
    }

    @Override
    public void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
        JavaBuffer b = own(dst, "upload");
        checkRange("upload", src.length, srcOffset, b.data.length, dstOffset, count);
        System.arraycopy(src, srcOffset, b.data, (int) dstOffset, count);
        uploads.incrementAndGet();
    }

    @Override
    public void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count) {
        JavaBuffer b = own(src, "download");
        checkRange("download", dst.length, dstOffset, b.data.length, srcOffset, count);
        System.arraycopy(b.data, (int) srcOffset, dst, dstOffset, count);
        downloads.incrementAndGet();
    }

    @Override
    public Transfers transfers() {
        return new Transfers(uploads.get(), downloads.get());
    }

    @Override
    public synchronized int liveBuffers() {
        return live;
    }

    @Override
    public void profile(ProfileSink newSink) {
        sink = newSink;
    }

    @Override
    public Span span(String name) {
        return Span.open(sink, name);
    }

    /** Ops complete before they return: nothing to wait for. */
    @Override
    public void finish() {
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        pool.clear();
        pooledBytes = 0;
        loop.close();
    }

    private JavaBuffer own(DeviceBuffer buffer, String op) {
        if (!(buffer instanceof JavaBuffer b) || b.owner != this) {
            throw new IllegalArgumentException(op + ": buffer " + buffer + " does not belong to this java backend");
        }
        return b;
    }

    private static void checkRange(String op, int hostLength, int hostOffset, int bufferLength, long bufferOffset,
                                   int count) {
        if (count < 0 || hostOffset < 0 || bufferOffset < 0 || (long) hostOffset + count > hostLength
                || bufferOffset + count > bufferLength) {
            throw new IllegalArgumentException(op + ": " + count + " floats at host offset " + hostOffset
                    + " (host array " + hostLength + ") and buffer offset " + bufferOffset + " (buffer "
                    + bufferLength + ") fall outside");
        }
    }

    /** Whether an element-wise op over {@code elements} takes its Vector API path. */
    private boolean vector(long elements) {
        return vectorApi && elements >= vectorMin;
    }

    /** Fewest elements per thread of the ops with a Vector API path. */
    private int grain() {
        return vectorApi ? VECTOR_GRAIN : GRAIN;
    }

    private float[] data(Tensor t) {
        return own(t.buffer(), "op on " + t.name()).data;
    }

    private static int off(Tensor t) {
        return (int) t.offset();
    }

    private static int size(Tensor t) {
        return (int) t.shape().size();
    }

    // ---- running ops -----------------------------------------------------------------------------

    /**
     * Validates and runs {@code op} before returning. A {@link Composite} runs its parts in order;
     * while profiling, each op (each part of a composite) is reported with its wall-clock time and
     * its declared {@link Op#cost}.
     */
    @Override
    public void run(Op op) {
        op.validate();
        runValidated(op);
    }

    /** Validates {@code op} once; the launch runs it without checking its operands again. */
    @Override
    public Launch prepare(Op op) {
        op.validate();
        return () -> runValidated(op);
    }

    private void runValidated(Op op) {
        if (op instanceof Composite composite) {
            for (Op part : composite.parts()) {
                timed(part);
            }
        } else {
            timed(op);
        }
    }

    /** A composite's parts, any other op as one computation named by {@link #kernel}. */
    @Override
    public List<String> kernels(Op op) {
        op.validate();
        return op instanceof Composite c ? c.parts().stream().map(JavaBackend::kernel).toList() : List.of(kernel(op));
    }

    /**
     * The measured choice on this backend ({@code clgrad tune conv --device java}, docs/BENCHMARKS.md,
     * 2026-12-02): in inference the implicit GEMM for C a multiple of {@link #IMPLICIT_CHANNELS} (the
     * CNNs' second convolutions, where skipping im2col saves its pass over cols), im2col for the
     * others (C = 1, K = 9, where the bands' packing costs more than it saves); im2col in a training
     * step (the implicit GEMM measured no faster than the product of cols, and im2col runs anyway
     * for the filter gradient).
     */
    @Override
    public boolean implicitConv(ConvGemm conv, boolean training) {
        return !training && conv.x().shape().dim(3) % IMPLICIT_CHANNELS == 0;
    }

    /** Every op but a {@link Composite} is one pass here, {@link MatMul} epilogues included. */
    @Override
    public boolean fuses(Op op) {
        return !(op instanceof Composite);
    }

    /** Runs a validated plain op, reporting it when profiling (no clock read otherwise). */
    private void timed(Op op) {
        ProfileSink s = sink;
        if (s == null) {
            execute(op);
            return;
        }
        long t0 = System.nanoTime();
        execute(op);
        long t1 = System.nanoTime();
        Cost cost = op.cost();
        s.kernel(new ProfileSink.KernelRecord(kernel(op), op.name(), t0, t0, t1, cost.flops(), cost.bytes()));
    }

    /**
     * The name a profile shows for the Java computation of {@code op}: a product by its
     * transposes and epilogue ({@code gemm_nn_bias_relu_mask}, {@code gemm_nt_gate_relu}), any
     * other op by its name.
     */
    static String kernel(Op op) {
        if (!(op instanceof MatMul m)) {
            return op.name();
        }
        StringBuilder k = new StringBuilder("gemm_").append(m.transA() ? 't' : 'n').append(m.transB() ? 't' : 'n');
        Epilogue e = m.epilogue();
        if (e.isGate()) {
            return k.append("_gate_").append(e.activation().kerasName()).toString();
        }
        if (e.bias() != null) {
            k.append("_bias");
        }
        if (e.activation() != Activation.LINEAR) {
            k.append('_').append(e.activation().kerasName());
        }
        if (e.mask() != null) {
            k.append("_mask");
        }
        return k.toString();
    }

    /** Dispatches a validated op other than a {@link Composite} to its computation. */
    private void execute(Op op) {
        if (op instanceof MatMul m) {
            matmul(m);
        } else if (op instanceof BiasAct b) {
            biasAct(b.x(), b.bias(), b.activation(), b.y());
        } else if (op instanceof Act a) {
            act(a.activation(), a.x(), a.y());
        } else if (op instanceof ActBackward a) {
            actBackward(a.activation(), a.y(), a.dY(), a.dX());
        } else if (op instanceof ApplyMask d) {
            dropout(d.x(), d.mask(), d.y());
        } else if (op instanceof Fill f) {
            fill(f.x(), f.value());
        } else if (op instanceof Copy c) {
            copy(c.src(), c.dst());
        } else if (op instanceof ColumnSum c) {
            columnSum(c.x(), c.out());
        } else if (op instanceof Sum s) {
            store(s.out(), s.mean() ? total(s.x()) / s.x().shape().size() : total(s.x()), false);
        } else if (op instanceof AdamUpdate a) {
            adamStep(a);
        } else if (op instanceof SgdUpdate u) {
            sgdStep(u);
        } else if (op instanceof RmspropUpdate r) {
            rmspropStep(r);
        } else if (op instanceof AdagradUpdate a) {
            adagradStep(a);
        } else if (op instanceof SumSquares q) {
            store(q.out(), sumSquares(q.x()), false);
        } else if (op instanceof MseLoss l) {
            mse(l);
        } else if (op instanceof SoftmaxCrossEntropy l) {
            softmaxCrossEntropy(l);
        } else if (op instanceof AccuracyCount a) {
            accuracyCount(a);
        } else if (op instanceof ElementwiseLoss l) {
            elementwiseLoss(l);
        } else if (op instanceof CategoricalCrossEntropy l) {
            categoricalCrossEntropy(l);
        } else if (op instanceof RowMetric m) {
            rowMetric(m);
        } else if (op instanceof Im2Col i) {
            Tensor x = i.x();
            JavaConv.im2col(loop, data(x), off(x), x.shape().dim(0), x.shape().dim(3), i.window(), data(i.cols()),
                    off(i.cols()));
        } else if (op instanceof ConvGemm g) {
            convGemm(g);
        } else if (op instanceof Col2Im c) {
            Tensor dx = c.dx();
            JavaConv.col2im(loop, vector(size(dx)), data(c.cols()), off(c.cols()), dx.shape().dim(0),
                    dx.shape().dim(3), c.window(), data(dx), off(dx));
        } else if (op instanceof Pool p) {
            pool(p);
        } else if (op instanceof PoolBackward p) {
            poolBackward(p);
        } else if (op instanceof BatchNormStats n) {
            batchNormStats(n);
        } else if (op instanceof BatchNormApply n) {
            batchNormApply(n);
        } else if (op instanceof BatchNormBackward n) {
            batchNormBackward(n);
        } else if (op instanceof ApplyChannelMask d) {
            channelDropout(d.x(), d.mask(), d.y());
        } else if (op instanceof Renorm r) {
            renorm(r);
        } else if (op instanceof Regularize r) {
            regularize(r);
        } else if (op instanceof Softmax sm) {
            softmax(sm);
        } else if (op instanceof SoftmaxBackward sb) {
            softmaxBackward(sb);
        } else if (op instanceof ApplyGaussianNoise d) {
            JavaNoise.gaussian(loop, data(d.x()), off(d.x()), data(d.y()), off(d.y()), size(d.x()), d.noise());
        } else if (op instanceof ApplyAlphaMask d) {
            JavaNoise.alpha(loop, data(d.x()), off(d.x()), data(d.y()), off(d.y()), size(d.x()), d);
        } else {
            throw new IllegalArgumentException("java backend: no computation for op " + op.name() + " (" + op + ")");
        }
    }

    // ---- linear algebra --------------------------------------------------------------------------

    /**
     * GEMM (op(A): (M, K), op(B): (K, N) → C: (M, N)) and its epilogue. A bias with linear or ReLU
     * goes to the GEMM, whose Vector API blocks apply it as they store C; a dropout mask (N a
     * multiple of 4, so that every region of C the GEMM hands back holds whole Philox blocks) or a
     * gradient gate is its {@link JavaGemm.Tail}, run by each thread on its part of C as soon as
     * the part is done. Other epilogues (tanh, sigmoid, ...) are passes over C after the product.
     */
    private void matmul(MatMul op) {
        GemmShape s = op.shape();
        Tensor a = op.a();
        Tensor b = op.b();
        Tensor c = op.c();
        Epilogue e = op.epilogue();
        if (e.z() != null) {
            for (Op part : op.decompose()) {
                execute(part);
            }
            return;
        }
        boolean rowBias = rowBias(e);
        if (!e.isGate() && (!rowBias || (e.mask() != null && s.n() % 4 != 0))) {
            JavaGemm.gemm(loop, vectorApi, op.transA(), op.transB(), s.m(), s.n(), s.k(), op.alpha(), data(a), off(a),
                    data(b), off(b), op.beta(), data(c), off(c));
            if (e.mask() == null) {
                activate(c, e.bias(), e.activation());
            } else {
                activateAndDrop(c, e.bias(), e.activation(), e.mask());
            }
            return;
        }
        JavaGemm.RowBias bias = e.bias() == null ? null
                : new JavaGemm.RowBias(data(e.bias()), off(e.bias()), e.activation() == Activation.RELU);
        JavaGemm.Tail tail = e.isGate() ? gateTail(e.activation(), e.gate(), c)
                : e.mask() != null ? dropTail(c, e.mask()) : null;
        JavaGemm.gemm(loop, vectorApi, op.transA(), op.transB(), s.m(), s.n(), s.k(), op.alpha(), data(a), off(a),
                data(b), off(b), op.beta(), data(c), off(c), bias, tail);
    }

    /** Whether the GEMM applies e's bias and activation as it stores C: none or linear, or ReLU. */
    private static boolean rowBias(Epilogue e) {
        return e.activation() == Activation.LINEAR || e.bias() != null && e.activation() == Activation.RELU;
    }

    /**
     * The implicit-GEMM convolution ({@link JavaConv#implicitGemm}) and its epilogue, in the steps
     * and bits of {@link #matmul} on the cols matrix: a bias with linear or ReLU applied as the bands
     * store c, then the dropout mask over c; any other epilogue as passes after the product (into z
     * where the epilogue keeps it).
     */
    private void convGemm(ConvGemm op) {
        Tensor x = op.x();
        Tensor w = op.kernel();
        Tensor c = op.c();
        Epilogue e = op.epilogue();
        boolean rowBias = e.z() == null && rowBias(e);
        Tensor product = e.z() != null ? e.z() : c;
        JavaGemm.RowBias bias = rowBias && e.bias() != null
                ? new JavaGemm.RowBias(data(e.bias()), off(e.bias()), e.activation() == Activation.RELU) : null;
        JavaConv.implicitGemm(loop, vectorApi, data(x), off(x), x.shape().dim(0), x.shape().dim(3), op.window(),
                data(w), off(w), w.shape().dim(1), data(product), off(product), bias);
        if (!rowBias) {
            if (e.z() != null) {
                if (e.bias() != null) {
                    biasAct(product, e.bias(), Activation.LINEAR, product);
                }
                act(e.activation(), product, c);
            } else {
                activate(c, e.bias(), e.activation());
            }
        }
        if (e.mask() != null) {
            dropout(c, e.mask(), c);
        }
    }

    /** C: (M, N) → the tail {@code C = C·activation'(gate)} (the backward's gate) on a region of C. */
    private JavaGemm.Tail gateTail(Activation activation, Tensor gate, Tensor c) {
        float[] yd = data(gate);
        float[] cd = data(c);
        int yo = off(gate);
        int co = off(c);
        int n = c.shape().cols();
        boolean vec = vector(size(c));
        return (r0, r1, c0, c1) -> {
            if (c0 == 0 && c1 == n) {
                actBackwardRange(activation, yd, yo, cd, co, cd, co, vec, r0 * n, r1 * n);
                return;
            }
            for (int r = r0; r < r1; r++) {
                actBackwardRange(activation, yd, yo, cd, co, cd, co, vec, r * n + c0, r * n + c1);
            }
        };
    }

    /**
     * C: (M, N), N a multiple of 4 → the tail {@code C = mask(C)} on a region of C: each row's
     * segment (or the region's rows together when they are whole) is whole Philox blocks of C's
     * element indices, so the region's mask is that of a dropout over all of C.
     */
    private JavaGemm.Tail dropTail(Tensor c, Mask mask) {
        float[] cd = data(c);
        int co = off(c);
        int n = c.shape().cols();
        int size = size(c);
        boolean vec = vector(size);
        long offset = mask.offset().get();
        int[] key = Philox.key(mask.seed());
        int t = mask.threshold();
        float scale = mask.scale();
        return (r0, r1, c0, c1) -> {
            if (c0 == 0 && c1 == n) {
                dropoutBlocks(cd, co, cd, co, size, offset, key, t, scale, vec, r0 * n / 4, r1 * n / 4);
                return;
            }
            for (int r = r0; r < r1; r++) {
                dropoutBlocks(cd, co, cd, co, size, offset, key, t, scale, vec, (r * n + c0) / 4, (r * n + c1) / 4);
            }
        };
    }

    /** C: (M, N), bias: (N) or null → {@code C = activation(C + bias)} in place. */
    private void activate(Tensor c, Tensor bias, Activation activation) {
        if (bias != null) {
            biasAct(c, bias, activation, c);
        } else {
            act(activation, c, c);
        }
    }

    /**
     * C: (M, N), bias: (N) or null → {@code C = mask(activation(C + bias))} in place, row block by
     * row block: each block of about {@link #EPILOGUE_BLOCK} elements gets its bias and activation,
     * then, while still in cache, its dropout, with the mask of C's global element indices. Threads'
     * row ranges and blocks start at rows r with r·N a multiple of 4, so each covers whole Philox
     * blocks of its own elements (the last block of C may be partial, as in a whole-C dropout) and
     * never masks an element another thread has yet to bias.
     */
    private void activateAndDrop(Tensor c, Tensor bias, Activation activation, Mask mask) {
        float[] cd = data(c);
        int co = off(c);
        int rows = c.shape().rows();
        int cols = c.shape().cols();
        int n = rows * cols;
        float[] bd = bias == null ? null : data(bias);
        int bo = bias == null ? 0 : off(bias);
        boolean vec = vector(n);
        long offset = mask.offset().get();
        int[] key = Philox.key(mask.seed());
        int t = mask.threshold();
        float scale = mask.scale();
        int align = 4 / gcd(cols, 4);
        int blockRows = Math.max(align, EPILOGUE_BLOCK / cols / align * align);
        int grainRows = Math.max(align, grain() / cols);
        loop.forRange(rows, grainRows, align, (from, to) -> {
            for (int r0 = from; r0 < to; r0 += blockRows) {
                int r1 = Math.min(to, r0 + blockRows);
                if (bd != null) {
                    biasRows(cd, co, bd, bo, cd, co, cols, activation, vec, r0, r1);
                } else {
                    actRange(activation, cd, co, cd, co, r0 * cols, r1 * cols);
                }
                int lastBlock = r1 == rows ? (int) Philox.blocks(n) : r1 * cols / 4;
                dropoutBlocks(cd, co, cd, co, n, offset, key, t, scale, vec, r0 * cols / 4, lastBlock);
            }
        });
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    // ---- element-wise ----------------------------------------------------------------------------

    /** x: any shape → {@code x[i] = value}. */
    private void fill(Tensor x, float value) {
        float[] xd = data(x);
        int xo = off(x);
        loop.forRange(size(x), GRAIN, 16, (from, to) -> Arrays.fill(xd, xo + from, xo + to, value));
    }

    /** src, dst: n elements each → {@code dst[i] = src[i]}. */
    private void copy(Tensor src, Tensor dst) {
        float[] sd = data(src);
        float[] dd = data(dst);
        int so = off(src);
        int dOff = off(dst);
        if (src.sharesStorageWith(dst)) {
            System.arraycopy(sd, so, dd, dOff, size(src));
        } else {
            loop.forRange(size(src), GRAIN, 16, (from, to) -> System.arraycopy(sd, so + from, dd, dOff + from, to - from));
        }
    }

    /** x: (B, O), bias: (O) → {@code y[r, c] = activation(x[r, c] + bias[c])}: (B, O). y may be x. */
    private void biasAct(Tensor x, Tensor bias, Activation activation, Tensor y) {
        float[] xd = data(x);
        float[] bd = data(bias);
        float[] yd = data(y);
        int xo = off(x);
        int bo = off(bias);
        int yo = off(y);
        int cols = x.shape().cols();
        boolean vec = vector(x.shape().size());
        loop.forRange(x.shape().rows(), Math.max(1, grain() / Math.max(cols, 1)), 1,
                (from, to) -> biasRows(xd, xo, bd, bo, yd, yo, cols, activation, vec, from, to));
    }

    /**
     * Rows {@code [from, to)} of x: (B, cols), bias: (cols) → {@code y = activation(x + bias)}: the
     * Vector API's whole vectors (linear and ReLU, when vec), then the scalar loop. y may be x.
     */
    private static void biasRows(float[] xd, int xo, float[] bd, int bo, float[] yd, int yo, int cols,
                                 Activation activation, boolean vec, int from, int to) {
        if (activation == Activation.LINEAR || activation == Activation.RELU) {
            boolean relu = activation == Activation.RELU;
            int tailCol = vec ? VectorOps.bias(xd, xo, bd, bo, yd, yo, cols, relu, from, to) : 0;
            for (int r = from; r < to; r++) {
                int xr = xo + r * cols;
                int yr = yo + r * cols;
                for (int c = tailCol; c < cols; c++) {
                    float v = xd[xr + c] + bd[bo + c];
                    yd[yr + c] = relu ? Math.max(0f, v) : v;
                }
            }
            return;
        }
        for (int r = from; r < to; r++) {
            int xr = xo + r * cols;
            int yr = yo + r * cols;
            for (int c = 0; c < cols; c++) {
                yd[yr + c] = activation.apply(xd[xr + c] + bd[bo + c]);
            }
        }
    }

    /** x, y: n elements → {@code y[i] = activation(x[i])}. y may be x. */
    private void act(Activation activation, Tensor x, Tensor y) {
        float[] xd = data(x);
        float[] yd = data(y);
        int xo = off(x);
        int yo = off(y);
        loop.forRange(size(x), GRAIN, 16, (from, to) -> actRange(activation, xd, xo, yd, yo, from, to));
    }

    /** Elements {@code [from, to)}: {@code y[i] = activation(x[i])}. y may be x. */
    private static void actRange(Activation activation, float[] xd, int xo, float[] yd, int yo, int from, int to) {
        if (activation == Activation.RELU) {
            for (int i = from; i < to; i++) {
                yd[yo + i] = Math.max(0f, xd[xo + i]);
            }
            return;
        }
        for (int i = from; i < to; i++) {
            yd[yo + i] = activation.apply(xd[xo + i]);
        }
    }

    /**
     * y, dY, dX: n elements → {@code dX[i] = dY[i]·g(y[i])}, g the activation's derivative from its
     * output (from its input z, passed as y, where it {@link Activation#savesInput}); ReLU's is the
     * select {@code y > 0 ? dY : 0}. dX may be dY.
     */
    private void actBackward(Activation activation, Tensor y, Tensor dY, Tensor dX) {
        float[] yd = data(y);
        float[] gd = data(dY);
        float[] dd = data(dX);
        int yo = off(y);
        int go = off(dY);
        int dOff = off(dX);
        boolean vec = vector(size(y));
        loop.forRange(size(y), activation == Activation.RELU ? grain() : GRAIN, 16,
                (from, to) -> actBackwardRange(activation, yd, yo, gd, go, dd, dOff, vec, from, to));
    }

    /** Elements {@code [from, to)} of {@link #actBackward}: the Vector API's for ReLU when vec, then the scalar loop. */
    private static void actBackwardRange(Activation activation, float[] yd, int yo, float[] gd, int go, float[] dd,
                                         int dOff, boolean vec, int from, int to) {
        if (activation != Activation.RELU) {
            for (int i = from; i < to; i++) {
                dd[dOff + i] = gd[go + i] * activation.derivative(yd[yo + i]);
            }
            return;
        }
        int done = vec ? VectorOps.reluBackward(yd, yo, gd, go, dd, dOff, from, to) : from;
        for (int i = done; i < to; i++) {
            float yi = yd[yo + i];
            dd[dOff + i] = yi > 0f ? gd[go + i] : yi != yi ? yi : 0f;
        }
    }

    /**
     * in, out: n elements → {@code out[i] = keep(i) ? in[i]·scale : 0} with the Philox mask; the
     * forward and the backward of dropout are this same function. out may be in.
     */
    private void dropout(Tensor in, Mask mask, Tensor out) {
        int t = mask.threshold();
        float scale = mask.scale();
        long offset = mask.offset().get();
        float[] id = data(in);
        float[] od = data(out);
        int io = off(in);
        int oo = off(out);
        int n = size(in);
        int[] key = Philox.key(mask.seed());
        boolean vec = vector(n);
        loop.forRange((int) Philox.blocks(n), GRAIN / 4, PhiloxRun.CAPACITY,
                (from, to) -> dropoutBlocks(id, io, od, oo, n, offset, key, t, scale, vec, from, to));
    }

    /**
     * Philox blocks {@code [from, to)} of a dropout over n elements (elements 4·from up to
     * min(4·to, n)): the Vector API's whole vectors when vec, then the scalar loop, which generates
     * its blocks {@link PhiloxRun#CAPACITY} at a time. out may be in.
     */
    private static void dropoutBlocks(float[] id, int io, float[] od, int oo, int n, long offset, int[] key, int t,
                                      float scale, boolean vec, int from, int to) {
        int done = vec ? VectorDropout.dropout(id, io, od, oo, n, offset, key, t, scale, from, to) : from;
        PhiloxRun run = PHILOX.get();
        int[] words = run.words;
        for (int blk = done; blk < to; blk += PhiloxRun.CAPACITY) {
            int count = Math.min(PhiloxRun.CAPACITY, to - blk);
            run.generate(offset, blk, count, key);
            int base = blk * 4;
            int len = Math.min(4 * count, n - base);
            int src = io + base;
            int dst = oo + base;
            for (int q = 0; q < len; q++) {
                od[dst + q] = (words[q] >>> 8) >= t ? id[src + q] * scale : 0f;
            }
        }
    }

    /**
     * x, y: (B, S, C) (S every axis between) → {@code y[b, s, c] = keep(b·C + c) ? x·scale : +0}: the
     * B·C mask elements drawn once ({@link PhiloxRun}, {@link PhiloxRun#CAPACITY} blocks at a
     * time), then applied to every position. y may be x.
     */
    private void channelDropout(Tensor in, Mask mask, Tensor out) {
        int rows = in.shape().rows();
        int channels = in.shape().last();
        int masked = rows * channels;
        int t = mask.threshold();
        float scale = mask.scale();
        long offset = mask.offset().get();
        int[] key = Philox.key(mask.seed());
        boolean[] keep = new boolean[masked];
        PhiloxRun run = PHILOX.get();
        int blocks = (int) Philox.blocks(masked);
        for (int blk = 0; blk < blocks; blk += PhiloxRun.CAPACITY) {
            int count = Math.min(PhiloxRun.CAPACITY, blocks - blk);
            run.generate(offset, blk, count, key);
            int base = blk * 4;
            for (int q = 0; q < Math.min(4 * count, masked - base); q++) {
                keep[base + q] = (run.words[q] >>> 8) >= t;
            }
        }
        float[] id = data(in);
        float[] od = data(out);
        int io = off(in);
        int oo = off(out);
        int perRow = size(in) / Math.max(rows, 1);
        loop.forRange(size(in), GRAIN, 16, (from, to) -> {
            for (int i = from; i < to; i++) {
                int j = i / perRow * channels + i % channels;
                od[oo + i] = keep[j] ? id[io + i] * scale : 0f;
            }
        });
    }

    // ---- pooling and normalisation ---------------------------------------------------------------

    /** x: (B, H, W, C) → y: (B, OH, OW, C) ({@link JavaPooling#forward}). */
    private void pool(Pool op) {
        int[] d = op.x().shape().dims();
        JavaPooling.forward(loop, vector(size(op.x())), op.kind(), op.window(), d[0], d[3], data(op.x()), off(op.x()),
                data(op.y()), off(op.y()));
    }

    /** dY: (B, OH, OW, C) → dX: (B, H, W, C) ({@link JavaPooling#backward}). */
    private void poolBackward(PoolBackward op) {
        int[] d = op.dX().shape().dims();
        float[] xd = op.x() == null ? null : data(op.x());
        int xo = op.x() == null ? 0 : off(op.x());
        JavaPooling.backward(loop, vector(size(op.dX())), op.kind(), op.window(), d[0], d[3], xd, xo, data(op.dY()),
                off(op.dY()), data(op.dX()), off(op.dX()));
    }

    /** x: (N, C) → mean, variance, and the moving statistics updated ({@link JavaBatchNorm#stats}). */
    private void batchNormStats(BatchNormStats op) {
        Tensor x = op.x();
        int c = x.shape().last();
        JavaBatchNorm.stats(loop, size(x) / c, c, data(x), off(x), data(op.mean()), off(op.mean()),
                data(op.variance()), off(op.variance()), data(op.movingMean()), off(op.movingMean()),
                data(op.movingVariance()), off(op.movingVariance()), op.momentum());
    }

    /** x: (N, C) → the normalised, scaled, shifted and activated y ({@link JavaBatchNorm#apply}). */
    private void batchNormApply(BatchNormApply op) {
        Tensor x = op.x();
        int c = x.shape().last();
        JavaBatchNorm.apply(loop, size(x) / c, c, data(x), off(x), data(op.mean()), off(op.mean()),
                data(op.variance()), off(op.variance()), dataOrNull(op.gamma()), offOrZero(op.gamma()),
                dataOrNull(op.beta()), offOrZero(op.beta()), op.epsilon(), op.activation(), data(op.y()), off(op.y()));
    }

    /** x, dY: (N, C) → dX, dGamma, dBeta, each where asked ({@link JavaBatchNorm#backward}). */
    private void batchNormBackward(BatchNormBackward op) {
        Tensor x = op.x();
        int c = x.shape().last();
        JavaBatchNorm.backward(loop, size(x) / c, c, data(x), off(x), data(op.dY()), off(op.dY()), data(op.mean()),
                off(op.mean()), data(op.variance()), off(op.variance()), dataOrNull(op.gamma()),
                offOrZero(op.gamma()), op.epsilon(), dataOrNull(op.dX()), offOrZero(op.dX()),
                dataOrNull(op.dGamma()), offOrZero(op.dGamma()), dataOrNull(op.dBeta()), offOrZero(op.dBeta()));
    }

    private float[] dataOrNull(Tensor t) {
        return t == null ? null : data(t);
    }

    private static int offOrZero(Tensor t) {
        return t == null ? 0 : off(t);
    }

    // ---- optimizers ------------------------------------------------------------------------------

    /** params, grads, m, v: (P) → one Adam/AdamW step at step t (from 1), in place ({@link AdamUpdate}). */
    private void adamStep(AdamUpdate op) {
        Tensor params = op.params();
        AdamHyper hyper = op.hyper();
        long step = op.step().get();
        float[] pd = data(params);
        float[] gd = data(op.grads());
        float[] md = data(op.m());
        float[] vd = data(op.v());
        int po = off(params);
        int go = off(op.grads());
        int mo = off(op.m());
        int vo = off(op.v());
        float lr = op.lr().get();
        float b1 = hyper.beta1();
        float b2 = hyper.beta2();
        float eps = hyper.eps();
        float decay = 1f - lr * hyper.weightDecay(); // exactly 1 for Adam: p·1 == p
        float bc1 = hyper.biasCorrection1(step);
        float bc2 = hyper.biasCorrection2(step);
        Clip clip = op.clip();
        float scale = clipScale(clip);
        boolean vec = vector(size(params)) && clip.equals(Clip.NONE);
        loop.forChunks(size(params), grain(), OPTIMIZER_CHUNK, (from, to) -> {
            int done = vec
                    ? VectorOps.adam(pd, po, gd, go, md, mo, vd, vo, lr, b1, b2, eps, decay, bc1, bc2, from, to)
                    : from;
            for (int i = done; i < to; i++) {
                float p = pd[po + i] * decay;
                float g = clip.apply(gd[go + i], scale);
                float mi = b1 * md[mo + i] + (1f - b1) * g;
                float vi = b2 * vd[vo + i] + (1f - b2) * g * g;
                md[mo + i] = mi;
                vd[vo + i] = vi;
                pd[po + i] = p - lr * (mi / bc1) / ((float) Math.sqrt(vi / bc2) + eps);
            }
        });
    }

    /** params, grads, velocity: (P) → one SGD step, with momentum or Nesterov momentum, in place ({@link SgdUpdate}). */
    private void sgdStep(SgdUpdate op) {
        Tensor params = op.params();
        Tensor velocity = op.velocity();
        float[] pd = data(params);
        float[] gd = data(op.grads());
        float[] vd = velocity != null ? data(velocity) : null;
        int po = off(params);
        int go = off(op.grads());
        int vo = velocity != null ? off(velocity) : 0;
        float lr = op.lr().get();
        float momentum = op.momentum().get();
        float weightDecay = op.weightDecay();
        boolean nesterov = op.nesterov();
        Clip clip = op.clip();
        float scale = clipScale(clip);
        loop.forRange(size(params), GRAIN, 16, (from, to) -> {
            for (int i = from; i < to; i++) {
                float g = clip.apply(gd[go + i], scale) + weightDecay * pd[po + i];
                if (vd != null) {
                    float vel = momentum * vd[vo + i] + g;
                    vd[vo + i] = vel;
                    g = nesterov ? g + momentum * vel : vel;
                }
                pd[po + i] -= lr * g;
            }
        });
    }

    /** params, grads, v (, gAvg): (P) → one RMSprop step, in place ({@link RmspropUpdate}). */
    private void rmspropStep(RmspropUpdate op) {
        Tensor params = op.params();
        float[] pd = data(params);
        float[] gd = data(op.grads());
        float[] vd = data(op.v());
        float[] ad = op.gAvg() != null ? data(op.gAvg()) : null;
        int po = off(params);
        int go = off(op.grads());
        int vo = off(op.v());
        int ao = op.gAvg() != null ? off(op.gAvg()) : 0;
        float lr = op.lr().get();
        float rho = op.rho();
        float eps = op.eps();
        Clip clip = op.clip();
        float scale = clipScale(clip);
        loop.forRange(size(params), GRAIN, 16, (from, to) -> {
            for (int i = from; i < to; i++) {
                float g = clip.apply(gd[go + i], scale);
                float v = rho * vd[vo + i] + (1f - rho) * g * g;
                vd[vo + i] = v;
                float d;
                if (ad != null) {
                    float a = rho * ad[ao + i] + (1f - rho) * g;
                    ad[ao + i] = a;
                    d = (float) Math.sqrt(v - a * a) + eps;
                } else {
                    d = (float) Math.sqrt(v) + eps;
                }
                pd[po + i] -= lr * g / d;
            }
        });
    }

    /** params, grads, accumulator: (P) → one Adagrad step, in place ({@link AdagradUpdate}). */
    private void adagradStep(AdagradUpdate op) {
        Tensor params = op.params();
        float[] pd = data(params);
        float[] gd = data(op.grads());
        float[] ad = data(op.accumulator());
        int po = off(params);
        int go = off(op.grads());
        int ao = off(op.accumulator());
        float lr = op.lr().get();
        float eps = op.eps();
        Clip clip = op.clip();
        float scale = clipScale(clip);
        loop.forRange(size(params), GRAIN, 16, (from, to) -> {
            for (int i = from; i < to; i++) {
                float g = clip.apply(gd[go + i], scale);
                float acc = ad[ao + i] + g * g;
                ad[ao + i] = acc;
                pd[po + i] -= lr * g / ((float) Math.sqrt(acc) + eps);
            }
        });
    }

    /** The norm clip's scale from its sumSquares value (1 without norm clipping). */
    private float clipScale(Clip clip) {
        return clip.sumSquares() == null ? 1f : Clip.scale(clip.norm(), data(clip.sumSquares())[off(clip.sumSquares())]);
    }

    /** Σ x[i]² in double (the value a norm {@link Clip} reads, {@link SumSquares}). */
    private double sumSquares(Tensor x) {
        float[] xd = data(x);
        int xo = off(x);
        int n = size(x);
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += (double) xd[xo + i] * xd[xo + i];
        }
        return s;
    }

    // ---- losses and metrics ----------------------------------------------------------------------

    /**
     * pred, target: (B, O), n = B·O → {@code loss[0] (+)= mean((pred - target)²)} (in double) when
     * loss is set, then {@code dPred = 2·(pred - target)/n} when dPred is set.
     */
    private void mse(MseLoss op) {
        Tensor pred = op.pred();
        Tensor target = op.target();
        float[] pd = data(pred);
        float[] td = data(target);
        int po = off(pred);
        int to = off(target);
        int n = size(pred);
        if (op.loss() != null) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                double d = (double) pd[po + i] - td[to + i];
                s += d * d;
            }
            store(op.loss(), s / n, op.accumulate());
        }
        if (op.dPred() != null) {
            float[] dd = data(op.dPred());
            int dOff = off(op.dPred());
            float k = 2f / n;
            for (int i = 0; i < n; i++) {
                dd[dOff + i] = k * (pd[po + i] - td[to + i]);
            }
        }
    }

    /**
     * pred: (B, C), labels: (B) → {@code loss[0] (+)= mean_b L_b} when loss is set and its gradient
     * dPred when set. From logits, per row from the max-subtracted exponentials summed in double:
     * {@code L_b = logsumexp(z[b]) - z[b, label_b]}, {@code dz[b, c] = (softmax(z[b])[c] - [c == label_b]) / B};
     * on probabilities {@link JavaLosses#sparseCategorical}. Each row is read before it is written,
     * so dPred may be pred.
     */
    private void softmaxCrossEntropy(SoftmaxCrossEntropy op) {
        Tensor logits = op.pred();
        float[] xd = data(logits);
        int xo = off(logits);
        int rows = logits.shape().rows();
        int cols = logits.shape().cols();
        int[] label = labels(op.name(), op.labels(), cols);
        boolean forward = op.loss() != null;
        float[] dd = op.dPred() == null ? null : data(op.dPred());
        int dOff = op.dPred() == null ? 0 : off(op.dPred());
        if (!op.fromLogits()) {
            double s = JavaLosses.sparseCategorical(rows, cols, xd, xo, label, dd, dOff);
            if (forward) {
                store(op.loss(), s / rows, op.accumulate());
            }
            return;
        }
        double s = 0;
        for (int r = 0; r < rows; r++) {
            int row = xo + r * cols;
            float max = rowMax(xd, row, cols);
            double e = 0;
            for (int c = 0; c < cols; c++) {
                e += Math.exp((double) xd[row + c] - max);
            }
            if (forward) {
                s += max + Math.log(e) - xd[row + label[r]];
            }
            if (dd != null) {
                int drow = dOff + r * cols;
                for (int c = 0; c < cols; c++) {
                    double softmax = Math.exp((double) xd[row + c] - max) / e;
                    dd[drow + c] = (float) ((softmax - (c == label[r] ? 1 : 0)) / rows);
                }
            }
        }
        if (forward) {
            store(op.loss(), s / rows, op.accumulate());
        }
    }

    /**
     * x: (R, C) → {@code y[r] = e^(x[r] − max x[r]) / Σ e^(x[r] − max x[r])}, each row's sum in
     * double; rows in parallel. y may be x.
     */
    private void softmax(Softmax op) {
        float[] xd = data(op.x());
        float[] yd = data(op.y());
        int xo = off(op.x());
        int yo = off(op.y());
        int cols = op.cols();
        loop.forRange((int) op.rows(), Math.max(1, GRAIN / Math.max(cols, 1)), 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                int row = xo + r * cols;
                float max = rowMax(xd, row, cols);
                double e = 0;
                for (int c = 0; c < cols; c++) {
                    e += Math.exp((double) xd[row + c] - max);
                }
                int out = yo + r * cols;
                for (int c = 0; c < cols; c++) {
                    yd[out + c] = (float) (Math.exp((double) xd[row + c] - max) / e);
                }
            }
        });
    }

    /**
     * y, dY: (R, C) → {@code dX[r, c] = y[r, c]·(dY[r, c] − Σ_j dY[r, j]·y[r, j])}, the sum in
     * double; rows in parallel. dX may be dY.
     */
    private void softmaxBackward(SoftmaxBackward op) {
        float[] yd = data(op.y());
        float[] gd = data(op.dY());
        float[] dd = data(op.dX());
        int yo = off(op.y());
        int go = off(op.dY());
        int dOff = off(op.dX());
        int cols = op.cols();
        loop.forRange((int) op.rows(), Math.max(1, GRAIN / Math.max(cols, 1)), 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                double dot = 0;
                for (int c = 0; c < cols; c++) {
                    dot += (double) gd[go + r * cols + c] * yd[yo + r * cols + c];
                }
                for (int c = 0; c < cols; c++) {
                    double y = yd[yo + r * cols + c];
                    dd[dOff + r * cols + c] = (float) (y * (gd[go + r * cols + c] - dot));
                }
            }
        });
    }

    /** logits: (B, C), labels: (B) → {@code count[0] (+)= #{b : argmax(logits[b]) == label_b}}, first max on ties. */
    private void accuracyCount(AccuracyCount op) {
        Tensor logits = op.logits();
        float[] xd = data(logits);
        int xo = off(logits);
        int rows = logits.shape().rows();
        int cols = logits.shape().cols();
        int[] label = labels(op.name(), op.labels(), cols);
        int hits = 0;
        for (int r = 0; r < rows; r++) {
            int row = xo + r * cols;
            int best = 0;
            for (int c = 1; c < cols; c++) {
                float v = xd[row + c];
                float top = xd[row + best];
                if (v > top || (v != v && top == top)) {
                    best = c;
                }
            }
            hits += best == label[r] ? 1 : 0;
        }
        store(op.count(), hits, op.accumulate());
    }

    /** The mean of an element loss and its gradient ({@link JavaLosses#elementwise}). */
    private void elementwiseLoss(ElementwiseLoss op) {
        int n = size(op.pred());
        float[] dd = op.dPred() == null ? null : data(op.dPred());
        int dOff = op.dPred() == null ? 0 : off(op.dPred());
        double s = JavaLosses.elementwise(op.kind(), op.delta(), n, 1f / n, data(op.pred()), off(op.pred()),
                data(op.target()), off(op.target()), dd, dOff);
        store(op.loss(), s / n, op.accumulate());
    }

    /** The batch mean of categorical cross-entropy and its gradient ({@link JavaLosses#categorical}). */
    private void categoricalCrossEntropy(CategoricalCrossEntropy op) {
        int rows = op.pred().shape().rows();
        float[] dd = op.dPred() == null ? null : data(op.dPred());
        int dOff = op.dPred() == null ? 0 : off(op.dPred());
        double s = JavaLosses.categorical(op.fromLogits(), rows, op.pred().shape().cols(), data(op.pred()),
                off(op.pred()), data(op.target()), off(op.target()), dd, dOff);
        store(op.loss(), s / rows, op.accumulate());
    }

    /** A metric summed over rows ({@link JavaLosses#rowMetric}); sparse labels are checked first. */
    private void rowMetric(RowMetric op) {
        int cols = op.pred().shape().cols();
        int[] label = op.kind().sparse() ? labels(op.name(), op.target(), cols) : null;
        store(op.sum(), JavaLosses.rowMetric(op.kind(), op.param(), op.pred().shape().rows(), cols, data(op.pred()),
                off(op.pred()), data(op.target()), off(op.target()), label), op.accumulate());
    }

    private static float rowMax(float[] x, int row, int cols) {
        float max = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < cols; c++) {
            max = Math.max(max, x[row + c]);
        }
        return max;
    }

    /** The labels as class indices, each checked to be a whole number in [0, classes). */
    private int[] labels(String op, Tensor labels, int classes) {
        float[] ld = data(labels);
        int lo = off(labels);
        int[] out = new int[size(labels)];
        for (int i = 0; i < out.length; i++) {
            float v = ld[lo + i];
            if (!(v >= 0 && v < classes) || v != Math.rint(v)) {
                throw new IllegalArgumentException(op + ": labels[" + i + "] is " + v
                        + ", expected a class index in [0, " + classes + ")");
            }
            out[i] = (int) v;
        }
        return out;
    }

    /** out[0] = value, or out[0] += value when accumulating. */
    private void store(Tensor out, double value, boolean accumulate) {
        float[] od = data(out);
        int o = off(out);
        od[o] = (float) (accumulate ? od[o] + value : value);
    }

    // ---- reductions ------------------------------------------------------------------------------

    /**
     * x: (R, C) → {@code out[c] = Σ_r x[r, c]}: (C), each column summed in double over r in order,
     * split over threads by columns only where each gets {@link #SUM_GRAIN_COLUMNS}: threads reading
     * narrower interleaved parts of the same rows fetch each other's cache lines and were slower
     * than one thread (dZ of 86528 rows by 32: 0.4 ms on one thread, 1.0 ms on two).
     */
    private void columnSum(Tensor x, Tensor out) {
        float[] xd = data(x);
        float[] od = data(out);
        int xo = off(x);
        int oo = off(out);
        int rows = x.shape().rows();
        int cols = x.shape().cols();
        boolean vec = vector((long) rows * cols);
        loop.forRange(cols, Math.max(SUM_GRAIN_COLUMNS, grain() / Math.max(rows, 1)), 16, (from, to) -> {
            int done = vec ? VectorOps.columnSum(xd, xo, od, oo, rows, cols, from, to) : from;
            double[] acc = new double[to - done];
            for (int r = 0; r < rows; r++) {
                int row = xo + r * cols;
                for (int c = done; c < to; c++) {
                    acc[c - done] += xd[row + c];
                }
            }
            for (int c = done; c < to; c++) {
                od[oo + c] = (float) acc[c - done];
            }
        });
    }

    /** x: n elements → {@code Σ_i x[i]} in double, in order. */
    private double total(Tensor x) {
        float[] xd = data(x);
        int xo = off(x);
        int n = size(x);
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += xd[xo + i];
        }
        return s;
    }

    // ---- weight constraints and penalties ---------------------------------------------------------

    /**
     * w: (R, C) in place ({@link Renorm}): per column, the norm summed in double over r in order,
     * {@code d = rate·clip(n, min, max) + (1 − rate)·n} and every element times {@code d / (EPS + n)},
     * the factor in double; columns split over threads as {@link #columnSum}'s.
     */
    private void renorm(Renorm op) {
        Tensor w = op.w();
        float[] wd = data(w);
        int wo = off(w);
        int rows = w.shape().rows();
        int cols = w.shape().cols();
        double lo = op.minNorm();
        double hi = op.maxNorm();
        double rate = op.rate();
        loop.forRange(cols, Math.max(SUM_GRAIN_COLUMNS, grain() / Math.max(rows, 1)), 16, (from, to) -> {
            for (int c = from; c < to; c++) {
                double s = 0;
                for (int r = 0; r < rows; r++) {
                    double v = wd[wo + r * cols + c];
                    s += v * v;
                }
                double n = Math.sqrt(s);
                double scale = (rate * Math.min(Math.max(n, lo), hi) + (1 - rate) * n) / (Renorm.EPS + n);
                for (int r = 0; r < rows; r++) {
                    int i = wo + r * cols + c;
                    wd[i] = (float) (wd[i] * scale);
                }
            }
        });
    }

    /**
     * w: (n) ({@link Regularize}): {@code loss[0] (+)= Σ_i (l1·|w_i| + l2·w_i²)} summed in double in
     * order, then {@code grad_i += l1·sign(w_i) + 2·l2·w_i} in float when grad is set.
     */
    private void regularize(Regularize op) {
        Tensor w = op.w();
        float[] wd = data(w);
        int wo = off(w);
        int n = size(w);
        double l1 = op.l1();
        double l2 = op.l2();
        double s = 0;
        for (int i = 0; i < n; i++) {
            double v = wd[wo + i];
            s += l1 * Math.abs(v) + l2 * v * v;
        }
        store(op.loss(), s, op.accumulate());
        if (op.grad() != null) {
            float[] gd = data(op.grad());
            int go = off(op.grad());
            float a = op.l1();
            float b = 2 * op.l2();
            for (int i = 0; i < n; i++) {
                float v = wd[wo + i];
                gd[go + i] += a * Math.signum(v) + b * v;
            }
        }
    }

    @Override
    public String toString() {
        return "JavaBackend[" + info.name() + "]";
    }
}
