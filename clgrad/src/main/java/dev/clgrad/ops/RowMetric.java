package dev.clgrad.ops;

import dev.clgrad.tensor.Tensor;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A metric summed over rows, pred: (B, C), target: (B, C) or, for {@link Kind#SPARSE_IN_TOP_K},
 * (B) class indices stored as floats: {@code sum[0] (+)= Σ_b m(pred[b], target[b])} (accumulate
 * adds to sum[0]), the per-row value m given by the {@link Kind}. Divided by the rows seen, the sum
 * is the metric as Keras reports it (a mean over samples). pred, target not modified.
 *
 * @param param the threshold of {@link Kind#BINARY_ACCURACY}, k (a whole number ≥ 1) of the top-k
 *              kinds, 0 for the others
 */
public record RowMetric(Kind kind, float param, Tensor pred, Tensor target, Tensor sum, boolean accumulate)
        implements Op {

    /**
     * The per-row value. argmax takes the first maximum on ties, NaN larger than every number
     * ({@link AccuracyCount}'s rule). Each kind's ordinal is its kernel code in {@code loss.cl}.
     */
    public enum Kind {
        /** {@code [argmax(pred[b]) == argmax(target[b])]}: Keras's {@code categorical_accuracy}. */
        CATEGORICAL_ACCURACY("categoricalAccuracy"),
        /**
         * {@code (1/C) Σ_c [(pred[b, c] > threshold ? 1 : 0) == target[b, c]]}: Keras's
         * {@code binary_accuracy} (a NaN prediction is 0).
         */
        BINARY_ACCURACY("binaryAccuracy"),
        /**
         * With label {@code l = argmax(target[b])}: 1 when fewer than k classes score strictly
         * more than {@code pred[b, l]} (ties at the boundary count as in, TensorFlow's
         * {@code in_top_k}), 0 when any score of the row is NaN or ±∞ (as TensorFlow's kernel):
         * Keras's {@code top_k_categorical_accuracy}.
         */
        IN_TOP_K("topKCategoricalAccuracy"),
        /**
         * {@link #IN_TOP_K} with the label given as a class index; a label that is not one is a
         * miss (an error on the Java backend): Keras's {@code sparse_top_k_categorical_accuracy}.
         */
        SPARSE_IN_TOP_K("sparseTopKCategoricalAccuracy"),
        /** {@code (1/C) Σ_c |pred[b, c] − target[b, c]|}: Keras's {@code mean_absolute_error} metric. */
        ABSOLUTE_ERROR("meanAbsoluteError");

        private final String opName;

        Kind(String opName) {
            this.opName = opName;
        }

        /** The op's name stem, such as {@code binaryAccuracy}. */
        public String opName() {
            return opName;
        }

        /** Whether the target is one class index per row. */
        public boolean sparse() {
            return this == SPARSE_IN_TOP_K;
        }

        /** Whether {@code param} is k. */
        public boolean topK() {
            return this == IN_TOP_K || this == SPARSE_IN_TOP_K;
        }
    }

    @Override
    public String name() {
        return kind.opName() + "Sum";
    }

    @Override
    public void validate() {
        if (kind == null) {
            throw new IllegalArgumentException("rowMetric: no kind given");
        }
        if (kind.topK() && !(param >= 1 && param == Math.rint(param))) {
            throw new IllegalArgumentException(name() + ": k is " + param + "; expected a whole number >= 1");
        }
        if (kind == Kind.BINARY_ACCURACY && !Float.isFinite(param)) {
            throw new IllegalArgumentException(name() + ": threshold is " + param + "; expected a finite number");
        }
        if (!kind.topK() && kind != Kind.BINARY_ACCURACY && param != 0) {
            throw new IllegalArgumentException(name() + ": param is " + param + "; expected 0 (only binary accuracy"
                    + " and the top-k metrics take one)");
        }
        if (kind.sparse()) {
            Shapes.labels(name(), pred, target);
        } else {
            Shapes.same(name(), "pred", pred, "target", target);
        }
        Shapes.scalar(name(), "sum", Shapes.required(name(), "sum", sum));
        Shapes.noAlias(name(), sum, pred, target);
    }

    @Override
    public Cost cost() {
        double n = pred.shape().size();
        return new Cost(2 * n, Cost.F * (n + target.shape().size() + 1));
    }

    @Override
    public List<Tensor> inputs() {
        return Shapes.list(pred, target, accumulate ? sum : null);
    }

    @Override
    public List<Tensor> outputs() {
        return List.of(sum);
    }

    @Override
    public RowMetric rebind(UnaryOperator<Tensor> f) {
        return new RowMetric(kind, param, f.apply(pred), f.apply(target), f.apply(sum), accumulate);
    }
}
