package dev.clgrad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.exec.Planner;
import dev.clgrad.io.DataSpec;
import dev.clgrad.io.ModelConfig;
import dev.clgrad.model.Sequential;
import dev.clgrad.tensor.Shape;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code clgrad explain CONFIG.json [--device SPEC] [--batch B] [--data DIR] [--json]}: plans one
 * training step of the config's model at batch B (default: the config's batchSize) on the device
 * and prints it ({@link Sequential#explain}): each launch with the op and epilogue it runs, the ops
 * it fuses, its layers, its buffers and whether the device runs it as one kernel, then the peak
 * workspace against what per-layer buffers would take. Nothing is trained. The model is built for
 * the samples of the config's data: a {@code random-normal} spec gives its width without making
 * the data; other specs are loaded to learn it.
 *
 * <p>With {@code --json} stdout holds one object: {@code {"device", "batch", "launches": [{"op",
 * "name", "layers": […], "fuses": […], "oneLaunch", "kernels": […], "buffers"}, …], "kernelLaunches",
 * "peakWorkspaceBytes", "perLayerBytes"}}, where {@code kernelLaunches} counts a launch the
 * device does not fuse as its parts.
 */
@Command(name = "explain",
        description = "Print the planned launches of one training step: the ops each fuses, its layers and buffers, "
                + "and the peak workspace.")
final class ExplainCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CONFIG.json", description = "The model config (see samples/*.json).")
    Path config;

    @Option(names = "--device", paramLabel = "SPEC", description = "auto, java, opencl, opencl:gpu, opencl:cpu, opencl:P:D (default: auto, or -Dclgrad.device).")
    String device;

    @Option(names = "--batch", paramLabel = "B", description = "Rows per batch (default: the config's batchSize).")
    Integer batch;

    @Option(names = "--data", paramLabel = "DIR", description = "Folder of the data files, replacing the config's (default: the config's).")
    Path data;

    @Option(names = "--json", description = "Print the plan as one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        ModelConfig cfg = ModelConfig.read(config);
        int b = batch != null ? batch : cfg.batchSize();
        if (b < 1) {
            throw new IllegalArgumentException("explain: --batch must be >= 1, got " + b);
        }
        Shape sample = sampleShape(cfg.data());
        try (Backend backend = Backends.select(device); Sequential model = Sequential.fromConfig(cfg, backend)) {
            model.build(sample, b);
            if (!json) {
                System.out.print(model.explain(b));
                return 0;
            }
            System.out.println(new ObjectMapper().writeValueAsString(toJson(model.plan(b))));
        }
        return 0;
    }

    /** The per-sample input shape of the data: from the spec where it says, else from the loaded training set. */
    private Shape sampleShape(DataSpec spec) throws IOException {
        if (spec.type().equals("random-normal")) {
            return Shape.of(spec.features());
        }
        return spec.load(data).train().sampleShape();
    }

    static ObjectNode toJson(Planner.Plan plan) {
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("device", plan.device());
        root.put("batch", plan.rows());
        ArrayNode launches = root.putArray("launches");
        for (Planner.Plan.Launch l : plan.launches()) {
            ObjectNode n = launches.addObject();
            n.put("op", l.op());
            n.put("name", l.name());
            ArrayNode layers = n.putArray("layers");
            for (String s : l.layers().split("\\+")) {
                layers.add(s);
            }
            ArrayNode fuses = n.putArray("fuses");
            l.fuses().forEach(fuses::add);
            n.put("oneLaunch", l.oneLaunch());
            ArrayNode kernels = n.putArray("kernels");
            l.kernels().forEach(kernels::add);
            n.put("buffers", l.buffers());
        }
        root.put("kernelLaunches", plan.kernelLaunches());
        root.put("peakWorkspaceBytes", plan.peakWorkspaceBytes());
        root.put("perLayerBytes", plan.perLayerBytes());
        return root;
    }
}
