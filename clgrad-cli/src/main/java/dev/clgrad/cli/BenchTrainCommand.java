package dev.clgrad.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.backend.Backend;
import dev.clgrad.data.Dataset;
import dev.clgrad.io.ModelConfig;
import dev.clgrad.model.Sequential;
import dev.clgrad.profile.Profiler;
import dev.clgrad.train.Fit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * {@code clgrad bench train CONFIG.json}: training throughput of a model config. One epoch (kernel
 * builds), the warm-up epochs of {@link Benchmark} (JIT), then {@code --repeats} timed epochs of
 * {@code fit} (shuffled batches, as in real training); reports the median epoch as samples/s and
 * µs per step. With {@code --rows R} only
 * the first R training rows are used; with {@code --profiled} the kernel profiler is on, which
 * shows its cost.
 */
@Command(name = "train", description = "Time training epochs of a model config: samples/s and µs per step.")
final class BenchTrainCommand extends Benchmark {
    @Parameters(index = "0", paramLabel = "CONFIG.json", description = "The model config (see samples/*.json).")
    Path config;

    @Option(names = "--batch", paramLabel = "B", description = "Rows per batch (default: the config's batchSize).")
    Integer batch;

    @Option(names = "--rows", paramLabel = "R", description = "Train on the first R rows only.")
    Integer rows;

    @Option(names = "--data", paramLabel = "DIR", description = "Folder of the data files, replacing the config's (default: the config's).")
    Path data;

    @Option(names = "--profiled", description = "Time the epochs with the kernel profiler on (its cost).")
    boolean profiled;

    BenchTrainCommand() {
        repeats = 3;
    }

    @Override
    ObjectNode measure(Backend backend, ObjectNode result) {
        ModelConfig cfg;
        Dataset train;
        try {
            cfg = ModelConfig.read(config);
            train = cfg.data().loadTrain(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int b = batch != null ? batch : cfg.batchSize();
        requirePositive("--batch", b);
        if (rows != null) {
            requirePositive("--rows", rows);
            train = train.slice(0, Math.min(rows, train.rows()));
        }
        Fit fit = Fit.epochs(1).withBatchSize(b).withSeed(cfg.seed()).withQuiet(true);
        try (Sequential model = Sequential.fromConfig(cfg, backend)) {
            progress("warming up on " + backend.id() + ": epochs of " + train.rows() + " rows, batch " + b
                    + ", at least " + (1 + warmup) + " and " + warmupSeconds + " s");
            model.fit(train, fit);
            Dataset data = train;
            double ms;
            if (profiled) {
                try (Profiler p = Profiler.start(backend)) {
                    ms = medianMs(backend, () -> model.fit(data, fit));
                }
            } else {
                ms = medianMs(backend, () -> model.fit(data, fit));
            }
            int steps = (train.rows() + b - 1) / b;
            result.put("op", "train").put("config", config.toString()).put("device", backend.id())
                    .put("rows", train.rows()).put("batch", b).put("stepsPerEpoch", steps)
                    .put("medianEpochMs", ms).put("samplesPerSec", train.rows() / (ms / 1e3))
                    .put("usPerStep", ms * 1e3 / steps).put("profiled", profiled);
        }
        return result;
    }
}
