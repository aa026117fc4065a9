package dev.clgrad.io;

import dev.clgrad.AtomicFile;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clgrad.data.HostArray;
import dev.clgrad.nn.Layer;
import dev.clgrad.ops.Counter;
import dev.clgrad.tensor.Shape;
import dev.clgrad.optim.Optimizer;
import dev.clgrad.tensor.Tensor;
import dev.clgrad.train.Position;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Everything needed to continue training exactly where it stopped, in one safetensors file
 * {@code DIR/checkpoint.safetensors} that any safetensors reader can open:
 * <ul>
 *   <li>tensors: every parameter under its model name ({@code dense_1.kernel}, …) and the
 *       optimizer state as flat (P) tensors {@code optimizer.m}, {@code optimizer.v}
 *       ({@code optimizer.velocity} for SGD with momentum);</li>
 *   <li>{@code __metadata__} (strings): {@code model} (the model.json of {@link SavedModel}),
 *       {@code epoch}, {@code step} (the next batch), {@code data.seed}, {@code data.batch_size},
 *       {@code data.shuffle}, {@code loss_sum} and {@code metric_sums} (the epoch's device sums so far:
 *       the loss, and each compiled metric's, comma-separated in the model's order),
 *       {@code optimizer.type}, {@code optimizer.iterations}, {@code optimizer.learning_rate} (the
 *       current one, as a callback left it), {@code callback.<index>.<class>.<key>} (the fit's
 *       callbacks' state, such as ReduceLROnPlateau's best and wait), {@code rng.seed} (the model seed) and
 *       each layer counter {@code rng.<layer>.<counter>}, such as {@code rng.dropout_1.offset}
 *       (the Philox counter base of its next call), and {@code sha256}.</li>
 * </ul>
 * The checksum is the SHA-256 of the whole file with the 64 hex digits of the {@code sha256}
 * value written as zeros; {@link #restore} verifies it before anything else is trusted. The file
 * is replaced atomically ({@link AtomicFile}), so a crash while saving leaves the previous
 * checkpoint in place. A checkpoint is only written from finite weights: the last one on disk is
 * always good.
 */
public final class Checkpoint {
    /**
     * Version 3 stores every metric's sum ({@code metric_sums}); versions 1 and 2 stored the one
     * accuracy count as {@code correct_sum}, which the loader reads as the first metric's sum.
     * Version 2 stores {@code loss_sum} as the sum over the epoch's rows so far (each batch's mean
     * loss times its rows, Keras's convention); version 1 stored the sum of the batch means, which
     * the loader converts (a mid-epoch position covers full batches only, so times the batch size).
     */
    static final String VERSION = "3";

    public static final String FILE = "checkpoint.safetensors";
    static final String FORMAT = "clgrad.checkpoint";
    private static final String SUM_KEY = "sha256";
    private static final String ZEROS = "0".repeat(64);
    private static final String OPT_PREFIX = "optimizer.";
    private static final String LR_KEY = "optimizer.learning_rate";
    private static final String CALLBACK_PREFIX = "callback.";

    private Checkpoint() {
    }

    /** The checkpoint file in {@code dir}. */
    public static Path file(Path dir) {
        return dir.resolve(FILE);
    }

    /** Whether {@code dir} holds a checkpoint file (not whether it is valid). */
    public static boolean exists(Path dir) {
        return Files.isRegularFile(file(dir));
    }

    /**
     * Writes the model's weights, optimizer state, dropout counters and the training position to
     * dir/checkpoint.safetensors, replacing the previous checkpoint atomically; creates dir. Waits
     * for the device (it downloads every parameter). Not modified: model.
     *
     * @throws IllegalStateException when the model is not compiled, or a weight is NaN or infinite
     *                               (the previous checkpoint is kept)
     */
    public static void save(Path dir, ModelParts model, Position position) throws IOException {
        Optimizer opt = model.optimizer();
        if (opt == null) {
            throw new IllegalStateException("checkpoint: the model must be compiled");
        }
        Map<String, HostArray> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : model.store().stateDict().entrySet()) {
            float[] v = e.getValue().toArray();
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) {
                    throw new IllegalStateException("checkpoint: " + e.getKey() + " holds " + v[i] + " at index " + i
                            + "; refusing to overwrite " + file(dir) + " with non-finite weights");
                }
            }
            tensors.put(e.getKey(), new HostArray(e.getValue().shape().dims(), v));
        }
        for (Map.Entry<String, Tensor> e : opt.state().entrySet()) {
            tensors.put(OPT_PREFIX + e.getKey(), new HostArray(new int[]{Math.toIntExact(e.getValue().shape().size())},
                    e.getValue().toArray()));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("version", VERSION);
        meta.put("model", SavedModel.toJson(model).toString());
        meta.put("epoch", Integer.toString(position.epoch()));
        meta.put("step", Integer.toString(position.step()));
        meta.put("data.seed", Long.toString(position.seed()));
        meta.put("data.batch_size", Integer.toString(position.batchSize()));
        meta.put("data.shuffle", Boolean.toString(position.shuffle()));
        meta.put("loss_sum", Double.toString(position.lossSum()));
        meta.put("metric_sums", String.join(",", position.metricSums().stream().map(d -> Double.toString(d)).toList()));
        meta.put("optimizer.type", opt.name());
        meta.put("optimizer.iterations", Long.toString(opt.iterations()));
        meta.put(LR_KEY, Double.toString(opt.learningRate()));
        position.callbacks().forEach((k, v) -> meta.put(CALLBACK_PREFIX + k, Double.toString(v)));
        meta.put("rng.seed", Long.toString(model.seed()));
        for (Layer layer : model.layers()) {
            for (Map.Entry<String, Counter> c : layer.counters().entrySet()) {
                meta.put("rng." + layer.name() + "." + c.getKey(), Long.toUnsignedString(c.getValue().get()));
            }
        }
        meta.put(SUM_KEY, ZEROS);
        byte[] bytes = Safetensors.encode(tensors, meta);
        int at = checksumAt(bytes, ZEROS);
        if (at < 0) {
            throw new IllegalStateException("checkpoint: the sha256 placeholder is missing from the encoded header");
        }
        byte[] digest = HexFormat.of().formatHex(sha256(bytes)).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(digest, 0, bytes, at, digest.length);
        AtomicFile.write(file(dir), bytes);
    }

    /**
     * Loads dir/checkpoint.safetensors into {@code model} (compiled from the same config and built
     * for {@link #inputShape}) and returns where training stood. Everything is checked — checksum, format, layers,
     * seed, names and shapes of every tensor, optimizer type and state — before the model is
     * touched, so a bad checkpoint leaves it as it was. A constant learning rate is set to the
     * saved one (a callback may have changed it); a scheduled one follows its schedule from the
     * restored step count. The optimizer's other hyperparameters are the model's, so they may be
     * changed between runs; the layers and seed may not.
     * Modified: model's parameters, optimizer state and dropout counters.
     */
    public static Position restore(Path dir, ModelParts model) throws IOException {
        String src = file(dir).toString();
        byte[] bytes = read(dir);
        Safetensors.Contents contents = Safetensors.decode(bytes, src);
        Map<String, String> meta = contents.metadata();
        verifyChecksum(bytes, meta, src);
        String version = version(meta, src);
        Optimizer opt = model.optimizer();
        if (opt == null) {
            throw new IllegalStateException("restore: the model is not compiled: call compile(optimizer, loss) first");
        }
        SavedModel.Description saved = SavedModel.fromJson(text(meta, "model", src), src + " (metadata model)");
        JsonNode savedJson = new ObjectMapper().readTree(text(meta, "model", src));
        JsonNode now = SavedModel.toJson(model);
        if (!saved.inputShape().equals(model.inputShape())) {
            throw new IOException(src + ": the checkpoint's model differs in inputShape: it has " + saved.inputShape()
                    + ", this model has " + model.inputShape());
        }
        for (String key : new String[]{"seed", "layers"}) {
            if (!now.path(key).toString().equals(savedJson.path(key).toString())) {
                throw new IOException(src + ": the checkpoint's model differs in " + key + ": it has "
                        + savedJson.path(key) + ", this model has " + now.path(key));
            }
        }
        Map<String, HostArray> weights = new LinkedHashMap<>();
        Map<String, float[]> state = new LinkedHashMap<>();
        contents.tensors().forEach((name, a) -> {
            if (name.startsWith(OPT_PREFIX)) {
                state.put(name.substring(OPT_PREFIX.length()), a.data());
            } else {
                weights.put(name, a);
            }
        });
        ModelWeights.check(model.store(), weights, src);
        if (!opt.name().equals(text(meta, "optimizer.type", src))) {
            throw new IOException(src + ": the checkpoint was saved with optimizer " + meta.get("optimizer.type")
                    + ", this model uses " + opt.name());
        }
        long iterations = number(meta, "optimizer.iterations", src);
        Map<Counter, Long> counters = new LinkedHashMap<>();
        for (Layer layer : model.layers()) {
            for (Map.Entry<String, Counter> c : layer.counters().entrySet()) {
                counters.put(c.getValue(), unsigned(meta, "rng." + layer.name() + "." + c.getKey(), src));
            }
        }
        Position position;
        try {
            position = new Position(Math.toIntExact(number(meta, "epoch", src)), Math.toIntExact(number(meta, "step", src)),
                    number(meta, "data.seed", src), Math.toIntExact(number(meta, "data.batch_size", src)),
                    bool(meta, "data.shuffle", src), lossSum(meta, version, src), metricSums(meta, version, src),
                    callbackStates(meta, src));
            opt.restore(model.store().params(), state, iterations);
            if (meta.containsKey(LR_KEY) && opt.learningRateSchedule() == null) {
                opt.setLearningRate(doubleValue(meta, LR_KEY, src));
            }
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IOException(src + ": " + e.getMessage(), e);
        }
        ModelWeights.upload(model.store(), weights);
        counters.forEach(Counter::set);
        return position;
    }

    /** The {@code callback.*} entries as {@link Position#callbacks}. */
    private static Map<String, Double> callbackStates(Map<String, String> meta, String src) throws IOException {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String k : meta.keySet()) {
            if (k.startsWith(CALLBACK_PREFIX)) {
                out.put(k.substring(CALLBACK_PREFIX.length()), doubleValue(meta, k, src));
            }
        }
        return out;
    }

    private static double doubleValue(Map<String, String> meta, String key, String src) throws IOException {
        try {
            return Double.parseDouble(text(meta, key, src));
        } catch (NumberFormatException e) {
            throw new IOException(src + ": metadata " + key + " is not a number: " + meta.get(key));
        }
    }

    /** The per-sample input shape of the model saved in dir's checkpoint, to build a model before {@link #restore}. */
    public static Shape inputShape(Path dir) throws IOException {
        String src = file(dir).toString();
        Map<String, String> meta = Safetensors.decode(read(dir), src).metadata();
        version(meta, src);
        return SavedModel.fromJson(text(meta, "model", src), src + " (metadata model)").inputShape();
    }

    private static byte[] read(Path dir) throws IOException {
        Path f = file(dir);
        try {
            return Files.readAllBytes(f);
        } catch (NoSuchFileException e) {
            throw new IOException(f + ": no checkpoint here (no such file)");
        }
    }

    private static String version(Map<String, String> meta, String src) throws IOException {
        String version = meta.get("version");
        if (!FORMAT.equals(meta.get("format")) || !("1".equals(version) || "2".equals(version)
                || VERSION.equals(version))) {
            throw new IOException(src + ": not a clgrad checkpoint of version 1 to " + VERSION + " (format "
                    + meta.get("format") + ", version " + version + ")");
        }
        return version;
    }

    private static void verifyChecksum(byte[] bytes, Map<String, String> meta, String src) throws IOException {
        String want = meta.get(SUM_KEY);
        if (want == null || !want.matches("[0-9a-f]{64}")) {
            throw new IOException(src + ": no sha256 checksum in the metadata: not a clgrad checkpoint, or damaged");
        }
        byte[] copy = bytes.clone();
        int at = checksumAt(copy, want);
        if (at < 0) {
            throw new IOException(src + ": the sha256 field is not written as clgrad writes it; was the file "
                    + "rewritten by another tool?");
        }
        System.arraycopy(ZEROS.getBytes(StandardCharsets.US_ASCII), 0, copy, at, ZEROS.length());
        String got = HexFormat.of().formatHex(sha256(copy));
        if (!got.equals(want)) {
            throw new IOException(src + ": checksum mismatch, the file is damaged: sha256 " + got + ", expected " + want);
        }
    }

    /**
     * Where the 64 digits of {@code "sha256":"<digits>"} start in the header (whose length was
     * validated), or -1.
     */
    private static int checksumAt(byte[] bytes, String digits) {
        byte[] key = ("\"" + SUM_KEY + "\":\"" + digits + "\"").getBytes(StandardCharsets.US_ASCII);
        long headerEnd = 8 + ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        outer:
        for (int i = 8; i + key.length <= headerEnd; i++) {
            for (int k = 0; k < key.length; k++) {
                if (bytes[i + k] != key[k]) {
                    continue outer;
                }
            }
            return i + SUM_KEY.length() + 4;
        }
        return -1;
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static String text(Map<String, String> meta, String key, String src) throws IOException {
        String v = meta.get(key);
        if (v == null) {
            throw new IOException(src + ": metadata " + key + " is missing");
        }
        return v;
    }

    /** A metadata value parsed by {@code parse}; a malformed one names the key, the value and {@code expected}. */
    private static <T> T parsed(Map<String, String> meta, String key, String src, Function<String, T> parse,
                                String expected) throws IOException {
        String v = text(meta, key, src);
        try {
            return parse.apply(v);
        } catch (NumberFormatException e) {
            throw new IOException(src + ": metadata " + key + " is '" + v + "', expected " + expected, e);
        }
    }

    private static long number(Map<String, String> meta, String key, String src) throws IOException {
        return parsed(meta, key, src, Long::parseLong, "an integer");
    }

    private static long unsigned(Map<String, String> meta, String key, String src) throws IOException {
        return parsed(meta, key, src, Long::parseUnsignedLong, "an unsigned integer");
    }

    private static float floatValue(Map<String, String> meta, String key, String src) throws IOException {
        return parsed(meta, key, src, Float::parseFloat, "a number");
    }

    private static boolean bool(Map<String, String> meta, String key, String src) throws IOException {
        String v = text(meta, key, src);
        if (!v.equals("true") && !v.equals("false")) {
            throw new IOException(src + ": metadata " + key + " is '" + v + "', expected true or false");
        }
        return v.equals("true");
    }

    /** The epoch's metric sums: version 3's list, or the accuracy count of versions 1 and 2. */
    private static List<Double> metricSums(Map<String, String> meta, String version, String src) throws IOException {
        if (!VERSION.equals(version)) {
            return List.of((double) floatValue(meta, "correct_sum", src));
        }
        String all = text(meta, "metric_sums", src);
        List<Double> out = new ArrayList<>();
        for (String v : all.isEmpty() ? new String[0] : all.split(",", -1)) {
            try {
                out.add(Double.parseDouble(v));
            } catch (NumberFormatException e) {
                throw new IOException(src + ": metadata metric_sums is '" + all + "', expected numbers separated by"
                        + " commas", e);
            }
        }
        return out;
    }

    /** The epoch's loss sum over rows, converted from version 1's float sum of batch means. */
    private static double lossSum(Map<String, String> meta, String version, String src) throws IOException {
        double saved = floatValue(meta, "loss_sum", src);
        return "1".equals(version) ? saved * Math.toIntExact(number(meta, "data.batch_size", src)) : saved;
    }
}
