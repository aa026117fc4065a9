package dev.clgrad.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendException;
import dev.clgrad.ops.ApplyMask;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.Philox;
import dev.clgrad.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code clgrad bench dropout --n N --p P}: the Philox dropout forward over N floats, first checked
 * element by element against {@link Philox#keep}; {@code gbps} counts x read once and y written
 * once (8·N bytes, the op's {@link ApplyMask#cost()}), {@code copyGbps} is the {@code Copy} op over
 * the same tensors in the same run.
 */
@Command(name = "dropout", description = "Time the Philox dropout forward pass and compare with buffer-copy bandwidth.")
final class BenchDropoutCommand extends Benchmark {
    static final long SEED = 0x5EED;
    static final long OFFSET = 0xFFFF_FF00L;

    @Option(names = "--n", defaultValue = "16777216", description = "Elements (default: ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--p", defaultValue = "0.5", description = "Dropout rate in [0, 1) (default: ${DEFAULT-VALUE}).")
    float p;

    @Override
    ObjectNode measure(Backend backend, ObjectNode result) {
        requirePositive("--n", n);
        int t = Philox.threshold(p);
        float[] x = random(3, n);
        try (Tensor tx = Tensor.of(backend, x, n); Tensor ty = Tensor.empty(backend, tx.shape())) {
            ApplyMask op = new ApplyMask(tx, Mask.fixed(p, SEED, OFFSET), ty);
            Backend.Launch launch = backend.prepare(op);
            progress("checking dropout of " + n + " floats on " + backend.id() + " against Philox.keep");
            launch.run();
            float[] y = ty.toArray();
            float scale = Philox.keepScale(p);
            for (int i = 0; i < n; i++) {
                float expected = Philox.keep(SEED, OFFSET, i, t) ? x[i] * scale : 0f;
                if (Math.abs(y[i] - expected) > 1e-6f * Math.abs(expected)) {
                    throw new BackendException("bench dropout: element " + i + " is " + y[i] + " on " + backend.id()
                            + ", expected " + expected + "; not timing a wrong kernel");
                }
            }
            progress("timing " + repeats + " runs");
            double ms = medianMs(backend, launch::run);
            double gbps = gbps(op.cost().bytes(), ms);
            double copy = copyGbps(backend, tx, ty);
            return result.put("op", "dropout").put("device", backend.id()).put("deviceName", backend.info().name())
                    .put("n", n).put("p", p).put("repeats", repeats).put("medianMs", ms).put("gbps", gbps)
                    .put("copyGbps", copy).put("fractionOfCopy", gbps / copy);
        }
    }
}
