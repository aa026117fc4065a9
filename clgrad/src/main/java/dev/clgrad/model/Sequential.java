package dev.clgrad.model;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Span;
import dev.clgrad.data.Dataset;
import dev.clgrad.exec.Planner;
import dev.clgrad.data.HostArray;
import dev.clgrad.io.Checkpoint;
import dev.clgrad.io.ModelConfig;
import dev.clgrad.io.ModelParts;
import dev.clgrad.io.ModelWeights;
import dev.clgrad.io.OnnxExport;
import dev.clgrad.io.Safetensors;
import dev.clgrad.io.SavedModel;
import dev.clgrad.nn.Layer;
import dev.clgrad.nn.Loss;
import dev.clgrad.nn.LossTypes;
import dev.clgrad.nn.Metric;
import dev.clgrad.nn.Parameter;
import dev.clgrad.nn.ParameterStore;
import dev.clgrad.ops.Counter;
import dev.clgrad.optim.Optimizer;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import dev.clgrad.train.Fit;
import dev.clgrad.train.History;
import dev.clgrad.train.Position;
import dev.clgrad.train.Predict;
import dev.clgrad.train.Prediction;
import dev.clgrad.train.Replicable;
import dev.clgrad.train.Trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A stack of layers trained end to end, Keras's {@code Sequential}: {@code add} layers,
 * {@code compile} with an optimizer, a loss and metrics, then {@code fit}, {@code evaluate},
 * {@code predict}. Dimensions: B batch rows, I per-sample input values, O outputs.
 *
 * <p>The facade composes the parts below it: the layers (package {@code nn}), their parameters in
 * a {@link ParameterStore} (one flat tensor per group, so the optimizer updates all of them in one
 * launch), the {@link Planner} that lowers, fuses and replays the steps over one workspace arena
 * ({@code exec}), the training loop ({@code train}) and the formats ({@code io}). It holds no step
 * logic of its own. A step copies nothing between host and device except the packed batch upload;
 * the loss and accuracy sums stay on the device until {@link #totals()} reads them.
 * {@link #close()} frees all of it.
 *
 * <p>Seeds: layer k (from 0) draws its initial weights and dropout masks from
 * {@code splitmix64(seed + (k+1)·0x9E3779B97F4A7C15)}, so the same seed gives the same model on
 * every backend.
 */
public final class Sequential implements Replicable {
    private final Backend backend;
    private final long seed;
    private final List<Layer> layers = new ArrayList<>();
    private final Map<String, Integer> nameCounts = new HashMap<>();
    /** Where a layer read from a config file was described ({@code m.json: $.layers[2]}), for build errors. */
    private final Map<Layer, String> origins = new IdentityHashMap<>();
    private Optimizer optimizer;
    private Loss loss;
    private List<Metric> metrics = List.of();
    private Shape inputShape;
    private Shape declaredInput;
    private ParameterStore store;
    private Planner planner;
    private float[] staging;
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
        if (inputShape != null) {
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
     * Sets the optimizer (owned by the model from now on), the loss and the metrics, by Keras name
     * as {@link Metric#of} resolves them for the loss ({@code accuracy}, {@code binary_accuracy},
     * {@code top_k_categorical_accuracy}, {@code mae}, …; at most {@link Planner#METRICS}, each
     * once); {@code fit} and {@code evaluate} report each under its name.
     */
    public Sequential compile(Optimizer opt, Loss lossFn, String... metricNames) {
        checkOpen();
        List<Metric> ms = new ArrayList<>();
        for (String m : metricNames) {
            Metric metric;
            try {
                metric = Metric.of(m, lossFn);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("compile: " + e.getMessage(), e);
            }
            if (ms.stream().anyMatch(x -> x.name().equals(metric.name()))) {
                throw new IllegalArgumentException("compile: metric '" + m + "' is given twice");
            }
            ms.add(metric);
        }
        if (ms.size() > Planner.METRICS) {
            throw new IllegalArgumentException("compile: " + ms.size() + " metrics; at most " + Planner.METRICS
                    + " are tracked");
        }
        if (!layers.isEmpty()) {
            checkNoSecondActivation(layers.get(layers.size() - 1), lossFn);
        }
        if (optimizer != null && optimizer != opt) {
            optimizer.close();
        }
        optimizer = opt;
        loss = lossFn;
        metrics = List.copyOf(ms);
        if (planner != null) {
            planner.compile(loss, metrics, optimizer);
        }
        return this;
    }

    /** {@code compile("adam", "mse")}: names as in Keras (see {@link Optimizer#of}, {@link Loss#of}). */
    public Sequential compile(String opt, String lossName, String... metrics) {
        return compile(Optimizer.of(opt), Loss.of(lossName), metrics);
    }

    /**
     * Declares the per-sample input shape, Keras's {@code Input(shape)}: (H, W, C) for images,
     * channels last, or (features). The model is built for it at {@link #build()} or the first
     * batch; data whose samples hold the same number of values in another shape (a CSV row of
     * 784 values for (28, 28, 1)) is read row-major as this shape.
     */
    public Sequential input(int... dims) {
        checkOpen();
        if (inputShape != null) {
            throw new IllegalStateException("input: the model is already built for " + inputShape);
        }
        if (dims.length == 0) {
            throw new IllegalArgumentException("input: give at least one dimension, such as input(28, 28, 1)");
        }
        for (int d : dims) {
            if (d < 1) {
                throw new IllegalArgumentException("input: every dimension must be >= 1, got " + Arrays.toString(dims));
            }
        }
        declaredInput = Shape.of(dims);
        return this;
    }

    /** Builds the model for the shape {@link #input} declared. */
    public Sequential build() {
        if (declaredInput == null && inputShape == null) {
            throw new IllegalStateException("build: no input shape declared; call input(…) or build(shape)");
        }
        return build(inputShape != null ? inputShape : declaredInput);
    }

    /** {@link #build(Shape)} for a flat input of {@code in} features. */
    public Sequential build(int in) {
        if (in < 1) {
            throw new IllegalArgumentException("build: input features must be >= 1, got " + in);
        }
        return build(Shape.of(in));
    }

    /**
     * Builds every layer for the per-sample input shape {@code in} (Keras's {@code input_shape}),
     * allocates and initialises the parameters: {@link #build(Shape, int)} for batches of one row.
     */
    public Sequential build(Shape in) {
        return build(in, 1);
    }

    /**
     * Builds every layer for the per-sample input shape {@code in} (Keras's {@code input_shape}),
     * allocates and initialises the parameters. {@code fit}, {@code evaluate} and {@code predict}
     * call it at the first batch; afterwards it checks that {@code in} is the built shape (a model
     * built for flat inputs of N values takes samples of any shape of N values, row-major, and a
     * model built for images takes them as flat rows of their N values, as {@code predict} passes
     * them). A layer that cannot take its input (a Conv2D given flat vectors) is an
     * IllegalArgumentException that, for a model read from a config file ({@link #fromConfig},
     * {@link #load}), names the file and the layer's JSON path. Before
     * anything is allocated, the memory the model takes with batches of up to {@code batch} rows
     * (parameters, gradients, the optimizer's state, the peak workspace, the batch:
     * {@link Planner#memoryPlan}) is checked against what the backend can hold; a model that does
     * not fit is refused, naming the sizes and the limit, and can be built again.
     *
     * @throws IllegalArgumentException when the model does not fit on the backend
     */
    @Override
    public Sequential build(Shape in, int batch) {
        return build(in, batch, Long.MAX_VALUE, null);
    }

    /**
     * {@link #build(Shape, int)}, refusing before anything is allocated a model of more than
     * {@code room} parameter values (what a weights file can hold), naming {@code source}.
     */
    private Sequential build(Shape in, int batch, long room, Path source) {
        checkOpen();
        if (inputShape == null && declaredInput != null) {
            if (in.size() != declaredInput.size()) {
                throw new IllegalArgumentException("input samples have shape " + in + " (" + in.size()
                        + " values) but the model's input shape is " + declaredInput + " (" + declaredInput.size()
                        + " values)");
            }
            in = declaredInput;
        }
        if (inputShape != null) {
            boolean flatRows = in.rank() == 1 && in.size() == inputShape.size();
            if (!accepts(in) && !flatRows) {
                throw new IllegalArgumentException(inputShape.rank() == 1 && in.rank() == 1
                        ? "input has " + in.dim(0) + " features (columns) but the model was built for "
                        + inputShape.dim(0) + " input features"
                        : "input samples have shape " + in + " but the model was built for " + inputShape);
            }
            return this;
        }
        if (layers.isEmpty()) {
            throw new IllegalStateException("build: the model has no layers; add some first");
        }
        if (batch < 1) {
            throw new IllegalArgumentException("build: batch size must be >= 1, got " + batch);
        }
        if (loss != null) {
            checkNoSecondActivation(layers.get(layers.size() - 1), loss);
        }
        Shape shape = in;
        try {
            for (int k = 0; k < layers.size(); k++) {
                Layer layer = layers.get(k);
                try {
                    shape = layer.build(shape, splitmix64(seed + (k + 1) * 0x9E3779B97F4A7C15L));
                } catch (IllegalArgumentException e) {
                    String at = origins.get(layer);
                    throw at == null ? e : new IllegalArgumentException(at + ": " + e.getMessage(), e);
                }
            }
            if (loss != null && loss.classification() && shape.rank() > 1) {
                Layer last = layers.get(layers.size() - 1);
                throw new IllegalArgumentException("build: the model's output per sample is " + shape + ", but "
                        + loss.name() + " takes one vector of class scores per sample; " + last.name() + " ("
                        + last.type() + ") gets " + last.inputShape() + " and, as in Keras, a Dense layer applies to "
                        + "the last axis only, so put a Flatten (or GlobalAveragePooling2D for images) before it");
            }
            long values = layers.stream().mapToLong(Layer::parameterCount).sum();
            if (values > room) {
                throw new IllegalArgumentException(source + ": the layers need " + values + " parameter values, "
                        + "more than the " + room + " the weights file holds");
            }
            Planner.memoryPlan(backend.id(), layers, in, loss, metrics, optimizer, batch)
                    .check(backend.memoryLimits());
            store = ParameterStore.create(backend, layers);
        } catch (RuntimeException e) {
            layers.forEach(Layer::unbuild);
            throw e;
        }
        planner = new Planner(backend, layers, store, in);
        if (loss != null) {
            planner.compile(loss, metrics, optimizer);
        }
        inputShape = in;
        return this;
    }

    /**
     * Refuses a loss from logits after a last layer that ends in the activation the loss applies
     * itself (softmax before sparse or categorical cross-entropy from logits, sigmoid before binary
     * cross-entropy from logits), which would train on that activation applied twice; a layer read
     * from a config is named with its file and JSON path.
     */
    private void checkNoSecondActivation(Layer last, Loss lossFn) {
        String act = last.outputActivation();
        if (!lossFn.fromLogits() || act == null || !act.equals(lossFn.probabilityActivation())) {
            return;
        }
        String at = origins.get(last);
        boolean byDefault = LossTypes.create(lossFn.name()).fromLogits();
        throw new IllegalArgumentException((at == null ? "" : at + ": ") + "the last layer " + last.name() + " applies "
                + act + ", but " + lossFn.name() + " here takes logits" + (byDefault ? " (its default, unlike Keras)" : "")
                + ": set \"fromLogits\": false in the loss, or drop the " + act
                + " (from logits is the numerically stable form)");
    }

    /**
     * Whether the built model takes data sets whose samples have shape {@code in}: its own input
     * shape, or a shape of as many values when the model was built for flat inputs or its input
     * shape was declared ({@link #input}), read row-major.
     */
    public boolean accepts(Shape in) {
        checkBuilt();
        return in.equals(inputShape) || (inputShape.rank() == 1 || declaredInput != null)
                && in.size() == inputShape.size();
    }

    /**
     * Sizes the workspace for batches of up to {@code batch} rows; reallocates only to grow (or when
     * a new loss needs another target width). When the device cannot hold the new workspace the
     * previous one is kept, so the model stays usable, and the error says the size asked and the
     * size the device allows.
     *
     * @throws IllegalArgumentException when the workspace does not fit on the device
     */
    @Override
    public void reserve(int batch) {
        checkBuilt();
        if (batch < 1) {
            throw new IllegalArgumentException("reserve: batch size must be >= 1, got " + batch);
        }
        planner.reserve(batch);
        if (staging == null || staging.length < planner.stagingFloats()) {
            staging = new float[planner.stagingFloats()];
        }
    }

    /**
     * One training step on {@code rows} rows: x: (rows·I) and y: (rows·T) host arrays, row-major,
     * at least that long (not modified). Uploads the batch (x and y in one copy) and replays the
     * planned training step: forward, the loss (added to the device sums), backward and the update.
     */
    @Override
    public void trainBatch(float[] x, float[] y, int rows) {
        checkCompiled();
        Planner.Kind kind = Planner.Kind.TRAIN;
        var program = planner.program(kind, rows);
        try (Span s = backend.span("batch upload")) {
            planner.upload(staging, x, y, rows);
        }
        program.run();
    }

    /**
     * A data-parallel replica's share of a training step ({@link Replicable#gradientBatch}): uploads
     * rows [from, from + rows) of the global batch and replays the planner's gradient program for
     * them ({@link Planner#gradientProgram}); no update.
     */
    @Override
    public void gradientBatch(float[] x, float[] y, int from, int rows, int globalRows) {
        checkCompiled();
        var program = planner.gradientProgram(rows, from, globalRows);
        try (Span s = backend.span("batch upload")) {
            planner.upload(staging, x, y, from, rows);
        }
        program.run();
    }

    /** The optimizer's update from the current gradients, then the constraints ({@link Planner#updateProgram}). */
    @Override
    public void applyUpdate() {
        checkCompiled();
        planner.updateProgram().run();
    }

    /**
     * A copy of this model on {@code other} for data-parallel training ({@link Replicable#replica}):
     * built from this model's own config (as {@link #save} writes it), then given this model's
     * parameters, buffers and counters. The caller closes it.
     */
    @Override
    public Sequential replica(Backend other) {
        checkCompiled();
        SavedModel.Description d = SavedModel.describe(parts());
        Sequential r = new Sequential(other, seed);
        try {
            d.layers().forEach(r::add);
            r.compile(d.optimizer(), d.loss(), d.metrics().toArray(new String[0]));
            r.build(inputShape);
            Map<String, Tensor> to = r.store.stateDict();
            store.stateDict().forEach((name, t) -> to.get(name).copyFrom(t.toArray()));
            Map<String, Counter> counters = r.counters();
            counters().forEach((name, c) -> counters.get(name).set(c.get()));
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
        return r;
    }

    /** The least common multiple of the layers' {@link Layer#rowAlignment}. */
    @Override
    public int rowAlignment() {
        checkBuilt();
        int a = 1;
        for (Layer layer : layers) {
            int b = layer.rowAlignment();
            int x = a;
            int y = b;
            while (y != 0) {
                int t = x % y;
                x = y;
                y = t;
            }
            a = a / x * b;
        }
        return a;
    }

    @Override
    public Map<String, Counter> counters() {
        Map<String, Counter> out = new LinkedHashMap<>();
        for (Layer layer : layers) {
            layer.counters().forEach((k, c) -> out.put(layer.name() + "." + k, c));
        }
        return out;
    }

    /** Like {@link #trainBatch} at inference (dropout off, no update): adds to the loss and metric sums. */
    @Override
    public void testBatch(float[] x, float[] y, int rows) {
        checkCompiled();
        var program = planner.program(Planner.Kind.EVALUATE, rows);
        planner.upload(staging, x, y, rows);
        program.run();
    }

    /** Inference on {@code rows} rows of x (not modified); writes (rows·O) outputs into out from outOffset. */
    @Override
    public void predictBatch(float[] x, int rows, float[] out, int outOffset) {
        checkBuilt();
        var program = planner.program(Planner.Kind.PREDICT, rows);
        planner.upload(staging, x, null, rows);
        program.run();
        Tensor y = program.output();
        backend.download(y.buffer(), y.offset(), out, outOffset, Math.toIntExact(y.shape().size()));
    }

    /**
     * Like {@link #predictBatch} with every random-mask layer drawing from its Monte-Carlo counter
     * (the planner's sampling program): one stochastic pass over each of the rows.
     */
    @Override
    public void sampleBatch(float[] x, int rows, float[] out, int outOffset) {
        checkBuilt();
        var program = planner.program(Planner.Kind.SAMPLE, rows);
        planner.upload(staging, x, null, rows);
        program.run();
        Tensor y = program.output();
        backend.download(y.buffer(), y.offset(), out, outOffset, Math.toIntExact(y.shape().size()));
    }

    /** Sets the Monte-Carlo counters to 2^63 ({@link Planner#resetSampling}). */
    @Override
    public void resetSampling() {
        checkBuilt();
        planner.resetSampling();
    }

    @Override
    public boolean sharesMasksAcrossRows() {
        return layers.stream().anyMatch(Layer::sharesMaskAcrossBatch);
    }

    /** Zeroes the device loss and metric sums. */
    @Override
    public void resetTotals() {
        checkBuilt();
        planner.resetTotals();
    }

    /**
     * Sets the device sums to a saved {sum over rows of the loss, each metric's sum}, so that an
     * epoch resumed from a checkpoint reports the same loss and metrics as one run straight through.
     */
    @Override
    public void restoreTotals(double lossTotal, List<Double> metricTotals, int batchRows) {
        checkBuilt();
        planner.restoreTotals(lossTotal, metricTotals, batchRows);
    }

    /**
     * Reads the device sums in one host copy (waits for the queue): {sum over rows of the loss
     * (each batch's mean weighted by its rows), then each metric's sum over rows}. Divided by the
     * rows, each is the mean over samples, as Keras reports it.
     */
    @Override
    public double[] totals() {
        checkBuilt();
        return planner.totals();
    }

    /**
     * The plan of one training step at {@code batch} rows ({@link Planner#explain}): each launch with
     * the ops it fuses, its layers and buffers, and the peak workspace.
     */
    public String explain(int batch) {
        checkCompiled();
        reserve(batch);
        return planner.explain(Planner.Kind.TRAIN, batch);
    }

    /**
     * Makes the training step for batches of {@code batch} rows ready ahead of the first: the
     * workspace reserved, the step planned and its kernels built (on OpenCL, compiled), as the first
     * {@link #fit} batch of that size would. A caller that still has data to read can do this
     * meanwhile ({@code clgrad train} does, on a thread of its own for the data).
     */
    public void prepareTraining(int batch) {
        checkCompiled();
        reserve(batch);
        planner.program(Planner.Kind.TRAIN, batch);
    }

    /** The plan {@link #explain} prints, as data ({@code clgrad explain --json}). */
    public Planner.Plan plan(int batch) {
        checkCompiled();
        reserve(batch);
        return planner.plan(Planner.Kind.TRAIN, batch);
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

    /** Loss and metrics on the data, batch size 32: {@code {"loss": …, "accuracy": …}}, means over samples. */
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

    /**
     * Outputs for inputs (N, I) by weight scaling or Monte-Carlo dropout
     * ({@code predict(x, Predict.monteCarlo(30))}): the mean and std over the passes ({@link Predict}).
     */
    public Prediction predict(float[][] x, Predict options) {
        Dataset d = Dataset.of(x, new float[x.length]);
        return Trainer.predict(this, d.x(), d.rows(), options);
    }

    /** {@link #predict(float[][], Predict)} over a data set's inputs (its targets unused). */
    public Prediction predict(Dataset data, Predict options) {
        return Trainer.predict(this, data.x(), data.rows(), options);
    }

    // ---- saving: config JSON, safetensors weights, checkpoints (the formats live in dev.clgrad.io) ----

    /** The built model as the formats see it. */
    public ModelParts parts() {
        checkBuilt();
        return new ModelParts(seed, inputShape, layers, store, optimizer, loss, metrics);
    }

    /**
     * Writes {@code dir/model.json} (layers, seed, input shape, optimizer, loss, metrics) and
     * {@code dir/model.safetensors} (one F32 tensor per parameter: {@code dense_1.kernel} (I, O),
     * {@code dense_1.bias} (O), …), each atomically; creates dir. Not modified: this.
     */
    public void save(Path dir) throws IOException {
        if (!isBuilt()) {
            throw new IllegalStateException("save: the model is not built yet, so it has no weights: "
                    + "call build(inputFeatures) or fit first");
        }
        SavedModel.save(parts(), dir);
    }

    /**
     * Writes the built model's inference as an ONNX file (opset 17), atomically: the graph input
     * {@code input} (batch, in…) in clgrad's layout (images NHWC), the output {@code output}
     * (batch, out…), the weights as initializers; dropout and its variants are the identity, batch
     * normalisation uses the moving statistics ({@link OnnxExport}). Not modified: this.
     */
    public OnnxExport.Summary exportOnnx(Path file) throws IOException {
        if (!isBuilt()) {
            throw new IllegalStateException("exportOnnx: the model is not built yet, so it has no weights: "
                    + "call build(inputShape) or fit first");
        }
        return OnnxExport.write(parts(), file);
    }

    /** The model {@link #save} wrote to {@code dir}, built and (when it was) compiled, on {@code backend}. */
    public static Sequential load(Path dir, Backend backend) throws IOException {
        SavedModel.Description d = SavedModel.read(dir);
        Sequential model = new Sequential(backend, d.seed());
        try {
            for (int k = 0; k < d.layers().size(); k++) {
                model.add(d.layers().get(k));
                model.origins.put(d.layers().get(k), dir.resolve(SavedModel.CONFIG) + ": $.layers[" + k + "]");
            }
            if (d.loss() != null) {
                model.compile(d.optimizer(), d.loss(), d.metrics().toArray(new String[0]));
            }
            Path weights = dir.resolve(SavedModel.WEIGHTS);
            long room = Files.isRegularFile(weights) ? Files.size(weights) / Float.BYTES : 0;
            model.build(d.inputShape(), 1, room, dir.resolve(SavedModel.CONFIG));
            ModelWeights.load(model.store, weights);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    /** A compiled model on {@code backend} with the config's layers, optimizer, loss, metrics and seed. */
    public static Sequential fromConfig(ModelConfig config, Backend backend) {
        Sequential model = new Sequential(backend, config.seed());
        if (config.inputShape() != null) {
            model.input(config.inputShape().dims());
        }
        for (ModelConfig.LayerSpec l : config.layers()) {
            Layer layer = l.create();
            model.add(layer);
            model.origins.put(layer, l.file() + ": " + l.path());
        }
        return model.compile(config.optimizer().create(), config.loss(),
                config.metrics().toArray(new String[0]));
    }

    /** Writes the parameters and buffers to a safetensors file ({@link ModelWeights}). Not modified: this. */
    public void saveWeights(Path file) throws IOException {
        checkBuilt();
        ModelWeights.save(store, file);
    }

    /**
     * Loads the parameters and buffers from a safetensors file. An unbuilt model is built first,
     * for the declared {@link #input} shape, else with the input width taken from the rows of the
     * first layer's {@code kernel}.
     */
    public void loadWeights(Path file) throws IOException {
        if (!isBuilt() && declaredInput != null) {
            build();
        } else if (!isBuilt()) {
            Map<String, HostArray> in = Safetensors.read(file);
            HostArray kernel = layers.isEmpty() ? null : in.get(layers.get(0).name() + ".kernel");
            if (kernel == null || kernel.shape().length != 2) {
                throw new IOException(file + ": no 2-D tensor " + (layers.isEmpty() ? "?" : layers.get(0).name())
                        + ".kernel to infer the input width from; tensors are " + in.keySet());
            }
            build(kernel.shape()[0]);
        }
        ModelWeights.load(store, file);
    }

    /**
     * Writes a checkpoint to {@code dir} ({@link Checkpoint#save}): the weights and buffers, the
     * optimizer state, the layers' RNG counters and the position, atomically.
     */
    @Override
    public void checkpoint(Path dir, Position position) throws IOException {
        checkCompiled();
        Checkpoint.save(dir, parts(), position);
    }

    /**
     * Loads the checkpoint in {@code dir} into this compiled model (built for the checkpoint's input
     * shape first if it is not built) and returns where training stood, for
     * {@code Fit.resumeFrom}. A bad checkpoint leaves the model as it was.
     */
    public Position restoreCheckpoint(Path dir) throws IOException {
        checkOpen();
        if (loss == null) {
            throw new IllegalStateException("restore: the model is not compiled: call compile(optimizer, loss) first");
        }
        if (!isBuilt()) {
            build(Checkpoint.inputShape(dir));
        }
        return Checkpoint.restore(dir, parts());
    }

    // ---- introspection ---------------------------------------------------------------------------

    @Override
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

    @Override
    public Loss loss() {
        return loss;
    }

    /** The compiled metrics, in order. */
    public List<Metric> metrics() {
        return metrics;
    }

    @Override
    public List<String> metricNames() {
        return metrics.stream().map(Metric::name).toList();
    }

    public boolean isBuilt() {
        return inputShape != null;
    }

    /** The per-sample input shape; null before build. */
    public Shape inputShape() {
        return inputShape;
    }

    /** Values per input sample (the features of a flat input). */
    public int inFeatures() {
        return inputShape == null ? -1 : (int) inputShape.size();
    }

    /** Outputs per sample. */
    @Override
    public int outFeatures() {
        checkBuilt();
        return (int) layers.get(layers.size() - 1).outputShape().size();
    }

    /** Target values per row the compiled loss takes. */
    public int targetColumns() {
        checkBuilt();
        return planner.targetColumns();
    }

    /** Named parameters with their offsets into {@link #parameters()}, in flat order (trainable ones). */
    @Override
    public List<Parameter> parameterList() {
        return store == null ? List.of() : store.trainable();
    }

    /** The parameters and buffers. */
    public ParameterStore parameterStore() {
        checkBuilt();
        return store;
    }

    /** The flat parameter tensor (P); every layer's weights are views of it. */
    @Override
    public Tensor parameters() {
        checkBuilt();
        return store.params();
    }

    /** The flat gradient tensor (P), written by the last training step. */
    @Override
    public Tensor gradients() {
        checkBuilt();
        return store.grads();
    }

    /** Views of each named parameter and buffer, in flat order; the views share storage with the model. */
    public Map<String, Tensor> namedParameters() {
        return store == null ? new LinkedHashMap<>() : store.stateDict();
    }

    /** Trainable values and buffers (alignment padding excluded). */
    public long parameterCount() {
        long n = 0;
        for (Layer layer : layers) {
            n += layer.isBuilt() ? layer.parameterCount() : 0;
        }
        return n;
    }

    /** The Keras-style table of layers, output shapes and parameter counts. */
    public String summary() {
        int nameWidth = 28;
        for (Layer layer : layers) {
            nameWidth = Math.max(nameWidth, layer.name().length() + layer.type().length() + 4);
        }
        int width = nameWidth + 37;
        String rule = "_".repeat(width) + "\n";
        String row = " %-" + (nameWidth - 1) + "s %-25s %s%n";
        StringBuilder sb = new StringBuilder("Model: \"sequential\"\n").append(rule);
        sb.append(String.format(Locale.ROOT, row, "Layer (type)", "Output Shape", "Param #"));
        sb.append("=".repeat(width)).append('\n');
        long trainable = 0;
        long buffers = 0;
        for (Layer layer : layers) {
            String shape = layer.isBuilt() ? batchShape(layer.outputShape()) : "?";
            String count = layer.isBuilt() ? String.format(Locale.ROOT, "%,d", layer.parameterCount()) : "0 (unbuilt)";
            sb.append(String.format(Locale.ROOT, row, layer.name() + " (" + layer.type() + ")", shape, count));
            if (layer.isBuilt()) {
                trainable += layer.trainableCount();
                buffers += layer.bufferCount();
            }
        }
        sb.append("=".repeat(width)).append('\n');
        sb.append("Total params: ").append(counted(trainable + buffers)).append('\n');
        sb.append("Trainable params: ").append(counted(trainable)).append('\n');
        sb.append("Non-trainable params: ").append(counted(buffers)).append('\n').append(rule);
        return sb.toString();
    }

    /** (None, d1, d2, …) as Keras prints a batch shape. */
    private static String batchShape(Shape s) {
        StringBuilder sb = new StringBuilder("(None");
        for (int d : s.dims()) {
            sb.append(", ").append(d);
        }
        return sb.append(')').toString();
    }

    private static String counted(long n) {
        return String.format(Locale.ROOT, "%,d (%s)", n, humanBytes(n * Float.BYTES));
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
        if (inputShape == null) {
            throw new IllegalStateException("the model is not built yet: call build(inputFeatures), fit or predict first");
        }
    }

    private void checkCompiled() {
        checkBuilt();
        if (loss == null) {
            throw new IllegalStateException("the model is not compiled: call compile(optimizer, loss) first");
        }
    }

    /** Frees the workspace, the optimizer state and the parameters, in reverse order; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (planner != null) {
            planner.close();
        }
        if (optimizer != null) {
            optimizer.close();
        }
        if (store != null) {
            store.close();
        }
    }

    /** SplitMix64's finaliser (Steele, Lea and Flood, OOPSLA 2014): a well-mixed 64-bit value. */
    static long splitmix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
