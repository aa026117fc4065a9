package dev.clgrad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.backend.StepClass;
import dev.clgrad.io.Checkpoint;
import dev.clgrad.io.DataSpec;
import dev.clgrad.io.ModelConfig;
import dev.clgrad.model.Sequential;
import dev.clgrad.profile.Profiler;
import dev.clgrad.train.Callback;
import dev.clgrad.train.Fit;
import dev.clgrad.train.History;
import dev.clgrad.train.HistoryPlot;
import dev.clgrad.train.ModelCheckpoint;
import dev.clgrad.train.Position;
import dev.clgrad.train.TrainingState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * {@code clgrad train CONFIG.json [--device SPEC] [--epochs E] [--batch B] [--seed S] [--data DIR]
 * [--plot FILE.png] [--save FILE.safetensors] [--profile TRACE.json] [--checkpoint DIR
 * [--checkpoint-every N]] [--resume DIR | --resume-if-present DIR] [--check-finite] [--devices SPEC,SPEC]
 * [--json]}: trains
 * the model a JSON config describes (see {@link ModelConfig}) and evaluates it on the test set.
 * {@code --checkpoint} saves a {@link Checkpoint} at every epoch end (and every N steps);
 * {@code --resume} continues exactly where a checkpoint stopped, with its seed and batch size, up to
 * the epochs asked for ({@code --batch} with another size is an error: the resumed batches would not
 * be the ones an uninterrupted run sees); {@code --resume-if-present} does so when DIR holds a
 * checkpoint and starts fresh otherwise. With {@code --json} stdout holds one object
 * {@code {"epochs", "trainLoss": [...], "testLoss", "testAccuracy", "samplesPerSec", "device"}}
 * (test values null without a test set or accuracy metric), with {@code "valLoss": [...]} per epoch
 * when the config has a validation set, and for each compiled metric m, named in camel case
 * ({@code mae} → {@code Mae}, {@code top_k_categorical_accuracy} → {@code TopKCategoricalAccuracy}):
 * {@code "trainM": [...]} and {@code "valM": [...]} per epoch and {@code "testM"} (accuracy keeps its
 * {@code testAccuracy}); progress goes to stderr. {@code --devices} trains data parallel
 * ({@code dev.clgrad.train.Replicas}), one replica per device, the model on the first; the JSON then
 * adds {@code "devices"} (their ids and specs) and {@code "exchangeMsPerStep"}.
 *
 * <p>Nothing trained is thrown away for a problem that could be seen before: every input (the
 * config, the training, validation and test sets against the built model: input width, target columns, class
 * labels, and with {@code --check-finite} every value) and every output path (see
 * {@link OutputPaths}) is checked before the first step. Every output is written atomically; when
 * one fails (a full disk, say) the others are still written, the results are still printed, and
 * the command exits 2 with one line naming each failed path. A checkpoint that cannot be saved
 * is reported once as a warning and training goes on, keeping the last good checkpoint.
 */
@Command(name = "train", description = "Train the model of a JSON config and evaluate it on its test set.")
final class TrainCommand implements Callable<Integer> {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(TrainCommand.class.getName());

    @Parameters(index = "0", paramLabel = "CONFIG.json", description = "The model config (see samples/*.json).")
    Path config;

    @Option(names = "--device", paramLabel = "SPEC", description = "auto, java, opencl, opencl:gpu, opencl:cpu, opencl:P:D (default: auto, or -Dclgrad.device).")
    String device;

    @Option(names = "--epochs", paramLabel = "E", description = "Epochs to train (default: the config's epochs).")
    Integer epochs;

