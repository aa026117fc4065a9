package dev.clgrad.train;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.data.Dataset;
import dev.clgrad.io.DataSpec;
import dev.clgrad.io.ModelConfig;
import dev.clgrad.model.Sequential;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Step-by-step distance between two trainings of one config: on one device or several
 * ({@code a,b} trains on replicas), the parameters after every step, and their relative distance
 * ‖p₁ − p₂‖ / ‖p₂‖ per step. docs/SCALING.md uses it to show where two trainings that round
 * differently part: at rounding level until a ReLU decides a pre-activation's sign differently.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp clgrad/target/classes:clgrad/target/test-classes:DEPS \
 *     dev.clgrad.train.ReplicaTrajectory CONFIG.json java java,java [EVERY]
 * </pre>
 * prints {@code step S rel R maxabs M} every EVERY steps (default 1), then the largest jump.
 */
public final class ReplicaTrajectory {
    private ReplicaTrajectory() {
    }

    /** The parameters after every step of one training of cfg on the comma-separated devices. */
    static List<float[]> train(ModelConfig cfg, Dataset data, String devices) {
        List<float[]> after = new ArrayList<>();
        List<Backend> open = new ArrayList<>();
        try {
            for (String d : devices.split(",")) {
                open.add(Backends.select(d));
            }
            try (Sequential m = Sequential.fromConfig(cfg, open.get(0))) {
                Fit fit = Fit.epochs(cfg.epochs()).batchSize(cfg.batchSize()).withSeed(cfg.seed()).withQuiet(true)
                        .withCallbacks(new Callback() {
                            @Override
                            public void onBatchEnd(TrainingState state) {
                                after.add(m.parameters().toArray());
                            }
                        });
                m.fit(data, open.size() > 1 ? fit.devices(open) : fit);
            }
        } finally {
            open.forEach(Backend::close);
        }
        return after;
    }

    /** ‖a − b‖ / ‖b‖ in double. */
    static double relative(float[] a, float[] b) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            double e = (double) a[i] - b[i];
            diff += e * e;
            norm += (double) b[i] * b[i];
        }
        return Math.sqrt(diff / norm);
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            throw new IllegalArgumentException("usage: ReplicaTrajectory CONFIG.json DEVICES DEVICES [EVERY], got "
                    + Arrays.toString(args));
        }
        ModelConfig cfg = ModelConfig.read(Path.of(args[0]));
        int every = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        Dataset data = cfg.data().load(null).train();
        List<float[]> one = train(cfg, data, args[1]);
        List<float[]> two = train(cfg, data, args[2]);
        double previous = 0;
        double jump = 0;
        int jumpStep = 0;
        for (int s = 0; s < one.size(); s++) {
            float[] a = two.get(s);
            float[] b = one.get(s);
            double rel = relative(a, b);
            double maxAbs = 0;
            for (int i = 0; i < a.length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
            }
            if ((s + 1) % every == 0) {
                System.out.printf("step %d rel %.3g maxabs %.3g%n", s + 1, rel, maxAbs);
            }
            if (previous > 0 && rel / previous > jump) {
                jump = rel / previous;
                jumpStep = s + 1;
            }
            previous = rel;
        }
        System.out.printf("%s vs %s: %d steps; largest jump ×%.3g at step %d%n", args[2], args[1], one.size(), jump,
                jumpStep);
    }
}
