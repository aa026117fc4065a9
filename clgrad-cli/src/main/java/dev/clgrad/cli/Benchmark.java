package dev.clgrad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.ops.Copy;
import dev.clgrad.ops.Op;
import dev.clgrad.tensor.Tensor;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * What every {@code clgrad bench} subcommand shares: {@code --device}, {@code --json},
 * {@code --repeats}, wall-clock timing (warm-up runs, at least {@code --warmup} of them and for at
 * least {@code --warmup-seconds}, so the JIT has compiled the hot code; then the median of the timed
 * runs, each ended by {@link Backend#finish()}), the device copy bandwidth of the same backend for
 * comparison, and the output (one JSON object on stdout, or a line of text). An op is timed as a
 * training step runs it: prepared once ({@link Backend#prepare}) and its launch replayed.
 */
abstract class Benchmark implements Callable<Integer> {
    @Option(names = "--device", paramLabel = "SPEC", defaultValue = "auto",
            description = "auto, java, opencl, opencl:gpu, opencl:cpu, opencl:P:D (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Option(names = "--repeats", paramLabel = "R", defaultValue = "10",
            description = "Timed runs; the median is reported (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--warmup", paramLabel = "W", defaultValue = "3",
            description = "Untimed runs first, at least (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--warmup-seconds", paramLabel = "S", defaultValue = "1",
            description = "Keep warming up until this much time has passed (default: ${DEFAULT-VALUE}).")
    double warmupSeconds;

    /** Validates, times and reports on {@code backend}; returns the result fields. */
    abstract ObjectNode measure(Backend backend, ObjectNode result);

    @Override
    public final Integer call() throws Exception {
        if (repeats < 1 || warmup < 0 || !(warmupSeconds >= 0)) {
            throw new IllegalArgumentException("bench: --repeats must be >= 1, --warmup >= 0 and --warmup-seconds >= 0,"
                    + " got " + repeats + ", " + warmup + " and " + warmupSeconds);
        }
        ObjectMapper mapper = new ObjectMapper();
        try (Backend backend = Backends.select(device)) {
            ObjectNode result = mapper.createObjectNode();
            measure(backend, result);
            if (json) {
                System.out.println(mapper.writeValueAsString(result));
            } else {
                StringBuilder sb = new StringBuilder();
                result.fields().forEachRemaining(e -> sb.append(e.getKey()).append('=').append(e.getValue().asText())
                        .append("  "));
                System.out.println(sb.toString().strip());
            }
        }
        return 0;
    }

    /** Median wall-clock milliseconds of {@code op} over the timed runs. */
    final double medianMs(Backend backend, Runnable op) {
        long start = System.nanoTime();
        double warmupNanos = warmupSeconds * 1e9;
        for (int i = 0; i < warmup || System.nanoTime() - start < warmupNanos; i++) {
            op.run();
            backend.finish();
        }
        double[] ms = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            op.run();
            backend.finish();
            ms[i] = (System.nanoTime() - t0) * 1e-6;
        }
        Arrays.sort(ms);
        return repeats % 2 == 1 ? ms[repeats / 2] : (ms[repeats / 2 - 1] + ms[repeats / 2]) / 2;
    }

    /** Bandwidth of the {@link Copy} op from src to dst (each element read once and written once), in GB/s. */
    final double copyGbps(Backend backend, Tensor src, Tensor dst) {
        Op copy = new Copy(src, dst);
        double ms = medianMs(backend, backend.prepare(copy)::run);
        return gbps(copy.cost().bytes(), ms);
    }

    static double gbps(double bytes, double ms) {
        return bytes / (ms * 1e-3) * 1e-9;
    }

    /** Uniform values in [-1, 1). */
    static float[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return x;
    }

    static void progress(String message) {
        System.err.println("clgrad bench: " + message);
    }

    static void requirePositive(String option, long value) {
        if (value < 1) {
            throw new IllegalArgumentException("bench: " + option + " must be >= 1, got " + value);
        }
    }
}
