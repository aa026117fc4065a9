package dev.clgrad.profile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendTest;
import dev.clgrad.data.Dataset;
import dev.clgrad.data.IdxReader;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Flatten;
import dev.clgrad.nn.Dropout;
import dev.clgrad.model.Sequential;
import dev.clgrad.train.Fit;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Chrome trace of a short Fashion-MNIST run (the MLP, 8 steps of batch 128): every event
 * well-formed, the kernels of every op family present, each device span inside the host step
 * that enqueued it (or, for the epoch's own bookkeeping, between steps inside its epoch), and
 * device time within the wall time of the profiled region.
 */
class TrainingTraceTest {
    private static final Path DIR = Path.of("/usr/share/datasets/fashion-mnist");

    private static Dataset data() throws IOException {
        if (Files.isDirectory(DIR)) {
            return Dataset.of(IdxReader.read(DIR.resolve("train-images-idx3-ubyte.gz"), 1f / 255),
                    IdxReader.read(DIR.resolve("train-labels-idx1-ubyte.gz"), 1f)).slice(0, 1024);
        }
        if ("true".equals(System.getenv("CI"))) {
            fail("CI=true but Fashion-MNIST is not installed at " + DIR);
        }
        SplittableRandom r = new SplittableRandom(1);
        float[][] x = new float[1024][784];
        float[] y = new float[1024];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < 784; j++) {
                x[i][j] = (float) r.nextDouble();
            }
            y[i] = r.nextInt(10);
        }
        return Dataset.of(x, y);
    }

    @BackendTest
    void theTraceOfATrainingRunValidatesAndDeviceSpansNestInSteps(Backend backend, @TempDir Path dir) throws IOException {
        Dataset train = data();
        Path file = dir.resolve("trace.json");
        try (Sequential model = new Sequential(backend, 3)) {
            model.add(new Flatten()).add(new Dense(512, "relu")).add(new Dropout(0.5)).add(new Dense(512, "relu"))
                    .add(new Dropout(0.5))
                    .add(new Dense(10));
            model.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            Fit fit = Fit.epochs(1).batchSize(128).withQuiet(true);
            model.fit(train.slice(0, 128), fit);
            long wall0;
            long wall;
            try (Profiler p = Profiler.start(model.backend())) {
                wall0 = System.nanoTime();
                model.fit(train, fit);
                backend.finish();
                wall = System.nanoTime() - wall0;
                double deviceNs = p.stats().stream().mapToDouble(KernelStats::totalMs).sum() * 1e6;
                assertTrue(deviceNs <= wall, "kernel time " + deviceNs + " ns exceeds the wall time " + wall + " ns");
                p.writeTrace(file);
            }
        }
        JsonNode events = new ObjectMapper().readTree(file.toFile()).get("traceEvents");
        List<double[]> steps = new ArrayList<>();
        List<double[]> epochs = new ArrayList<>();
        List<JsonNode> kernels = new ArrayList<>();
        for (JsonNode e : events) {
            for (String f : List.of("name", "ph", "pid", "tid")) {
                assertTrue(e.has(f), f + " missing in " + e);
            }
            if (!e.get("ph").asText().equals("X")) {
                continue;
            }
            assertTrue(e.has("ts") && e.has("dur") && e.get("dur").asDouble() >= 0, e.toString());
            if (e.get("pid").asInt() == ChromeTrace.DEVICE_PID) {
                kernels.add(e);
            } else if (e.get("name").asText().equals("step")) {
                steps.add(span(e));
            } else if (e.get("name").asText().startsWith("epoch")) {
                epochs.add(span(e));
            }
        }
        assertTrue(steps.size() == 8, "8 steps, got " + steps.size());
        String names = kernels.stream().map(k -> k.get("name").asText().toLowerCase(Locale.ROOT)).distinct().toList().toString();
        for (String family : List.of("gemm", "softmax", "adam")) {
            assertTrue(names.contains(family), family + " kernels missing from " + names);
        }
        // ReLU and dropout run as their own ops (Java) or in the fused Dense GEMMs' epilogues (OpenCL).
        assertTrue(names.contains("relu") && names.contains("dropout") || names.contains("_bias") && names.contains("_mask"),
                "relu and dropout kernels, or fused gemm_*_bias and gemm_*_mask, missing from " + names);
        int inSteps = 0;
        for (JsonNode k : kernels) {
            double[] kt = span(k);
            boolean inStep = steps.stream().anyMatch(s -> inside(kt, s));
            boolean betweenSteps = steps.stream().noneMatch(s -> kt[0] < s[1] && s[0] < kt[1])
                    && epochs.stream().anyMatch(ep -> inside(kt, ep));
            assertTrue(inStep || betweenSteps, "kernel " + k + " lies in no step span and not between steps in its"
                    + " epoch; steps: " + steps.stream().map(s -> "[" + s[0] + ", " + s[1] + "]").toList());
            inSteps += inStep ? 1 : 0;
        }
        assertTrue(inSteps >= 8 * 10, "the training kernels run inside steps: " + inSteps + " of " + kernels.size());
    }

    private static double[] span(JsonNode e) {
        double ts = e.get("ts").asDouble();
        return new double[] {ts, ts + e.get("dur").asDouble()};
    }

    /** Whether the time interval a lies within b. */
    private static boolean inside(double[] a, double[] b) {
        return b[0] <= a[0] && a[1] <= b[1];
    }
}
