package dev.clgrad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.backend.opencl.ConvTuner;
import dev.clgrad.backend.opencl.OpenClBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code clgrad tune conv [--device SPEC] [--budget SECONDS] [--json]}: on the CNN samples' four
 * convolutions at batch 128 ({@link ConvTuner}), times im2col, the GEMM of its cols, the implicit
 * GEMM and col2im, and chooses the algorithm per program kind. On an OpenCL device it also searches
 * conv.cl's and conv_implicit.cl's defines and stores the result in the device's tuning file (run it
 * after {@code tune gemm}, which writes that file anew); on the Java backend, which has no tuning
 * file, it reports the measurement and the choice it implies (the backend's built-in choice is the
 * one docs/BENCHMARKS.md records). Progress goes to stderr, the result to stdout.
 */
@Command(name = "conv", description = "Choose im2col or the implicit GEMM for convolutions, by measurement on the "
        + "CNN samples' shapes, and tune the convolution kernels' defines.")
final class TuneConvCommand implements Callable<Integer> {
    @Option(names = "--device", paramLabel = "SPEC", defaultValue = "opencl",
            description = "A device: opencl, opencl:P:D, java (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Option(names = "--budget", paramLabel = "SECONDS", defaultValue = "120",
            description = "Stop trying new candidates after this many seconds (default: ${DEFAULT-VALUE}).")
    double budget;

    @Override
    public Integer call() throws Exception {
        if (!(budget > 0)) {
            throw new IllegalArgumentException("tune conv: --budget must be > 0 seconds, got " + budget);
        }
        ObjectMapper mapper = new ObjectMapper();
        try (Backend backend = Backends.select(device)) {
            ObjectNode result;
            if (backend instanceof OpenClBackend cl) {
                result = new ConvTuner(cl, budget, line -> System.err.println("clgrad tune: " + line)).run();
                result.put("deviceName", result.get("device").asText()).put("device", cl.id());
            } else {
                result = mapper.createObjectNode().put("device", backend.id()).put("deviceName", backend.info().name());
                ObjectNode conv = result.putObject("conv");
                ObjectNode shapes = conv.putObject("shapes");
                double im2col = 0;
                double gemm = 0;
                double implicit = 0;
                for (Map.Entry<String, ConvTuner.Times> e : ConvTuner.time(backend).entrySet()) {
                    ConvTuner.Times t = e.getValue();
                    shapes.putObject(e.getKey()).put("im2colMs", t.im2col()).put("gemmMs", t.gemm())
                            .put("implicitMs", t.implicit()).put("col2imMs", t.col2im());
                    im2col += t.im2col();
                    gemm += t.gemm();
                    implicit += t.implicit();
                }
                conv.putObject("total").put("im2colMs", im2col).put("gemmMs", gemm).put("implicitMs", implicit);
                conv.put("inference", implicit < im2col + gemm ? "implicit" : "im2col")
                        .put("training", implicit < gemm ? "implicit" : "im2col");
            }
            ObjectNode conv = (ObjectNode) result.get("conv");
            if (json) {
                conv.remove("candidates");
                System.out.println(mapper.writeValueAsString(result));
                return 0;
            }
            conv.get("shapes").fields().forEachRemaining(e -> System.out.println(String.format(
                    "%-42s im2col %7.2f ms + gemm %7.2f ms | implicit %7.2f ms | col2im %7.2f ms", e.getKey(),
                    e.getValue().get("im2colMs").asDouble(), e.getValue().get("gemmMs").asDouble(),
                    e.getValue().get("implicitMs").asDouble(), e.getValue().path("col2imMs").asDouble())));
            System.out.println("inference: " + conv.get("inference").asText() + ", training: "
                    + conv.get("training").asText() + (result.has("file") ? "\nstored in " + result.get("file").asText()
                    + " " + result.get("defines") : "\n(the Java backend has no tuning file: not stored)"));
        }
        return 0;
    }
}
