package dev.clgrad.backend.java;

import dev.clgrad.backend.AdamHyper;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.DeviceBuffer;
import dev.clgrad.backend.DeviceInfo;
import dev.clgrad.backend.GemmShape;
import dev.clgrad.backend.OpCost;
import dev.clgrad.backend.OpShapes;
import dev.clgrad.backend.Philox;
import dev.clgrad.backend.ProfileSink;
import dev.clgrad.backend.Span;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The pure-Java CPU backend: buffers are {@code float[]}, ops run synchronously on the calling thread
 * and a fork-join pool (GEMM and large element-wise ops), and every op computes exactly the function
 * {@link Backend} documents. Dropout masks are bit-identical to every other backend's ({@link Philox}).
 * Reductions accumulate in double. Freed buffers are pooled by exact size up to {@link #POOL_BYTES}.
 * With the Vector API, GEMM runs {@link VectorGemm} and Adam, bias, ReLU's backward, the column sum
 * and dropout run {@link VectorOps} and {@link VectorDropout} on whole vectors, the scalar loops here
 * doing the tails; both give the same bits.
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
 *   <li>the fused Dense ops: exactly their unfused composition (Backend's defaults).</li>
 *   <li>losses, sums and means: NaN propagates; an infinite input gives ±∞ or NaN (∞ − ∞), as the
 *       formula says; softmax cross-entropy subtracts a row maximum that is NaN when the row holds
 *       one, so the row's loss and gradient are NaN; a row of −∞ is NaN (−∞ − (−∞)).</li>
 *   <li>accuracyCount: NaN is the maximum of its row (NumPy's and PyTorch's argmax); first
 *       maximum on ties.</li>
 *   <li>Adam, SGD: the formulas in IEEE arithmetic; AdamW's decay is {@code p·(1 − lr·wd)} (so an
 *       infinite parameter stays infinite), SGD's operations are never fused.</li>
 * </ul>
 */
public final class JavaBackend implements Backend {
    /** Largest total size of released arrays kept for reuse. */
    static final long POOL_BYTES = 256L << 20;
    /** Element-wise ops over fewer elements than this per thread run on the calling thread. */
    private static final int GRAIN = 1 << 15;
    /** As {@link #GRAIN} for the Vector API's memory-bound ops, about ten times faster per element. */
    private static final int VECTOR_GRAIN = 1 << 18;
    /**
     * Element-wise ops over fewer elements than this take the scalar loop even with the Vector API:
     * as fast at that size, and compiled early, where Vector API code runs interpreted, allocating
     * per vector, for its first few hundred calls (0.3 s of the seed example's first epoch).
     */
    static final int VECTOR_MIN = 1024;
    /** Each thread's Philox scratch for dropout. */
    private static final ThreadLocal<PhiloxRun> PHILOX = ThreadLocal.withInitial(PhiloxRun::new);

    private final ParallelLoop loop;
    private final boolean vectorApi;
    private final int vectorMin;
    private final DeviceInfo info;
    private final Map<Integer, ArrayDeque<float[]>> pool = new HashMap<>();
    private long pooledBytes;
    private int live;
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

    // ---- storage -------------------------------------------------------------------------------

    @Override
    public synchronized DeviceBuffer allocate(long floats) {
        if (closed) {
            throw new IllegalStateException("java backend is closed");
        }
        if (floats < 1 || floats > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("allocate: the java backend holds 1 to " + (Integer.MAX_VALUE - 8)
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
    }

    @Override
    public void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count) {
        JavaBuffer b = own(src, "download");
        checkRange("download", dst.length, dstOffset, b.data.length, srcOffset, count);
        System.arraycopy(b.data, (int) srcOffset, dst, dstOffset, count);
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

    /** The op's start time when profiling, else 0 (no clock read). */
    private long clock() {
        return sink == null ? 0 : System.nanoTime();
    }

    /** Reports an op that ran from {@code t0} until now; ops run synchronously, so wall clock is its time. */
    private void timed(String op, long t0, OpCost cost) {
        sink.kernel(new ProfileSink.KernelRecord(op, op, t0, t0, System.nanoTime(), cost.flops(), cost.bytes()));
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

    // ---- linear algebra --------------------------------------------------------------------------

    @Override
    public void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        long t0 = clock();
        GemmShape s = GemmShape.of(transA, transB, a, b, c);
        JavaGemm.gemm(loop, vectorApi, transA, transB, s.m(), s.n(), s.k(), alpha, data(a), off(a), data(b), off(b), beta,
                data(c), off(c));
        if (sink != null) {
            timed("gemm", t0, OpCost.gemm(s, beta));
        }
    }

    // ---- element-wise ----------------------------------------------------------------------------

    @Override
    public void fill(Tensor x, float value) {
        long t0 = clock();
        float[] xd = data(x);
        int xo = off(x);
        loop.forRange(size(x), GRAIN, 16, (from, to) -> Arrays.fill(xd, xo + from, xo + to, value));
        if (sink != null) {
            timed("fill", t0, OpCost.elementwise(x.shape().size(), 0, 1, 0));
        }
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        long t0 = clock();
        if (src.shape().size() != dst.shape().size()) {
            throw new IllegalArgumentException("copy: src " + src.name() + " is " + src.shape() + " but dst "
                    + dst.name() + " is " + dst.shape() + "; expected the same number of elements");
        }
        float[] sd = data(src);
        float[] dd = data(dst);
        int so = off(src);
        int dOff = off(dst);
        if (src.sharesStorageWith(dst)) {
            System.arraycopy(sd, so, dd, dOff, size(src));
        } else {
            loop.forRange(size(src), GRAIN, 16, (from, to) -> System.arraycopy(sd, so + from, dd, dOff + from, to - from));
        }
        if (sink != null) {
            timed("copy", t0, OpCost.elementwise(src.shape().size(), 1, 1, 0));
        }
    }

    @Override
    public void biasAdd(Tensor x, Tensor bias, Tensor y) {
        long t0 = clock();
        OpShapes.bias("biasAdd", x, bias, y);
        bias(x, bias, y, false);
        if (sink != null) {
            timed("biasAdd", t0, OpCost.bias(x.shape().rows(), x.shape().cols()));
        }
    }

    @Override
    public void biasRelu(Tensor x, Tensor bias, Tensor y) {
        long t0 = clock();
        OpShapes.bias("biasRelu", x, bias, y);
        bias(x, bias, y, true);
        if (sink != null) {
            timed("biasRelu", t0, OpCost.bias(x.shape().rows(), x.shape().cols()));
        }
    }

    /** y[r, c] = x[r, c] + bias[c], then max(0, ·) when relu. */
    private void bias(Tensor x, Tensor bias, Tensor y, boolean relu) {
        float[] xd = data(x);
        float[] bd = data(bias);
        float[] yd = data(y);
        int xo = off(x);
        int bo = off(bias);
        int yo = off(y);
        int cols = x.shape().cols();
        boolean vec = vector(x.shape().size());
        loop.forRange(x.shape().rows(), Math.max(1, grain() / Math.max(cols, 1)), 1, (from, to) -> {
            int tailCol = vec ? VectorOps.bias(xd, xo, bd, bo, yd, yo, cols, relu, from, to) : 0;
            for (int r = from; r < to; r++) {
                int xr = xo + r * cols;
                int yr = yo + r * cols;
                for (int c = tailCol; c < cols; c++) {
                    float v = xd[xr + c] + bd[bo + c];
                    yd[yr + c] = relu ? Math.max(0f, v) : v;
                }
            }
        });
    }

    /**
     * {@code y = Math.max(0, x)}: NaN stays NaN, −0.0 and −∞ become +0, +∞ stays. Every backend
     * computes exactly this, bit for bit ({@link #biasRelu} too, on {@code x + bias}).
     */
    @Override
    public void reluForward(Tensor x, Tensor y) {
        long t0 = clock();
        OpShapes.same("reluForward", "x", x, "y", y);
        float[] xd = data(x);
        float[] yd = data(y);
        int xo = off(x);
        int yo = off(y);
        loop.forRange(size(x), GRAIN, 16, (from, to) -> {
            for (int i = from; i < to; i++) {
                yd[yo + i] = Math.max(0f, xd[xo + i]);
            }
        });
        if (sink != null) {
            timed("reluForward", t0, OpCost.elementwise(x.shape().size(), 1, 1, 1));
        }
    }

    /**
     * {@code dX = y > 0 ? dY : (y is NaN ? NaN : +0)}: a NaN output has a NaN derivative, so a NaN
     * of the forward pass reaches the gradients; elsewhere the mask selects rather than multiplies,
     * so dY's NaN and ±∞ pass where y > 0 and are +0 where y ≤ 0 (the derivative there is exactly
     * 0; no ∞·0, no −0). Every backend computes exactly this, bit for bit.
     */
    @Override
    public void reluBackward(Tensor y, Tensor dY, Tensor dX) {
        long t0 = clock();
        OpShapes.same("reluBackward", "y", y, "dY", dY);
        OpShapes.same("reluBackward", "dY", dY, "dX", dX);
        float[] yd = data(y);
        float[] gd = data(dY);
        float[] dd = data(dX);
        int yo = off(y);
        int go = off(dY);
        int dOff = off(dX);
        boolean vec = vector(size(y));
        loop.forRange(size(y), grain(), 16, (from, to) -> {
            int done = vec ? VectorOps.reluBackward(yd, yo, gd, go, dd, dOff, from, to) : from;
            for (int i = done; i < to; i++) {
                float yi = yd[yo + i];
                dd[dOff + i] = yi > 0f ? gd[go + i] : yi != yi ? yi : 0f;
            }
        });
        if (sink != null) {
            timed("reluBackward", t0, OpCost.elementwise(y.shape().size(), 2, 1, 1));
        }
    }

    @Override
    public void dropoutForward(Tensor x, float p, long seed, long offset, Tensor y) {
        long t0 = clock();
        OpShapes.same("dropoutForward", "x", x, "y", y);
        dropout(x, p, seed, offset, y);
        if (sink != null) {
            timed("dropoutForward", t0, OpCost.elementwise(x.shape().size(), 1, 1, 1));
        }
    }

    @Override
    public void dropoutBackward(Tensor dY, float p, long seed, long offset, Tensor dX) {
        long t0 = clock();
        OpShapes.same("dropoutBackward", "dY", dY, "dX", dX);
        dropout(dY, p, seed, offset, dX);
        if (sink != null) {
            timed("dropoutBackward", t0, OpCost.elementwise(dY.shape().size(), 1, 1, 1));
        }
    }

    /**
     * out[i] = keep(i) ? in[i]·scale : 0 with the Philox mask; forward and backward are the same
     * function of their input. One Philox block decides four consecutive elements; each thread
     * generates its blocks {@link PhiloxRun#CAPACITY} at a time.
     */
    private void dropout(Tensor in, float p, long seed, long offset, Tensor out) {
        int t = Philox.threshold(p);
        float scale = Philox.keepScale(p);
        float[] id = data(in);
        float[] od = data(out);
        int io = off(in);
        int oo = off(out);
        int n = size(in);
        int[] key = Philox.key(seed);
        boolean vec = vector(n);
        loop.forRange((int) Philox.blocks(n), GRAIN / 4, PhiloxRun.CAPACITY, (from, to) -> {
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
        });
    }

    // ---- optimizers ------------------------------------------------------------------------------

    @Override
    public void adamStep(Tensor params, Tensor grads, Tensor m, Tensor v, AdamHyper hyper, long step) {
        long t0 = clock();
        OpShapes.optimizerState("adamStep", params, grads, m, v);
        if (step < 1) {
            throw new IllegalArgumentException("adamStep: step counts from 1, got " + step);
        }
        float[] pd = data(params);
        float[] gd = data(grads);
        float[] md = data(m);
        float[] vd = data(v);
        int po = off(params);
        int go = off(grads);
        int mo = off(m);
        int vo = off(v);
        float lr = hyper.lr();
        float b1 = hyper.beta1();
        float b2 = hyper.beta2();
        float eps = hyper.eps();
        float decay = 1f - lr * hyper.weightDecay(); // exactly 1 for Adam: p·1 == p
        float bc1 = hyper.biasCorrection1(step);
        float bc2 = hyper.biasCorrection2(step);
        boolean vec = vector(size(params));
        loop.forRange(size(params), grain(), 16, (from, to) -> {
            int done = vec
                    ? VectorOps.adam(pd, po, gd, go, md, mo, vd, vo, lr, b1, b2, eps, decay, bc1, bc2, from, to)
                    : from;
            for (int i = done; i < to; i++) {
                float p = pd[po + i] * decay;
                float g = gd[go + i];
                float mi = b1 * md[mo + i] + (1f - b1) * g;
                float vi = b2 * vd[vo + i] + (1f - b2) * g * g;
                md[mo + i] = mi;
                vd[vo + i] = vi;
                pd[po + i] = p - lr * (mi / bc1) / ((float) Math.sqrt(vi / bc2) + eps);
            }
        });
        if (sink != null) {
            timed("adamStep", t0, OpCost.adam(params.shape().size()));
        }
    }

    @Override
    public void sgdStep(Tensor params, Tensor grads, Tensor velocity, float lr, float momentum, float weightDecay) {
        long t0 = clock();
        OpShapes.optimizerState("sgdStep", params, grads);
        if (momentum != 0f) {
            if (velocity == null) {
                throw new IllegalArgumentException("sgdStep: momentum " + momentum + " needs a velocity tensor, got null");
            }
            OpShapes.optimizerState("sgdStep", params, velocity);
        }
        float[] pd = data(params);
        float[] gd = data(grads);
        float[] vd = momentum != 0f ? data(velocity) : null;
        int po = off(params);
        int go = off(grads);
        int vo = momentum != 0f ? off(velocity) : 0;
        loop.forRange(size(params), GRAIN, 16, (from, to) -> {
            for (int i = from; i < to; i++) {
                float g = gd[go + i] + weightDecay * pd[po + i];
                if (vd != null) {
                    g = momentum * vd[vo + i] + g;
                    vd[vo + i] = g;
                }
                pd[po + i] -= lr * g;
            }
        });
        if (sink != null) {
            timed("sgdStep", t0, OpCost.sgd(params.shape().size(), momentum != 0));
        }
    }

    // ---- losses and metrics ----------------------------------------------------------------------

    @Override
    public void mseForward(Tensor pred, Tensor target, Tensor loss, boolean accumulate) {
        long t0 = clock();
        OpShapes.same("mseForward", "pred", pred, "target", target);
        OpShapes.scalar("mseForward", loss);
        float[] pd = data(pred);
        float[] td = data(target);
        int po = off(pred);
        int to = off(target);
        int n = size(pred);
        double s = 0;
        for (int i = 0; i < n; i++) {
            double d = (double) pd[po + i] - td[to + i];
            s += d * d;
        }
        store(loss, s / n, accumulate);
        if (sink != null) {
            timed("mseForward", t0, OpCost.loss(pred.shape().rows(), pred.shape().cols(), target.shape().size(), false));
        }
    }

    @Override
    public void mseBackward(Tensor pred, Tensor target, Tensor dPred) {
        long t0 = clock();
        OpShapes.same("mseBackward", "pred", pred, "target", target);
        OpShapes.same("mseBackward", "pred", pred, "dPred", dPred);
        float[] pd = data(pred);
        float[] td = data(target);
        float[] dd = data(dPred);
        int po = off(pred);
        int to = off(target);
        int dOff = off(dPred);
        int n = size(pred);
        float k = 2f / n;
        for (int i = 0; i < n; i++) {
            dd[dOff + i] = k * (pd[po + i] - td[to + i]);
        }
        if (sink != null) {
            timed("mseBackward", t0, OpCost.loss(pred.shape().rows(), pred.shape().cols(), target.shape().size(), true));
        }
    }

    @Override
    public void softmaxCrossEntropyForward(Tensor logits, Tensor labels, Tensor loss, boolean accumulate) {
        long t0 = clock();
        String op = "softmaxCrossEntropyForward";
        OpShapes.labels(op, logits, labels);
        OpShapes.scalar(op, loss);
        float[] xd = data(logits);
        int xo = off(logits);
        int rows = logits.shape().rows();
        int cols = logits.shape().cols();
        int[] label = labels(op, labels, cols);
        double s = 0;
        for (int r = 0; r < rows; r++) {
            int row = xo + r * cols;
            float max = rowMax(xd, row, cols);
            double e = 0;
            for (int c = 0; c < cols; c++) {
                e += Math.exp((double) xd[row + c] - max);
            }
            s += max + Math.log(e) - xd[row + label[r]];
        }
        store(loss, s / rows, accumulate);
        if (sink != null) {
            timed("softmaxCrossEntropyForward", t0, OpCost.loss(logits.shape().rows(), logits.shape().cols(), labels.shape().size(), false));
        }
    }

    @Override
    public void softmaxCrossEntropyBackward(Tensor logits, Tensor labels, Tensor dLogits) {
        long t0 = clock();
        String op = "softmaxCrossEntropyBackward";
        OpShapes.labels(op, logits, labels);
        OpShapes.same(op, "logits", logits, "dLogits", dLogits);
        float[] xd = data(logits);
        float[] dd = data(dLogits);
        int xo = off(logits);
        int dOff = off(dLogits);
        int rows = logits.shape().rows();
        int cols = logits.shape().cols();
        int[] label = labels(op, labels, cols);
        for (int r = 0; r < rows; r++) {
            int row = xo + r * cols;
            int drow = dOff + r * cols;
            float max = rowMax(xd, row, cols);
            double e = 0;
            for (int c = 0; c < cols; c++) {
                e += Math.exp((double) xd[row + c] - max);
            }
            for (int c = 0; c < cols; c++) {
                double softmax = Math.exp((double) xd[row + c] - max) / e;
                dd[drow + c] = (float) ((softmax - (c == label[r] ? 1 : 0)) / rows);
            }
        }
        if (sink != null) {
            timed("softmaxCrossEntropyBackward", t0, OpCost.loss(logits.shape().rows(), logits.shape().cols(), labels.shape().size(), true));
        }
    }

    /**
     * {@code count[0] (+)= #{b : argmax(logits[b]) == label_b}}, the argmax as NumPy and PyTorch
     * take it: NaN counts as larger than every number (the first NaN of a row is its argmax), and
     * among equal maxima (−0.0 and +0.0 are equal) the first wins. Every backend counts exactly
     * this.
     */
    @Override
    public void accuracyCount(Tensor logits, Tensor labels, Tensor count, boolean accumulate) {
        long t0 = clock();
        OpShapes.labels("accuracyCount", logits, labels);
        OpShapes.scalar("accuracyCount", count);
        float[] xd = data(logits);
        int xo = off(logits);
        int rows = logits.shape().rows();
        int cols = logits.shape().cols();
        int[] label = labels("accuracyCount", labels, cols);
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
        store(count, hits, accumulate);
        if (sink != null) {
            timed("accuracyCount", t0, OpCost.loss(logits.shape().rows(), logits.shape().cols(), labels.shape().size(), false));
        }
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

    @Override
    public void columnSum(Tensor x, Tensor out) {
        long t0 = clock();
        OpShapes.columnSum(x, out);
        float[] xd = data(x);
        float[] od = data(out);
        int xo = off(x);
        int oo = off(out);
        int rows = x.shape().rows();
        int cols = x.shape().cols();
        boolean vec = vector((long) rows * cols);
        loop.forRange(cols, Math.max(16, grain() / Math.max(rows, 1)), 16, (from, to) -> {
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
        if (sink != null) {
            timed("columnSum", t0, OpCost.reduce(x.shape().size(), out.shape().size()));
        }
    }

    @Override
    public void sum(Tensor x, Tensor out) {
        long t0 = clock();
        OpShapes.scalar("sum", out);
        store(out, total(x), false);
        if (sink != null) {
            timed("sum", t0, OpCost.reduce(x.shape().size(), 1));
        }
    }

    @Override
    public void mean(Tensor x, Tensor out) {
        long t0 = clock();
        OpShapes.scalar("mean", out);
        store(out, total(x) / x.shape().size(), false);
        if (sink != null) {
            timed("mean", t0, OpCost.reduce(x.shape().size(), 1));
        }
    }

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

    @Override
    public String toString() {
        return "JavaBackend[" + info.name() + "]";
    }
}
