package dev.clgrad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.backend.StepClass;
import dev.clgrad.data.Dataset;
import dev.clgrad.io.DataSpec;
import dev.clgrad.io.ModelConfig;
import dev.clgrad.model.Sequential;
import dev.clgrad.profile.Profiler;
import dev.clgrad.tensor.Shape;
import dev.clgrad.train.Fit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code clgrad profile CONFIG.json --steps N [--trace FILE] [--device SPEC] [--json]}: trains the
 * config's model for N steps with every kernel profiled (after one unprofiled warm-up step that
 * builds the kernels), prints the top-kernels table (or, with --json, the statistics) and writes
 * the Chrome trace.
 */
@Command(name = "profile", description = "Profile N training steps: top kernels by device time, and a Chrome trace.")
final class ProfileCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CONFIG.json", description = "The model config (see samples/*.json).")
    Path config;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "50", description = "Training steps to profile (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch", paramLabel = "B", description = "Rows per batch (default: the config's batchSize).")
    Integer batch;

    @Option(names = "--trace", paramLabel = "FILE", defaultValue = "trace.json", description = "Chrome trace output (default: ${DEFAULT-VALUE}).")
    Path trace;

    @Option(names = "--data", paramLabel = "DIR", description = "Folder of the data files, replacing the config's (default: the config's).")
    Path data;

    @Option(names = "--device", paramLabel = "SPEC", description = "auto, java, opencl, opencl:gpu, opencl:cpu, opencl:P:D (default: auto, or -Dclgrad.device).")
    String device;

    @Option(names = "--json", description = "Print the statistics as one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (steps < 1) {
            throw new IllegalArgumentException("profile: --steps must be >= 1, got " + steps);
        }
        OutputPaths.checkConfig("profile", config);
        ModelConfig cfg = ModelConfig.read(config);
        int b = batch != null ? batch : cfg.batchSize();
        if (b < 1) {
            throw new IllegalArgumentException("profile: --batch must be >= 1, got " + b);
        }
        new OutputPaths("profile").file("--trace", trace);
        Backends.prefetch(device);
        Loading<Dataset> loading = Loading.start(() -> cfg.data().loadTrain(data));
        DataSpec.Header header = cfg.data().trainHeader(data);
        Dataset train = header == null ? loading.get() : null;
        Shape shape = header != null ? header.sampleShape() : train.sampleShape();
        Fit fit = Fit.epochs(1).withBatchSize(b).withSeed(cfg.seed()).withQuiet(true);
        StepClass step = StepClass.of(cfg.trainingStepFlops(shape, b));
        try (Backend backend = Backends.select(device, step); Sequential model = Sequential.fromConfig(cfg, backend)) {
            if (train == null) {
                int first = Math.min(b, header.rows());
                model.build(shape, first);
                model.prepareTraining(first);
                train = loading.get();
            }
            int rows = Math.min(train.rows(), steps * b);
            model.fit(train.slice(0, Math.min(rows, b)), fit);
            try (Profiler p = Profiler.start(backend)) {
                long t0 = System.nanoTime();
                model.fit(train.slice(0, rows), fit);
                backend.finish();
                double wallMs = (System.nanoTime() - t0) / 1e6;
                p.writeTrace(trace);
                if (json) {
                    ObjectNode root = p.toJson();
                    root.put("steps", (rows + b - 1) / b).put("wallMs", wallMs).put("trace", trace.toString());
                    System.out.println(new ObjectMapper().writeValueAsString(root));
                } else {
                    System.out.print(p.report());
                    System.out.printf("%d steps of batch %d on %s: %.1f ms wall; trace written to %s%n",
                            (rows + b - 1) / b, b, backend.id(), wallMs, trace);
                }
            }
        }
        return 0;
    }
}
