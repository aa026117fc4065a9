package dev.clgrad.io;

import dev.clgrad.AtomicFile;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.nn.Layer;
import dev.clgrad.nn.Loss;
import dev.clgrad.optim.Optimizer;
import dev.clgrad.tensor.Shape;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A model saved to a folder: {@code model.json}, the architecture and training setup,
 * <pre>{@code
 * {"format": "clgrad.sequential", "version": 2, "seed": 42, "inputShape": [20],
 *  "layers": [{"type": "dense", "units": 10, "activation": "relu"}, {"type": "dropout", "rate": 0.5},
 *             {"type": "dense", "units": 1, "activation": "linear"}],
 *  "optimizer": {"type": "adam", "learningRate": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
 *  "loss": "mse", "metrics": []}
 * }</pre>
 * A loss with settings is written as an object, {@code "loss": {"type": "huber", "delta": 1.0}}.
 * (each layer's entries are its own {@link Layer#config()}; optimizer and loss absent for a model
 * never compiled), and {@code model.safetensors}, the parameters and buffers (see
 * {@link ModelWeights}). Both are written atomically. Optimizer state is not saved here; a
 * {@link Checkpoint} holds it. Version 1 files ({@code "inputFeatures": N} instead of
 * {@code inputShape}) still load.
 */
public final class SavedModel {
    public static final String CONFIG = "model.json";
    public static final String WEIGHTS = "model.safetensors";
    static final String FORMAT = "clgrad.sequential";
    static final int VERSION = 2;
    private static final Set<String> KEYS = Set.of("format", "version", "seed", "inputShape", "inputFeatures",
            "layers", "optimizer", "loss", "metrics");

    /**
     * What a model.json describes: the seed, the input shape, the layers (new, unbuilt), and the
     * training setup (optimizer null when the model was never compiled).
     */
    public record Description(long seed, Shape inputShape, List<Layer> layers, Optimizer optimizer, Loss loss,
                              List<String> metrics) {
    }

    private SavedModel() {
    }

    /** Writes dir/model.json and dir/model.safetensors (dir is created). Not modified: the model. */
    public static void save(ModelParts model, Path dir) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        AtomicFile.write(dir.resolve(CONFIG), mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(toJson(model)));
        ModelWeights.save(model.store(), dir.resolve(WEIGHTS));
    }

    /** Reads dir/model.json; the weights are dir/{@link #WEIGHTS}, for {@link ModelWeights#load}. */
    public static Description read(Path dir) throws IOException {
        Path config = dir.resolve(CONFIG);
        String text;
        try {
            text = Files.readString(config);
        } catch (NoSuchFileException e) {
            throw new IOException(config + ": no such file; is " + dir + " a folder written by model.save?");
        } catch (CharacterCodingException e) {
            throw new ConfigException(config + ": not UTF-8 text", e);
        }
        return fromJson(text, config.toString());
    }

    /**
     * What {@link #read} would give for this model saved: new, unbuilt layers of the same config
     * and a new optimizer of the same settings (a data-parallel replica is built from it). Not modified: model.
     */
    public static Description describe(ModelParts model) {
        try {
            return fromJson(toJson(model).toString(), "the model's own config");
        } catch (ConfigException e) {
            throw new IllegalStateException("a model's own config does not read back: " + e.getMessage(), e);
        }
    }

    /** The model's architecture and training setup as the JSON object of model.json. Not modified: model. */
    static ObjectNode toJson(ModelParts model) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("format", FORMAT).put("version", VERSION).put("seed", model.seed());
        ArrayNode shape = root.putArray("inputShape");
        for (int d : model.inputShape().dims()) {
            shape.add(d);
        }
        ArrayNode layers = root.putArray("layers");
        for (Layer layer : model.layers()) {
            ObjectNode l = layers.addObject().put("type", layer.configType());
            for (Map.Entry<String, Object> e : layer.config().entrySet()) {
                l.set(e.getKey(), mapper.valueToTree(e.getValue()));
            }
        }
        Optimizer opt = model.optimizer();
        if (opt != null) {
            root.set("optimizer", mapper.valueToTree(opt.config()));
        }
        if (model.loss() != null) {
            Loss loss = model.loss();
            if (loss.config().isEmpty()) {
                root.put("loss", loss.name());
            } else {
                ObjectNode l = root.putObject("loss").put("type", loss.name());
                new TreeMap<>(loss.config()).forEach((k, v) -> l.set(k, mapper.valueToTree(v)));
            }
            ArrayNode metrics = root.putArray("metrics");
            model.metrics().forEach(m -> metrics.add(m.name()));
        }
        return root;
    }

    /** The shortest decimal that reads back as the same float (0.3f is written 0.3, not 0.30000001192092896). */
    /** Parses a model.json; {@code source} names it in errors. */
    static Description fromJson(String text, String source) throws ConfigException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(text);
        } catch (JacksonException e) {
            var loc = e.getLocation();
            throw new ConfigException(source + (loc == null ? "" : ":" + loc.getLineNr() + ":" + loc.getColumnNr())
                    + ": malformed JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException(source + ": $: expected a JSON object");
        }
        ConfigNode top = new ConfigNode(root, "$", source).onlyKeys(KEYS);
        if (!top.string("format").equals(FORMAT)) {
            throw top.error("format", "expected \"" + FORMAT + "\", got \"" + top.string("format") + "\"");
        }
        int version = top.integer("version", 1, VERSION);
        Shape in;
        if (version == 1) {
            in = Shape.of(top.integer("inputFeatures", 1, 1 << 24));
        } else {
            List<Integer> dims = top.integers("inputShape", 1, 1 << 24);
            if (dims.isEmpty()) {
                throw top.error("inputShape", "expected at least one dimension");
            }
            in = Shape.of(dims.stream().mapToInt(Integer::intValue).toArray());
        }
        long seed = top.longValue("seed", 0);
        List<Layer> layers = new ArrayList<>();
        for (ConfigNode l : top.objects("layers")) {
            layers.add(ModelConfig.layer(l).create());
        }
        Optimizer opt = null;
        Loss loss = null;
        List<String> metrics = List.of();
        if (top.has("loss")) {
            try {
                opt = ModelConfig.optimizer(top).create();
            } catch (IllegalArgumentException e) {
                throw top.error("optimizer", e.getMessage());
            }
            loss = ModelConfig.loss(top);
            metrics = ModelConfig.metrics(top, loss);
        }
        return new Description(seed, in, layers, opt, loss, metrics);
    }
}
