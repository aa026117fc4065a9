package dev.clgrad.spark;

import java.io.Serializable;
import java.util.Arrays;

/**
 * How {@link SparkTrainer#fit} trains, Keras-style: {@code SparkFitOptions.epochs(5).batchSize(128)
 * .device("java").checkpoints("hdfs:///tmp/run", 100)}. Immutable; each {@code with}-method returns a
 * copy. Serialized with the job (it travels to the executors).
 *
 * <ul>
 *   <li>epochs, batchSize: the config's when not set (0); batchSize is the <em>global</em> batch,
 *       split over the barrier tasks as {@code dev.clgrad.train.Replicas} splits it over devices.</li>
 *   <li>device: the backend spec each task opens on its executor ({@code auto}, {@code java},
 *       {@code opencl:0:0}, …); default {@code auto}.</li>
 *   <li>exchange: {@link #gradientExchange()} (default) sums the tasks' gradients every step, so
 *       training equals one device's on the same global batches; {@link #modelAveraging(int)}
 *       trains each task on its own rows and averages the parameters every K steps.</li>
 *   <li>checkpoints: a Hadoop-compatible directory ({@code file:}, {@code hdfs:}, {@code s3a:}, …)
 *       written every N steps and at every epoch's end; a retried stage resumes from it.</li>
 *   <li>tasks: the number of barrier tasks (replicas); default the input's partitions.</li>
 *   <li>shuffle, seed: each task visits its rows in a fresh order every epoch, a pure function of
 *       (seed, epoch, task); seed defaults to the config's.</li>
 *   <li>columns: the features and label columns of a {@code Dataset<Row>} ({@code features},
 *       {@code label}); inputShape: the per-sample shape (default the config's, else the
 *       feature count).</li>
 * </ul>
 */
public final class SparkFitOptions implements Serializable {
    private static final long serialVersionUID = 1L;

    private int epochs;
    private int batchSize;
    private String device = "auto";
    private int averageEvery;
    private String checkpointDir;
    private int checkpointEvery;
    private int tasks;
    private boolean shuffle = true;
    private Long seed;
    private String featuresColumn = "features";
    private String labelColumn = "label";
    private int[] inputShape;
    private StepListener listener;

    private SparkFitOptions() {
    }

    /** The defaults: the config's epochs and batch size, device auto, gradient exchange every step, no checkpoints. */
    public static SparkFitOptions defaults() {
        return new SparkFitOptions();
    }

    /** The defaults with {@code epochs} epochs. */
    public static SparkFitOptions epochs(int epochs) {
        return defaults().withEpochs(epochs);
    }

    private SparkFitOptions copy() {
        SparkFitOptions o = new SparkFitOptions();
        o.epochs = epochs;
        o.batchSize = batchSize;
        o.device = device;
        o.averageEvery = averageEvery;
        o.checkpointDir = checkpointDir;
        o.checkpointEvery = checkpointEvery;
        o.tasks = tasks;
        o.shuffle = shuffle;
        o.seed = seed;
        o.featuresColumn = featuresColumn;
        o.labelColumn = labelColumn;
        o.inputShape = inputShape;
        o.listener = listener;
        return o;
    }

