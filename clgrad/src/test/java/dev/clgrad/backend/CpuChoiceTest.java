package dev.clgrad.backend;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.io.ModelConfig;
import dev.clgrad.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19, item 4: {@code auto}'s CPU verdict is decided by alternating rounds with a margin, kept per step
 * class, and measured again when it is old or when the JDK, the driver or clgrad changed.
 */
class CpuChoiceTest {
    @TempDir
    Path dir;

    private static final CpuChoice.Environment ENV = new CpuChoice.Environment("pthread-cpu", "3.1", 2,
            "Debian 17.0.15+6", "Java (2 threads, Vector API 256-bit kernels)", "0.1.0");
    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

    /** A measurer that returns fixed rounds and counts its calls. */
    private static final class Fake implements CpuChoice.Measurer {
        final AtomicInteger calls = new AtomicInteger();
        final double[] java;
        final double[] openCl;

        Fake(double[] java, double[] openCl) {
            this.java = java;
            this.openCl = openCl;
        }

        @Override
        public double[][] measure() {
            calls.incrementAndGet();
            return new double[][]{java, openCl};
        }
    }

    private static final double[] JAVA_FAST = {0.02, 0.03, 0.02, 0.5, 0.02};
    private static final double[] CL_SLOW = {0.3, 0.28, 0.29, 0.31, 0.27};

    @Test
    void openClMustWinByMoreThanTheMarginOnTheMedians() {
        Path f = dir.resolve("v.json");
        // OpenCL 5 % faster: not enough, Java is kept.
        CpuChoice.Verdict v = CpuChoice.decide(f, ENV, StepClass.LARGE, NOW,
                new Fake(new double[]{10, 10, 10, 10, 10}, new double[]{9.5, 9.5, 9.5, 9.5, 9.5}));
        assertFalse(v.openClFaster());
        // 20 % faster by the median, even with one disturbed round: OpenCL.
        v = CpuChoice.decide(null, ENV, StepClass.LARGE, NOW,
                new Fake(new double[]{10, 10, 10, 10, 10}, new double[]{8, 8, 30, 8, 8}));
        assertTrue(v.openClFaster());
        assertEquals(8, v.openClMs());
        // A disturbed Java round does not flip the verdict either.
        v = CpuChoice.decide(null, ENV, StepClass.SMALL, NOW, new Fake(JAVA_FAST, CL_SLOW));
        assertFalse(v.openClFaster());
        assertEquals(0.02, v.javaMs());
    }

    @Test
    void theVerdictIsCachedAndReusedUntilSomethingChanges() throws IOException {
        Path f = dir.resolve("v.json");
        Fake m = new Fake(JAVA_FAST, CL_SLOW);
        CpuChoice.Verdict first = CpuChoice.decide(f, ENV, StepClass.SMALL, NOW, m);
        assertEquals(1, m.calls.get());
        assertNull(first.cachedIn());
        assertEquals("no earlier verdict", first.measuredBecause());
        CpuChoice.Verdict again = CpuChoice.decide(f, ENV, StepClass.SMALL, NOW.plus(Duration.ofDays(29)), m);
        assertEquals(1, m.calls.get(), "cached: not measured again");
        assertEquals(f, again.cachedIn());
        assertFalse(again.openClFaster());
        assertEquals(NOW, again.measuredAt());
    }

    /** The must-show: a version change triggers a new measurement (and so do the JDK and the driver). */
    @Test
    void aChangedVersionJdkOrDriverOrAnOldVerdictIsMeasuredAgain() {
        Path f = dir.resolve("v.json");
        Fake m = new Fake(JAVA_FAST, CL_SLOW);
        CpuChoice.decide(f, ENV, StepClass.SMALL, NOW, m);
        CpuChoice.Environment newClgrad = new CpuChoice.Environment(ENV.device(), ENV.driver(), ENV.cpus(), ENV.jdk(),
                ENV.javaKernel(), "0.2.0");
        CpuChoice.Verdict v = CpuChoice.decide(f, newClgrad, StepClass.SMALL, NOW, m);
        assertEquals(2, m.calls.get());
        assertEquals("clgrad changed (0.1.0 → 0.2.0)", v.measuredBecause());
        assertNull(v.cachedIn());
        assertEquals(f, CpuChoice.decide(f, newClgrad, StepClass.SMALL, NOW, m).cachedIn(), "stored again");
        assertEquals(2, m.calls.get(), "the next run reuses it");

        CpuChoice.Environment newJdk = new CpuChoice.Environment(ENV.device(), ENV.driver(), ENV.cpus(),
                "Debian 17.0.16+8", ENV.javaKernel(), "0.2.0");
        assertEquals("the JDK changed (Debian 17.0.15+6 → Debian 17.0.16+8)",
                CpuChoice.decide(f, newJdk, StepClass.SMALL, NOW, m).measuredBecause());
        CpuChoice.Environment newDriver = new CpuChoice.Environment(ENV.device(), "3.2", ENV.cpus(), newJdk.jdk(),
                ENV.javaKernel(), "0.2.0");
        assertEquals("the OpenCL driver changed (3.1 → 3.2)",
                CpuChoice.decide(f, newDriver, StepClass.SMALL, NOW, m).measuredBecause());
        assertEquals(4, m.calls.get());
        assertEquals("the verdict is 30 days old (kept for 30)",
                CpuChoice.decide(f, newDriver, StepClass.SMALL, NOW.plus(Duration.ofDays(30)), m).measuredBecause());
        assertEquals(5, m.calls.get());
    }

