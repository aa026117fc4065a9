package dev.clgrad.train;

/**
 * Options of {@code predict}: {@code Predict.monteCarlo(30)} or {@code Predict.weightScaling()},
 * then {@code .batchSize(B)}.
 *
 * <p>Weight scaling (the default, one pass) is the usual test-time rule: every random-mask layer is
 * the identity, which for inverted dropout is the scaled-weights network of Srivastava et al.
 * Monte-Carlo dropout (Gal and Ghahramani, ICML 2016) runs T stochastic passes with every random-mask
 * layer drawing (dropout, spatial, Gaussian and alpha dropout, DropConnect) and reports the mean
 * and the (population) standard deviation of each output over the passes. The T passes of a batch
 * of B rows run as one batch of T·B rows where the workspace holds it, else in chunks of passes; a
 * model whose masks are shared by the batch (DropConnect) runs one pass per batch. The passes draw
 * from sampling counters that start at 2^63 at every call (training's counters are untouched),
 * so one call on the same model, data, T and batch size gives the same bits every time.
 *
 * <p>With {@link #softmax()} each pass's outputs (logits, as a model trained with a softmax
 * cross-entropy gives them) become softmax probabilities before they are averaged: the predictive
 * distribution of MC dropout is the mean of the passes' class probabilities.
 *
 * @param passes    T ≥ 1 stochastic passes, or 0 for weight scaling
 * @param batchSize input rows per batch (≥ 1), 32 by default
 * @param probabilities whether each pass's outputs are turned into softmax probabilities first
 */
public record Predict(int passes, int batchSize, boolean probabilities) {
    public Predict {
        if (passes < 0) {
            throw new IllegalArgumentException("predict: Monte-Carlo passes must be >= 1, got " + passes);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("predict: batch size must be >= 1, got " + batchSize);
        }
    }

    /** One deterministic pass, random-mask layers off. */
    public static Predict weightScaling() {
        return new Predict(0, 32, false);
    }

    /** T ≥ 1 stochastic passes. */
    public static Predict monteCarlo(int passes) {
        if (passes < 1) {
            throw new IllegalArgumentException("predict: Monte-Carlo passes must be >= 1, got " + passes);
        }
        return new Predict(passes, 32, false);
    }

    public Predict batchSize(int rows) {
        return new Predict(passes, rows, probabilities);
    }

    /** These options with every pass's outputs turned into softmax probabilities before averaging. */
    public Predict softmax() {
        return new Predict(passes, batchSize, true);
    }

    /** Whether this is Monte-Carlo prediction. */
    public boolean monteCarlo() {
        return passes > 0;
    }
}
