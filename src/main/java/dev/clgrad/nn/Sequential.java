package dev.clgrad.nn;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendException;
import dev.clgrad.backend.Span;
import dev.clgrad.data.Dataset;
import dev.clgrad.io.SavedModel;
import dev.clgrad.optim.Optimizer;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import dev.clgrad.train.Fit;
import dev.clgrad.train.History;
import dev.clgrad.train.Trainer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A stack of layers trained end to end, Keras's {@code Sequential}: {@code add} layers,
 * {@code compile} with an optimizer, a loss and metrics, then {@code fit}, {@code evaluate},
 * {@code predict}. Dimensions: B batch rows, I input features, O outputs, P parameters.
 *
 * <p>The model owns, on its backend: every parameter in one flat tensor params: (P) and every
 * gradient in grads: (P) (each layer's kernel and bias are views by offset, so the optimizer
 * updates all of them in one launch); the optimizer's state; and a workspace (activations,
 * gradients, the batch, the loss and accuracy sums) sized for the largest batch seen and reused by
 * every step, with views of fewer rows for a last partial batch. The batch is one device tensor:
 * the inputs (rows, I) followed by the targets (rows, T), packed on the host so that a step
 * uploads them in one copy. A training step copies nothing between host and device except that
 * upload; the loss and accuracy sums stay on the device
 * until {@link #totals()} reads them. {@link #close()} frees all of it.
 *
 * <p>Seeds: layer k (from 0) draws its initial weights and dropout masks from
 * {@code splitmix64(seed + (k+1)·0x9E3779B97F4A7C15)}, so the same seed gives the same model on
 * every backend.
 */
public final class Sequential implements AutoCloseable {
    /** Parameter offsets in the flat tensor are multiples of this many floats (128 bytes). */
    private static final int ALIGN = 32;

    private final Backend backend;
    private final long seed;
    private final List<Layer> layers = new ArrayList<>();
    private final Map<String, Integer> nameCounts = new HashMap<>();
    private Optimizer optimizer;
    private Loss loss;
    private boolean accuracy;
    private int inFeatures = -1;
    private List<Parameter> parameters = List.of();
    private Tensor params;
    private Tensor grads;
    private int firstTrainable;
    private int maxBatch;
    private Tensor batchTensor;
    private float[] hostBatch;
    private int targetColumns;
    private Tensor dPred;
    private Tensor sums;
    private Tensor lossSum;
    private Tensor correctSum;
    private boolean closed;

    /** A model on {@code backend} with seed 0. The backend is not owned: the caller closes it. */
    public Sequential(Backend backend) {
        this(backend, 0);
    }

    public Sequential(Backend backend, long seed) {
        this.backend = backend;
        this.seed = seed;
    }

    /** Appends a layer, naming it {@code <prefix>_<n>} (dense_1, dense_2, dropout_1, …). */
    public Sequential add(Layer layer) {
        checkOpen();
        if (inFeatures >= 0) {
            throw new IllegalStateException("add: the model is already built; add layers before the first batch");
        }
        if (layers.contains(layer)) {
            throw new IllegalArgumentException("add: layer " + layer.name() + " is already in the model");
        }
        int n = nameCounts.merge(layer.namePrefix(), 1, Integer::sum);
        layer.name(layer.namePrefix() + "_" + n);
        layers.add(layer);
        return this;
    }

    /**
     * Sets the optimizer (owned by the model from now on), the loss and the metrics; the only
     * metric is {@code "accuracy"}, which needs a classification loss.
     */
    public Sequential compile(Optimizer opt, Loss lossFn, String... metrics) {
        checkOpen();
        boolean acc = false;
        for (String m : metrics) {
            if (!m.equals("accuracy") && !m.equals("acc")) {
                throw new IllegalArgumentException("compile: unknown metric '" + m + "'; expected \"accuracy\"");
            }
            if (!lossFn.classification()) {
                throw new IllegalArgumentException("compile: metric accuracy needs a classification loss "
                        + "(sparse_categorical_crossentropy), got " + lossFn.name());
            }
            acc = true;
        }
        if (optimizer != null && optimizer != opt) {
            optimizer.close();
        }
        optimizer = opt;
        loss = lossFn;
        accuracy = acc;
        return this;
    }

    /** {@code compile("adam", "mse")}: names as in Keras (see {@link Optimizer#of}, {@link Loss#of}). */
    public Sequential compile(String opt, String lossName, String... metrics) {
        return compile(Optimizer.of(opt), Loss.of(lossName), metrics);
    }

    /**
     * Builds every layer for {@code in} input features and allocates and initialises the flat
     * parameters. {@code fit}, {@code evaluate} and {@code predict} call it at the first batch.
     */
    public Sequential build(int in) {
        checkOpen();
        if (inFeatures >= 0) {
            if (in != inFeatures) {
                throw new IllegalArgumentException("input has " + in + " features (columns) but the model was built for "
                        + inFeatures + " input features");
            }
            return this;
        }
        if (layers.isEmpty()) {
            throw new IllegalStateException("build: the model has no layers; add some first");
        }
        if (in < 1) {
            throw new IllegalArgumentException("build: input features must be >= 1, got " + in);
        }
        int width = in;
        for (int k = 0; k < layers.size(); k++) {
            width = layers.get(k).build(width, splitmix64(seed + (k + 1) * 0x9E3779B97F4A7C15L));
        }
        List<Parameter> ps = new ArrayList<>();
        long total = 0;
        firstTrainable = layers.size();
        for (int k = 0; k < layers.size(); k++) {
            Layer layer = layers.get(k);
            for (Layer.ParamShape s : layer.parameterShapes()) {
                firstTrainable = Math.min(firstTrainable, k);
                ps.add(new Parameter(layer.name() + "." + s.name(), s.shape(), total));
                total += (s.shape().size() + ALIGN - 1) / ALIGN * ALIGN;
            }
        }
        float[] init = new float[Math.toIntExact(total)];
        params = Tensor.empty(backend, Shape.of(Math.toIntExact(total)), "params");
        try {
            grads = Tensor.empty(backend, Shape.of(Math.toIntExact(total)), "grads");
        } catch (RuntimeException e) {
            params.close();
            params = null;
            throw e;
        }
        backend.fill(grads, 0f);
        int p = 0;
        for (Layer layer : layers) {
            List<Tensor> pv = new ArrayList<>();
            List<Tensor> gv = new ArrayList<>();
            for (Layer.ParamShape s : layer.parameterShapes()) {
                Parameter param = ps.get(p++);
                pv.add(params.view(param.offset(), param.shape(), param.name()));
                gv.add(grads.view(param.offset(), param.shape(), "d" + param.name()));
            }
            if (!pv.isEmpty()) {
                layer.initialize(init, Math.toIntExact(ps.get(p - pv.size()).offset()));
                layer.bind(pv, gv);
            }
        }
        params.copyFrom(init);
        fuseLayers();
        parameters = Collections.unmodifiableList(ps);
        inFeatures = in;
        return this;
    }

    /**
     * Sets up the fusions of {@link Dense}: each Dense(relu) takes a directly following Dropout into
     * its forward launch, and a Dense right after that pair (or right after the Dense(relu)) masks
     * its input gradient, replacing the dropout and ReLU backward launches.
     */
    private void fuseLayers() {
        for (int k = 0; k < layers.size(); k++) {
            if (!(layers.get(k) instanceof Dense d) || !d.activation().equals("relu")) {
                continue;
            }
            int next = k + 1;
            Dropout drop = next < layers.size() && layers.get(next) instanceof Dropout dr ? dr : null;
            if (drop != null) {
                d.fuseDropout(drop);
                next++;
            }
            if (next < layers.size() && layers.get(next) instanceof Dense consumer) {
                consumer.maskInputGradient(drop == null ? 0f : drop.rate());
                d.reluMaskedByNext();
                if (drop != null) {
                    drop.passGradient();
                }
            }
        }
    }

    /**
     * Sizes the workspace for batches of up to {@code batch} rows; reallocates only to grow (or when
     * a new loss needs another target width). When the device cannot hold the new workspace the
     * previous one is kept, so the model stays usable, and the error says the size asked and the
     * size the device allows.
     *
     * @throws IllegalArgumentException when the workspace does not fit on the device
     */
    public void reserve(int batch) {
        checkBuilt();
        if (batch < 1) {
            throw new IllegalArgumentException("reserve: batch size must be >= 1, got " + batch);
        }
        int outputs = outFeatures();
        int t = loss == null ? outputs : loss.targetColumns(outputs);
        if (batch <= maxBatch && targetColumns == t) {
            return;
        }
        int previous = maxBatch;
        int wanted = Math.max(batch, maxBatch);
        releaseWorkspace();
        try {
            allocateWorkspace(wanted, t);
        } catch (BackendException | IllegalArgumentException e) {
            releaseWorkspace();
            if (previous > 0) {
                allocateWorkspace(previous, t);
            }
            throw new IllegalArgumentException("batch size " + batch + ": the workspace does not fit on "
                    + backend.id() + ": " + e.getMessage(), e);
        }
    }

    private void allocateWorkspace(int rows, int t) {
        batchTensor = Tensor.empty(backend, Shape.of(rows, inFeatures + t), "batch");
        long packed = batchTensor.shape().size();
        if (packed > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("the batch of " + rows + " rows needs " + packed
                    + " floats of host staging; a Java array holds at most " + (Integer.MAX_VALUE - 8));
        }
        hostBatch = new float[(int) packed];
        targetColumns = t;
        dPred = Tensor.empty(backend, Shape.of(rows, outFeatures()), "dPred");
        sums = Tensor.empty(backend, Shape.of(2), "sums");
        lossSum = sums.view(0, Shape.of(1), "lossSum");
        correctSum = sums.view(1, Shape.of(1), "correctSum");
        for (Layer layer : layers) {
            layer.allocate(backend, rows);
        }
        maxBatch = rows;
        resetTotals();
    }

    /**
     * One training step on {@code rows} rows: x: (rows·I) and y: (rows·T) host arrays, row-major,
     * at least that long (not modified). Uploads the batch (x and y in one copy), runs forward,
     * adds the batch loss (and the correct count) to the device sums while computing the output
     * gradient ({@link Loss#forwardBackward}), runs backward and one optimizer step. With MSE after
     * a last Dense that takes it ({@link #mseHead}), the loss and its gradient are part of that
     * layer's backward ({@link Dense#backwardWithMse}).
     */
    public void trainBatch(float[] x, float[] y, int rows) {
        checkCompiled();
        try (Span s = backend.span("batch upload")) {
            uploadBatch(x, y, rows);
        }
        Tensor yb = target(rows);
        Tensor out = forward(input(rows), true);
        Tensor d = dPred.rows(rows);
        int last = layers.size() - 1;
        Dense head = mseHead();
        if (head != null) {
            try (Span s = backend.span("loss+" + head.name() + ".backward")) {
                d = head.backwardWithMse(yb, lossSum, d);
            }
            last--;
        } else {
            try (Span s = backend.span("loss")) {
                loss.forwardBackward(backend, out, yb, lossSum, true, d);
                if (accuracy) {
                    backend.accuracyCount(out, yb, correctSum, true);
                }
            }
        }
        for (int k = last; k >= firstTrainable; k--) {
            Layer layer = layers.get(k);
            try (Span s = backend.span(layer.name() + ".backward")) {
                d = layer.backward(d, k > firstTrainable);
            }
        }
        if (!parameters.isEmpty()) {
            try (Span s = backend.span("optimizer")) {
                optimizer.step(params, grads);
            }
        }
    }

    /**
     * The last layer when the loss is {@link MSE}, no metric is tracked, and that layer is a Dense
     * that folds the loss into its backward ({@link Dense#takesMseGradient}: it masks its input
     * gradient, so a trainable Dense(relu) precedes it and its input gradient is needed); else null.
     */
    private Dense mseHead() {
        if (loss instanceof MSE && !accuracy && layers.get(layers.size() - 1) instanceof Dense d
                && d.takesMseGradient()) {
            return d;
        }
        return null;
    }

    /** Like {@link #trainBatch} at inference (dropout off, no update): adds to the loss and accuracy sums. */
    public void testBatch(float[] x, float[] y, int rows) {
        checkCompiled();
        uploadBatch(x, y, rows);
        Tensor yb = target(rows);
        Tensor out = forward(input(rows), false);
        loss.forward(backend, out, yb, lossSum, true);
        if (accuracy) {
            backend.accuracyCount(out, yb, correctSum, true);
        }
    }

    /** Inference on {@code rows} rows of x (not modified); writes (rows·O) outputs into out from outOffset. */
    public void predictBatch(float[] x, int rows, float[] out, int outOffset) {
        checkBuilt();
        int n = batchValues(x, rows, inFeatures, "input");
        backend.upload(x, 0, batchTensor.buffer(), batchTensor.offset(), n);
        Tensor y = forward(input(rows), false);
        backend.download(y.buffer(), y.offset(), out, outOffset, Math.toIntExact(y.shape().size()));
    }

    /** x: (B, I) → the output (B, O), a view of the workspace valid until the next step. */
    public Tensor forward(Tensor x, boolean training) {
        Tensor h = x;
        for (Layer layer : layers) {
            try (Span s = backend.span(layer.name() + ".forward")) {
                h = layer.forward(h, training);
            }
        }
        return h;
    }

    /** Zeroes the device loss and correct-count sums. */
    public void resetTotals() {
        backend.fill(sums, 0f);
    }

    /**
     * Sets the device sums to a saved {sum of batch losses, correct count}, so that an epoch
     * resumed from a checkpoint reports the same loss as one run straight through.
     */
    public void restoreTotals(float lossTotal, float correctTotal) {
        checkBuilt();
        sums.copyFrom(new float[]{lossTotal, correctTotal});
    }

    /** Reads the device sums in one host copy (waits for the queue): {sum of batch losses, correct count}. */
    public double[] totals() {
        checkBuilt();
        float[] both = sums.toArray();
        return new double[]{both[0], both[1]};
    }

    /**
     * Packs x: (rows·I) and y: (rows·T) into the host staging array, x then y, and uploads both in
     * one copy to the batch tensor, where {@link #input} and {@link #target} view them.
     */
    private void uploadBatch(float[] x, float[] y, int rows) {
        int nx = batchValues(x, rows, inFeatures, "input");
        int ny = batchValues(y, rows, targetColumns, "target");
        System.arraycopy(x, 0, hostBatch, 0, nx);
        System.arraycopy(y, 0, hostBatch, nx, ny);
        backend.upload(hostBatch, 0, batchTensor.buffer(), batchTensor.offset(), nx + ny);
    }

    /** The values a batch of {@code rows} rows of {@code cols} columns takes from host, checked. */
    private int batchValues(float[] host, int rows, int cols, String what) {
        if (rows < 1 || rows > maxBatch) {
            throw new IllegalArgumentException("batch of " + rows + " rows; the workspace holds 1.." + maxBatch
                    + " (call reserve first)");
        }
        int n = rows * cols;
        if (host.length < n) {
            throw new IllegalArgumentException("batch of " + rows + " rows needs " + n + " values for "
                    + what + ", got " + host.length);
        }
        return n;
    }

    /** The inputs of the uploaded batch: (rows, I), the start of the batch tensor. */
    private Tensor input(int rows) {
        return batchTensor.view(0, Shape.of(rows, inFeatures), "input");
    }

    /** The targets of the uploaded batch: (rows, T), right after its inputs. */
    private Tensor target(int rows) {
        return batchTensor.view((long) rows * inFeatures, Shape.of(rows, targetColumns), "target");
    }

    // ---- Keras surface: fit / evaluate / predict (the loop lives in dev.clgrad.train) -------------

    public History fit(Dataset train, Fit options) {
        return Trainer.fit(this, train, options);
    }

    public History fit(float[][] x, float[][] y, Fit options) {
        return fit(Dataset.of(x, y), options);
    }

    /** Classification: labels are class indices. */
    public History fit(float[][] x, float[] labels, Fit options) {
        return fit(Dataset.of(x, labels), options);
    }

    /** Loss (and accuracy) on the data, batch size 32: {@code {"loss": …, "accuracy": …}}. */
    public Map<String, Double> evaluate(Dataset data) {
        return Trainer.evaluate(this, data, 32);
    }

    public Map<String, Double> evaluate(float[][] x, float[][] y) {
        return evaluate(Dataset.of(x, y));
    }

    public Map<String, Double> evaluate(float[][] x, float[] labels) {
        return evaluate(Dataset.of(x, labels));
    }

    /** Outputs (N, O) for inputs (N, I), batch size 32. */
    public float[][] predict(float[][] x) {
        return Trainer.predict(this, x, 32);
    }

    // ---- saving: config JSON and safetensors weights (the formats live in dev.clgrad.io) ----------

    /**
     * Writes {@code dir/model.json} (layers, seed, input width, optimizer, loss, metrics) and
     * {@code dir/model.safetensors} (one F32 tensor per parameter: {@code dense_1.kernel} (I, O),
     * {@code dense_1.bias} (O), …), each atomically; creates dir. Not modified: this.
     */
    public void save(Path dir) throws IOException {
        SavedModel.save(this, dir);
    }

    /** The model {@link #save} wrote to {@code dir}, built and compiled on {@code backend}. */
    public static Sequential load(Path dir, Backend backend) throws IOException {
        return SavedModel.load(dir, backend);
    }

    // ---- introspection ---------------------------------------------------------------------------

    public Backend backend() {
        return backend;
    }

    public long seed() {
        return seed;
    }

    public List<Layer> layers() {
        return Collections.unmodifiableList(layers);
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    public Loss loss() {
        return loss;
    }

    /** Whether the accuracy metric was compiled in. */
    public boolean tracksAccuracy() {
        return accuracy;
    }

    public boolean isBuilt() {
        return inFeatures >= 0;
    }

    public int inFeatures() {
        return inFeatures;
    }

    public int outFeatures() {
        checkBuilt();
        return layers.get(layers.size() - 1).outFeatures();
    }

    /** Named parameters with their offsets into {@link #parameters()}, in flat order. */
    public List<Parameter> parameterList() {
        return parameters;
    }

    /** The flat parameter tensor (P); every layer's weights are views of it. */
    public Tensor parameters() {
        checkBuilt();
        return params;
    }

    /** The flat gradient tensor (P), written by the last training step. */
    public Tensor gradients() {
        checkBuilt();
        return grads;
    }

    /** Views of each named parameter, in flat order; the views share storage with the model. */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Parameter p : parameters) {
            out.put(p.name(), params.view(p.offset(), p.shape(), p.name()));
        }
        return out;
    }

    /** Trainable values (alignment padding excluded). */
    public long parameterCount() {
        long n = 0;
        for (Layer layer : layers) {
            n += layer.isBuilt() ? layer.parameterCount() : 0;
        }
        return n;
    }

    /** The Keras-style table of layers, output shapes and parameter counts. */
    public String summary() {
        String rule = "_".repeat(65) + "\n";
        StringBuilder sb = new StringBuilder("Model: \"sequential\"\n").append(rule);
        sb.append(String.format(Locale.ROOT, " %-27s %-25s %s%n", "Layer (type)", "Output Shape", "Param #"));
        sb.append("=".repeat(65)).append('\n');
        for (Layer layer : layers) {
            String shape = layer.isBuilt() ? "(None, " + layer.outFeatures() + ")" : "?";
            String count = layer.isBuilt() ? String.format(Locale.ROOT, "%,d", layer.parameterCount()) : "0 (unbuilt)";
            sb.append(String.format(Locale.ROOT, " %-27s %-25s %s%n", layer.name() + " (" + layer.type() + ")",
                    shape, count));
        }
        sb.append("=".repeat(65)).append('\n');
        long total = parameterCount();
        String bytes = String.format(Locale.ROOT, "%,d (%s)", total, humanBytes(total * Float.BYTES));
        sb.append("Total params: ").append(bytes).append('\n');
        sb.append("Trainable params: ").append(bytes).append('\n');
        sb.append("Non-trainable params: 0 (0.00 B)\n").append(rule);
        return sb.toString();
    }

    private static String humanBytes(long b) {
        String[] units = {"B", "KB", "MB", "GB"};
        double v = b;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.2f %s", v, units[u]);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the model is closed");
        }
    }

    private void checkBuilt() {
        checkOpen();
        if (inFeatures < 0) {
            throw new IllegalStateException("the model is not built yet: call build(inputFeatures), fit or predict first");
        }
    }

    private void checkCompiled() {
        checkBuilt();
        if (loss == null) {
            throw new IllegalStateException("the model is not compiled: call compile(optimizer, loss) first");
        }
    }

    private void releaseWorkspace() {
        for (int k = layers.size() - 1; k >= 0; k--) {
            layers.get(k).release();
        }
        for (Tensor t : new Tensor[]{sums, dPred, batchTensor}) {
            if (t != null) {
                t.close();
            }
        }
        sums = correctSum = lossSum = dPred = batchTensor = null;
        hostBatch = null;
        targetColumns = 0;
        maxBatch = 0;
    }

    /** Frees the workspace, the optimizer state and the parameters, in reverse order; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        releaseWorkspace();
        if (optimizer != null) {
            optimizer.close();
        }
        if (grads != null) {
            grads.close();
        }
        if (params != null) {
            params.close();
        }
    }

    /** SplitMix64's finaliser (Steele, Lea and Flood, OOPSLA 2014): a well-mixed 64-bit value. */
    static long splitmix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
