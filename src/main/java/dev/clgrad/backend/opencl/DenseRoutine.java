package dev.clgrad.backend.opencl;

import dev.clgrad.ops.Activation;
import dev.clgrad.ops.Composite;
import dev.clgrad.ops.Epilogue;
import dev.clgrad.ops.GemmShape;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.MseLoss;
import dev.clgrad.tensor.Tensor;

/**
 * The fused Dense kernels of {@code gemm.cl}, one launch each: a {@link MatMul} whose forward
 * epilogue adds the bias, applies the activation and the Philox dropout mask ({@code gemm_nn_bias},
 * {@code gemm_naive_bias}); a MatMul NT gated by a ReLU output, a masked input gradient
 * ({@code gemm_nt_mask}, {@code gemm_naive_mask}); and the {@link Composite}s of a Dense backward
 * when their products are naive-kernel shapes: the weight and bias gradients
 * ({@code gemm_naive_wgrad}), a small layer's whole backward ({@code dense_backward_naive}) and
 * that backward with MSE folded in ({@code dense_mse_backward_naive}). The math is the ops'; tiles
 * and the naive fallback are chosen as in {@link GemmRoutine}. What is not fused here runs
 * decomposed ({@link OpenClBackend#fuses}).
 */
final class DenseRoutine {
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

    /** Whether DENSE_WEIGHT_GRADS runs as {@code gemm_naive_wgrad} here. */
    static boolean fusesWeightGrads(OpenClBackend cl, Composite c) {
        return GemmRoutine.naive(cl, c.weightGrad().shape());
    }

    /** Whether DENSE_BACKWARD or MSE_DENSE_BACKWARD runs as one naive kernel here: both products are naive shapes. */
    static boolean fusesBackward(OpenClBackend cl, Composite c) {
        return GemmRoutine.naive(cl, c.weightGrad().shape()) && GemmRoutine.naive(cl, c.inputGrad().shape());
    }

    /**
     * x: (B, I), w: (I, O), bias: (O) → y = mask(f(alpha·x·W + bias)): (B, O), f the activation. x, w,
     * bias not modified; y modified. The mask's counter base is read at each launch.
     */
    static Call.Kernel forward(OpenClBackend cl, MatMul op) {
        Epilogue e = op.epilogue();
        Mask mask = e.mask();
        Object offset = mask == null ? (Object) 0L : new Call.CounterValue(mask.offset());
        return GemmRoutine.call(cl, op.shape(), false, false, "_bias", op.alpha(), op.a(), op.b(),
                new Object[] {e.bias(), e.activation().code(), mask == null ? 0 : mask.threshold(),
                        mask == null ? 1f : mask.scale(), mask == null ? 0L : mask.seed(), offset}, op.c());
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
}
