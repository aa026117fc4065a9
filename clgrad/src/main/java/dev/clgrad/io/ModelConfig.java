package dev.clgrad.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clgrad.nn.Layer;
import dev.clgrad.nn.LayerTypes;
import dev.clgrad.nn.Loss;
import dev.clgrad.nn.LossTypes;
import dev.clgrad.nn.Metric;
import dev.clgrad.nn.ParamSpec;
import dev.clgrad.optim.Optimizer;
import dev.clgrad.tensor.Shape;
import dev.clgrad.train.Callback;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A model and its training setup as JSON, for {@code clgrad train}:
 * <pre>{@code
 * {"name": "seed-simplenet", "seed": 42,
 *  "layers": [{"type": "dense", "units": 10, "activation": "relu"},
 *             {"type": "dropout", "rate": 0.5},
 *             {"type": "dense", "units": 1}],
 *  "optimizer": {"type": "adam", "lr": 0.001},
 *  "loss": "mse", "metrics": [], "epochs": 10, "batchSize": 32,
 *  "data": {"type": "random-normal", "train": 1000, "test": 200, "features": 20, "targets": 1}}
 * }</pre>
 * Layer types are those of {@link LayerTypes}, each reading its own keys: {@code dense} (units ≥ 1,
 * activation linear|relu|tanh|sigmoid|leaky_relu|elu|selu|gelu|silu|swish|softmax), {@code dropout} (rate in
 * [0, 1)), {@code relu}, {@code tanh},
 * {@code sigmoid}, {@code flatten}, {@code conv2d} (filters, kernelSize, strides, padding valid|same,
 * dilation, activation, useBias; with dense also kernelConstraint, biasConstraint, kernelRegularizer,
 * biasRegularizer: {@code WeightRules}), {@code reshape} (targetShape, one −1 allowed); {@code max_pooling2d} and
 * {@code average_pooling2d} (poolSize, strides: an integer or [a, b]; padding valid|same),
 * {@code global_average_pooling2d}, {@code batch_normalization} (momentum in [0, 1], epsilon > 0, center,
 * scale), {@code spatial_dropout2d}, {@code gaussian_dropout}, {@code alpha_dropout} (rate in [0, 1);
 * {@code dense} also takes {@code dropConnect} in [0, 1)), {@code activation} (activation), {@code leaky_relu}
 * (negativeSlope), {@code elu} (alpha), {@code gelu} (approximate), {@code selu}, {@code silu}, {@code swish},
 * {@code softmax} (axis −1). Optimizers ({@link OptimizerConfig}): {@code adam}, {@code adamw},
 * {@code sgd}, {@code rmsprop}, {@code adagrad}, given as an object or just the name; learningRate
 * (or lr) and SGD's momentum may be schedule objects; clipvalue, clipnorm, globalClipnorm on all. Losses ({@link LossTypes}): {@code mse},
 * {@code mae}, {@code huber} (delta > 0, default 1), {@code binary_crossentropy} and
 * {@code categorical_crossentropy} (fromLogits, default false), {@code sparse_categorical_crossentropy}
 * (fromLogits, default true, unlike Keras), given as the name or an object {@code {"type": "huber", "delta": 2}}. Metrics: the
 * Keras names of {@link Metric#of} ({@code accuracy}, {@code binary_accuracy}, {@code mae}, …). The data section is
 * {@link DataSpec}. {@code "inputShape": [28, 28, 1]} (optional, Keras's {@code input_shape}) declares the
 * per-sample input the model is built for; {@code "callbacks": […]} (optional, {@link CallbackConfig})
 * lists reduce_lr_on_plateau and learning_rate_scheduler entries for {@code clgrad train}; without it the model takes the data's sample shape. Errors are {@link ConfigException}s naming the file and the JSON path.
 */
public record ModelConfig(String name, long seed, Shape inputShape, List<LayerSpec> layers, OptimizerSpec optimizer,
                          Loss loss, List<String> metrics, int epochs, int batchSize, DataSpec data,
                          List<Supplier<Callback>> callbacks) {

    /** The same config with another seed. */
    public ModelConfig withSeed(long newSeed) {
        return new ModelConfig(name, newSeed, inputShape, layers, optimizer, loss, metrics, epochs, batchSize, data,
                callbacks);
    }

    /**
     * The FLOPs of one training step of {@code batch} rows of per-sample shape {@code sample} (the
     * config's inputShape when it has one), for {@code StepClass.of}: per layer, its trainable
     * kernels (parameters of rank 2 or more) times the positions it applies them at (its output's
     * elements per unit: 1 for a Dense layer, OH·OW for a convolution), at 2 FLOPs per multiply-add
     * and three products (forward, input and weight gradients); element-wise work is left out. The
     * layers are built here, apart from any model; NaN when they do not build on that shape (the
     * model's own build then says why).
     */
    public double trainingStepFlops(Shape sample, int batch) {
        Shape in = inputShape != null ? inputShape : sample;
        double multiplyAdds = 0;
        try {
            for (LayerSpec spec : layers) {
                Layer layer = spec.create();
                Shape out = layer.build(in, seed);
                for (ParamSpec p : layer.parameters()) {
                    if (p.trainable() && p.shape().rank() >= 2) {
                        multiplyAdds += (double) p.shape().size() * (out.size() / out.last());
                    }
                }
                in = out;
            }
        } catch (IllegalArgumentException e) {
            return Double.NaN;
        }
        return 6 * multiplyAdds * batch;
    }

    /**
     * One layer's JSON object, of a type in {@link LayerTypes} ({@code dense}, {@code dropout},
     * {@code relu}, {@code tanh}, {@code sigmoid}, {@code flatten}, {@code conv2d}, {@code reshape},
     * {@code max_pooling2d}, {@code batch_normalization}, …); the layer reads its own keys.
     */
    public record LayerSpec(String type, JsonNode json, String path, String file) {
        /** A new layer as the config describes it. */
        public Layer create() {
            try {
                return LayerTypes.create(type, new JsonLayerConfig(new ConfigNode(json, path, file)));
            } catch (IllegalArgumentException e) {
                throw new JsonLayerConfig.Invalid(new ConfigNode(json, path, file).error(null, e.getMessage()));
            }
        }
    }

    /**
     * The optimizer section ({@link OptimizerConfig}): its type, its constant learning rate (NaN when
     * unset or scheduled) and a factory making a fresh optimizer per model.
     */
    public record OptimizerSpec(String type, double lr, Supplier<Optimizer> factory) {
        public Optimizer create() {
            return factory.get();
        }
    }

    private static final Set<String> TOP = Set.of("name", "seed", "inputShape", "layers", "optimizer", "loss", "metrics", "epochs",
            "batchSize", "data", "callbacks");

    /** Reads and validates a config file. */
    public static ModelConfig read(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file");
        } catch (CharacterCodingException e) {
            throw new ConfigException(file + ": not UTF-8 text (a JSON config is expected)", e);
        }
        return parse(text, file.toString(), file.toAbsolutePath().getParent());
    }

    /**
     * Parses config text; {@code source} names it in errors, relative data paths resolve against
     * baseDir. A leading byte-order mark (some editors save UTF-8 with one) is not part of the JSON.
     */
    public static ModelConfig parse(String text, String source, Path baseDir) throws ConfigException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(text.startsWith("\uFEFF") ? text.substring(1) : text);
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw new ConfigException(source + (loc == null ? "" : ":" + loc.getLineNr() + ":" + loc.getColumnNr())
                    + ": malformed JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException(source + ": $: expected a JSON object");
        }
        ConfigNode top = new ConfigNode(root, "$", source).onlyKeys(TOP);
        List<LayerSpec> layers = new ArrayList<>();
        for (ConfigNode l : top.objects("layers")) {
            layers.add(layer(l));
        }
        OptimizerSpec opt = optimizer(top);
        Loss loss = loss(top);
        List<String> metrics = metrics(top, loss);
        return new ModelConfig(top.string("name", "model"), top.longValue("seed", 0), inputShape(top),
                List.copyOf(layers), opt, loss,
                List.copyOf(metrics), top.integer("epochs", 1, 1_000_000, 10),
                top.integer("batchSize", 1, 1 << 20, 32), DataSpec.parse(top.object("data"), baseDir),
                List.copyOf(CallbackConfig.parse(top)));
    }

    /** {@code "inputShape": [d1, …]} of 1 to 4 dimensions, each in [1, 2^24], or null when absent. */
    private static Shape inputShape(ConfigNode top) throws ConfigException {
        if (!top.has("inputShape")) {
            return null;
        }
        List<Integer> dims = top.integers("inputShape", 1, 1 << 24);
        if (dims.isEmpty() || dims.size() > 4) {
            throw top.error("inputShape", "expected 1 to 4 dimensions such as [28, 28, 1], got " + top.raw("inputShape"));
        }
        Shape shape = Shape.of(dims.stream().mapToInt(Integer::intValue).toArray());
        if (shape.size() > Integer.MAX_VALUE) {
            throw top.error("inputShape", shape + " holds " + shape.size() + " values per sample, more than "
                    + Integer.MAX_VALUE);
        }
        return shape;
    }

    static LayerSpec layer(ConfigNode l) throws ConfigException {
        String type = l.string("type");
        LayerTypes.Type t = LayerTypes.get(type);
        if (t == null) {
            throw l.error("type", "unknown layer type '" + type + "'; expected one of " + LayerTypes.names());
        }
        Set<String> keys = new HashSet<>(t.keys());
        keys.add("type");
        l.onlyKeys(keys);
        LayerSpec spec = l.layerSpec(type);
        try {
            spec.create();
        } catch (JsonLayerConfig.Invalid e) {
            throw e.cause();
        }
        return spec;
    }

    /**
     * The {@code loss} of {@code top}: a name of {@link LossTypes} ({@code "huber"}), or an object of
     * its type and settings ({@code {"type": "binary_crossentropy", "fromLogits": true}},
     * {@code {"type": "huber", "delta": 2}}); the loss reads its own keys.
     */
    static Loss loss(ConfigNode top) throws ConfigException {
        if (!top.has("loss") || !top.raw("loss").isObject() && !top.raw("loss").isTextual()) {
            throw top.error("loss", (top.has("loss") ? "got " + top.raw("loss") : "missing")
                    + "; expected a loss name such as \"mse\" or an object such as {\"type\": \"huber\", \"delta\": 2}");
        }
        boolean named = top.raw("loss").isTextual();
        ConfigNode o = named ? null : top.object("loss");
        String type = named ? top.string("loss") : o.string("type");
        LossTypes.Type t = LossTypes.get(type);
        if (t == null) {
            String message = "unknown loss '" + type + "'; expected one of " + LossTypes.names();
            throw named ? top.error("loss", message) : o.error("type", message);
        }
        if (named) {
            return t.defaults().get();
        }
        Set<String> keys = new HashSet<>(t.keys());
        keys.add("type");
        o.onlyKeys(keys);
        try {
            return t.reader().apply(new JsonLayerConfig(o));
        } catch (JsonLayerConfig.Invalid e) {
            throw e.cause();
        } catch (IllegalArgumentException e) {
            throw top.error("loss", e.getMessage());
        }
    }

    /**
     * The {@code metrics} of {@code top}: Keras names as {@link Metric#of} resolves them for the
     * loss, each once.
     */
    static List<String> metrics(ConfigNode top, Loss loss) throws ConfigException {
        List<String> metrics = top.strings("metrics");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < metrics.size(); i++) {
            try {
                if (!seen.add(Metric.of(metrics.get(i), loss).name())) {
                    throw new IllegalArgumentException("metric '" + metrics.get(i) + "' is given twice");
                }
            } catch (IllegalArgumentException e) {
                throw top.error("metrics[" + i + "]", e.getMessage());
            }
        }
        return metrics;
    }

    static OptimizerSpec optimizer(ConfigNode top) throws ConfigException {
        return OptimizerConfig.parse(top);
    }
}