    @Test
    void aDamagedOrOldFormatFileIsMeasuredAgain() throws IOException {
        Path f = dir.resolve("v.json");
        Fake m = new Fake(JAVA_FAST, CL_SLOW);
        Files.writeString(f, "{\"openClFaster\": true, \"openClMs\": 7.4, \"javaMs\": 26}");
        CpuChoice.Verdict v = CpuChoice.decide(f, ENV, StepClass.SMALL, NOW, m);
        assertEquals("the verdict file has format ?, this clgrad writes 2", v.measuredBecause());
        Files.writeString(f, "{not json");
        assertTrue(CpuChoice.decide(f, ENV, StepClass.SMALL, NOW, m).measuredBecause()
                .startsWith("the verdict file was unreadable"));
        assertEquals(2, m.calls.get());
        ObjectNode stored = (ObjectNode) new ObjectMapper().readTree(f.toFile());
        assertEquals(2, stored.get("format").asInt());
        assertEquals("small", stored.get("stepClass").asText());
        assertEquals(5, stored.get("javaRounds").size());
        assertEquals("0.1.0", stored.get("clgrad").asText());
    }

    /** A failed OpenCL measurement chooses Java and is not stored (the next run tries again). */
    @Test
    void aFailedOpenClMeasurementIsJavaAndNotCached() {
        Path f = dir.resolve("v.json");
        CpuChoice.Verdict v = CpuChoice.decide(f, ENV, StepClass.SMALL, NOW, new Fake(new double[]{0.1}, new double[0]));
        assertFalse(v.openClFaster());
        assertFalse(Files.exists(f));
    }

    @Test
    void stepClassesSplitTheSeedFromTheMlpAndTheCnn() throws IOException {
        ModelConfig seed = ModelConfig.read(Path.of("samples/seed-simplenet.json"));
        ModelConfig mlp = ModelConfig.read(Path.of("samples/fashion-mnist-mlp.json"));
        ModelConfig cnn = ModelConfig.read(Path.of("samples/fashion-mnist-cnn.json"));
        Shape image = Shape.of(28, 28, 1);
        assertEquals(6.0 * 32 * (20 * 10 + 10), seed.trainingStepFlops(Shape.of(20), 32), "the seed model's FLOPs");
        assertEquals(StepClass.SMALL, StepClass.of(seed.trainingStepFlops(Shape.of(20), 32)), "the seed model");
        assertEquals(StepClass.LARGE, StepClass.of(mlp.trainingStepFlops(image, 128)), "the Fashion-MNIST MLP");
        assertEquals(StepClass.SMALL, StepClass.of(mlp.trainingStepFlops(image, 1)), "the MLP one row at a time");
        // Conv2D(32, 3) on 28x28x1, Conv2D(64, 3) on 13x13x32, Dense(10) on 1600: the convolutions
        // are 99 % of the step, its Dense layer alone a small step
        assertEquals(6.0 * 128 * (9 * 32 * 26 * 26 + 288 * 64 * 11 * 11 + 1600 * 10), cnn.trainingStepFlops(image, 128),
                "the CNN's FLOPs");
        assertEquals(StepClass.LARGE, StepClass.of(cnn.trainingStepFlops(image, 128)), "the CNN");
        ModelConfig tooSmall = ModelConfig.parse("{\"inputShape\": [2, 2, 1], \"layers\": [{\"type\": \"conv2d\", "
                + "\"filters\": 1, \"kernelSize\": 3}], \"loss\": \"mse\", \"data\": {\"type\": \"random-normal\", "
                + "\"train\": 4, \"test\": 2, \"features\": 4, \"targets\": 1}}", "m.json", Path.of("."));
        assertTrue(Double.isNaN(tooSmall.trainingStepFlops(Shape.of(2, 2, 1), 1)), "a 3x3 kernel on a 2x2 image");
        assertEquals(StepClass.LARGE, StepClass.of(Double.NaN), "a step not counted is large");
    }

    /** The files of two classes are separate, so one class's verdict never answers for the other. */
    @Test
    void verdictsAreKeptPerStepClass() {
        DeviceInfo cpu = new DeviceInfo("opencl:0:0", "opencl", "pthread-cpu", "PoCL", "CPU", "OpenCL 3.0", "3.1", 2,
                1L << 30, 1L << 28);
        String prop = System.getProperty("clgrad.cache");
        System.setProperty("clgrad.cache", dir.toString());
        try {
            Path small = CpuChoice.file(cpu, StepClass.SMALL);
            Path large = CpuChoice.file(cpu, StepClass.LARGE);
            assertTrue(small.getFileName().toString().matches("auto-cpu-[0-9a-f]{12}-small\\.json"), small.toString());
            assertEquals(large.getFileName().toString().replace("-large", "-small"), small.getFileName().toString());
            assertEquals(dir, small.getParent());
        } finally {
            if (prop == null) {
                System.clearProperty("clgrad.cache");
            } else {
                System.setProperty("clgrad.cache", prop);
            }
        }
        Fake m = new Fake(JAVA_FAST, CL_SLOW);
        Path f = dir.resolve("shared.json");
        CpuChoice.decide(f, ENV, StepClass.SMALL, NOW, m);
        CpuChoice.decide(f, ENV, StepClass.LARGE, NOW, m);
        assertEquals(2, m.calls.get(), "a small-step verdict does not answer for large steps");
    }

    @Test
    void theVersionOfThisBuildIsKnown() {
        String v = CpuChoice.clgradVersion();
        assertTrue(v.startsWith("dev") || v.contains("0.1.0"), v);
    }
}
