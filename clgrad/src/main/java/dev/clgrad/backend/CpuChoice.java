package dev.clgrad.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.Config;
import dev.clgrad.Diagnostics;
import dev.clgrad.backend.java.JavaBackend;
import dev.clgrad.backend.opencl.OpenClBackend;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.AdamHyper;
import dev.clgrad.ops.AdamUpdate;
import dev.clgrad.ops.ColumnSum;
import dev.clgrad.ops.Composite;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Epilogue;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.MseLoss;
import dev.clgrad.ops.Op;
import dev.clgrad.ops.Philox;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.CodeSource;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static java.lang.System.Logger.Level.WARNING;

/**
 * Which CPU path {@code auto} takes when the only OpenCL device is a CPU: the OpenCL CPU device or
 * the Java backend, for a step of the model's {@link StepClass}.
 *
 * <p><b>Measurement.</b> Both paths run the class's representative training step (one packed
 * upload of x and y, two fused Dense forwards with ReLU and dropout, the last layer's backward with
 * MSE folded in, the first layer's weight gradients, one Adam step: the launches a real step of
 * such a model makes). Each first warms up (the JIT compiles the Java kernels, the OpenCL driver its
 * programs: at least {@value #WARM_UP_MS} ms and until the JIT is quiet, see {@link Step#warmUp}),
 * so that the verdict compares the speeds a training run has after its first seconds; then the two alternate for {@value #ROUNDS} rounds,
 * each timing back-to-back steps for about {@value #ROUND_MS} ms and taking the mean step; the
 * verdict compares the medians of the rounds. Alternating puts both paths under the same
 * background load (other processes, turbo, the JIT finishing), and the median drops a disturbed round.
 *
 * <p><b>Margin.</b> OpenCL is taken only if its median is more than 10 % faster than Java's;
 * otherwise Java. Java wins ties because it has no driver to depend on: no kernel compilation at
 * each cold start (PoCL takes seconds), no driver kernel cache that a crash can damage, and it is
 * the reference backend. A path that fails while measured loses.
 *
 * <p><b>Cache.</b> The verdict is kept in the cache folder as
 * {@code auto-cpu-<device>-<class>.json} with what it depends on. It is measured again when the
 * file is missing or unreadable, when it is older than {@value #MAX_AGE_DAYS} days, or when the
 * OpenCL device or driver version, the CPU count, the JDK, the Java kernel kind or the clgrad
 * version (for a snapshot build: also a fingerprint of its code) changed; the log line says why.
 */
final class CpuChoice {
    private static final System.Logger LOG = Diagnostics.logger(CpuChoice.class);
    static final int ROUNDS = 5;
    /** OpenCL must be faster than Java by more than this factor. */
    static final double MARGIN = 1.10;
    static final long MAX_AGE_DAYS = 30;
    static final long WARM_UP_MS = 500;
    static final long ROUND_MS = 40;
    /** The cache file's format; a file of another format is measured again. */
    static final int FORMAT = 2;
    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private CpuChoice() {
    }

    /** What a verdict depends on besides the machine's load: when one of these changes, it is measured again. */
    record Environment(String device, String driver, int cpus, String jdk, String javaKernel, String clgrad) {
        static Environment of(DeviceInfo cpu, String javaKernel) {
            return new Environment(cpu.name(), cpu.driverVersion(), Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.vm.vendor") + " " + Runtime.version(), javaKernel, clgradVersion());
        }

        /** Why a verdict measured under {@code then} does not hold now, or null when it does. */
        String changedSince(Environment then) {
            String[][] fields = {{"the OpenCL device", then.device, device}, {"the OpenCL driver", then.driver, driver},
                    {"the CPU count", Integer.toString(then.cpus), Integer.toString(cpus)}, {"the JDK", then.jdk, jdk},
                    {"the Java kernels", then.javaKernel, javaKernel}, {"clgrad", then.clgrad, clgrad}};
            for (String[] f : fields) {
                if (!f[2].equals(f[1])) {
                    return f[0] + " changed (" + f[1] + " → " + f[2] + ")";
                }
            }
            return null;
        }
    }

