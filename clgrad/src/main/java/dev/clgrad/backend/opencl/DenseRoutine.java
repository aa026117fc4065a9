package dev.clgrad.backend.opencl;

import dev.clgrad.ops.Activation;
import dev.clgrad.ops.Composite;
import dev.clgrad.ops.Cost;
import dev.clgrad.ops.Epilogue;
import dev.clgrad.ops.GemmShape;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.MseLoss;
import dev.clgrad.tensor.Tensor;

/**
 * The fused Dense kernels of {@code gemm.cl}, one launch each: a {@link MatMul} whose forward
 * epilogue adds the bias, applies the activation and the Philox dropout mask ({@code gemm_nn_bias},
 * {@code gemm_naive_bias}, {@code gemm_smallk_bias}); a MatMul NT gated by a ReLU output, a masked input gradient
 * ({@code gemm_nt_mask}, {@code gemm_naive_mask}); and the {@link Composite}s of a Dense backward
 * when their products are naive-kernel shapes: the weight and bias gradients
 * ({@code gemm_naive_wgrad}), a small layer's whole backward ({@code dense_backward_naive}) and
 * that backward with MSE folded in ({@code dense_mse_backward_naive}). Weight and bias gradients
 * over a long K (a convolution's) take two launches: partial sums over chunks of K
 * ({@code gemm_splitk_wgrad}) and their sum in a fixed order ({@code gemm_splitk_sum}). The math is
 * the ops'; tiles and the naive fallback are chosen as in {@link GemmRoutine}. What is not fused
 * here runs decomposed ({@link OpenClBackend#fuses}).
 */
final class DenseRoutine {
    /** The shortest K that a weight gradient splits. */
    private static final int SPLIT_MIN_K = 1024;
    /** The fewest rows of K a split-K chunk sums. */
    private static final int MIN_CHUNK = 64;
    /** The work-groups per compute unit a split-K weight gradient aims for (8: room to balance). */
    private static final int GROUPS_PER_UNIT = 8;
    /** Defaults of gemm.cl's tunables, used when the device profile sets none. */
    private static final int GEMM_VWN = 4;
    private static final int RB_MWI = 4;
    private static final int RB_WG = 256;

    private DenseRoutine() {
    }

    /** Whether {@code op}'s forward epilogue runs in its GEMM: x·W with a bias, any activation and mask. */
    static boolean fusesForward(MatMul op) {
        Epilogue e = op.epilogue();
        return !e.isGate() && e.bias() != null && !op.transA() && !op.transB() && op.beta() == 0f;
    }

    /** Whether {@code op}'s gate runs in its GEMM: dY·Wᵀ gated by a ReLU output. */
    static boolean fusesGate(MatMul op) {
        Epilogue e = op.epilogue();
        return e.isGate() && e.activation() == Activation.RELU && !op.transA() && op.transB() && op.beta() == 0f;
    }

    /** Whether DENSE_WEIGHT_GRADS runs as {@code gemm_naive_wgrad} here: a naive shape whose K does not split. */
    static boolean fusesWeightGrads(OpenClBackend cl, Composite c) {
        return !splitsWeightGrads(cl, c) && GemmRoutine.naive(cl, c.weightGrad().shape());
    }

    /**
     * Whether DENSE_WEIGHT_GRADS splits its K here ({@code gemm_splitk_wgrad}, {@code gemm_splitk_sum}):
     * a K of at least {@value #SPLIT_MIN_K} rows that is also long next to the product,
     * {@code K >= M·N / 2} (a convolution's weight gradient: K = B·OH·OW against a few filters' worth
     * of taps), which neither the naive kernel (one long sequential dot product per element) nor
     * the tiled one (a few tiles of C, so a few work-groups) spreads over the device. A Dense
     * layer's (K = the batch) does not split, except to run register-blocked where
     * {@link GemmRoutine#blocksNarrow} says the naive kernel's scalar dot products are the slow
     * path (a classifier's 512 × 10 weight gradient on a CPU: 1.3 ms naive, 0.1 ms blocked), as one
     * chunk: the bits of the naive kernel's sums, k ascending from +0.
     */
    static boolean splitsWeightGrads(OpenClBackend cl, Composite c) {
        GemmShape s = c.weightGrad().shape();
        return longK(s) || GemmRoutine.naive(cl, s) && GemmRoutine.blocksNarrow(cl, s);
    }

    /** Whether the weight gradient's K is long: {@value #SPLIT_MIN_K} rows or more and {@code K >= M·N / 2}. */
    private static boolean longK(GemmShape s) {
        return s.k() >= SPLIT_MIN_K && 2L * s.k() >= (long) s.m() * s.n();
    }

    /**
     * Whether DENSE_BACKWARD or MSE_DENSE_BACKWARD runs as one naive kernel here: both products are
     * naive shapes and the weight gradient's K does not split.
     */
    static boolean fusesBackward(OpenClBackend cl, Composite c) {
        return fusesWeightGrads(cl, c) && GemmRoutine.naive(cl, c.inputGrad().shape());
    }