    @Option(names = "--batch", paramLabel = "B", description = "Rows per batch (default: the config's batchSize).")
    Integer batch;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of weights, dropout and shuffle (default: the config's seed).")
    Long seed;

    @Option(names = "--data", paramLabel = "DIR", description = "Folder of the data files, replacing the config's (default: the config's).")
    Path data;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Draw the loss and accuracy curves.")
    Path plot;

    @Option(names = "--save", paramLabel = "FILE.safetensors", description = "Save the trained weights.")
    Path save;

    @Option(names = "--profile", paramLabel = "TRACE.json",
            description = "Profile every kernel: print the top-kernels table and write a Chrome trace.")
    Path profile;

    @Option(names = "--checkpoint", paramLabel = "DIR",
            description = "Save a checkpoint (weights, optimizer, RNG, position) to DIR at every epoch end.")
    Path checkpoint;

    @Option(names = "--checkpoint-every", paramLabel = "N",
            description = "With --checkpoint, also save every N steps.")
    Integer checkpointEvery;

    @Option(names = "--resume", paramLabel = "DIR", description = "Continue from the checkpoint in DIR.")
    Path resume;

    @Option(names = "--resume-if-present", paramLabel = "DIR",
            description = "Continue from the checkpoint in DIR if there is one, else start fresh (for a recovery "
                    + "command that can run blindly: --resume-if-present ck --checkpoint ck).")
    Path resumeIfPresent;

    @Option(names = "--check-finite", description = "Reject data holding NaN or infinity before training.")
    boolean checkFinite;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Option(names = "--devices", paramLabel = "SPEC,SPEC", split = ",",
            description = "Data-parallel training, one replica per device (such as opencl:0:0/2:0,opencl:0:0/2:1 "
                    + "or java,opencl:cpu); the model lives on the first. The JSON adds devices and exchangeMsPerStep.")
    List<String> devices;

    @Override
    public Integer call() throws Exception {
        OutputPaths.checkConfig("train", config);
        ModelConfig cfg = ModelConfig.read(config);
        if (epochs != null && epochs < 0) {
            throw new IllegalArgumentException("train: --epochs must be >= 0, got " + epochs);
        }
        if (batch != null && batch < 1) {
            throw new IllegalArgumentException("train: --batch must be >= 1, got " + batch);
        }
        if (checkpointEvery != null && (checkpointEvery < 1 || checkpoint == null)) {
            throw new IllegalArgumentException("train: --checkpoint-every needs --checkpoint and N >= 1, got "
                    + checkpointEvery);
        }
        if (resume != null && resumeIfPresent != null) {
            throw new IllegalArgumentException("train: give --resume or --resume-if-present, not both");
        }
        Path resumeDir = resume;
        if (resumeIfPresent != null) {
            if (Files.exists(resumeIfPresent) && !Files.isDirectory(resumeIfPresent)) {
                throw new IllegalArgumentException("train: --resume-if-present " + resumeIfPresent
                        + ": is a file; expected a checkpoint folder");
            }
            if (Checkpoint.exists(resumeIfPresent)) {
                resumeDir = resumeIfPresent;
            } else {
                System.err.println("clgrad: no checkpoint in " + resumeIfPresent + " yet; starting fresh");
            }
        }
        OutputPaths outputs = new OutputPaths("train").file("--save", save).file("--plot", plot)
                .file("--profile", profile).folder("--checkpoint", checkpoint);
        if (seed != null) {
            cfg = cfg.withSeed(seed);
        }
        if (devices != null && device != null) {
            throw new IllegalArgumentException("train: give --device or --devices, not both (the model lives on the "
                    + "first of --devices)");
        }
        String modelDevice = devices != null ? devices.get(0) : device;
        Backends.prefetch(modelDevice);
        DataSpec spec = cfg.data();
        Loading<DataSpec.Split> loading = Loading.start(() -> spec.load(data));
        DataSpec.Header header = spec.trainHeader(data);
        DataSpec.Split split = header == null ? loading.get() : null;
        int batchSize = batch != null ? batch : cfg.batchSize();
        Fit fit = Fit.epochs(epochs != null ? epochs : cfg.epochs())
                .withBatchSize(batchSize).withSeed(cfg.seed()).withCheckFinite(checkFinite);
        for (Supplier<Callback> c : cfg.callbacks()) {
            fit = fit.withCallbacks(c.get()); // before the checkpoint, so an epoch's save holds their update
        }
        KeepGoing checkpoints = null;
        if (checkpoint != null) {
            checkpoints = new KeepGoing(new ModelCheckpoint(checkpoint, checkpointEvery == null ? 0 : checkpointEvery, 1));
            fit = fit.withCallbacks(checkpoints);
        }
        StepClass step = StepClass.of(cfg.trainingStepFlops(header != null ? header.sampleShape()
                : split.train().sampleShape(), batchSize));
        try (Backend backend = Backends.select(modelDevice, step); Sequential model = Sequential.fromConfig(cfg, backend)) {
            if (devices != null) {
                List<String> replicas = new ArrayList<>(devices);
                replicas.set(0, backend.id());
                fit = fit.devices(String.join(",", replicas));
            }
            if (split == null) {
                if (devices == null) {
                    int first = Math.min(batchSize, header.rows());
                    model.build(header.sampleShape(), first);
                    model.prepareTraining(first);
                }
                split = loading.get();
            }
            model.build(split.train().sampleShape(), Math.min(batchSize, split.train().rows()));
            InputCheck.check("train", model, split.train(), "training set", split.train(), checkFinite);
            if (split.validation() != null) {
                InputCheck.check("train", model, split.validation(), "validation set", split.train(), checkFinite);
                fit = fit.withValidationData(split.validation());
            }
            if (split.test() != null) {
                InputCheck.check("train", model, split.test(), "test set", split.train(), checkFinite);
            }
            long paramBytes = model.parameterCount() * Float.BYTES;
            outputs.checkSpace(Map.of("--save", paramBytes + (64 << 10), "--plot", 256L << 10,
                    "--checkpoint", 3 * paramBytes + (64 << 10)));
            if (resumeDir != null) {
                Position at = model.restoreCheckpoint(resumeDir);
                if (batch != null && batch != at.batchSize()) {
                    throw new IllegalArgumentException("train: --batch " + batch + " differs from the batch size "
                            + at.batchSize() + " that " + Checkpoint.file(resumeDir) + " was trained with; a resumed "
                            + "run keeps its batch size so that it sees the batches an uninterrupted run would have: "
                            + "drop --batch, or start afresh without resuming");
                }
                fit = fit.resumeFrom(at);
                System.err.printf(Locale.ROOT, "clgrad: resuming from %s at epoch %d, step %d (batch size %d)%n",
                        Checkpoint.file(resumeDir), at.epoch() + 1, at.step(), at.batchSize());
            }
            History history;
            Profiler profiler = null;
            if (profile != null) {
                try (Profiler p = Profiler.start(backend)) {
                    profiler = p;
                    history = model.fit(split.train(), fit);
                    (json ? System.err : System.out).print(p.report());
                }
            } else {
                history = model.fit(split.train(), fit);
            }
            Map<String, Double> test = split.test() == null ? Map.of() : model.evaluate(split.test());
            List<String> failed = new ArrayList<>();
            if (checkpoints != null && checkpoints.failure() != null) {
                failed.add(checkpoints.failure());
            }
            List<String> written = new ArrayList<>();
            write("--save", save, () -> model.saveWeights(save), written, failed);
            write("--plot", plot, () -> HistoryPlot.write(history, plot), written, failed);
            Profiler tracer = profiler;
            write("--profile", profile, () -> tracer.writeTrace(profile), written, failed);
            if (json) {
                ObjectMapper mapper = new ObjectMapper();
                ObjectNode root = mapper.createObjectNode();
                root.put("epochs", history.epochs());
                ArrayNode losses = root.putArray("trainLoss");
                history.loss().forEach(losses::add);
                if (split.validation() != null) {
                    ArrayNode val = root.putArray("valLoss");
                    history.get("val_loss").forEach(val::add);
                }
                putMetric(root, "testLoss", test.get("loss"));
                putMetric(root, "testAccuracy", test.get("accuracy"));
                for (String m : model.metricNames()) {
                    ArrayNode train = root.putArray("train" + camel(m));
                    history.get(m).forEach(train::add);
                    if (split.validation() != null) {
                        ArrayNode val = root.putArray("val" + camel(m));
                        history.get("val_" + m).forEach(val::add);
                    }
                    if (!m.equals("accuracy") && split.test() != null) {
                        putMetric(root, "test" + camel(m), test.get(m));
                    }
                }
                root.put("samplesPerSec", history.samplesPerSecond());
                root.put("device", backend.id());
                if (devices != null) {
                    ArrayNode ds = root.putArray("devices");
                    fit.devices().forEach(ds::add);
                    double ms = history.exchangeMsPerStep();
                    if (Double.isFinite(ms)) {
                        root.put("exchangeMsPerStep", ms);
                    } else {
                        root.putNull("exchangeMsPerStep");
                    }
                }
                System.out.println(mapper.writeValueAsString(root));
            } else {
                System.out.print(model.summary());
                System.out.printf(Locale.ROOT, "device %s, %d epochs, %.0f samples/s%n", backend.id(), history.epochs(),
                        history.samplesPerSecond());
                if (devices != null) {
                    System.out.printf(Locale.ROOT, "%d replicas on %s, %.3f ms per step exchanging gradients%n",
                            fit.devices().size(), String.join(", ", fit.devices()), history.exchangeMsPerStep());
                }
                test.forEach((k, v) -> System.out.printf(Locale.ROOT, "test %s: %.4f%n", k, v));
            }
            if (!failed.isEmpty()) {
                throw new IOException(String.join("; ", failed) + (written.isEmpty() ? ""
                        : "; written: " + String.join(", ", written)));
            }
        }
        return 0;
    }

    /** An output written after training. */
    private interface Output {
        void write() throws IOException;
    }

    /** Writes one output; a failure is recorded (its message names the path) and the next output still runs. */
    private static void write(String option, Path path, Output out, List<String> written, List<String> failed) {
        if (path == null) {
            return;
        }
        try {
            out.write();
            written.add(option + " " + path);
        } catch (IOException | RuntimeException e) {
            Throwable t = e instanceof UncheckedIOException u ? u.getCause() : e;
            String msg = t.getMessage() == null ? t.toString() : t.getMessage();
            failed.add(option + " " + (msg.startsWith(path.toString()) ? msg : path + ": " + msg));
        }
    }

    /**
     * Runs the checkpoint callback; when a save fails (a full disk), says so once, keeps the last
     * good checkpoint and lets training go on, so that the run's other outputs are still written.
     * If the last save attempted failed, that is reported at the end (exit 2); a later save that
     * succeeds is said, and then nothing was lost. Anything else (a non-finite loss) stops training
     * as before.
     */
    static final class KeepGoing implements Callback {
        private final ModelCheckpoint inner;
        private String lastError;
        private int failures;
        private int attempts;

        KeepGoing(ModelCheckpoint inner) {
            this.inner = inner;
        }

        /** The failure to report at the end, or null when the last save attempted succeeded. */
        String failure() {
            return lastError == null ? null : "--checkpoint " + lastError
                    + (failures > 1 ? " (" + failures + " of " + attempts + " saves failed)" : "");
        }

        private void guard(Runnable r) {
            long before = inner.saves();
            try {
                r.run();
                if (inner.saves() > before) {
                    attempts++;
                    if (lastError != null) {
                        lastError = null;
                        LOG.info("checkpoint saved again after " + failures + " failed "
                                + (failures == 1 ? "save" : "saves"));
                    }
                }
            } catch (UncheckedIOException e) {
                attempts++;
                failures++;
                if (failures == 1) {
                    LOG.warning(e.getMessage() + "; training goes on, the last good checkpoint is kept");
                }
                lastError = e.getMessage();
            }
        }

        @Override
        public void onTrainBegin(TrainingState state) {
            guard(() -> inner.onTrainBegin(state));
        }

        @Override
        public void onEpochBegin(TrainingState state) {
            guard(() -> inner.onEpochBegin(state));
        }

        @Override
        public void onBatchEnd(TrainingState state) {
            guard(() -> inner.onBatchEnd(state));
        }

        @Override
        public void onEpochEnd(TrainingState state, Map<String, Double> logs) {
            guard(() -> inner.onEpochEnd(state, logs));
        }

        @Override
        public void onTrainEnd(TrainingState state) {
            guard(() -> inner.onTrainEnd(state));
        }
    }

    /** A metric's name as a JSON key's suffix: {@code top_k_categorical_accuracy} → {@code TopKCategoricalAccuracy}. */
    static String camel(String metric) {
        StringBuilder sb = new StringBuilder();
        for (String part : metric.split("_")) {
            if (!part.isEmpty()) {
                sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        return sb.toString();
    }

    /**
     * {@code key: value} (null when absent), or {@code key: null} for a value JSON cannot hold (NaN
     * or ±∞: a test set with non-finite inputs, which {@code --check-finite} refuses), said on stderr.
     */
    private static void putMetric(ObjectNode root, String key, Double value) {
        if (value == null || Double.isFinite(value)) {
            root.put(key, value);
            return;
        }
        root.putNull(key);
        System.err.println("train: " + key + " is " + value + ", written as null; the test set holds non-finite "
                + "values (--check-finite refuses them before training)");
    }
}
