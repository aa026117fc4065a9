package dev.clgrad.backend.opencl;

import dev.clgrad.ops.AccuracyCount;
import dev.clgrad.ops.CategoricalCrossEntropy;
import dev.clgrad.ops.ElementwiseLoss;
import dev.clgrad.ops.RowMetric;
import dev.clgrad.ops.MseLoss;
import dev.clgrad.ops.SoftmaxCrossEntropy;

/**
 * MSE and sparse categorical cross-entropy (forward, backward, or both in one launch), the accuracy count,
 * and the Keras losses (element-wise, categorical cross-entropy: forward, or forward and gradient
 * in one launch) and row metrics on OpenCL ({@code loss.cl}). A loss op with no loss tensor runs the backward kernel, one with no
 * gradient tensor the forward kernel, one with both the fused forward+backward kernel. The scalar
 * results are reduced by one work-group in a fixed order, so they are deterministic. Labels are
 * class indices stored as floats; the kernels cannot throw, so a label outside [0, C) or not an
 * integer makes the loss and its row's gradient NaN and never counts as correct.
 */
final class LossRoutine {
    static final String FILE = "loss.cl";
    private static final String WG = "LOSS_WG";
    private static final int WG_DEFAULT = 256;

    private LossRoutine() {
    }

    /**
     * {@code loss[0] (+)= mean((pred - target)²)} and/or {@code dPred = 2·(pred - target) / n}.
     * pred, target not modified; loss, dPred modified. Null for a backward over no elements.
     */
    static Call mse(OpenClBackend cl, MseLoss op) {
        int n = ElementwiseRoutine.size(op.pred());
        int wg = Geometry.reductionGroupSize(cl, WG, WG_DEFAULT);
        int accumulate = op.accumulate() ? 1 : 0;
        if (op.loss() == null) {
            return n == 0 ? null : new Call.Kernel(FILE, "mse_backward", Geometry.global(n, wg), Geometry.local(wg),
                    new Object[] {n, 2f / n, op.pred(), op.target(), op.dPred()});
        }
        if (op.dPred() == null) {
            return new Call.Kernel(FILE, "mse_forward", Geometry.oneGroup(wg), Geometry.local(wg),
                    new Object[] {n, accumulate, op.pred(), op.target(), op.loss()});
        }
        return new Call.Kernel(FILE, "mse_forward_backward", Geometry.oneGroup(wg), Geometry.local(wg),
                new Object[] {n, accumulate, n == 0 ? 0f : 2f / n, op.pred(), op.target(), op.loss(), op.dPred()});
    }

    /**
     * pred: (B, C), labels: (B) → {@code loss[0] (+)= mean_b L_b} of sparse categorical
     * cross-entropy from logits or on probabilities and/or its gradient dPred
     * ({@link SoftmaxCrossEntropy}). pred, labels not modified; loss, dPred modified. Null for a
     * backward over no rows.
     */
    static Call softmaxCrossEntropy(OpenClBackend cl, SoftmaxCrossEntropy op) {
        int rows = op.pred().shape().rows();
        int cols = op.pred().shape().cols();
        int wg = Geometry.reductionGroupSize(cl, WG, WG_DEFAULT);
        int logits = op.fromLogits() ? 1 : 0;
        int accumulate = op.accumulate() ? 1 : 0;
        if (op.loss() == null) {
            return rows == 0 ? null : new Call.Kernel(FILE, "softmax_cross_entropy_backward",
                    Geometry.global(rows, wg), Geometry.local(wg),
                    new Object[] {rows, cols, logits, op.pred(), op.labels(), op.dPred()});
        }
        if (op.dPred() == null) {
            return new Call.Kernel(FILE, "softmax_cross_entropy_forward", Geometry.oneGroup(wg), Geometry.local(wg),
                    new Object[] {rows, cols, logits, accumulate, op.pred(), op.labels(), op.loss()});
        }
        return new Call.Kernel(FILE, "softmax_cross_entropy_forward_backward", Geometry.oneGroup(wg),
                Geometry.local(wg), new Object[] {rows, cols, logits, accumulate, op.pred(), op.labels(), op.loss(),
                        op.dPred()});
    }