    /**
     * A verdict: the faster path for a step class, the per-round step times of both paths (ms) and
     * their medians, when it was measured, whether it came from the cache file (where), and why it
     * was (re)measured.
     */
    record Verdict(StepClass stepClass, boolean openClFaster, double[] openClRounds, double[] javaRounds,
                   Instant measuredAt, Path cachedIn, String measuredBecause) {
        double openClMs() {
            return median(openClRounds);
        }

        double javaMs() {
            return median(javaRounds);
        }

        /** What was measured and how it was decided, in one line. */
        String reason(DeviceInfo cpu) {
            String rounds = openClRounds.length == 0 ? cpu.id() + " failed"
                    : String.format(Locale.ROOT, "median of %d alternating rounds: java %.3f ms vs %s %.3f ms",
                    javaRounds.length, javaMs(), cpu.id(), openClMs());
            String when = cachedIn != null ? "measured " + WHEN.format(measuredAt) + ", cached in " + cachedIn
                    : "measured now (" + measuredBecause + ")";
            return String.format(Locale.ROOT, "training step of %s: %s; %s must be > %d %% faster to be chosen; %s; "
                            + "--device or -Dclgrad.device overrides", stepClass.describe(), rounds, cpu.id(),
                    Math.round((MARGIN - 1) * 100), when);
        }
    }

    /** Times both paths: {@code {javaRounds, openClRounds}} in ms per step; an empty openCl array when it failed. */
    interface Measurer {
        double[][] measure();
    }

    static Verdict decide(DeviceInfo cpu, String binding, StepClass stepClass) {
        try (JavaBackend java = new JavaBackend()) {
            Environment env = Environment.of(cpu, java.info().name());
            return decide(file(cpu, stepClass), env, stepClass, Instant.now(),
                    () -> measure(java, cpu, binding, stepClass));
        }
    }

    /** The cached verdict when it still holds, else a new measurement (stored in {@code file} when not null). */
    static Verdict decide(Path file, Environment env, StepClass stepClass, Instant now, Measurer measurer) {
        String because;
        if (file == null) {
            because = "the cache is off";
        } else if (!Files.exists(file)) {
            because = "no earlier verdict";
        } else {
            because = null;
            try {
                JsonNode n = new ObjectMapper().readTree(file.toFile());
                Verdict cached = stillValid(n, env, stepClass, now);
                if (cached != null) {
                    return new Verdict(stepClass, cached.openClFaster(), cached.openClRounds(), cached.javaRounds(),
                            cached.measuredAt(), file, null);
                }
                because = staleReason(n, env, now);
                if (because == null) {
                    because = "the file holds a verdict for " + n.path("stepClass").asText("?") + " steps";
                }
            } catch (IOException | RuntimeException e) {
                because = "the verdict file was unreadable: " + e.getMessage();
            }
        }
        double[][] r = measurer.measure();
        boolean openCl = r[1].length > 0 && median(r[1]) * MARGIN < median(r[0]);
        Verdict v = new Verdict(stepClass, openCl, r[1], r[0], now, null, because);
        if (r[1].length > 0) {
            write(file, env, v);
        }
        return v;
    }

    private static Verdict stillValid(JsonNode n, Environment env, StepClass stepClass, Instant now) {
        if (staleReason(n, env, now) != null || !stepClass.label().equals(n.path("stepClass").asText())) {
            return null;
        }
        return new Verdict(stepClass, n.get("openClFaster").asBoolean(), doubles(n.get("openClRounds")),
                doubles(n.get("javaRounds")), Instant.parse(n.get("measuredAt").asText()), null, null);
    }

    /** Why the stored verdict {@code n} no longer holds, or null when it does. */
    static String staleReason(JsonNode n, Environment env, Instant now) {
        if (n.path("format").asInt() != FORMAT) {
            return "the verdict file has format " + n.path("format").asText("?") + ", this clgrad writes " + FORMAT;
        }
        Environment then = new Environment(n.get("device").asText(), n.get("driver").asText(), n.get("cpus").asInt(),
                n.get("jdk").asText(), n.get("javaKernel").asText(), n.get("clgrad").asText());
        String changed = env.changedSince(then);
        if (changed != null) {
            return changed;
        }
        Instant at = Instant.parse(n.get("measuredAt").asText());
        long days = ChronoUnit.DAYS.between(at, now);
        if (days >= MAX_AGE_DAYS) {
            return "the verdict is " + days + " days old (kept for " + MAX_AGE_DAYS + ")";
        }
        if (at.isAfter(now.plus(Duration.ofDays(1)))) {
            return "the verdict is dated in the future (" + at + ")";
        }
        return null;
    }