    /**
     * x: (B, I), w: (I, O), bias: (O) → y = mask(f(alpha·x·W + bias)): (B, O), f the activation
     * (and z = alpha·x·W + bias: (B, O) where the epilogue keeps it), as
     * {@code gemm_nn_bias}, {@code gemm_naive_bias} or, for a short I and a long B,
     * {@code gemm_smallk_bias}. x, w, bias not modified; y (and z) modified. The mask's counter base is read
     * at each launch.
     */
    static Call.Kernel forward(OpenClBackend cl, MatMul op) {
        Epilogue e = op.epilogue();
        Mask mask = e.mask();
        Object offset = mask == null ? (Object) 0L : new Call.CounterValue(mask.offset());
        Object[] epilogue = {e.bias(), e.activation().code(), e.activation().alpha(),
                mask == null ? 0 : mask.threshold(), mask == null ? 1f : mask.scale(), mask == null ? 0L : mask.seed(),
                offset, e.z() == null ? op.c() : e.z(), e.z() == null ? 0 : 1};
        GemmShape s = op.shape();
        if (!GemmRoutine.smallK(cl, s)) {
            return GemmRoutine.call(cl, s, false, false, "_bias", op.alpha(), op.a(), op.b(), epilogue, op.c());
        }
        int vectors = ceilDiv(s.n(), cl.define("GEMM_VWN", GEMM_VWN));
        int mwi = cl.define("RB_MWI", RB_MWI);
        int wg = Geometry.groupSize(cl, "RB_WG", RB_WG);
        int l0 = Math.min(wg, vectors);
        int l1 = Math.max(1, wg / l0);
        // The kernel forms row indices up to a block past M as ints.
        long global1 = Geometry.cover(ceilDiv(s.m(), mwi), l1);
        Geometry.intArg("gemm_smallk_bias", "the rows its work-items cover (M = " + s.m() + " rounded up)",
                global1 * mwi);
        Object[] args = new Object[7 + epilogue.length];
        System.arraycopy(new Object[] {s.m(), s.n(), s.k(), op.alpha(), op.a(), op.b()}, 0, args, 0, 6);
        System.arraycopy(epilogue, 0, args, 6, epilogue.length);
        args[args.length - 1] = op.c();
        return new Call.Kernel(GemmRoutine.FILE, "gemm_smallk_bias", new long[] {Geometry.cover(vectors, l0), global1},
                new long[] {l0, l1}, args);
    }

    /**
     * dY: (B, O), w: (I, O), h: (B, I) → dX = alpha·(dY·Wᵀ)·[h > 0]: (B, I), alpha carrying a
     * dropout's 1/(1-p). dY, w, h not modified; dX modified.
     */
    static Call.Kernel backwardMasked(OpenClBackend cl, MatMul op) {
        return GemmRoutine.call(cl, op.shape(), false, true, "_mask", op.alpha(), op.a(), op.b(),
                new Object[] {op.epilogue().gate()}, op.c());
    }

    /**
     * {@link #backwardMasked} as {@code gemm_pack_bt} (Wᵀ into panels) then {@code gemm_nt_mask_packed},
     * the same bits, or null where the product does not pack ({@link GemmRoutine#packedAs}).
     */
    static GemmRoutine.Packed backwardMaskedPacked(OpenClBackend cl, MatMul op) {
        return GemmRoutine.packedAs(cl, op, "gemm_nt_mask_packed", new Object[] {op.epilogue().gate()});
    }

    /**
     * DENSE_WEIGHT_GRADS at naive shapes: x: (B, I), dY: (B, O) → dW = xᵀ·dY: (I, O) and
     * dBias = Σ_b dY[b]: (O). x, dY not modified; dW, dBias modified.
     */
    static Call.Kernel weightGrads(OpenClBackend cl, Composite c) {
        MatMul dW = c.weightGrad();
        GemmShape s = dW.shape();
        int local = GemmRoutine.naiveLocal();
        return new Call.Kernel(GemmRoutine.FILE, "gemm_naive_wgrad",
                new long[] {Geometry.cover(s.n(), local), Geometry.cover(s.m() + 1, local)}, new long[] {local, local},
                new Object[] {s.m(), s.n(), s.k(), dW.a(), dW.b(), dW.c(), c.columnSum().out()});
    }

    /**
     * The two launches of a split-K DENSE_WEIGHT_GRADS, and the cost of the second (the first
     * computes the composite's products; the second reads the partial sums and writes dW and dBias).
     */
    record SplitK(Call.Kernel partials, Call.Kernel sum, Cost sumCost) {
    }

