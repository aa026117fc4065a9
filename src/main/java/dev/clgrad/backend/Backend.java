package dev.clgrad.backend;

import dev.clgrad.tensor.Tensor;

/**
 * A device and the op set clgrad trains with. Ops are enqueued in program order; an op may return
 * before its result is computed (OpenCL), and only {@link #download} or {@link #finish} wait.
 *
 * <p>Conventions for every op: tensors are float32 and row-major, a 2-D view takes dimension 0 as
 * rows; inputs are not modified; outputs are written, never resized; shapes are checked first and a
 * mismatch is an {@link IllegalArgumentException} naming both shapes. An output may alias an input
 * only where the op says so. Dimensions: {@code B} batch rows, {@code O} features per row.
 */
public interface Backend extends AutoCloseable {

    /** The device this backend runs on. */
    DeviceInfo info();

    /** The spec that selects this backend again, such as {@code opencl:0:0} or {@code java}. */
    default String id() {
        return info().id();
    }

    // ---- storage -------------------------------------------------------------------------------

    /** A buffer of at least {@code floats} elements, from the pool when one is free. Contents undefined. */
    DeviceBuffer allocate(long floats);

    /** Returns a buffer to the pool. The caller must not use it afterwards. */
    void release(DeviceBuffer buffer);

    /** Copies {@code count} floats from the host into the buffer, starting at element {@code dstOffset}. */
    void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count);

    /** Waits for enqueued work, then copies {@code count} floats from the buffer to the host. */
    void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count);

    /** Buffers allocated and not yet released (pooled free buffers do not count): the leak detector. */
    int liveBuffers();

    /** Blocks until every enqueued op has completed. */
    void finish();

    /**
     * Starts reporting every kernel launch and host span to {@code sink}, or stops with null. On
     * OpenCL this switches to a queue with profiling enabled; while off, nothing is recorded.
     */
    void profile(ProfileSink sink);

    /** Opens a host span (a layer's forward, an optimizer step) reported to the profile sink, if any. */
    Span span(String name);

    /** Frees every buffer and device object; idempotent, never throws. */
    @Override
    void close();

    // ---- linear algebra --------------------------------------------------------------------------

    /**
     * {@code C = alpha·op(A)·op(B) + beta·C}, row-major, float32 accumulation; sizes from
     * {@link GemmShape#of}. C is modified and must not alias A or B; with {@code beta == 0} C's old
     * contents are ignored (NaN included).
     */
    void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c);

    // ---- fused layers: one launch where the backend can, the composition below otherwise -------

    /**
     * A Dense layer's forward with its activation and a following dropout, x: (B, I), w: (I, O),
     * bias: (O) → y: (B, O): {@code z = x·W + bias; a = relu ? max(0, z) : z;
     * y = keep ? a/(1-p) : 0}, keep the mask of {@link #dropoutForward} at (seed, offset, p) over
     * y's B·O elements. p = 0 keeps every element (no dropout; seed and offset unused). x, w, bias
     * not modified; y modified and must not alias them. This default is the unfused reference:
     * {@link #gemm}, {@link #biasRelu} or {@link #biasAdd}, then {@link #dropoutForward} when p > 0.
     */
    default void denseForward(Tensor x, Tensor w, Tensor bias, boolean relu, float p, long seed, long offset,
                              Tensor y) {
        Philox.threshold(p);
        OpShapes.bias("denseForward", y, bias, y);
        gemm(false, false, 1f, x, w, 0f, y);
        if (relu) {
            biasRelu(y, bias, y);
        } else {
            biasAdd(y, bias, y);
        }
        if (p > 0) {
            dropoutForward(y, p, seed, offset, y);
        }
    }

    /**
     * The input gradient of a Dense layer whose input h: (B, I) is the output of a
     * {@link #denseForward} with ReLU and rate p, dY: (B, O), w: (I, O) → dX: (B, I):
     * {@code dX = (dY·Wᵀ)·[h > 0]/(1-p)}. Since {@code h = keep·max(0, z)/(1-p)},
     * {@code [h > 0] = keep·[z > 0]}: this is {@link #dropoutBackward} then {@link #reluBackward}
     * of the unfused layers in one op, with no mask regenerated. dY, w, h not modified; dX modified
     * and must not alias them. This default is the unfused reference: {@link #gemm} with
     * {@code alpha = 1/(1-p)}, then {@link #reluBackward} on h.
     */
    default void denseBackwardMasked(Tensor dY, Tensor w, Tensor h, float p, Tensor dX) {
        float scale = Philox.keepScale(p);
        OpShapes.same("denseBackwardMasked", "h", h, "dX", dX);
        gemm(false, true, scale, dY, w, 0f, dX);
        reluBackward(h, dX, dX);
    }

    /**
     * Both gradients of a Dense layer's parameters from its input x: (B, I) and its output gradient
     * dY: (B, O) (after any activation backward): {@code dW = xᵀ·dY}: (I, O) and
     * {@code dBias[o] = sum_b dY[b, o]}: (O). x, dY not modified; dW, dBias modified (overwritten,
     * not accumulated) and must not alias x, dY or each other. This default is the unfused reference:
     * {@link #gemm} with {@code transA}, then {@link #columnSum}.
     */
    default void denseBackwardWeights(Tensor x, Tensor dY, Tensor dW, Tensor dBias) {
        OpShapes.columnSum(dY, dBias);
        gemm(true, false, 1f, x, dY, 0f, dW);
        columnSum(dY, dBias);
    }

    /**
     * The whole backward of a Dense layer whose input h: (B, I) is the output of a
     * {@link #denseForward} with ReLU and rate p, dY: (B, O), w: (I, O): the parameter gradients
     * {@code dW = hᵀ·dY}: (I, O) and {@code dBias[o] = sum_b dY[b, o]}: (O), and the input gradient
     * {@code dX = (dY·Wᵀ)·[h > 0]/(1-p)}: (B, I). h, dY, w not modified; dW, dBias, dX modified
     * (overwritten) and must not alias the inputs or each other. This default is the unfused
     * reference: {@link #denseBackwardWeights}, then {@link #denseBackwardMasked}.
     */
    default void denseBackward(Tensor h, Tensor dY, Tensor w, float p, Tensor dW, Tensor dBias, Tensor dX) {
        denseBackwardWeights(h, dY, dW, dBias);
        denseBackwardMasked(dY, w, h, p, dX);
    }

    /**
     * The backward of a last Dense layer with MSE folded in, pred, target: (B, O) the layer's output
     * and the targets, n = B·O, h: (B, I) the layer input (the output of a {@link #denseForward}
     * with ReLU and rate p), w: (I, O): {@code dPred = 2·(pred - target)/n}: (B, O), then
     * {@link #denseBackward} of dPred: {@code dW = hᵀ·dPred}, {@code dBias[o] = sum_b dPred[b, o]},
     * {@code dX = (dPred·Wᵀ)·[h > 0]/(1-p)}; and {@code loss[0] (+)= mean((pred - target)²)}
     * (accumulate adds to loss[0]). pred, target, h, w not modified; loss, dPred, dW, dBias, dX
     * modified (dPred, dW, dBias, dX overwritten) and must not alias the inputs or each other. This
     * default is the unfused reference: {@link #mseForwardBackward}, then {@link #denseBackward}.
     */
    default void mseDenseBackward(Tensor pred, Tensor target, Tensor h, Tensor w, float p, Tensor loss,
                                  boolean accumulate, Tensor dPred, Tensor dW, Tensor dBias, Tensor dX) {
        mseForwardBackward(pred, target, loss, accumulate, dPred);
        denseBackward(h, dPred, w, p, dW, dBias, dX);
    }

    // ---- element-wise ----------------------------------------------------------------------------

    /** {@code x[i] = value}. */
    void fill(Tensor x, float value);

    /** {@code dst[i] = src[i]}; shapes may differ when sizes match. */
    void copy(Tensor src, Tensor dst);

    /** x: (B, O), bias: (O) → {@code y[b, o] = x[b, o] + bias[o]}. y may be x. */
    void biasAdd(Tensor x, Tensor bias, Tensor y);

    /** x: (B, O), bias: (O) → {@code y[b, o] = max(0, x[b, o] + bias[o])}. y may be x. */
    void biasRelu(Tensor x, Tensor bias, Tensor y);

    /** {@code y = max(0, x)}. y may be x. */
    void reluForward(Tensor x, Tensor y);

    /** {@code dX = dY · [y > 0]} where y is the forward output. dX may be dY. */
    void reluBackward(Tensor y, Tensor dY, Tensor dX);

    /**
     * Inverted dropout with the Philox mask of DESIGN.md: element i is kept iff
     * {@code (philox(offset + i/4, seed)[i % 4] >>> 8) >= ceil(p·2^24)}; {@code y = keep ? x/(1-p) : 0}.
     * {@code offset} is an unsigned 64-bit counter base. y may be x. p outside [0, 1) is rejected.
     */
    void dropoutForward(Tensor x, float p, long seed, long offset, Tensor y);

    /** {@code dX = keep ? dY/(1-p) : 0}, the mask regenerated from the same (seed, offset). dX may be dY. */
    void dropoutBackward(Tensor dY, float p, long seed, long offset, Tensor dX);

    // ---- optimizers ------------------------------------------------------------------------------

    /**
     * One Adam/AdamW step over flat buffers, in place: {@code p -= lr·wd·p} (AdamW only), then
     * {@code m = b1·m + (1-b1)·g; v = b2·v + (1-b2)·g²; p -= lr·(m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)}.
     * params, m, v modified; grads not modified; {@code step} t counts from 1.
     */
    void adamStep(Tensor params, Tensor grads, Tensor m, Tensor v, AdamHyper hyper, long step);

    /**
     * SGD with momentum, in place: {@code g' = g + wd·p; vel = momentum·vel + g'; p -= lr·vel}
     * (PyTorch's form; with momentum 0, velocity is unused and may be null).
     */
    void sgdStep(Tensor params, Tensor grads, Tensor velocity, float lr, float momentum, float weightDecay);

    // ---- losses and metrics ----------------------------------------------------------------------

    /** {@code loss[0] (+)= mean((pred - target)²)} over all elements; accumulate adds to loss[0]. */
    void mseForward(Tensor pred, Tensor target, Tensor loss, boolean accumulate);

    /** {@code dPred = 2·(pred - target) / n}, n the number of elements. */
    void mseBackward(Tensor pred, Tensor target, Tensor dPred);

    /**
     * MSE's forward and backward in one op, pred, target: (B, O), n = B·O:
     * {@code loss[0] (+)= mean((pred - target)²)} (accumulate adds to loss[0]) and
     * {@code dPred = 2·(pred - target) / n}. pred, target not modified; loss, dPred modified and
     * must not alias pred or target. This default is the unfused reference: {@link #mseForward},
     * then {@link #mseBackward}.
     */
    default void mseForwardBackward(Tensor pred, Tensor target, Tensor loss, boolean accumulate, Tensor dPred) {
        OpShapes.same("mseForwardBackward", "pred", pred, "dPred", dPred);
        mseForward(pred, target, loss, accumulate);
        mseBackward(pred, target, dPred);
    }

    /**
     * logits: (B, C), labels: (B) class indices stored as floats →
     * {@code loss[0] (+)= mean_b(logsumexp(logits[b]) - logits[b, label_b])}, max-subtracted.
     */
    void softmaxCrossEntropyForward(Tensor logits, Tensor labels, Tensor loss, boolean accumulate);

    /** {@code dLogits[b, c] = (softmax(logits[b])[c] - [c == label_b]) / B}. */
    void softmaxCrossEntropyBackward(Tensor logits, Tensor labels, Tensor dLogits);

    /**
     * Softmax cross-entropy's forward and backward in one op, logits: (B, C), labels: (B) class
     * indices stored as floats: {@code loss[0] (+)= mean_b(logsumexp(logits[b]) - logits[b, label_b])}
     * (max-subtracted; accumulate adds to loss[0]) and
     * {@code dLogits[b, c] = (softmax(logits[b])[c] - [c == label_b]) / B}. logits, labels not
     * modified; loss, dLogits modified and must not alias logits or labels. This default is the
     * unfused reference: {@link #softmaxCrossEntropyForward}, then {@link #softmaxCrossEntropyBackward}.
     */
    default void softmaxCrossEntropyForwardBackward(Tensor logits, Tensor labels, Tensor loss, boolean accumulate,
                                                    Tensor dLogits) {
        OpShapes.same("softmaxCrossEntropyForwardBackward", "logits", logits, "dLogits", dLogits);
        softmaxCrossEntropyForward(logits, labels, loss, accumulate);
        softmaxCrossEntropyBackward(logits, labels, dLogits);
    }

    /** {@code count[0] (+)= #{b : argmax(logits[b]) == label_b}} (first maximum on ties). */
    void accuracyCount(Tensor logits, Tensor labels, Tensor count, boolean accumulate);

    // ---- reductions ------------------------------------------------------------------------------

    /** x: (R, C) → {@code out[c] = sum_r x[r, c]}, e.g. bias gradients. */
    void columnSum(Tensor x, Tensor out);

    /** {@code out[0] = sum_i x[i]}. */
    void sum(Tensor x, Tensor out);

    /** {@code out[0] = sum_i x[i] / n}. */
    void mean(Tensor x, Tensor out);
}
