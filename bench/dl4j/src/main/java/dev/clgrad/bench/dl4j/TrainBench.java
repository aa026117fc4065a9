package dev.clgrad.bench.dl4j;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Deeplearning4j peer for {@code clgrad bench train samples/fashion-mnist-mlp.json}: the same MLP
 * (784-512-512-10, ReLU, dropout 0.5 after each hidden layer, softmax cross-entropy), Adam lr 1e-3,
 * batch 128, float32, timed like bench/pytorch/train_bench.py: one warm-up epoch over shuffled
 * mini-batches, then the median of the timed epochs. Per step the host gathers the batch into
 * staging arrays and hands them to {@code MultiLayerNetwork.fit(DataSet)}.
 *
 * <pre>bench/dl4j/run.sh [--data DIR] [--rows R] [--repeats N] [--config NAME | --list-configs]</pre>
 *
 * Without {@code --config} it trains at every thread configuration, each in a JVM of its own (ND4J
 * sizes its OpenMP pool, and the OpenBLAS threads it sets, from {@code OMP_NUM_THREADS} when its
 * native code loads): {@code default} (nothing set) and {@code ompT} ({@code OMP_NUM_THREADS=T}) for
 * T in {1, the CPU count}. One JSON object per configuration (samplesPerSec, usPerStep,
 * medianEpochMs, the per-epoch times, the OpenMP and BLAS threads ND4J reports), the fastest marked
 * {@code "best":true}, then a summary on stderr.
 */
public final class TrainBench {
    private static final int BATCH = 128;
    private static final int CLASSES = 10;

    private TrainBench() {
    }

    /** The environment variable that tells a child JVM it already runs with its configuration. */
    private static final String MARK = "CLGRAD_PEER_CONFIG";

