package dev.clgrad.nn;

import dev.clgrad.ops.AccuracyCount;
import dev.clgrad.ops.RowMetric;
import dev.clgrad.tensor.Tensor;

/**
 * A metric compiled with a loss, by Keras name: each lowers to one op that adds its per-row values
 * over the batch into its own device scalar, read with the loss; divided by the rows seen it is the
 * mean over samples, as Keras reports it. {@code name} is the key of {@code History} and
 * {@code evaluate} ({@code accuracy}, {@code val_accuracy}, {@code mae}, …).
 *
 * @param param binary accuracy's threshold, k of the top-k metrics, else 0
 */
public record Metric(String name, Kind kind, float param) {
    /** Keras's k of {@code top_k_categorical_accuracy} and its sparse form. */
    public static final int TOP_K = 5;

    /** The Keras metric function a name resolves to. */
    public enum Kind {
        /** argmax(pred) == label: {@code sparse_categorical_accuracy}. */
        SPARSE_CATEGORICAL_ACCURACY,
        /** argmax(pred) == argmax(one-hot target): {@code categorical_accuracy}. */
        CATEGORICAL_ACCURACY,
        /** The fraction of outputs with {@code [pred > threshold] == target}: {@code binary_accuracy}. */
        BINARY_ACCURACY,
        /** The one-hot target's class among the k highest scores: {@code top_k_categorical_accuracy}. */
        TOP_K_CATEGORICAL_ACCURACY,
        /** The label among the k highest scores: {@code sparse_top_k_categorical_accuracy}. */
        SPARSE_TOP_K_CATEGORICAL_ACCURACY,
        /** The mean over outputs of |pred − target|: {@code mean_absolute_error}. */
        MEAN_ABSOLUTE_ERROR;

        /** Whether the targets are class indices, as a {@link Loss#classification()} loss takes them. */
        public boolean sparse() {
            return this == SPARSE_CATEGORICAL_ACCURACY || this == SPARSE_TOP_K_CATEGORICAL_ACCURACY;
        }
    }

    /**
     * The metric {@code name} as Keras resolves it for {@code loss}: {@code accuracy} (or
     * {@code acc}) is sparse categorical accuracy for {@code sparse_categorical_crossentropy},
     * categorical accuracy for {@code categorical_crossentropy} and binary accuracy for
     * {@code binary_crossentropy}; {@code binary_accuracy} thresholds probabilities at 0.5 and, when
     * the loss takes logits, logits at 0 (the same decision, as sigmoid(0) = 0.5);
     * {@code categorical_accuracy}, {@code sparse_categorical_accuracy},
     * {@code top_k_categorical_accuracy} and {@code sparse_top_k_categorical_accuracy} (k = 5),
     * {@code mae} ({@code mean_absolute_error}). A metric whose targets (class indices or one value
     * per output) are not those of the loss is refused.
     *
     * @throws IllegalArgumentException for an unknown name, or one the loss's targets do not fit
     */
    public static Metric of(String name, Loss loss) {
        Kind kind = switch (name) {
            case "accuracy", "acc" -> {
                if (loss.accuracy() == null) {
                    throw new IllegalArgumentException("metric accuracy needs a classification loss "
                            + "(sparse_categorical_crossentropy, categorical_crossentropy or binary_crossentropy), got "
                            + loss.name() + "; for a regression loss use mae");
                }
                yield loss.accuracy();
            }
            case "binary_accuracy" -> Kind.BINARY_ACCURACY;
            case "categorical_accuracy" -> Kind.CATEGORICAL_ACCURACY;
            case "sparse_categorical_accuracy" -> Kind.SPARSE_CATEGORICAL_ACCURACY;
            case "top_k_categorical_accuracy" -> Kind.TOP_K_CATEGORICAL_ACCURACY;
            case "sparse_top_k_categorical_accuracy" -> Kind.SPARSE_TOP_K_CATEGORICAL_ACCURACY;
            case "mae", "mean_absolute_error" -> Kind.MEAN_ABSOLUTE_ERROR;
            default -> throw new IllegalArgumentException("unknown metric '" + name + "'; expected one of [accuracy, "
                    + "binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy, "
                    + "sparse_top_k_categorical_accuracy, mae]");
        };
        if (kind.sparse() != loss.classification()) {
            throw new IllegalArgumentException("metric " + name + " takes " + (kind.sparse()
                    ? "class indices as targets, but loss " + loss.name() + " takes one target per output"
                    : "one target per output, but loss " + loss.name() + " takes class indices")
                    + (kind == Kind.TOP_K_CATEGORICAL_ACCURACY ? "; use sparse_top_k_categorical_accuracy" : "")
                    + (kind == Kind.SPARSE_TOP_K_CATEGORICAL_ACCURACY ? "; use top_k_categorical_accuracy" : ""));
        }
        float param = switch (kind) {
            case BINARY_ACCURACY -> loss.fromLogits() ? 0f : 0.5f;
            case TOP_K_CATEGORICAL_ACCURACY, SPARSE_TOP_K_CATEGORICAL_ACCURACY -> TOP_K;
            default -> 0f;
        };
        return new Metric(name.equals("acc") ? "accuracy" : name, kind, param);
    }

    /**
     * Emits {@code sum[0] += Σ_b m(pred[b], target[b])}: pred (B, O) (an output of more axes as its
     * rows), target (B, O), or (B, 1) class indices for a sparse metric. Not modified: pred, target.
     */
    public void lower(Lowering g, Tensor pred, Tensor target, Tensor sum) {
        Tensor rows = MSE.rows(pred);
        int b = rows.shape().rows();
        g.emit(null, switch (kind) {
            case SPARSE_CATEGORICAL_ACCURACY -> new AccuracyCount(rows, target.reshape(b), sum, true);
            case CATEGORICAL_ACCURACY -> new RowMetric(RowMetric.Kind.CATEGORICAL_ACCURACY, param, rows, target, sum, true);
            case BINARY_ACCURACY -> new RowMetric(RowMetric.Kind.BINARY_ACCURACY, param, rows, target, sum, true);
            case TOP_K_CATEGORICAL_ACCURACY -> new RowMetric(RowMetric.Kind.IN_TOP_K, param, rows, target, sum, true);
            case SPARSE_TOP_K_CATEGORICAL_ACCURACY -> new RowMetric(RowMetric.Kind.SPARSE_IN_TOP_K, param, rows,
                    target.reshape(b), sum, true);
            case MEAN_ABSOLUTE_ERROR -> new RowMetric(RowMetric.Kind.ABSOLUTE_ERROR, param, rows, target, sum, true);
        });
    }
}
