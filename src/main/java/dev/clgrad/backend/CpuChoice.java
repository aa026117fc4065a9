package dev.clgrad.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.Config;
import dev.clgrad.backend.java.JavaBackend;
import dev.clgrad.backend.opencl.OpenClBackend;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.Composite;
import dev.clgrad.ops.Epilogue;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.Op;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Which CPU path {@code auto} takes when the only OpenCL device is a CPU: the OpenCL CPU device or
 * the Java backend, whichever runs a Dense layer's training step faster on this machine. The step
 * is the ops a step program replays for a hidden Dense(256, relu) layer, x: (128, 784),
 * w: (784, 256): the forward matmul with bias and ReLU in its epilogue, the weight and bias
 * gradients ({@link Composite#denseWeightGrads}), and the input gradient gated by the layer input;
 * each op prepared once ({@link Backend#prepare}) and replayed. It is timed on both, median of 7
 * after 1 s of warm-up, and the verdict is kept in the cache folder per device, driver, Java kernel
 * kind, warm-up and {@link #STEP}, so it is measured once.
 */
final class CpuChoice {
    private static final Logger LOG = Logger.getLogger(CpuChoice.class.getName());
    private static final int B = 128;
    private static final int I = 784;
    private static final int O = 256;
    /** Each path runs the step for this long first, so the JIT has compiled the Java backend's kernels. */
    private static final long WARM_UP_NANOS = 1_000_000_000L;
    /** Names the timed step in the cache key, so a verdict measured on another step is not reused. */
    private static final String STEP = "dense-relu-fused-prepared";

    /** The verdict: the faster path, both timings, and whether it came from the cache file. */
    record Verdict(boolean openClFaster, double openClMs, double javaMs, boolean cached) {
        String reason(DeviceInfo cpu) {
            return String.format("Dense step %dx%dx%d: %s %.2f ms vs java %.2f ms%s", B, I, O, cpu.id(), openClMs,
                    javaMs, cached ? " (measured earlier, cached)" : "");
        }
    }

    private CpuChoice() {
    }

    static Verdict decide(DeviceInfo cpu, String binding) {
        try (JavaBackend java = new JavaBackend()) {
            Path file = file(cpu, java.info().name());
            Verdict cached = read(file);
            if (cached != null) {
                return cached;
            }
            double javaMs = time(java);
            double clMs;
            try (OpenClBackend cl = OpenClBackend.open(cpu.id(), binding)) {
                clMs = time(cl);
            }
            Verdict v = new Verdict(clMs <= javaMs, clMs, javaMs, false);
            write(file, v);
            return v;
        }
    }

    private static double time(Backend b) {
        try (Tensor x = Tensor.zeros(b, Shape.of(B, I)); Tensor w = Tensor.zeros(b, Shape.of(I, O));
             Tensor bias = Tensor.zeros(b, Shape.of(O)); Tensor y = Tensor.empty(b, Shape.of(B, O));
             Tensor dW = Tensor.empty(b, Shape.of(I, O)); Tensor dX = Tensor.empty(b, Shape.of(B, I));
             Tensor dBias = Tensor.empty(b, Shape.of(O))) {
            List<Backend.Launch> launches = Stream.<Op>of(
                    new MatMul(false, false, 1f, x, w, 0f, y, Epilogue.forward(bias, Activation.RELU, null)),
                    Composite.denseWeightGrads(x, y, dW, dBias),
                    new MatMul(false, true, 1f, y, w, 0f, dX, Epilogue.gate(Activation.RELU, x)))
                    .map(b::prepare).toList();
            Runnable step = () -> launches.forEach(Backend.Launch::run);
            long start = System.nanoTime();
            for (int i = 0; i < 3 || System.nanoTime() - start < WARM_UP_NANOS; i++) {
                step.run();
                b.finish();
            }
            double[] ms = new double[7];
            for (int i = 0; i < ms.length; i++) {
                long t0 = System.nanoTime();
                step.run();
                b.finish();
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(ms);
            return ms[ms.length / 2];
        }
    }

    private static Path file(DeviceInfo cpu, String javaName) {
        Path dir = Config.cacheDir();
        if (dir == null) {
            return null;
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest((cpu.name() + "\n" + cpu.driverVersion() + "\n"
                    + Runtime.getRuntime().availableProcessors() + "\n" + javaName + "\n" + WARM_UP_NANOS + "\n" + STEP)
                    .getBytes(StandardCharsets.UTF_8));
            return dir.resolve("auto-cpu-" + HexFormat.of().formatHex(h, 0, 8) + ".json");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Verdict read(Path file) {
        if (file == null || !Files.isRegularFile(file)) {
            return null;
        }
        try {
            JsonNode n = new ObjectMapper().readTree(file.toFile());
            return new Verdict(n.get("openClFaster").asBoolean(), n.get("openClMs").asDouble(),
                    n.get("javaMs").asDouble(), true);
        } catch (IOException | RuntimeException e) {
            LOG.warning("ignoring unreadable " + file + ": " + e.getMessage());
            return null;
        }
    }

    private static void write(Path file, Verdict v) {
        if (file == null) {
            return;
        }
        try {
            Files.createDirectories(file.getParent());
            ObjectNode n = new ObjectMapper().createObjectNode().put("openClFaster", v.openClFaster())
                    .put("openClMs", v.openClMs()).put("javaMs", v.javaMs());
            Path tmp = Files.createTempFile(file.getParent(), "auto-cpu", ".tmp");
            Files.writeString(tmp, n.toString());
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.warning("cannot store the auto CPU choice in " + file + ": " + e.getMessage());
        }
    }
}