    public SparkFitOptions withEpochs(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + n);
        }
        SparkFitOptions o = copy();
        o.epochs = n;
        return o;
    }

    /** The global batch: rows per step over all tasks together. */
    public SparkFitOptions batchSize(int rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + rows);
        }
        SparkFitOptions o = copy();
        o.batchSize = rows;
        return o;
    }

    /** The backend spec every task opens on its executor ({@code dev.clgrad.backend.Backends#select}). */
    public SparkFitOptions device(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("device: expected a backend spec such as auto, java or opencl:0:0, got '"
                    + spec + "'");
        }
        SparkFitOptions o = copy();
        o.device = spec;
        return o;
    }

    /** Every step: the tasks' gradients are summed (allGather) and every task applies the same update. */
    public SparkFitOptions gradientExchange() {
        SparkFitOptions o = copy();
        o.averageEvery = 0;
        return o;
    }

    /** Every task updates from its own rows; every {@code k} steps and at each epoch's end the parameters are averaged. */
    public SparkFitOptions modelAveraging(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("model averaging: the steps between averages must be >= 1, got " + k);
        }
        SparkFitOptions o = copy();
        o.averageEvery = k;
        return o;
    }

    /**
     * Checkpoints to {@code dir} (a Hadoop path URI) every {@code everySteps} steps (0: only at
     * the end of each epoch), and resumes from the newest one there when the stage is retried or
     * the same fit is started again.
     */
    public SparkFitOptions checkpoints(String dir, int everySteps) {
        if (dir == null || dir.isBlank()) {
            throw new IllegalArgumentException("checkpoints: expected a directory URI such as file:/tmp/run or "
                    + "hdfs:///runs/mlp, got '" + dir + "'");
        }
        if (everySteps < 0) {
            throw new IllegalArgumentException("checkpoints: steps between checkpoints must be >= 0, got " + everySteps);
        }
        SparkFitOptions o = copy();
        o.checkpointDir = dir;
        o.checkpointEvery = everySteps;
        return o;
    }

    /** The number of barrier tasks (replicas); the input is repartitioned to it. */
    public SparkFitOptions tasks(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("tasks must be >= 1, got " + n);
        }
        SparkFitOptions o = copy();
        o.tasks = n;
        return o;
    }

    public SparkFitOptions shuffle(boolean on) {
        SparkFitOptions o = copy();
        o.shuffle = on;
        return o;
    }

    public SparkFitOptions withSeed(long s) {
        SparkFitOptions o = copy();
        o.seed = s;
        return o;
    }

    /** The features and label columns of a {@code Dataset<Row>}. */
    public SparkFitOptions columns(String features, String label) {
        if (features == null || features.isBlank() || label == null || label.isBlank() || features.equals(label)) {
            throw new IllegalArgumentException("columns: expected two different column names, got '" + features
                    + "' and '" + label + "'");
        }
        SparkFitOptions o = copy();
        o.featuresColumn = features;
        o.labelColumn = label;
        return o;
    }

    /** The per-sample input shape, such as 28, 28, 1. */
    public SparkFitOptions inputShape(int... dims) {
        SparkFitOptions o = copy();
        o.inputShape = dims.clone();
        return o;
    }

    /** Called in every task after every step ({@link StepListener}). */
    public SparkFitOptions withListener(StepListener l) {
        SparkFitOptions o = copy();
        o.listener = l;
        return o;
    }

    public int epochs() {
        return epochs;
    }

    public int batchSize() {
        return batchSize;
    }

    public String device() {
        return device;
    }

    /** Steps between parameter averages; 0 for gradient exchange every step. */
    public int averageEvery() {
        return averageEvery;
    }

    /** The checkpoint directory URI, or null for none. */
    public String checkpointDir() {
        return checkpointDir;
    }

    public int checkpointEvery() {
        return checkpointEvery;
    }

    /** The barrier tasks; 0 for the input's partitions. */
    public int tasks() {
        return tasks;
    }

    public boolean shuffle() {
        return shuffle;
    }

    /** The seed, or null for the config's. */
    public Long seed() {
        return seed;
    }

    public String featuresColumn() {
        return featuresColumn;
    }

    public String labelColumn() {
        return labelColumn;
    }

    /** The per-sample shape, or null. */
    public int[] inputShape() {
        return inputShape == null ? null : inputShape.clone();
    }

    /** The step listener, or null. */
    public StepListener listener() {
        return listener;
    }

    @Override
    public String toString() {
        return "SparkFitOptions[epochs " + epochs + ", batch " + batchSize + ", device " + device + ", "
                + (averageEvery == 0 ? "gradient exchange" : "model averaging every " + averageEvery)
                + ", checkpoints " + (checkpointDir == null ? "none" : checkpointDir + " every " + checkpointEvery)
                + ", tasks " + tasks + ", shuffle " + shuffle + ", seed " + seed + ", columns " + featuresColumn + "/"
                + labelColumn + ", inputShape " + Arrays.toString(inputShape) + "]";
    }
}
