package dev.clgrad.backend.opencl;

import dev.clgrad.backend.GemmShape;
import dev.clgrad.backend.OpShapes;
import dev.clgrad.backend.Philox;
import dev.clgrad.tensor.Tensor;

/**
 * The fused Dense ops on OpenCL: one GEMM launch of {@code gemm.cl} whose epilogue adds the bias,
 * applies ReLU and the Philox dropout mask ({@code gemm_nn_bias}, {@code gemm_naive_bias}), or masks
 * an input gradient by the previous layer's output ({@code gemm_nt_mask}, {@code gemm_naive_mask}).
 * The math is in {@link dev.clgrad.backend.Backend#denseForward} and
 * {@link dev.clgrad.backend.Backend#denseBackwardMasked}; tiles and the naive fallback are chosen as
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
}
