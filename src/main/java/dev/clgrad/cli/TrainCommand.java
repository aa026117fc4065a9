package dev.clgrad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.io.Checkpoint;
import dev.clgrad.io.DataSpec;
import dev.clgrad.io.ModelConfig;
import dev.clgrad.io.ModelWeights;
import dev.clgrad.model.Sequential;
import dev.clgrad.profile.Profiler;
import dev.clgrad.train.Fit;
import dev.clgrad.train.History;
import dev.clgrad.train.HistoryPlot;
import dev.clgrad.train.ModelCheckpoint;
import dev.clgrad.train.Position;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code clgrad train CONFIG.json [--device SPEC] [--epochs E] [--batch B] [--seed S] [--data DIR]
 * [--plot FILE.png] [--save FILE.safetensors] [--profile TRACE.json] [--checkpoint DIR
 * [--checkpoint-every N]] [--resume DIR] [--check-finite] [--json]}: trains the model a JSON config describes
 * (see {@link ModelConfig}) and evaluates it on the test set. {@code --checkpoint} saves a
 * {@link Checkpoint} at every epoch end (and every N steps); {@code --resume} continues exactly
 * where a checkpoint stopped, with its seed and batch size, up to the epochs asked for. With {@code --json} stdout holds one
 * object {@code {"epochs", "trainLoss": [...], "testLoss", "testAccuracy", "samplesPerSec", "device"}}
 * (test values null without a test set or accuracy metric); progress goes to stderr.
 */
@Command(name = "train", description = "Train the model of a JSON config and evaluate it on its test set.")
final class TrainCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CONFIG.json", description = "The model config (see samples/*.json).")
    Path config;

    @Option(names = "--device", paramLabel = "SPEC", description = "auto, java, opencl, opencl:gpu, opencl:cpu, opencl:P:D.")
    String device;

    @Option(names = "--epochs", paramLabel = "E", description = "Override the config's epochs.")
    Integer epochs;

    @Option(names = "--batch", paramLabel = "B", description = "Override the config's batch size.")
    Integer batch;

    @Option(names = "--seed", paramLabel = "S", description = "Override the config's seed (weights, dropout, shuffle).")
    Long seed;

    @Option(names = "--data", paramLabel = "DIR", description = "Folder of the data files, replacing the config's.")
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

    @Option(names = "--check-finite", description = "Reject data holding NaN or infinity before training.")
    boolean checkFinite;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
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
        if (seed != null) {
            cfg = new ModelConfig(cfg.name(), seed, cfg.layers(), cfg.optimizer(), cfg.loss(), cfg.metrics(),
                    cfg.epochs(), cfg.batchSize(), cfg.data());
        }
        DataSpec.Split split = cfg.data().load(data);
        Fit fit = Fit.epochs(epochs != null ? epochs : cfg.epochs())
                .withBatchSize(batch != null ? batch : cfg.batchSize()).withSeed(cfg.seed()).withCheckFinite(checkFinite);
        if (checkpoint != null) {
            fit = fit.withCallbacks(new ModelCheckpoint(checkpoint, checkpointEvery == null ? 0 : checkpointEvery, 1));
        }
        try (Backend backend = Backends.select(device); Sequential model = Sequential.fromConfig(cfg, backend)) {
            if (resume != null) {
                Position at = model.restoreCheckpoint(resume);
                fit = fit.resumeFrom(at);
                System.err.printf(Locale.ROOT, "clgrad: resuming from %s at epoch %d, step %d%n",
                        Checkpoint.file(resume), at.epoch() + 1, at.step());
            }
            History history;
            if (profile != null) {
                try (Profiler p = Profiler.start(backend)) {
                    history = model.fit(split.train(), fit);
                    (json ? System.err : System.out).print(p.report());
                    p.writeTrace(profile);
                }
            } else {
                history = model.fit(split.train(), fit);
            }
            Map<String, Double> test = split.test() == null ? Map.of() : model.evaluate(split.test());
            if (plot != null) {
                HistoryPlot.write(history, plot);
            }
            if (save != null) {
                model.saveWeights(save);
            }
            if (json) {
                ObjectMapper mapper = new ObjectMapper();
                ObjectNode root = mapper.createObjectNode();
                root.put("epochs", history.epochs());
                ArrayNode losses = root.putArray("trainLoss");
                history.loss().forEach(losses::add);
                root.put("testLoss", test.get("loss"));
                root.put("testAccuracy", test.get("accuracy"));
                root.put("samplesPerSec", history.samplesPerSecond());
                root.put("device", backend.id());
                System.out.println(mapper.writeValueAsString(root));
            } else {
                System.out.print(model.summary());
                System.out.printf(Locale.ROOT, "device %s, %d epochs, %.0f samples/s%n", backend.id(), history.epochs(),
                        history.samplesPerSecond());
                test.forEach((k, v) -> System.out.printf(Locale.ROOT, "test %s: %.4f%n", k, v));
            }
        }
        return 0;
    }
}
