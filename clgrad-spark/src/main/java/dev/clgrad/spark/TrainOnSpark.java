package dev.clgrad.spark;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.data.Dataset;
import dev.clgrad.io.ModelConfig;
import dev.clgrad.model.Sequential;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * {@code clgrad train} on a Spark cluster, for {@code spark-submit --class dev.clgrad.spark.TrainOnSpark}:
 * <pre>
 * TrainOnSpark CONFIG.json [--master URL] [--tasks N] [--device SPEC] [--epochs N] [--rows N]
 *              [--checkpoints URI] [--every STEPS] [--average K]
 * </pre>
 * Every executor reads the config's training data itself (the config and its data files must be
 * readable at the same paths on every machine: a shared file system) and emits its chunks of rows;
 * {@link SparkTrainer} then trains with gradient exchange every step (or model averaging every K
 * steps with {@code --average K}), checkpointing to {@code --checkpoints} every {@code --every}
 * steps. The driver prints each epoch's loss and metrics, how the stage ended (its attempt, the
 * checkpoint it resumed from) and the test split's accuracy. {@code --master} defaults to the
 * {@code spark.master} that spark-submit sets; {@code --rows} takes the first N training rows.
 */
public final class TrainOnSpark {
    private static final int CHUNK = 1000;
    private static final Map<String, Dataset> CACHE = new HashMap<>();

    private TrainOnSpark() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args[0].startsWith("--")) {
            System.err.println("usage: TrainOnSpark CONFIG.json [--master URL] [--tasks N] [--device SPEC] [--epochs N] "
                    + "[--rows N] [--checkpoints URI] [--every STEPS] [--average K]");
            System.exit(2);
        }
        Path configFile = Path.of(args[0]).toAbsolutePath();
        Map<String, String> opt = new HashMap<>();
        for (int i = 1; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --option value pairs after the config, got '" + args[i] + "'");
            }
            opt.put(args[i].substring(2), args[i + 1]);
        }
        ModelConfig config = ModelConfig.read(configFile);
        SparkConf conf = new SparkConf().setAppName("clgrad-spark " + config.name());
        if (opt.containsKey("master")) {
            conf.setMaster(opt.get("master"));
        }
        int tasks = Integer.parseInt(opt.getOrDefault("tasks", "2"));
        long rows = Math.min(train(configFile.toString()).rows(), Long.parseLong(opt.getOrDefault("rows",
                Long.toString(Long.MAX_VALUE))));
        SparkFitOptions options = SparkFitOptions.defaults().device(opt.getOrDefault("device", "auto")).tasks(tasks)
                .inputShape(train(configFile.toString()).sampleShape().dims());
        if (opt.containsKey("epochs")) {
            options = options.withEpochs(Integer.parseInt(opt.get("epochs")));
        }
        if (opt.containsKey("checkpoints")) {
            options = options.checkpoints(opt.get("checkpoints"), Integer.parseInt(opt.getOrDefault("every", "0")));
        }
        if (opt.containsKey("average")) {
            options = options.modelAveraging(Integer.parseInt(opt.get("average")));
        }
        try (JavaSparkContext jsc = new JavaSparkContext(conf)) {
            List<Integer> chunks = new ArrayList<>();
            for (int at = 0; at < rows; at += CHUNK) {
                chunks.add(at);
            }
            String file = configFile.toString();
            long total = rows;
            JavaRDD<LabeledSample> data = jsc.parallelize(chunks, tasks).flatMap(at -> chunk(file, at, total));
            long t0 = System.nanoTime();
            SparkHistory h = SparkTrainer.fit(config, data, options);
            double seconds = (System.nanoTime() - t0) / 1e9;
            for (int e = 0; e < h.epochs(); e++) {
                StringBuilder line = new StringBuilder(String.format("epoch %d/%d: loss %.4f", e + 1, h.epochs(),
                        h.loss().get(e)));
                for (String m : h.metricNames()) {
                    line.append(String.format(", %s %.4f", m, h.get(m).get(e)));
                }
                System.out.println(line.append(", samples ").append(h.samples().get(e)));
            }
            System.out.printf("stage attempt %d finished; resumed from %s; it ran %d steps; %d tasks; %.0f samples/s; "
                            + "exchange %.2f ms/step (allGather %.2f ms), %.0f chars through allGather per step and task; "
                            + "fit %.1f s%n", h.stageAttempt(), h.resumedFrom() == null ? "nothing" : h.resumedFrom(),
                    h.stepsRun(), h.tasks(), h.samplesPerSecond(), h.exchangeMsPerStep(), h.allGatherMsPerStep(),
                    h.exchangeBytesPerStep(), seconds);
            Dataset test = config.data().load(null).test();
            if (test != null) {
                try (Backend java = Backends.select("java"); Sequential model = h.model(java)) {
                    System.out.println("test " + model.evaluate(test));
                }
            }
        }
    }

    /** The config's training split, read once per JVM. */
    private static synchronized Dataset train(String configFile) {
        return CACHE.computeIfAbsent(configFile, f -> {
            try {
                return ModelConfig.read(Path.of(f)).data().load(null).train();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Rows [at, min(at + CHUNK, rows)) of the training split. */
    private static Iterator<LabeledSample> chunk(String configFile, int at, long rows) {
        Dataset d = train(configFile);
        int n = (int) Math.min(CHUNK, rows - at);
        List<LabeledSample> out = new ArrayList<>(n);
        float[] x = d.x();
        float[] y = d.y();
        int f = d.features();
        int t = d.targets();
        for (int i = at; i < at + n; i++) {
            float[] xi = new float[f];
            float[] yi = new float[t];
            System.arraycopy(x, i * f, xi, 0, f);
            System.arraycopy(y, i * t, yi, 0, t);
            out.add(new LabeledSample(xi, yi));
        }
        return out.iterator();
    }
}
