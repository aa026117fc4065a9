package dev.clgrad.backend.opencl;

import dev.clgrad.ops.GemmShape;
import dev.clgrad.backend.OpShapes;
import dev.clgrad.ops.Philox;
import dev.clgrad.tensor.Tensor;

/**
 * The fused Dense ops on OpenCL: one GEMM launch of {@code gemm.cl} whose epilogue adds the bias,
 * applies ReLU and the Philox dropout mask ({@code gemm_nn_bias}, {@code gemm_naive_bias}), or masks
 * an input gradient by the previous layer's output ({@code gemm_nt_mask}, {@code gemm_naive_mask}),
 * or computes a layer's weight and bias gradients together ({@code gemm_naive_wgrad}; shapes for the
 * tiled kernel run {@code gemm_tn} then {@code column_sum}), or the whole backward of a small layer
 * ({@code dense_backward_naive}), that backward with MSE folded in ({@code dense_mse_backward_naive}).
 * The math is in {@link dev.clgrad.backend.Backend#denseForward} and
 * {@link dev.clgrad.backend.Backend#denseBackwardMasked} and
 * {@link dev.clgrad.backend.Backend#denseBackwardWeights} and
 * {@link dev.clgrad.backend.Backend#denseBackward} and
 * {@link dev.clgrad.backend.Backend#mseDenseBackward}; tiles and the naive fallback are chosen as
 * in {@link GemmRoutine}.
 */
final class DenseRoutine {
    private DenseRoutine() {
    }

    /**
     * x: (B, I), w: (I, O), bias: (O) → y = dropout(act(x·W + bias)): (B, O). x, w, bias not
     * modified; y modified.
     *
     * @throws IllegalArgumentException for p outside [0, 1), mismatched shapes, or y aliasing x or w
     */
    static void forward(OpenClBackend cl, Tensor x, Tensor w, Tensor bias, boolean relu, float p, long seed,
                        long offset, Tensor y) {
        int threshold = Philox.threshold(p);
        GemmShape s = GemmShape.of(false, false, x, w, y);
        OpShapes.bias("denseForward", y, bias, y);
        GemmRoutine.launch(cl, s, false, false, "_bias", 1f, x, w,
                new Object[] {bias, relu ? 1 : 0, threshold, Philox.keepScale(p), seed, offset}, y);
    }

    /**
     * dY: (B, O), w: (I, O), h: (B, I) → dX = (dY·Wᵀ)·[h > 0]/(1-p): (B, I). dY, w, h not
     * modified; dX modified.
     *
     * @throws IllegalArgumentException for p outside [0, 1), mismatched shapes, or dX aliasing dY or w
     */
    static void backwardMasked(OpenClBackend cl, Tensor dY, Tensor w, Tensor h, float p, Tensor dX) {
        float scale = Philox.keepScale(p);
        GemmShape s = GemmShape.of(false, true, dY, w, dX);
        OpShapes.same("denseBackwardMasked", "h", h, "dX", dX);
        GemmRoutine.launch(cl, s, false, true, "_mask", scale, dY, w, new Object[] {h}, dX);
    }

    /**
     * x: (B, I), dY: (B, O) → dW = xᵀ·dY: (I, O) and dBias = Σ_b dY[b]: (O). x, dY not modified;
     * dW, dBias modified.
     *
     * @throws IllegalArgumentException for mismatched shapes, or dW aliasing x or dY
     */
    static void backwardWeights(OpenClBackend cl, Tensor x, Tensor dY, Tensor dW, Tensor dBias) {
        GemmShape s = GemmShape.of(true, false, x, dY, dW);
        OpShapes.columnSum(dY, dBias);
        if (!GemmRoutine.naive(cl, s)) {
            GemmRoutine.launch(cl, s, true, false, "", 1f, x, dY, new Object[] {0f}, dW);
            cl.columnSum(dY, dBias);
            return;
        }
        int local = GemmRoutine.naiveLocal();
        cl.enqueue(GemmRoutine.FILE, "gemm_naive_wgrad",
                new long[] {Launch.cover(s.n(), local), Launch.cover(s.m() + 1, local)}, new long[] {local, local},
                s.m(), s.n(), s.k(), x, dY, dW, dBias);
    }