    private static double[] doubles(JsonNode a) {
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = a.get(i).asDouble();
        }
        if (d.length == 0) {
            throw new IllegalArgumentException("no rounds recorded");
        }
        return d;
    }

    static double median(double[] v) {
        if (v.length == 0) {
            return Double.NaN;
        }
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double[][] measure(JavaBackend java, DeviceInfo cpu, String binding, StepClass sc) {
        try (Step js = new Step(java, sc)) {
            try (OpenClBackend cl = OpenClBackend.open(cpu.id(), binding); Step cs = new Step(cl, sc)) {
                int jn = js.warmUp();
                int cn = cs.warmUp();
                double[] jr = new double[ROUNDS];
                double[] cr = new double[ROUNDS];
                for (int r = 0; r < ROUNDS; r++) {
                    if (r % 2 == 0) {
                        jr[r] = js.round(jn);
                        cr[r] = cs.round(cn);
                    } else {
                        cr[r] = cs.round(cn);
                        jr[r] = js.round(jn);
                    }
                }
                return new double[][]{jr, cr};
            } catch (RuntimeException e) {
                LOG.log(WARNING, "auto: " + cpu.id() + " failed while measured, so java is used: " + e.getMessage());
                return new double[][]{{js.round(Math.max(1, js.warmUp()))}, {}};
            }
        }
    }

    /** The representative training step of a class on one backend, its tensors allocated once. */
    static final class Step implements AutoCloseable {
        private static final int ALIGN = 32;
        private static final float P = 0.5f;
        private final Backend b;
        private final StepClass c;
        private final float[] hostBatch;
        private final Tensor batch;
        private final Tensor x;
        private final Tensor y;
        private final Tensor params;
        private final Tensor grads;
        private final Tensor m;
        private final Tensor v;
        private final Tensor[] p = new Tensor[4];
        private final Tensor[] g = new Tensor[4];
        private final Tensor h;
        private final Tensor out;
        private final Tensor dOut;
        private final Tensor dH;
        private final Tensor loss;
        private final AdamHyper hyper = new AdamHyper(1e-3f, 0.9f, 0.999f, 1e-8f, 0f);
        private final Counter offset = new Counter(0);
        private final Counter t = new Counter(0);
        private final List<Backend.Launch> launches;

        Step(Backend b, StepClass c) {
            this.b = b;
            this.c = c;
            int nx = c.batch * c.in;
            int ny = c.batch * c.out;
            hostBatch = new float[align(nx) + ny];
            java.util.SplittableRandom rng = new java.util.SplittableRandom(1);
            for (int i = 0; i < hostBatch.length; i++) {
                hostBatch[i] = (float) rng.nextGaussian();
            }
            batch = Tensor.empty(b, Shape.of(hostBatch.length), "auto.batch");
            x = batch.view(0, Shape.of(c.batch, c.in), "auto.x");
            y = batch.view(align(nx), Shape.of(c.batch, c.out), "auto.y");
            Shape[] shapes = {Shape.of(c.in, c.hidden), Shape.of(c.hidden), Shape.of(c.hidden, c.out), Shape.of(c.out)};
            long total = 0;
            long[] at = new long[4];
            for (int k = 0; k < 4; k++) {
                at[k] = total;
                total += align(shapes[k].size());
            }
            float[] init = new float[(int) total];
            for (int i = 0; i < init.length; i++) {
                init[i] = (float) (rng.nextGaussian() * 0.05);
            }
            params = Tensor.of(b, init, (int) total);
            grads = Tensor.zeros(b, Shape.of((int) total));
            m = Tensor.zeros(b, Shape.of((int) total));
            v = Tensor.zeros(b, Shape.of((int) total));
            for (int k = 0; k < 4; k++) {
                p[k] = params.view(at[k], shapes[k], "auto.p" + k);
                g[k] = grads.view(at[k], shapes[k], "auto.g" + k);
            }
            h = Tensor.empty(b, Shape.of(c.batch, c.hidden), "auto.h");
            out = Tensor.empty(b, Shape.of(c.batch, c.out), "auto.out");
            dOut = Tensor.empty(b, Shape.of(c.batch, c.out), "auto.dOut");
            dH = Tensor.empty(b, Shape.of(c.batch, c.hidden), "auto.dH");
            loss = Tensor.zeros(b, Shape.of(1));
            Mask mask = new Mask(P, 7, offset);
            launches = Stream.<Op>of(
                    new MatMul(false, false, 1f, x, p[0], 0f, h, Epilogue.forward(p[1], Activation.RELU, mask)),
                    new MatMul(false, false, 1f, h, p[2], 0f, out, Epilogue.forward(p[3], Activation.LINEAR, null)),
                    new Composite(Composite.Kind.MSE_DENSE_BACKWARD, List.of(new MseLoss(out, y, loss, true, dOut),
                            MatMul.of(true, false, 1f, h, dOut, 0f, g[2]), new ColumnSum(dOut, g[3]),
                            new MatMul(false, true, mask.scale(), dOut, p[2], 0f, dH, Epilogue.gate(Activation.RELU, h)))),
                    Composite.denseWeightGrads(x, dH, g[0], g[1]),
                    new AdamUpdate(params, grads, m, v, hyper, t))
                    .map(b::prepare).toList();
        }

        private static int align(long n) {
            return (int) ((n + ALIGN - 1) / ALIGN * ALIGN);
        }

        void run() {
            b.upload(hostBatch, 0, batch.buffer(), batch.offset(), hostBatch.length);
            t.set(t.get() + 1);
            launches.forEach(Backend.Launch::run);
            offset.getAndAdd(Philox.blocks(c.batch * (long) c.hidden));
        }

        /**
         * Runs steps until the path is warm: at least {@value #WARM_UP_MS} ms and 5 steps, and until
         * the JIT has gone quiet (compiling for under 10 % of the last 0.5 s; the Vector API kernels
         * run orders of magnitude slower before C2 has compiled them), at most the class's
         * {@link StepClass#maxWarmUpMs}. Returns how many steps fill one round.
         */
        int warmUp() {
            CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
            boolean jitTimed = jit != null && jit.isCompilationTimeMonitoringSupported();
            long start = System.nanoTime();
            List<long[]> samples = new ArrayList<>(); // {time ns, JIT ms, step ns}
            while (true) {
                long t0 = System.nanoTime();
                run();
                b.finish();
                long t = System.nanoTime();
                samples.add(new long[]{t, jitTimed ? jit.getTotalCompilationTime() : 0, t - t0});
                if (t - start >= c.maxWarmUpMs * 1_000_000) {
                    break;
                }
                if (t - start >= WARM_UP_MS * 1_000_000 && samples.size() >= 5 && (!jitTimed || jitQuiet(samples))) {
                    break;
                }
            }
            double[] last = samples.subList(Math.max(0, samples.size() - 5), samples.size()).stream()
                    .mapToDouble(x -> x[2]).toArray();
            double perStep = median(last);
            return (int) Math.max(3, Math.min(100_000, ROUND_MS * 1e6 / Math.max(perStep, 1)));
        }

        private static boolean jitQuiet(List<long[]> samples) {
            long[] now = samples.get(samples.size() - 1);
            long[] then = samples.get(0);
            for (int i = samples.size() - 1; i >= 0; i--) {
                if (now[0] - samples.get(i)[0] >= 500_000_000L) {
                    then = samples.get(i);
                    break;
                }
            }
            double wallMs = (now[0] - then[0]) / 1e6;
            return wallMs >= 400 && now[1] - then[1] < 0.10 * wallMs;
        }

        /** The mean step time (ms) of {@code steps} back-to-back steps, waiting for the device at the end. */
        double round(int steps) {
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                run();
            }
            b.finish();
            return (System.nanoTime() - t0) / 1e6 / steps;
        }

        @Override
        public void close() {
            for (Tensor tensor : new Tensor[]{batch, params, grads, m, v, h, out, dOut, dH, loss}) {
                if (tensor != null) {
                    tensor.close();
                }
            }
        }
    }