    /**
     * {@code count[0] (+)= #{b : argmax(logits[b]) == label_b}}, first maximum on ties. logits,
     * labels not modified; count modified.
     */
    static Call accuracyCount(OpenClBackend cl, AccuracyCount op) {
        int wg = Geometry.reductionGroupSize(cl, WG, WG_DEFAULT);
        return new Call.Kernel(FILE, "accuracy_count", Geometry.oneGroup(wg), Geometry.local(wg),
                new Object[] {op.logits().shape().rows(), op.logits().shape().cols(), op.accumulate() ? 1 : 0,
                        op.logits(), op.labels(), op.count()});
    }

    /**
     * {@code loss[0] (+)= (1/n) Σ f(pred, target)} and, when dPred is set, {@code dPred = f'·(1/n)}
     * of the op's kind, in one launch. pred, target not modified; loss, dPred modified.
     */
    static Call elementwiseLoss(OpenClBackend cl, ElementwiseLoss op) {
        int n = ElementwiseRoutine.size(op.pred());
        int wg = Geometry.reductionGroupSize(cl, WG, WG_DEFAULT);
        int kind = op.kind().ordinal();
        int accumulate = op.accumulate() ? 1 : 0;
        if (op.dPred() == null) {
            return new Call.Kernel(FILE, "elementwise_loss_forward", Geometry.oneGroup(wg), Geometry.local(wg),
                    new Object[] {kind, n, accumulate, op.delta(), op.pred(), op.target(), op.loss()});
        }
        return new Call.Kernel(FILE, "elementwise_loss_forward_backward", Geometry.oneGroup(wg), Geometry.local(wg),
                new Object[] {kind, n, accumulate, op.delta(), 1f / n, op.pred(), op.target(), op.loss(), op.dPred()});
    }

    /**
     * pred, target: (B, C) → {@code loss[0] (+)= (1/B) Σ_b L_b} of categorical cross-entropy and,
     * when dPred is set, its gradient, in one launch. pred, target not modified; loss, dPred modified.
     */
    static Call categoricalCrossEntropy(OpenClBackend cl, CategoricalCrossEntropy op) {
        int rows = op.pred().shape().rows();
        int cols = op.pred().shape().cols();
        int wg = Geometry.reductionGroupSize(cl, WG, WG_DEFAULT);
        int accumulate = op.accumulate() ? 1 : 0;
        int logits = op.fromLogits() ? 1 : 0;
        if (op.dPred() == null) {
            return new Call.Kernel(FILE, "categorical_cross_entropy_forward", Geometry.oneGroup(wg), Geometry.local(wg),
                    new Object[] {rows, cols, accumulate, logits, op.pred(), op.target(), op.loss()});
        }
        return new Call.Kernel(FILE, "categorical_cross_entropy_forward_backward", Geometry.oneGroup(wg),
                Geometry.local(wg), new Object[] {rows, cols, accumulate, logits, op.pred(), op.target(), op.loss(),
                        op.dPred()});
    }

    /** {@code sum[0] (+)= Σ_b m(pred[b], target[b])} of the metric's kind. pred, target not modified; sum modified. */
    static Call rowMetric(OpenClBackend cl, RowMetric op) {
        int wg = Geometry.reductionGroupSize(cl, WG, WG_DEFAULT);
        return new Call.Kernel(FILE, "row_metric", Geometry.oneGroup(wg), Geometry.local(wg),
                new Object[] {op.kind().ordinal(), op.pred().shape().rows(), op.pred().shape().cols(),
                        op.accumulate() ? 1 : 0, op.param(), op.pred(), op.target(), op.sum()});
    }
}
