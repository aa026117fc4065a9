package dev.clgrad.backend.opencl;

import dev.clgrad.backend.Backend;
import dev.clgrad.exec.Planner;
import dev.clgrad.exec.Program;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Dropout;

import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Issue 12 item 3: the seed model's training step (Dense(10, relu) → Dropout(0.5) → Dense(1),
 * adam/mse, 20 inputs, batch 32) replayed as today, kernel by kernel, against the same kernels
 * recorded once into a {@code cl_khr_command_buffer} and enqueued with one call per step. Every
 * step ends with {@code clFinish} in every variant; the figure is the median µs per step.
 *
 * <ul>
 *   <li>{@code replay}: {@link Program#run} as {@code Sequential.trainBatch} runs it (re-sets the
 *       dropout counter and Adam's corrections, then one {@code clEnqueueNDRangeKernel} per launch);
 *   <li>{@code enqueue}: the same bound kernels, one {@code clEnqueueNDRangeKernel} each, nothing
 *       re-set (the floor of the plain path);
 *   <li>{@code cmdbuf}: one {@code clEnqueueCommandBufferKHR} of the launches recorded once (their
 *       dynamic arguments frozen at record time, so only a timing, not a training, path).
 * </ul>
 *
 * <p>With {@code upload=true} every variant also uploads the packed batch first, as
 * {@code trainBatch} does (one non-blocking {@code clEnqueueWriteBuffer}).
 *
 * <p>Before timing, one step through the command buffer is checked against one step of
 * {@code trainBatch} on a twin model (same seed, same batch): parameters and loss sum must match
 * bit for bit. The bench reads the prepared launches of the step by reflection (the program's
 * launches, each bound launch's kernel object and geometry) so that nothing in the engine changes
 * for a measurement.
 *
 * <pre>
 * mvn -q -o -pl clgrad test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/cp.txt
 * java --add-modules jdk.incubator.vector -cp clgrad/target/classes:clgrad/target/test-classes:$(cat clgrad/target/cp.txt) \
 *     dev.clgrad.backend.opencl.CommandBufferBench \
 *     [device=opencl:0:0] [steps=2000] [warmup=500] [rounds=5] [upload=false]
 * </pre>
 * The binding is always LWJGL: JOCL has no binding for the extension.
 */
public final class CommandBufferBench {
    private CommandBufferBench() {
    }

    private static final int IN = 20;
    private static final int BATCH = 32;
    private static final long SEED = 7;
    /** Each round interleaves the variants in this many blocks, so that load from outside hits all of them. */
    private static final int BLOCKS = 20;

    /** One prepared kernel launch of the step, as the backend bound it. */
    private record Launch(ClApi.Kernel kernel, String name, long[] global, long[] local, int[] dynamicAt,
                          Call.Dynamic[] dynamic) {
    }

    public static void main(String[] args) throws Exception {
        String device = "opencl:0:0";
        int steps = 2000;
        int warmup = 500;
        int rounds = 5;
        boolean upload = false;
        for (String a : args) {
            String[] kv = a.split("=", 2);
            switch (kv[0]) {
                case "device" -> device = kv[1];
                case "steps" -> steps = Integer.parseInt(kv[1]);
                case "warmup" -> warmup = Integer.parseInt(kv[1]);
                case "rounds" -> rounds = Integer.parseInt(kv[1]);
                case "upload" -> upload = Boolean.parseBoolean(kv[1]);
                default -> throw new IllegalArgumentException("unknown argument " + a
                        + "; expected device=, steps=, warmup=, rounds=, upload=");
            }
        }
        OpenClBackend cl = OpenClBackend.open(device, "lwjgl");
        if (cl == null) {
            throw new IllegalStateException("no OpenCL device " + device + " through lwjgl: "
                    + OpenClBackend.discoveryProblem("lwjgl"));
        }
        ClApi api = cl.api();
        System.out.printf("device %s: %s, %s %s; cpu: %s%n", device, cl.info().name(), cl.info().version(),
                cl.info().driverVersion(), cpuModel());
        if (!api.commandBuffers()) {
            System.out.println("this OpenCL loader exposes no clCreateCommandBufferKHR; nothing to measure");
            cl.close();
            return;
        }
        ClApi.Queue queue = (ClApi.Queue) field(cl, "queue");

        Random rnd = new Random(1);
        float[] x = new float[BATCH * IN];
        float[] y = new float[BATCH];
        for (int r = 0; r < BATCH; r++) {
            float s = 0;
            for (int c = 0; c < IN; c++) {
                x[r * IN + c] = rnd.nextFloat() * 2 - 1;
                s += (c % 3 - 1) * x[r * IN + c];
            }
            y[r] = s;
        }

        // The reference: one step of trainBatch.
        float[] refParams;
        double refLoss;
        try (Sequential ref = model(cl)) {
            ref.trainBatch(x, y, BATCH);
            refParams = ref.parameters().toArray();
            refLoss = ref.totals()[0];
        }

        try (Sequential m = model(cl)) {
            Planner planner = (Planner) field(m, "planner");
            Program program = planner.program(Planner.Kind.TRAIN, BATCH);
            List<Launch> launches = launches(program);
            System.out.println("step: " + launches.size() + " launches");
            for (Launch l : launches) {
                System.out.println("  " + l.name + " global=" + Arrays.toString(l.global) + " local="
                        + Arrays.toString(l.local) + (l.dynamic.length > 0 ? " dynamic=" + Arrays.toString(l.dynamic)
                        : ""));
            }

            // Step 1 as Program.run would set it, recorded instead of enqueued.
            m.optimizer().beginStep();
            for (Launch l : launches) {
                for (int i = 0; i < l.dynamic.length; i++) {
                    l.dynamic[i].set(api, l.kernel, l.dynamicAt[i]);
                }
            }
            ClApi.CommandBuffer cb = api.createCommandBuffer(queue);
            try {
                for (Launch l : launches) {
                    api.record(cb, l.kernel, l.name, l.global, l.local);
                }
                api.finalizeCommandBuffer(cb);
                planner.upload(new float[planner.stagingFloats()], x, y, BATCH);
                api.enqueue(cb);
                api.finish(queue);
                float[] params = m.parameters().toArray();
                double loss = m.totals()[0];
                boolean same = Arrays.equals(params, refParams) && loss == refLoss;
                System.out.printf("check: one step through the command buffer %s one step of trainBatch "
                        + "(%d parameters, loss sum %.6g vs %.6g)%n", same ? "equals" : "DIFFERS FROM", params.length,
                        loss, refLoss);
                if (!same) {
                    throw new IllegalStateException("the command buffer does not run the step");
                }

                float[] staging = new float[planner.stagingFloats()];
                Runnable batch = upload ? () -> planner.upload(staging, x, y, BATCH) : () -> { };
                Runnable replay = () -> {
                    batch.run();
                    program.run();
                };
                Runnable enqueue = () -> {
                    batch.run();
                    for (Launch l : launches) {
                        api.enqueue(queue, l.kernel, l.name, l.global, l.local, false);
                    }
                };
                Runnable cmdbuf = () -> {
                    batch.run();
                    api.enqueue(cb);
                };
                String[] names = {"replay", "enqueue", "cmdbuf"};
                Runnable[] variants = {replay, enqueue, cmdbuf};
                double[][] medians = new double[variants.length][rounds];
                double[] ratios = new double[rounds];
                for (Runnable v : variants) {
                    time(v, api, queue, new long[warmup], 0, warmup);
                }
                int block = Math.max(1, steps / BLOCKS);
                System.out.printf("%d rounds of %d steps per variant (after %d warm-up steps each), interleaved in "
                        + "blocks of %d steps, clFinish per step%s; median us per step:%n", rounds, block * BLOCKS,
                        warmup, block, upload ? ", each step with its batch upload" : "");
                for (int r = 0; r < rounds; r++) {
                    long[][] ns = new long[variants.length][block * BLOCKS];
                    for (int b = 0; b < BLOCKS; b++) {
                        for (int k = 0; k < variants.length; k++) {
                            int v = (b + k + r) % variants.length;   // rotate which variant goes first
                            time(variants[v], api, queue, ns[v], b * block, block);
                        }
                    }
                    StringBuilder line = new StringBuilder(String.format("  round %d:", r + 1));
                    for (int v = 0; v < variants.length; v++) {
                        medians[v][r] = median(ns[v]) / 1000.0;
                        line.append(String.format(Locale.ROOT, "  %s %.1f", names[v], medians[v][r]));
                    }
                    ratios[r] = medians[2][r] / medians[0][r];
                    line.append(String.format(Locale.ROOT, "  (cmdbuf/replay %.3f)", ratios[r]));
                    System.out.println(line);
                }
                System.out.printf(Locale.ROOT, "median of rounds: replay %.1f us, enqueue %.1f us, cmdbuf %.1f us;"
                        + " median cmdbuf/replay %.3f (%+.1f %%)%n", median(medians[0]), median(medians[1]),
                        median(medians[2]), median(ratios), 100 * (median(ratios) - 1));
            } finally {
                api.finish(queue);
                api.release(cb);
            }
        } finally {
            cl.close();
        }
    }

    private static Sequential model(Backend backend) {
        Sequential m = new Sequential(backend, SEED);
        m.add(new Dense(10, "relu")).add(new Dropout(0.5)).add(new Dense(1));
        m.compile("adam", "mse");
        m.build(IN);
        m.reserve(BATCH);
        return m;
    }

    /** Times {@code steps} steps, each the variant then {@code clFinish}, into {@code ns[at..]} (ns). */
    private static void time(Runnable variant, ClApi api, ClApi.Queue queue, long[] ns, int at, int steps) {
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            variant.run();
            api.finish(queue);
            ns[at + i] = System.nanoTime() - t0;
        }
    }

    private static double median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** The kernel launches of a prepared program, read from its bound launches. */
    private static List<Launch> launches(Program program) throws ReflectiveOperationException {
        List<Launch> out = new ArrayList<>();
        for (Backend.Launch l : (Backend.Launch[]) field(program, "launches")) {
            if (!l.getClass().getSimpleName().equals("Bound")) {
                throw new IllegalStateException("launch " + l + " is not one bound kernel (" + l.getClass().getName()
                        + "); the bench records single-kernel launches only");
            }
            out.add(new Launch((ClApi.Kernel) field(l, "kernel"), (String) field(l, "name"),
                    (long[]) field(l, "global"), (long[]) field(l, "local"), (int[]) field(l, "dynamicAt"),
                    (Call.Dynamic[]) field(l, "dynamic")));
        }
        return out;
    }

    private static Object field(Object o, String name) throws ReflectiveOperationException {
        Field f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (java.io.IOException e) {
            // fall through
        }
        return System.getProperty("os.arch");
    }
}
