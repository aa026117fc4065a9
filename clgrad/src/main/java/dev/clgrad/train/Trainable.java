package dev.clgrad.train;

import dev.clgrad.backend.Backend;
import dev.clgrad.optim.Optimizer;
import dev.clgrad.nn.Loss;
import dev.clgrad.nn.Parameter;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What the training loop drives: a built, compiled model's step programs and device sums, and a
 * checkpoint of its whole state. {@code dev.clgrad.model.Sequential} is one; the loop knows
 * nothing else of it. Host arrays are row-major: x: (rows·I), y: (rows·T).
 */
public interface Trainable {

    Backend backend();

    /**
     * Builds the model for per-sample inputs of {@code shape} at the first batch, after checking
     * that it fits on the backend with batches of up to {@code batch} rows; checks the shape
     * afterwards.
     */
    Trainable build(Shape shape, int batch);

    /** The compiled loss; null before compile. */
    Loss loss();

    /** Outputs per sample. */
    int outFeatures();

    /** The compiled metrics' names ({@code accuracy}, {@code mae}, …), in order; empty when none. */
    List<String> metricNames();

    /** Sizes the workspace for batches of up to {@code batch} rows. */
    void reserve(int batch);

    /** One training step on {@code rows} rows. */
    void trainBatch(float[] x, float[] y, int rows);

    /** One evaluation batch (no update): adds to the sums. */
    void testBatch(float[] x, float[] y, int rows);

    /** Inference on {@code rows} rows, (rows·O) outputs into out from outOffset. */
    void predictBatch(float[] x, int rows, float[] out, int outOffset);

    /**
     * Like {@link #predictBatch} with every random-mask layer drawing (one Monte-Carlo pass per
     * group of rows the caller laid out), from the sampling counters.
     */
    void sampleBatch(float[] x, int rows, float[] out, int outOffset);

    /** Sets the Monte-Carlo sampling counters to their start. */
    void resetSampling();

    /** Whether some layer draws one mask for a whole batch (DropConnect), so passes cannot share a batch. */
    boolean sharesMasksAcrossRows();

    /** Zeroes the device sums. */
    void resetTotals();

    /**
     * Sets the device sums to a saved {loss summed over rows, each metric's sum} of full batches of
     * {@code batchRows} rows, as {@link #totals} reported them.
     */
    void restoreTotals(double lossTotal, List<Double> metricTotals, int batchRows);

    /** {loss summed over rows, then each metric's sum over rows} since the last reset, in one host copy. */
    double[] totals();

    /** The flat trainable parameters (P). */
    Tensor parameters();

    /** The flat gradients (P) of the last step. */
    Tensor gradients();

    /** The trainable parameters by name with their offsets into {@link #parameters()}. */
    List<Parameter> parameterList();

    /** The compiled optimizer (its learning rate is what schedules and callbacks change); null before compile. */
    Optimizer optimizer();

    /** Writes a checkpoint of everything training needs to resume at {@code position} to {@code dir}. */
    void checkpoint(Path dir, Position position) throws IOException;
}
