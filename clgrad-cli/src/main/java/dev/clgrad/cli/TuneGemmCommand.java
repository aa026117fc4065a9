package dev.clgrad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.backend.opencl.GemmTuner;
import dev.clgrad.backend.opencl.OpenClBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/**
 * {@code clgrad tune gemm [--device SPEC] [--budget SECONDS] [--json]}: runs {@link GemmTuner} on an
 * OpenCL device and stores the best GEMM parameters in the device's tuning file under the cache
 * folder; progress goes to stderr, the result (best defines, GFLOP/s per shape, file) to stdout;
 * with {@code --json} the device id is {@code device} and its name {@code deviceName}, as in every
 * other command (the tuning file itself keeps the name under {@code device}).
 */
@Command(name = "gemm", description = "Tune the GEMM kernel's tiles, work per item and vector width for a device.")
final class TuneGemmCommand implements Callable<Integer> {
    @Option(names = "--device", paramLabel = "SPEC", defaultValue = "opencl",
            description = "An OpenCL device: opencl, opencl:gpu, opencl:cpu, opencl:P:D (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Option(names = "--budget", paramLabel = "SECONDS", defaultValue = "180",
            description = "Stop trying new candidates after this many seconds (default: ${DEFAULT-VALUE}).")
    double budget;

    @Override
    public Integer call() throws Exception {
        if (!(budget > 0)) {
            throw new IllegalArgumentException("tune gemm: --budget must be > 0 seconds, got " + budget);
        }
        try (Backend backend = Backends.select(device)) {
            if (!(backend instanceof OpenClBackend cl)) {
                throw new IllegalArgumentException("tune gemm: --device " + device + " selected " + backend.id()
                        + ", not an OpenCL device; tuning applies to OpenCL kernels");
            }
            ObjectNode result = new GemmTuner(cl, budget, line -> System.err.println("clgrad tune: " + line)).run();
            result.put("deviceName", result.get("device").asText()).put("device", cl.id());
            if (json) {
                result.remove("candidates");
                System.out.println(new ObjectMapper().writeValueAsString(result));
            } else {
                System.out.println("best " + result.get("defines") + " score " + String.format("%.1f GFLOP/s",
                        result.get("score").asDouble()) + " " + result.get("gflops") + "\nstored in " + result.get("file"));
            }
        }
        return 0;
    }
}