    /**
     * h: (B, I), dY: (B, O), w: (I, O) → dW = hᵀ·dY, dBias = Σ_b dY[b], dX = (dY·Wᵀ)·[h > 0]/(1-p):
     * one launch when every product is a naive-kernel shape, else the two ops
     * {@code denseBackwardWeights} and {@code denseBackwardMasked} (each declaring its own cost to
     * the profiler). h, dY, w not modified; dW, dBias, dX modified.
     *
     * @throws IllegalArgumentException for p outside [0, 1) or mismatched shapes
     */
    static void backward(OpenClBackend cl, Tensor h, Tensor dY, Tensor w, float p, Tensor dW, Tensor dBias,
                         Tensor dX) {
        float scale = Philox.keepScale(p);
        GemmShape weights = GemmShape.of(true, false, h, dY, dW);
        GemmShape input = GemmShape.of(false, true, dY, w, dX);
        OpShapes.columnSum(dY, dBias);
        OpShapes.same("denseBackward", "h", h, "dX", dX);
        if (!GemmRoutine.naive(cl, weights) || !GemmRoutine.naive(cl, input)) {
            cl.denseBackwardWeights(h, dY, dW, dBias);
            cl.denseBackwardMasked(dY, w, h, p, dX);
            return;
        }
        int b = input.m();
        int i = input.n();
        int o = input.k();
        long items = (long) i * o + o + (long) b * i;
        int local = GemmRoutine.naiveLocal() * GemmRoutine.naiveLocal();
        cl.enqueue(GemmRoutine.FILE, "dense_backward_naive", new long[] {Launch.cover(items, local)},
                new long[] {local}, b, i, o, scale, h, dY, w, dW, dBias, dX);
    }

    /**
     * pred, target: (B, O), h: (B, I), w: (I, O) → dPred = 2·(pred − target)/(B·O), then dW, dBias
     * and dX of {@link #backward} from dPred, and {@code loss[0] (+)= mean((pred − target)²)}: one
     * launch ({@code dense_mse_backward_naive}) when every product is a naive-kernel shape, else the
     * two ops {@code mseForwardBackward} and {@code denseBackward}. pred, target, h, w not modified;
     * loss, dPred, dW, dBias, dX modified.
     *
     * @throws IllegalArgumentException for p outside [0, 1) or mismatched shapes
     */
    static void mseBackward(OpenClBackend cl, Tensor pred, Tensor target, Tensor h, Tensor w, float p,
                            Tensor loss, boolean accumulate, Tensor dPred, Tensor dW, Tensor dBias, Tensor dX) {
        float scale = Philox.keepScale(p);
        GemmShape weights = GemmShape.of(true, false, h, pred, dW);
        GemmShape input = GemmShape.of(false, true, pred, w, dX);
        OpShapes.same("mseDenseBackward", "pred", pred, "target", target);
        OpShapes.same("mseDenseBackward", "pred", pred, "dPred", dPred);
        OpShapes.scalar("mseDenseBackward", loss);
        OpShapes.columnSum(pred, dBias);
        OpShapes.same("mseDenseBackward", "h", h, "dX", dX);
        if (!GemmRoutine.naive(cl, weights) || !GemmRoutine.naive(cl, input)) {
            cl.mseForwardBackward(pred, target, loss, accumulate, dPred);
            cl.denseBackward(h, dPred, w, p, dW, dBias, dX);
            return;
        }
        int b = input.m();
        int i = input.n();
        int o = input.k();
        long items = (long) i * o + o + (long) b * i;
        int local = GemmRoutine.naiveLocal() * GemmRoutine.naiveLocal();
        cl.enqueue(GemmRoutine.FILE, "dense_mse_backward_naive", new long[] {Launch.cover(items, local)},
                new long[] {local}, b, i, o, scale, 1f / ((float) b * o), accumulate ? 1 : 0, pred, target, h, w, loss,
                dPred, dW, dBias, dX);
    }
}
