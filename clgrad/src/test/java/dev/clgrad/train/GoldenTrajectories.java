package dev.clgrad.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.backend.opencl.OpenClBackend;
import dev.clgrad.data.Batches;
import dev.clgrad.data.Dataset;
import dev.clgrad.io.ModelConfig;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Dropout;
import dev.clgrad.nn.Layer;
import dev.clgrad.model.Sequential;
import dev.clgrad.ops.ApplyMask;
import dev.clgrad.ops.Mask;
import dev.clgrad.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The training trajectories recorded before the layers → ops → planner redesign, and the code that
 * drives them (shared with {@link TrajectoryParityTest}). The files in
 * {@code clgrad/src/test/resources/golden/<model>-<backend>.json} were written by this program run on the
 * engine of commit 9d463c3, the last before the redesign, so the parity test holds today's engine
 * to those numbers. Rewrite them only to accept a deliberate change of the arithmetic. The program
 * is test-scope, not a test; run it from the repository root with the JVM options surefire uses (exec runs it in the
 * module's folder, clgrad/):
 * <pre>
 * mvn -B -q -pl clgrad test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:exec -Dexec.executable=java \
 *   -Dexec.classpathScope=test -Dexec.args="-Xmx4g --add-modules jdk.incubator.vector \
 *   -Dclgrad.cache=target/kernel-cache -cp %classpath dev.clgrad.train.GoldenTrajectories src/test/resources/golden"
 * </pre>
 * Further arguments after the folder ({@code seed-simplenet-java fashion-mnist-mlp-opencl}, …) rewrite only those files.
 *
 * <p>What the files depend on: the Java ones hold the Vector API kernels' results (surefire's
 * argLine adds the module) and are the same bits with 1, 2 or 4 threads and 256- or 512-bit vectors;
 * the OpenCL ones are those of the device they name (recorded on PoCL 3.1's pthread CPU device,
 * AVX-512), and another device or driver is expected to round differently. For scale: the MLP's
 * Java and PoCL trajectories, which differ only in float32 rounding, differ by 1e-7 at step 1, pass
 * 1e-6 at step 24 and differ by 2.6% at step 100; the seed model's stay within 3.2e-7.
 *
 * <p>Each trajectory is {@link #STEPS} training steps of one model on one backend, driven the way
 * {@link Trainer} drives a fit, without shuffling (so that the shuffle code plays no part):
 * {@code new Sequential(backend, 42)}, {@code add} the layers, {@code compile}, {@code build(features)},
 * {@code reserve(batchSize)}; then per step: {@link Batches#fill} gathers the step's rows (in file
 * order; the seed model's 1,000 rows are 32 batches per epoch, the last of 8 rows, so 100 steps run
 * three epochs and four steps of a fourth), {@code resetTotals()}, {@code trainBatch(x, y, rows)},
 * {@code totals()}. x packs the rows' features row-major (rows·I); y packs their targets (rows·1):
 * the regression target for MSE, the class index as a float for sparse categorical cross-entropy
 * (exactly what {@link Batches#fill} gives {@link Trainer}). Recorded: per step the batch loss
 * ({@code totals()[0]}) and the correct count ({@code totals()[1]}, 0 without the accuracy metric);
 * per dropout layer its Philox seed, the counter base of its first call, the first
 * {@link #MASK_BITS} keep bits of that call ({@link ApplyMask} over ones at that seed
 * and offset, as {@code clgrad dropout-mask} computes them) and its counter base after the last step;
 * after the last step, per named parameter its shape, sum and sum of squares (in double, in index
 * order) and a sample of its values ({@link #SAMPLE_FIRST} first, then every {@code stride}-th;
 * stride 1, so every value, for the seed model); and a fingerprint of the data (sums of x and y).
 */
public final class GoldenTrajectories {
    /** Training steps per trajectory. */
    static final int STEPS = 100;
    /** Leading values of each parameter always sampled. */
    static final int SAMPLE_FIRST = 32;
    /** About this many values sampled per parameter (every value of a smaller one). */
    static final int SAMPLE_TARGET = 512;
    /** Keep bits recorded of each dropout layer's first call. */
    static final int MASK_BITS = 256;
    /** The folder of Debian's dataset-fashion-mnist. */
    static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");
    /** Where the golden files live, relative to the repository root. */
    static final Path GOLDEN_DIR = Path.of("clgrad/src/test/resources/golden");

    /** The two models, as {@code samples/<name>.json} configures them. */
    enum Model {
        /** Dense(10, relu) → Dropout(0.5) → Dense(1), Adam 1e-3, MSE, batch 32, seed 42; random-normal data. */
        SEED_SIMPLENET("seed-simplenet", 32, true),
        /** 784-512-relu-Dropout(0.5)-512-relu-Dropout(0.5)-10, Adam 1e-3, sparse CE + accuracy, batch 128, seed 42. */
        FASHION_MNIST_MLP("fashion-mnist-mlp", 128, false);

        final String id;
        final int batchSize;
        /** Whether every parameter value is stored (else a sample of about {@link #SAMPLE_TARGET}). */
        final boolean allValues;

        Model(String id, int batchSize, boolean allValues) {
            this.id = id;
            this.batchSize = batchSize;
            this.allValues = allValues;
        }
    }

    /** The model seed of both configs. */
    static final long SEED = 42;

    /** The data fingerprint: rows trained on (before batching), and the sums of x and y in double. */
    record DataPrint(int rows, int features, double xSum, double ySum) {
    }

    /** One dropout layer's counters and the first keep bits of its first call. */
    record DropoutRecord(String layer, String seed, long firstOffset, String firstMaskBits, long offsetAfter) {
    }

    /** One named parameter after the last step; sample[j] is the value at index {@link #sampleIndices}[j]. */
    record ParamRecord(String name, int[] shape, long size, double sum, double sumSquares, int sampleFirst,
                       int sampleStride, float[] sample) {
    }

    /** A whole trajectory: what a golden file holds. {@code device} is informational. */
    record Trajectory(int format, String model, String backend, String device, int steps, int batchSize, long seed,
                      DataPrint data, double[] losses, double[] correct, List<DropoutRecord> dropout,
                      List<ParamRecord> parameters) {
    }

    private GoldenTrajectories() {
    }

    // ---- the lines that drive the model (adapt these if the Sequential API changes) -----------------

    /** The model, compiled, not built. */
    static Sequential newModel(Model m, Backend backend) {
        Sequential model = new Sequential(backend, SEED);
        switch (m) {
            case SEED_SIMPLENET -> {
                model.add(new Dense(10, "relu")).add(new Dropout(0.5)).add(new Dense(1));
                model.compile("adam", "mse");
            }
            case FASHION_MNIST_MLP -> {
                model.add(new Dense(512, "relu")).add(new Dropout(0.5)).add(new Dense(512, "relu"))
                        .add(new Dropout(0.5)).add(new Dense(10));
                model.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            }
            default -> throw new AssertionError(m);
        }
        return model;
    }

    /**
     * The training rows, loaded by the config's data section as {@code clgrad train} loads them
     * ({@code DataSpec.load}): the seed model's 1,000 random-normal rows; Fashion-MNIST's first
     * {@code STEPS · 128} = 12,800 training rows (pixels / 255, labels as class indices).
     */
    static Dataset data(Model m) throws IOException {
        return switch (m) {
            case SEED_SIMPLENET -> ModelConfig.read(Path.of("samples/seed-simplenet.json")).data().load(null).train();
            case FASHION_MNIST_MLP -> ModelConfig.read(Path.of("samples/fashion-mnist-mlp.json")).data()
                    .load(null).train().slice(0, STEPS * m.batchSize);
        };
    }

    /** Runs {@link #STEPS} training steps of {@code m} on {@code backend} and records them. */
    static Trajectory record(Model m, Backend backend, Dataset data) {
        double[] losses = new double[STEPS];
        double[] correct = new double[STEPS];
        try (Sequential model = newModel(m, backend)) {
            model.build(data.features());
            model.reserve(Math.min(m.batchSize, data.rows()));
            List<Dropout> drops = new ArrayList<>();
            for (Layer layer : model.layers()) {
                if (layer instanceof Dropout d) {
                    drops.add(d);
                }
            }
            long[] firstOffsets = drops.stream().mapToLong(Dropout::offset).toArray();
            Batches batches = new Batches(data, m.batchSize, false, 0);
            int[] order = batches.order(0);
            float[] x = new float[m.batchSize * data.features()];
            float[] y = new float[m.batchSize * data.targets()];
            for (int step = 0; step < STEPS; step++) {
                int rows = batches.fill(order, step % batches.count(), x, y);
                model.resetTotals();
                model.trainBatch(x, y, rows);
                double[] totals = model.totals();
                losses[step] = totals[0] / rows;
                correct[step] = totals.length > 1 ? totals[1] : 0;
            }
            List<DropoutRecord> dropout = new ArrayList<>();
            for (int i = 0; i < drops.size(); i++) {
                Dropout d = drops.get(i);
                dropout.add(new DropoutRecord(d.name(), Long.toUnsignedString(d.seed()), firstOffsets[i],
                        maskBits(backend, d.rate(), d.seed(), firstOffsets[i]), d.offset()));
            }
            List<ParamRecord> params = new ArrayList<>();
            for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
                params.add(param(e.getKey(), e.getValue(), m.allValues));
            }
            String device = backend.info().name() + " (driver " + backend.info().driverVersion() + ")";
            return new Trajectory(1, m.id, backendName(backend), device, STEPS, m.batchSize, SEED, print(data),
                    losses, correct, dropout, params);
        }
    }

    // ---- recording helpers ----------------------------------------------------------------------------

    /** {@code java} or {@code opencl} (the golden file's suffix). */
    static String backendName(Backend backend) {
        return backend instanceof OpenClBackend ? "opencl" : "java";
    }

    /** The backends of the golden files: the Java one, and the first OpenCL device through JOCL (null if none). */
    static Backend backend(String name) {
        if (name.equals("java")) {
            return TestBackends.java();
        }
        return TestBackends.openCl().stream().filter(b -> b.binding().equals("jocl")).findFirst().orElse(null);
    }

    /** The first {@link #MASK_BITS} keep bits of the dropout call at (seed, offset), as 0/1 characters. */
    static String maskBits(Backend backend, float p, long seed, long offset) {
        float[] ones = new float[MASK_BITS];
        Arrays.fill(ones, 1f);
        StringBuilder bits = new StringBuilder(MASK_BITS);
        try (Tensor in = Tensor.of(backend, ones, MASK_BITS); Tensor out = Tensor.empty(backend, in.shape())) {
            backend.run(new ApplyMask(in, Mask.fixed(p, seed, offset), out));
            for (float v : out.toArray()) {
                bits.append(v != 0f ? '1' : '0');
            }
        }
        return bits.toString();
    }

    static ParamRecord param(String name, Tensor t, boolean allValues) {
        float[] v = t.toArray();
        double sum = 0;
        double sumSq = 0;
        for (float f : v) {
            sum += f;
            sumSq += (double) f * f;
        }
        int stride = allValues ? 1 : Math.max(1, (v.length - SAMPLE_FIRST + SAMPLE_TARGET - SAMPLE_FIRST - 1)
                / (SAMPLE_TARGET - SAMPLE_FIRST));
        int[] idx = sampleIndices(v.length, SAMPLE_FIRST, stride);
        float[] sample = new float[idx.length];
        for (int j = 0; j < idx.length; j++) {
            sample[j] = v[idx[j]];
        }
        return new ParamRecord(name, t.shape().dims(), v.length, sum, sumSq, SAMPLE_FIRST, stride, sample);
    }

    /** The sampled indices of a parameter of {@code size} values: [0, first), then first, first+stride, … */
    static int[] sampleIndices(long size, int first, int stride) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < Math.min(first, size); i++) {
            idx.add(i);
        }
        for (long i = first; i < size; i += stride) {
            idx.add((int) i);
        }
        return idx.stream().mapToInt(Integer::intValue).toArray();
    }

    static DataPrint print(Dataset d) {
        double xs = 0;
        double ys = 0;
        for (float f : d.x()) {
            xs += f;
        }
        for (float f : d.y()) {
            ys += f;
        }
        return new DataPrint(d.rows(), d.features(), xs, ys);
    }

    // ---- golden files -----------------------------------------------------------------------------

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    static Path file(Path dir, Model m, String backend) {
        return dir.resolve(m.id + "-" + backend + ".json");
    }

    static Trajectory read(Path file) throws IOException {
        return JSON.readValue(file.toFile(), Trajectory.class);
    }

    /**
     * Writes the golden files into {@code args[0]} (default {@code clgrad/src/test/resources/golden}): every
     * one, or only those named by the further arguments ({@code seed-simplenet-java}, …). Fails,
     * writing nothing further, when a backend or Fashion-MNIST is missing.
     */
    public static void main(String[] args) throws IOException {
        Path dir = args.length > 0 ? Path.of(args[0]) : GOLDEN_DIR;
        List<String> only = args.length > 1 ? List.of(args).subList(1, args.length) : null;
        Files.createDirectories(dir);
        for (Model m : Model.values()) {
            if (only != null && only.stream().noneMatch(o -> o.startsWith(m.id + "-"))) {
                continue;
            }
            if (m == Model.FASHION_MNIST_MLP && !Files.isDirectory(FASHION_MNIST)) {
                throw new IllegalStateException("Fashion-MNIST is not installed at " + FASHION_MNIST
                        + " (apt-get install dataset-fashion-mnist)");
            }
            Dataset data = data(m);
            for (String name : List.of("java", "opencl")) {
                if (only != null && !only.contains(m.id + "-" + name)) {
                    continue;
                }
                Backend backend = backend(name);
                if (backend == null) {
                    throw new IllegalStateException("no OpenCL device through JOCL: "
                            + OpenClBackend.discoveryProblem("jocl"));
                }
                long t0 = System.nanoTime();
                Trajectory t = record(m, backend, data);
                Path f = file(dir, m, name);
                JSON.writeValue(f.toFile(), t);
                System.err.printf(Locale.ROOT, "%s: %s on %s, %d steps in %.1f s, last loss %.6g, %d bytes%n", f,
                        m.id, t.device(), STEPS, (System.nanoTime() - t0) / 1e9, t.losses()[STEPS - 1], Files.size(f));
            }
        }
    }
}