    /**
     * DENSE_WEIGHT_GRADS with K split into S chunks: x: (B, I), dY: (B, O) → partial sums of
     * dW = xᵀ·dY and dBias = Σ_b dY[b] over each chunk of B rows into the backend's {@link Scratch}
     * (S·(I+1)·O floats), then their sum in chunk order into dW: (I, O) and dBias: (O).
     * Over a long K, S is the fewest chunks that give {@value #GROUPS_PER_UNIT} work-groups per
     * compute unit, each chunk at least {@value #MIN_CHUNK} rows; a narrow product's K is one chunk
     * (the naive kernel's bits), its work-items in one work-group per compute unit. x, dY not
     * modified; dW, dBias modified.
     */
    static SplitK weightGradsSplit(OpenClBackend cl, Composite c) {
        MatMul dW = c.weightGrad();
        GemmShape s = dW.shape();
        int m = s.m();
        int n = s.n();
        int k = s.k();
        int vw = cl.define("GEMM_VWN", GEMM_VWN);
        int mwi = cl.define("RB_MWI", RB_MWI);
        long items = (long) ceilDiv(m + 1, mwi) * ceilDiv(n, vw);
        int units = Math.max(1, cl.info().computeUnits());
        int chunks = 1;
        int local;
        if (longK(s)) {
            local = (int) Math.min(items, Geometry.groupSize(cl, "RB_WG", RB_WG));
            long groupsPerChunk = (items + local - 1) / local;
            long wanted = (long) GROUPS_PER_UNIT * units;
            chunks = (int) Math.max(1, Math.min(ceilDiv(k, MIN_CHUNK), (wanted + groupsPerChunk - 1) / groupsPerChunk));
            chunks = ceilDiv(k, ceilDiv(k, chunks));
        } else {
            local = (int) Math.min(Geometry.groupSize(cl, "RB_WG", RB_WG), Math.max(1, (items + units - 1) / units));
        }
        int chunk = ceilDiv(k, chunks);
        long products = (long) (m + 1) * n;
        Call.ScratchBuffer scratch = new Call.ScratchBuffer(cl.scratch(), chunks * products);
        Call.Kernel partials = new Call.Kernel(GemmRoutine.FILE, "gemm_splitk_wgrad",
                new long[] {Geometry.cover(items, local), chunks}, new long[] {local, 1},
                new Object[] {m, n, k, chunk, dW.a(), dW.b(), scratch});
        int sumLocal = naiveGroupSize();
        Call.Kernel sum = new Call.Kernel(GemmRoutine.FILE, "gemm_splitk_sum",
                new long[] {Geometry.cover(products, sumLocal)}, new long[] {sumLocal},
                new Object[] {m, n, chunks, scratch, dW.c(), c.columnSum().out()});
        return new SplitK(partials, sum, new Cost((double) chunks * products,
                (double) Float.BYTES * (chunks + 1) * products));
    }

    /**
     * DENSE_BACKWARD at naive shapes: h: (B, I), dY: (B, O), w: (I, O) → dW = hᵀ·dY,
     * dBias = Σ_b dY[b], dX = alpha·(dY·Wᵀ)·[h > 0]. h, dY, w not modified; dW, dBias, dX modified.
     */
    static Call.Kernel backward(OpenClBackend cl, Composite c) {
        MatMul dW = c.weightGrad();
        MatMul dX = c.inputGrad();
        GemmShape input = dX.shape();
        int b = input.m();
        int i = input.n();
        int o = input.k();
        return new Call.Kernel(GemmRoutine.FILE, "dense_backward_naive", items(b, i, o), naiveGroup(),
                new Object[] {b, i, o, dX.alpha(), dW.a(), dW.b(), dX.b(), dW.c(), c.columnSum().out(), dX.c()});
    }

    /**
     * MSE_DENSE_BACKWARD at naive shapes: pred, target: (B, O), h: (B, I), w: (I, O) → dPred =
     * 2·(pred − target)/(B·O), then dW, dBias and dX of {@link #backward} from dPred, and
     * {@code loss[0] (+)= mean((pred − target)²)}. pred, target, h, w not modified; loss, dPred, dW,
     * dBias, dX modified.
     */
    static Call.Kernel mseBackward(OpenClBackend cl, Composite c) {
        MseLoss mse = c.mse();
        MatMul dW = c.weightGrad();
        MatMul dX = c.inputGrad();
        GemmShape input = dX.shape();
        int b = input.m();
        int i = input.n();
        int o = input.k();
        Tensor h = dW.a();
        return new Call.Kernel(GemmRoutine.FILE, "dense_mse_backward_naive", items(b, i, o), naiveGroup(),
                new Object[] {b, i, o, dX.alpha(), 1f / ((float) b * o), mse.accumulate() ? 1 : 0, mse.pred(),
                        mse.target(), h, dX.b(), mse.loss(), mse.dPred(), dW.c(), c.columnSum().out(), dX.c()});
    }

    /** One work-item per element of dW (I·O), dBias (O) and dX (B·I). */
    private static long[] items(int b, int i, int o) {
        return new long[] {Geometry.cover((long) i * o + o + (long) b * i, naiveGroupSize())};
    }

    private static long[] naiveGroup() {
        return new long[] {naiveGroupSize()};
    }

    /** The 1-D naive kernels' work-group: as many work-items as gemm_naive's 2-D group. */
    private static int naiveGroupSize() {
        return GemmRoutine.naiveLocal() * GemmRoutine.naiveLocal();
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }
}
