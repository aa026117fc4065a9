package dev.clgrad.backend.opencl;

import dev.clgrad.backend.OpShapes;
import dev.clgrad.tensor.Tensor;

/**
 * MSE and softmax cross-entropy (forward and backward) and the accuracy count on OpenCL
 * ({@code loss.cl}). The scalar results are reduced by one work-group in a fixed order, so they are
 * deterministic. Labels are class indices stored as floats; the kernels cannot throw, so a label
 * outside [0, C) or not an integer makes the loss and its row's gradient NaN and never counts as correct.
 */
final class LossRoutine {
    static final String FILE = "loss.cl";
    private static final String WG = "LOSS_WG";
    private static final int WG_DEFAULT = 256;

    private LossRoutine() {
    }

    /** {@code loss[0] (+)= mean((pred - target)²)}. pred, target not modified; loss modified. */
    static void mseForward(OpenClBackend cl, Tensor pred, Tensor target, Tensor loss, boolean accumulate) {
        OpShapes.same("mseForward", "pred", pred, "target", target);
        OpShapes.scalar("mseForward", loss);
        int wg = Launch.reductionGroupSize(cl, WG, WG_DEFAULT);
        cl.enqueue(FILE, "mse_forward", Launch.oneGroup(wg), Launch.local(wg), ElementwiseRoutine.size(pred),
                accumulate ? 1 : 0, pred, target, loss);
    }

    /** {@code dPred = 2·(pred - target) / n}. pred, target not modified; dPred modified. */
    static void mseBackward(OpenClBackend cl, Tensor pred, Tensor target, Tensor dPred) {
        OpShapes.same("mseBackward", "pred", pred, "target", target);
        OpShapes.same("mseBackward", "pred", pred, "dPred", dPred);
        int n = ElementwiseRoutine.size(pred);
        if (n == 0) {
            return;
        }
        int wg = Launch.reductionGroupSize(cl, WG, WG_DEFAULT);
        cl.enqueue(FILE, "mse_backward", Launch.global(n, wg), Launch.local(wg), n, 2f / n, pred, target, dPred);
    }

    /**
     * {@code loss[0] (+)= mean((pred - target)²)} and {@code dPred = 2·(pred - target) / n} in one
     * launch. pred, target not modified; loss, dPred modified.
     */
    static void mseForwardBackward(OpenClBackend cl, Tensor pred, Tensor target, Tensor loss, boolean accumulate,
                                   Tensor dPred) {
        OpShapes.same("mseForwardBackward", "pred", pred, "target", target);
        OpShapes.same("mseForwardBackward", "pred", pred, "dPred", dPred);
        OpShapes.scalar("mseForwardBackward", loss);
        int n = ElementwiseRoutine.size(pred);
        int wg = Launch.reductionGroupSize(cl, WG, WG_DEFAULT);
        cl.enqueue(FILE, "mse_forward_backward", Launch.oneGroup(wg), Launch.local(wg), n, accumulate ? 1 : 0,
                n == 0 ? 0f : 2f / n, pred, target, loss, dPred);
    }

    /**
     * logits: (B, C), labels: (B) → {@code loss[0] (+)= mean_b(logsumexp(logits[b]) - logits[b, label_b])}.
     * logits, labels not modified; loss modified.
     */
    static void softmaxCrossEntropyForward(OpenClBackend cl, Tensor logits, Tensor labels, Tensor loss,
                                           boolean accumulate) {
        OpShapes.labels("softmaxCrossEntropyForward", logits, labels);
        OpShapes.scalar("softmaxCrossEntropyForward", loss);
        int wg = Launch.reductionGroupSize(cl, WG, WG_DEFAULT);
        cl.enqueue(FILE, "softmax_cross_entropy_forward", Launch.oneGroup(wg), Launch.local(wg),
                logits.shape().rows(), logits.shape().cols(), accumulate ? 1 : 0, logits, labels, loss);
    }

    /**
     * {@code dLogits[b, c] = (softmax(logits[b])[c] - [c == label_b]) / B}. logits, labels not
     * modified; dLogits modified.
     */
    static void softmaxCrossEntropyBackward(OpenClBackend cl, Tensor logits, Tensor labels, Tensor dLogits) {
        OpShapes.labels("softmaxCrossEntropyBackward", logits, labels);
        OpShapes.same("softmaxCrossEntropyBackward", "logits", logits, "dLogits", dLogits);
        int rows = logits.shape().rows();
        if (rows == 0) {
            return;
        }
        int wg = Launch.reductionGroupSize(cl, WG, WG_DEFAULT);
        cl.enqueue(FILE, "softmax_cross_entropy_backward", Launch.global(rows, wg), Launch.local(wg),
                rows, logits.shape().cols(), logits, labels, dLogits);
    }

    /**
     * logits: (B, C), labels: (B) → {@code loss[0] (+)= mean_b(logsumexp(logits[b]) - logits[b, label_b])}
     * and {@code dLogits[b, c] = (softmax(logits[b])[c] - [c == label_b]) / B} in one launch. logits,
     * labels not modified; loss, dLogits modified.
     */
    static void softmaxCrossEntropyForwardBackward(OpenClBackend cl, Tensor logits, Tensor labels, Tensor loss,
                                                   boolean accumulate, Tensor dLogits) {
        OpShapes.labels("softmaxCrossEntropyForwardBackward", logits, labels);
        OpShapes.same("softmaxCrossEntropyForwardBackward", "logits", logits, "dLogits", dLogits);
        OpShapes.scalar("softmaxCrossEntropyForwardBackward", loss);
        int wg = Launch.reductionGroupSize(cl, WG, WG_DEFAULT);
        cl.enqueue(FILE, "softmax_cross_entropy_forward_backward", Launch.oneGroup(wg), Launch.local(wg),
                logits.shape().rows(), logits.shape().cols(), accumulate ? 1 : 0, logits, labels, loss, dLogits);
    }

    /**
     * {@code count[0] (+)= #{b : argmax(logits[b]) == label_b}}, first maximum on ties. logits,
     * labels not modified; count modified.
     */
    static void accuracyCount(OpenClBackend cl, Tensor logits, Tensor labels, Tensor count, boolean accumulate) {
        OpShapes.labels("accuracyCount", logits, labels);
        OpShapes.scalar("accuracyCount", count);
        int wg = Launch.reductionGroupSize(cl, WG, WG_DEFAULT);
        cl.enqueue(FILE, "accuracy_count", Launch.oneGroup(wg), Launch.local(wg),
                logits.shape().rows(), logits.shape().cols(), accumulate ? 1 : 0, logits, labels, count);
    }
}
