package dev.clgrad.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.ops.AdamHyper;
import dev.clgrad.backend.Backend;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Dropout;
import dev.clgrad.nn.Layer;
import dev.clgrad.nn.Loss;
import dev.clgrad.nn.ReLU;
import dev.clgrad.model.Sequential;
import dev.clgrad.optim.Adam;
import dev.clgrad.optim.Optimizer;
import dev.clgrad.optim.Sgd;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A model saved to a folder: {@code model.json}, the architecture and training setup,
 * <pre>{@code
 * {"format": "clgrad.sequential", "version": 1, "seed": 42, "inputFeatures": 20,
 *  "layers": [{"type": "dense", "units": 10, "activation": "relu"}, {"type": "dropout", "rate": 0.5},
 *             {"type": "dense", "units": 1, "activation": "linear"}],
 *  "optimizer": {"type": "adam", "lr": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
 *  "loss": "mse", "metrics": []}
 * }</pre>
 * (layers and optimizer as in {@link ModelConfig}; optimizer and loss absent for a model never
 * compiled), and {@code model.safetensors}, the weights (see {@link ModelWeights}). Both are
 * written atomically. Optimizer state is not saved here; a {@link Checkpoint} holds it.
 */
public final class SavedModel {
    public static final String CONFIG = "model.json";
    public static final String WEIGHTS = "model.safetensors";
    static final String FORMAT = "clgrad.sequential";
    private static final Set<String> KEYS = Set.of("format", "version", "seed", "inputFeatures", "layers",
            "optimizer", "loss", "metrics");

    private SavedModel() {
    }

    /** Writes dir/model.json and dir/model.safetensors (dir is created). Not modified: model. */
    public static void save(Sequential model, Path dir) throws IOException {
        if (!model.isBuilt()) {
            throw new IllegalStateException("save: the model is not built yet, so it has no weights: "
                    + "call build(inputFeatures) or fit first");
        }
        ObjectMapper mapper = new ObjectMapper();
        AtomicFile.write(dir.resolve(CONFIG), mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(toJson(model)));
        ModelWeights.save(model, dir.resolve(WEIGHTS));
    }

    /** Reads what {@link #save} wrote: the model, built and (when it was) compiled, on backend. */
    public static Sequential load(Path dir, Backend backend) throws IOException {
        Path config = dir.resolve(CONFIG);
        String text;
        try {
            text = Files.readString(config);
        } catch (NoSuchFileException e) {
            throw new IOException(config + ": no such file; is " + dir + " a folder written by model.save?");
        } catch (CharacterCodingException e) {
            throw new ConfigException(config + ": not UTF-8 text", e);
        }
        Path weights = dir.resolve(WEIGHTS);
        long maxParams = Files.isRegularFile(weights) ? Files.size(weights) / Float.BYTES : 0;
        Sequential model = fromJson(text, config.toString(), backend, maxParams);
        try {
            ModelWeights.load(model, weights);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    /** The model's architecture and training setup as the JSON object of model.json. Not modified: model. */
    static ObjectNode toJson(Sequential model) {
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("format", FORMAT).put("version", 1).put("seed", model.seed()).put("inputFeatures", model.inFeatures());
        ArrayNode layers = root.putArray("layers");
        for (Layer layer : model.layers()) {
            ObjectNode l = layers.addObject();
            if (layer instanceof Dense d) {
                l.put("type", "dense").put("units", d.units()).put("activation", d.activation());
            } else if (layer instanceof Dropout d) {
                l.put("type", "dropout").put("rate", exact(d.rate()));
            } else if (layer instanceof ReLU) {
                l.put("type", "relu");
            } else {
                throw new IllegalArgumentException("save: layer " + layer.name() + " of type " + layer.type()
                        + " has no JSON form; expected Dense, Dropout or ReLU");
            }
        }
        Optimizer opt = model.optimizer();
        if (opt instanceof Adam a) {
            AdamHyper h = a.hyper();
            ObjectNode o = root.putObject("optimizer").put("type", opt.name()).put("lr", exact(h.lr()))
                    .put("beta1", exact(h.beta1())).put("beta2", exact(h.beta2())).put("epsilon", exact(h.eps()));
            if (opt.name().equals("adamw")) {
                o.put("weightDecay", exact(h.weightDecay()));
            }
        } else if (opt instanceof Sgd sgd) {
            root.putObject("optimizer").put("type", "sgd").put("lr", exact(sgd.lr()))
                    .put("momentum", exact(sgd.momentum())).put("weightDecay", exact(sgd.weightDecay()));
        } else if (opt != null) {
            throw new IllegalArgumentException("save: optimizer " + opt.name() + " has no JSON form");
        }
        if (model.loss() != null) {
            root.put("loss", model.loss().name());
            ArrayNode metrics = root.putArray("metrics");
            if (model.tracksAccuracy()) {
                metrics.add("accuracy");
            }
        }
        return root;
    }

    /** The shortest decimal that reads back as the same float (0.3f is written 0.3, not 0.30000001192092896). */
    private static double exact(float f) {
        return Double.parseDouble(Float.toString(f));
    }

    /**
     * Builds (and compiles, when the JSON has a loss) the model that {@code text}, a model.json,
     * describes; {@code source} names it in errors. A model of more than {@code maxParams}
     * parameters (what the weights file can hold) is refused before anything is allocated.
     */
    static Sequential fromJson(String text, String source, Backend backend, long maxParams) throws ConfigException {
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
        top.integer("version", 1, 1);
        int in = top.integer("inputFeatures", 1, 1 << 24);
        long seed = top.longValue("seed", 0);
        List<ModelConfig.LayerSpec> layers = new ArrayList<>();
        for (ConfigNode l : top.objects("layers")) {
            layers.add(ModelConfig.layer(l));
        }
        long width = in;
        long params = 0;
        for (ModelConfig.LayerSpec l : layers) {
            if (l.type().equals("dense")) {
                params += width * l.units() + l.units();
                width = l.units();
                if (params > maxParams) {
                    throw top.error("layers", "the layers need more than the " + maxParams
                            + " parameters the weights file holds");
                }
            }
        }
        Sequential model = new Sequential(backend, seed);
        layers.forEach(l -> model.add(l.create()));
        if (top.has("loss")) {
            ModelConfig.OptimizerSpec opt = ModelConfig.optimizer(top);
            String loss = top.string("loss");
            try {
                model.compile(opt.create(), Loss.of(loss), top.strings("metrics").toArray(new String[0]));
            } catch (IllegalArgumentException e) {
                model.close();
                throw top.error(null, e.getMessage());
            }
        }
        try {
            model.build(in);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }
}
