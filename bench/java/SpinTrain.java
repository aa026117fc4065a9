import dev.clgrad.backend.java.JavaBackend;
import dev.clgrad.data.Dataset;
import dev.clgrad.io.ModelConfig;
import dev.clgrad.model.Sequential;
import dev.clgrad.train.Fit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The Java backend's {@code clgrad.spinMicros} settings against each other in one JVM, so that they
 * share its compiled code: one MLP per setting on its own backend, warmed up together for 8 s, then
 * ROUNDS epochs of 10,000 Fashion-MNIST rows each, the settings alternating; prints samples/s
 * (median and quartiles) per setting.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp clgrad-cli/target/clgrad.jar bench/java/SpinTrain.java 0,1000 30</pre>
 */
public final class SpinTrain {
    public static void main(String[] args) throws Exception {
        String[] spins = (args.length > 0 ? args[0] : "0,1000").split(",");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        ModelConfig cfg = ModelConfig.read(Path.of("samples/fashion-mnist-mlp.json"));
        Dataset train = cfg.data().loadTrain(null).slice(0, 10_000);
        Fit fit = Fit.epochs(1).withBatchSize(cfg.batchSize()).withSeed(cfg.seed()).withQuiet(true);
        List<JavaBackend> backends = new ArrayList<>();
        List<Sequential> models = new ArrayList<>();
        List<List<Double>> rates = new ArrayList<>();
        for (String spin : spins) {
            System.setProperty("clgrad.spinMicros", spin);
            backends.add(new JavaBackend());
            models.add(Sequential.fromConfig(cfg, backends.get(backends.size() - 1)));
            rates.add(new ArrayList<>());
        }
        long warm = System.nanoTime() + 8_000_000_000L;
        while (System.nanoTime() < warm) {
            for (Sequential m : models) {
                m.fit(train, fit);
            }
        }
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < models.size(); i++) {
                long t0 = System.nanoTime();
                models.get(i).fit(train, fit);
                rates.get(i).add(train.rows() / ((System.nanoTime() - t0) / 1e9));
            }
        }
        for (int i = 0; i < spins.length; i++) {
            List<Double> v = rates.get(i);
            Collections.sort(v);
            System.out.printf("clgrad.spinMicros=%s: median %.0f samples/s (quartiles %.0f, %.0f) over %d epochs%n", spins[i],
                    v.get(v.size() / 2), v.get(v.size() / 4), v.get(3 * v.size() / 4), v.size());
        }
        for (int i = 0; i < models.size(); i++) {
            models.get(i).close();
            backends.get(i).close();
        }
    }
}
