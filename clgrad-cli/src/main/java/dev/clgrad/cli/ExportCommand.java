package dev.clgrad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.io.ModelConfig;
import dev.clgrad.io.OnnxExport;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.OnnxGraph;
import dev.clgrad.tensor.Shape;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * {@code clgrad export CONFIG.json --weights W.safetensors --onnx OUT.onnx [--input-shape D,…]
 * [--data DIR] [--device SPEC] [--json]}: writes the model of a config with trained weights (as
 * {@code train --save} wrote them) as an ONNX file, atomically ({@link Sequential#exportOnnx};
 * opset {@value OnnxGraph#OPSET}, input {@code input} (batch, in…) in clgrad's layout, output
 * {@code output}). The per-sample input shape is {@code --input-shape}, else the config's
 * {@code inputShape}, else the sample shape of the config's training set (read from {@code --data}
 * or the config's folder). The device only holds the weights while they are written; it defaults to
 * {@code java}, since nothing is computed. The summary (stdout; one JSON object with {@code --json}):
 * {@code onnx}, {@code opset}, {@code inputShape}, {@code outputShape} (per sample), {@code nodes},
 * {@code initializers}, {@code bytes}, {@code device}. Bad arguments and files exit 2 with one line.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write the model of a JSON config with trained weights as an ONNX file (opset 17).")
final class ExportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CONFIG.json", description = "The model config (see samples/*.json).")
    Path config;

    @Option(names = "--weights", paramLabel = "W.safetensors", required = true,
            description = "Trained weights, as train --save writes them.")
    Path weights;

    @Option(names = "--onnx", paramLabel = "OUT.onnx", required = true, description = "The ONNX file to write.")
    Path onnx;

    @Option(names = "--input-shape", paramLabel = "D", split = ",",
            description = "Per-sample input shape, such as 28,28,1 (default: the config's inputShape, else its data's).")
    int[] inputShape;

    @Option(names = "--data", paramLabel = "DIR",
            description = "Folder of the data files, for the input shape when neither --input-shape nor the config gives it.")
    Path data;

    @Option(names = "--device", paramLabel = "SPEC",
            description = "auto, java, opencl, opencl:gpu, opencl:cpu, opencl:P:D (default: java; nothing is computed).")
    String device = "java";

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        OutputPaths.checkConfig("export", config);
        if (!Files.isRegularFile(weights)) {
            throw new IllegalArgumentException("export: --weights " + weights + ": no such file; expected the "
                    + ".safetensors file train --save wrote");
        }
        if (Files.isDirectory(onnx)) {
            throw new IllegalArgumentException("export: --onnx " + onnx + ": is a folder; expected a file name (such as "
                    + onnx.resolve("model.onnx") + ")");
        }
        if (inputShape != null && (inputShape.length < 1 || inputShape.length > 4
                || Arrays.stream(inputShape).anyMatch(d -> d < 1))) {
            throw new IllegalArgumentException("export: --input-shape must be 1 to 4 dimensions, each >= 1, such as "
                    + "28,28,1; got " + Arrays.toString(inputShape));
        }
        new OutputPaths("export").file("--onnx", onnx);
        ModelConfig cfg = ModelConfig.read(config);
        Shape in = inputShape != null ? Shape.of(inputShape)
                : cfg.inputShape() != null ? cfg.inputShape() : cfg.data().loadTrain(data).sampleShape();
        try (Backend backend = Backends.select(device); Sequential model = Sequential.fromConfig(cfg, backend)) {
            model.build(in);
            model.loadWeights(weights);
            OnnxExport.Summary s = model.exportOnnx(onnx);
            Shape out = model.layers().get(model.layers().size() - 1).outputShape();
            print(model.inputShape(), out, s, backend.id());
        }
        return 0;
    }

    private void print(Shape in, Shape out, OnnxExport.Summary s, String deviceId) throws Exception {
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode root = mapper.createObjectNode();
            root.put("onnx", onnx.toString());
            root.put("opset", OnnxGraph.OPSET);
            Arrays.stream(in.dims()).forEach(root.putArray("inputShape")::add);
            Arrays.stream(out.dims()).forEach(root.putArray("outputShape")::add);
            root.put("nodes", s.nodes());
            root.put("initializers", s.initializers());
            root.put("bytes", s.bytes());
            root.put("device", deviceId);
            System.out.println(mapper.writeValueAsString(root));
            return;
        }
        System.out.println("wrote " + onnx + ": ONNX opset " + OnnxGraph.OPSET + ", input " + batched(in) + ", output "
                + batched(out) + ", " + s.nodes() + " nodes, " + s.initializers() + " initializers, " + s.bytes()
                + " bytes");
    }

    /** (batch, d1, …). */
    private static String batched(Shape s) {
        return "(batch, " + String.join(", ", Arrays.stream(s.dims()).mapToObj(String::valueOf).toList()) + ")";
    }
}