    /** Configuration name to the environment it sets. */
    static Map<String, Map<String, String>> configs() {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        out.put("default", Map.of());
        int n = Runtime.getRuntime().availableProcessors();
        for (int t : n > 1 ? new int[] {1, n} : new int[] {1}) {
            out.put("omp" + t, Map.of("OMP_NUM_THREADS", Integer.toString(t)));
        }
        return out;
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        String data = "/usr/share/datasets/fashion-mnist";
        int rows = 0;
        int repeats = 3;
        String config = null;
        List<String> passOn = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].equals("--config") && !args[i].equals("--list-configs") && i + 1 < args.length) {
                passOn.add(args[i]);
                passOn.add(args[i + 1]);
            }
            switch (args[i]) {
                case "--data" -> data = args[++i];
                case "--rows" -> rows = Integer.parseInt(args[++i]);
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                case "--config" -> config = args[++i];
                case "--list-configs" -> {
                    List<String> items = new ArrayList<>();
                    configs().forEach((k, v) -> items.add("\"" + k + "\":" + json(v)));
                    System.out.println("{" + String.join(",", items) + "}");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; expected --data DIR, --rows R, --repeats N, --config NAME, --list-configs");
            }
        }
        if (config != null && !configs().containsKey(config)) {
            throw new IllegalArgumentException("unknown configuration " + config + "; expected one of " + configs().keySet());
        }
        if (config == null) {
            sweep(passOn);
            return;
        }
        if (!config.equals(System.getenv(MARK))) {
            Process p = child(config, passOn).inheritIO().start();
            System.exit(p.waitFor());
        }
        float[] x = images(Path.of(data, "train-images-idx3-ubyte.gz"));
        int[] y = labels(Path.of(data, "train-labels-idx1-ubyte.gz"));
        int n = rows > 0 ? Math.min(rows, y.length) : y.length;
        int features = x.length / y.length;

        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(42)
                .dataType(DataType.FLOAT)
                .updater(new Adam(1e-3))
                .weightInit(WeightInit.RELU_UNIFORM)
                .list()
                .layer(new DenseLayer.Builder().nIn(features).nOut(512).activation(Activation.RELU).build())
                // DL4J's dropout argument is the probability of keeping an activation: 0.5 either way.
                .layer(new DropoutLayer.Builder(0.5).build())
                .layer(new DenseLayer.Builder().nIn(512).nOut(512).activation(Activation.RELU).build())
                .layer(new DropoutLayer.Builder(0.5).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(512).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();

        Random rnd = new Random(42);
        int[] order = new int[n];
        Arrays.setAll(order, i -> i);
        float[] bx = new float[BATCH * features];
        float[] by = new float[BATCH * CLASSES];
        epoch(net, x, y, features, order, rnd, bx, by);
        List<Double> ms = new ArrayList<>();
        for (int r = 0; r < repeats; r++) {
            long t0 = System.nanoTime();
            epoch(net, x, y, features, order, rnd, bx, by);
            ms.add((System.nanoTime() - t0) / 1e6);
        }
        List<Double> sorted = new ArrayList<>(ms);
        sorted.sort(null);
        double median = sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2)
                : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
        int steps = (n + BATCH - 1) / BATCH;
        Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
        System.out.println(String.format(Locale.ROOT, "{\"config\":\"%s\",\"env\":%s,\"peer\":\"dl4j\",\"model\":\"mnist\","
                        + "\"dl4j\":\"1.0.0-M2.1\",\"backend\":\"%s\",\"cpus\":%d,\"ompThreads\":%s,\"blasThreads\":%s,"
                        + "\"blas\":\"%s\",\"rows\":%d,\"batch\":%d,\"repeats\":%d,\"epochMs\":%s,"
                        + "\"medianEpochMs\":%.3f,\"samplesPerSec\":%.1f,\"usPerStep\":%.1f}",
                config, json(configs().get(config)), Nd4j.getExecutioner().getClass().getSimpleName(),
                Runtime.getRuntime().availableProcessors(), env.getOrDefault("omp.threads", "null"),
                env.getOrDefault("blas.threads", "null"), env.getOrDefault("blas.vendor", "?"), n, BATCH, repeats,
                ms.toString().replace(" ", ""), median, n / (median / 1e3), median * 1e3 / steps));
    }

    /** Every configuration in a JVM of its own; prints each result, the fastest marked best. */
    private static void sweep(List<String> passOn) throws IOException, InterruptedException {
        List<String> lines = new ArrayList<>();
        double bestRate = -1;
        int best = -1;
        Pattern rate = Pattern.compile("\"samplesPerSec\":([0-9.eE+-]+)");
        for (String name : configs().keySet()) {
            Process p = child(name, passOn).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String last = null;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("{")) {
                        last = line;
                    }
                }
            }
            int code = p.waitFor();
            if (code != 0 || last == null) {
                throw new IllegalStateException("configuration " + name + " failed with exit code " + code);
            }
            Matcher m = rate.matcher(last);
            double v = m.find() ? Double.parseDouble(m.group(1)) : -1;
            if (v > bestRate) {
                bestRate = v;
                best = lines.size();
            }
            lines.add(last);
        }
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            System.out.println(l.substring(0, l.length() - 1) + ",\"best\":" + (i == best) + "}");
        }
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = rate.matcher(lines.get(i));
            System.err.printf(Locale.ROOT, "dl4j: %-8s %10s samples/s%s%n", configs().keySet().toArray()[i],
                    m.find() ? m.group(1) : "?", i == best ? "  <- best" : "");
        }
    }

    /** This JVM's command line again, for {@code config}, with its environment and the marker set. */
    private static ProcessBuilder child(String config, List<String> passOn) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(TrainBench.class.getName());
        cmd.addAll(passOn);
        cmd.add("--config");
        cmd.add(config);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(configs().get(config));
        pb.environment().put(MARK, config);
        return pb;
    }

    private static String json(Map<String, String> env) {
        List<String> items = new ArrayList<>();
        env.forEach((k, v) -> items.add("\"" + k + "\":\"" + v + "\""));
        return "{" + String.join(",", items) + "}";
    }

    /** One pass over the shuffled rows in batches of {@link #BATCH} (the last one shorter). */
    private static void epoch(MultiLayerNetwork net, float[] x, int[] y, int features, int[] order, Random rnd,
                              float[] bx, float[] by) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int s = 0; s < order.length; s += BATCH) {
            int rows = Math.min(BATCH, order.length - s);
            Arrays.fill(by, 0, rows * CLASSES, 0f);
            for (int r = 0; r < rows; r++) {
                int src = order[s + r];
                System.arraycopy(x, src * features, bx, r * features, features);
                by[r * CLASSES + y[src]] = 1f;
            }
            float[] fx = rows == BATCH ? bx : Arrays.copyOf(bx, rows * features);
            float[] fy = rows == BATCH ? by : Arrays.copyOf(by, rows * CLASSES);
            net.fit(new DataSet(Nd4j.create(fx, new long[] {rows, features}, DataType.FLOAT),
                    Nd4j.create(fy, new long[] {rows, CLASSES}, DataType.FLOAT)));
        }
    }

    /** An IDX (gzip) image file as (N, rows·cols) floats in [0, 1]. */
    private static float[] images(Path file) throws IOException {
        try (DataInputStream in = idx(file, 0x803)) {
            int count = in.readInt();
            int size = in.readInt() * in.readInt();
            byte[] raw = in.readNBytes(count * size);
            if (raw.length != count * size) {
                throw new IOException(file + ": expected " + count * size + " pixel bytes, got " + raw.length);
            }
            float[] out = new float[raw.length];
            for (int i = 0; i < raw.length; i++) {
                out[i] = (raw[i] & 0xFF) / 255f;
            }
            return out;
        }
    }

    /** An IDX (gzip) label file as class indices. */
    private static int[] labels(Path file) throws IOException {
        try (DataInputStream in = idx(file, 0x801)) {
            int count = in.readInt();
            byte[] raw = in.readNBytes(count);
            if (raw.length != count) {
                throw new IOException(file + ": expected " + count + " labels, got " + raw.length);
            }
            int[] out = new int[count];
            for (int i = 0; i < count; i++) {
                out[i] = raw[i] & 0xFF;
            }
            return out;
        }
    }

    private static DataInputStream idx(Path file, int magic) throws IOException {
        InputStream raw = new GZIPInputStream(new FileInputStream(file.toFile()), 1 << 16);
        DataInputStream in = new DataInputStream(raw);
        int m = in.readInt();
        if (m != magic) {
            in.close();
            throw new IOException(file + ": IDX magic 0x" + Integer.toHexString(m) + ", expected 0x"
                    + Integer.toHexString(magic));
        }
        return in;
    }
}
