package dev.clgrad.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendException;
import dev.clgrad.ops.AdamHyper;
import dev.clgrad.ops.AdamUpdate;
import dev.clgrad.ops.Counter;
import dev.clgrad.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code clgrad bench adam --n N}: one AdamW step over N parameters, first checked against the
 * DESIGN.md formula in float64; {@code gbps} counts params, grads, m, v read once and params, m, v
 * written once (28·N bytes, the op's {@link AdamUpdate#cost()}); {@code copyGbps} is the
 * {@code Copy} op over N floats in the same run. The timed steps replay one prepared op with its
 * step counter advanced, as training does.
 */
@Command(name = "adam", description = "Time one AdamW step and compare with buffer-copy bandwidth.")
final class BenchAdamCommand extends Benchmark {
    static final double MAX_ERROR = 1e-5;

    @Option(names = "--n", defaultValue = "16777216", description = "Parameters (default: ${DEFAULT-VALUE}).")
    int n;

    @Override
    ObjectNode measure(Backend backend, ObjectNode result) {
        requirePositive("--n", n);
        AdamHyper h = AdamHyper.adamW(1e-3f, 0.01f);
        float[] p = random(4, n);
        float[] g = random(5, n);
        try (Tensor tp = Tensor.of(backend, p, n); Tensor tg = Tensor.of(backend, g, n);
             Tensor tm = Tensor.zeros(backend, tp.shape()); Tensor tv = Tensor.zeros(backend, tp.shape())) {
            Counter step = new Counter(1);
            AdamUpdate op = new AdamUpdate(tp, tg, tm, tv, h, step);
            Backend.Launch launch = backend.prepare(op);
            progress("checking one AdamW step of " + n + " parameters on " + backend.id() + " against float64");
            launch.run();
            float[] out = tp.toArray();
            double bc1 = 1 - h.beta1();
            double bc2 = 1 - h.beta2();
            for (int i = 0; i < n; i++) {
                double pi = p[i] - h.lr() * h.weightDecay() * (double) p[i];
                double m = (1 - h.beta1()) * (double) g[i];
                double v = (1 - h.beta2()) * (double) g[i] * g[i];
                double ref = pi - h.lr() * (m / bc1) / (Math.sqrt(v / bc2) + h.eps());
                if (!(Math.abs(out[i] - ref) <= MAX_ERROR * Math.max(1, Math.abs(ref)))) {
                    throw new BackendException("bench adam: parameter " + i + " is " + out[i] + " on " + backend.id()
                            + ", expected " + ref + "; not timing a wrong kernel");
                }
            }
            progress("timing " + repeats + " runs");
            double ms = medianMs(backend, () -> {
                step.getAndAdd(1);
                launch.run();
            });
            double gbps = gbps(op.cost().bytes(), ms);
            double copy = copyGbps(backend, tg, tm);
            return result.put("op", "adam").put("device", backend.id()).put("deviceName", backend.info().name())
                    .put("n", n).put("repeats", repeats).put("medianMs", ms).put("gbps", gbps)
                    .put("copyGbps", copy).put("fractionOfCopy", gbps / copy);
        }
    }
}