    /**
     * The clgrad version from the jar's Maven metadata ({@code dev} outside a jar); a snapshot or
     * dev build adds a fingerprint of its code (the CRC-32s of the classes under {@code dev/clgrad}
     * and of the kernel sources, as the jar's directory records them), so a change to the code
     * measures again while a rebuild of the same code does not.
     */
    static String clgradVersion() {
        String version = "dev";
        try (InputStream in = CpuChoice.class.getResourceAsStream("/META-INF/maven/dev.clgrad/clgrad/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                version = p.getProperty("version", "dev");
            }
        } catch (IOException e) {
            // Keep "dev".
        }
        if (!version.equals("dev") && !version.endsWith("-SNAPSHOT")) {
            return version;
        }
        try {
            CodeSource src = CpuChoice.class.getProtectionDomain().getCodeSource();
            Path code = src == null ? null : Path.of(src.getLocation().toURI());
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            if (code != null && Files.isRegularFile(code)) {
                try (ZipFile jar = new ZipFile(code.toFile())) {
                    jar.stream().filter(e -> !e.isDirectory() && fingerprinted(e.getName()))
                            .sorted(Comparator.comparing(ZipEntry::getName))
                            .forEach(e -> md.update((e.getName() + ":" + e.getCrc() + "\n").getBytes(StandardCharsets.UTF_8)));
                }
            } else if (code != null && Files.isDirectory(code)) {
                Path root = code;
                try (Stream<Path> files = Files.walk(root)) {
                    for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                        String name = root.relativize(f).toString().replace('\\', '/');
                        if (fingerprinted(name)) {
                            CRC32 crc = new CRC32();
                            crc.update(Files.readAllBytes(f));
                            md.update((name + ":" + crc.getValue() + "\n").getBytes(StandardCharsets.UTF_8));
                        }
                    }
                }
            } else {
                return version;
            }
            return version + " code " + HexFormat.of().formatHex(md.digest(), 0, 6);
        } catch (IOException | URISyntaxException | NoSuchAlgorithmException | RuntimeException e) {
            return version;
        }
    }

    private static boolean fingerprinted(String name) {
        return name.startsWith("dev/clgrad/") || name.startsWith("opencl-kernels/");
    }

    /** The cache file of a device's verdict for a step class, or null when the cache is off. */
    static Path file(DeviceInfo cpu, StepClass stepClass) {
        Path dir = Config.cacheDir();
        if (dir == null) {
            return null;
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest((cpu.name() + "\n" + cpu.id())
                    .getBytes(StandardCharsets.UTF_8));
            return dir.resolve("auto-cpu-" + HexFormat.of().formatHex(h, 0, 6) + "-" + stepClass.label() + ".json");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void write(Path file, Environment env, Verdict v) {
        if (file == null) {
            return;
        }
        try {
            Files.createDirectories(file.getParent());
            ObjectNode n = new ObjectMapper().createObjectNode().put("format", FORMAT)
                    .put("stepClass", v.stepClass().label()).put("step", v.stepClass().describe())
                    .put("device", env.device()).put("driver", env.driver()).put("cpus", env.cpus())
                    .put("jdk", env.jdk()).put("javaKernel", env.javaKernel()).put("clgrad", env.clgrad())
                    .put("measuredAt", v.measuredAt().toString()).put("openClFaster", v.openClFaster())
                    .put("openClMs", v.openClMs()).put("javaMs", v.javaMs()).put("margin", MARGIN);
            ArrayNode cl = n.putArray("openClRounds");
            Arrays.stream(v.openClRounds()).forEach(cl::add);
            ArrayNode jv = n.putArray("javaRounds");
            Arrays.stream(v.javaRounds()).forEach(jv::add);
            Path tmp = Files.createTempFile(file.getParent(), "auto-cpu", ".tmp");
            try {
                Files.writeString(tmp, n.toPrettyString());
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            LOG.log(WARNING, "cannot store the auto CPU choice in " + file + ": " + e.getMessage());
        }
    }
}
