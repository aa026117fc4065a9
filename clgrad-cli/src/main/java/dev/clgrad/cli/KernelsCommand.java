package dev.clgrad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.backend.opencl.OpenClBackend;
import dev.clgrad.backend.opencl.ProgramBuild;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code clgrad kernels [--device SPEC] [--json]}: builds every kernel file for an OpenCL device and
 * reports, per file, whether it was built from a cached binary or from source (which a driver with
 * its own cache, like PoCL, may still answer quickly) and how long the build took.
 */
@Command(name = "kernels", description = "Build every kernel file for a device; show cache hits and build times.")
final class KernelsCommand implements Callable<Integer> {
    static final List<String> FILES = List.of("gemm.cl", "elementwise.cl", "dropout.cl", "adam.cl", "loss.cl",
            "reduce.cl", "conv.cl", "conv_implicit.cl", "pool.cl", "batchnorm.cl", "constraint.cl", "softmax.cl");

    @Option(names = "--device", paramLabel = "SPEC", defaultValue = "opencl",
            description = "Device spec (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        try (Backend b = Backends.select(device)) {
            if (!(b instanceof OpenClBackend cl)) {
                throw new IllegalArgumentException("kernels: device " + b.id() + " is not an OpenCL device");
            }
            long t0 = System.nanoTime();
            for (String f : FILES) {
                cl.buildProgram(f);
            }
            double total = (System.nanoTime() - t0) / 1e6;
            if (json) {
                ObjectMapper mapper = new ObjectMapper();
                ObjectNode root = mapper.createObjectNode().put("device", cl.id())
                        .put("deviceName", cl.info().name()).put("binding", cl.binding())
                        .put("binaryCache", cl.cachesBinaries()).put("totalMs", total);
                for (ProgramBuild p : cl.builds()) {
                    root.withArray("programs").addObject().put("file", p.file()).put("cached", p.fromCache())
                            .put("ms", p.millis());
                }
                System.out.println(mapper.writeValueAsString(root));
            } else {
                for (ProgramBuild p : cl.builds()) {
                    System.out.printf("%-16s %-8s %8.1f ms%n", p.file(), p.fromCache() ? "binary" : "source", p.millis());
                }
                System.out.printf("%-16s %-8s %8.1f ms  (%s, %s; %s)%n", "total", "", total, cl.info().name(), cl.binding(),
                        cl.cachesBinaries() ? "binaries cached by clgrad" : "binaries left to the driver's own cache");
            }
        }
        return 0;
    }
}
