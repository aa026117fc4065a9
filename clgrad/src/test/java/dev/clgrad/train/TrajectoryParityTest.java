package dev.clgrad.train;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.backend.java.JavaBackend;
import dev.clgrad.data.Dataset;
import dev.clgrad.train.GoldenTrajectories.DataPrint;
import dev.clgrad.train.GoldenTrajectories.DropoutRecord;
import dev.clgrad.train.GoldenTrajectories.Model;
import dev.clgrad.train.GoldenTrajectories.ParamRecord;
import dev.clgrad.train.GoldenTrajectories.Trajectory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The engine trains today as it trained when the golden files were recorded (before the layers →
 * ops → planner redesign): for the seed SimpleNet and the Fashion-MNIST MLP, on the Java backend
 * and on the first OpenCL device through JOCL, {@link GoldenTrajectories#STEPS} steps give the same
 * dropout masks and counters, per-step losses and correct counts, and final weights as
 * {@code src/test/resources/golden/<model>-<backend>.json}, within {@link #REL} relative.
 * The driving code is {@link GoldenTrajectories#record}; its {@code main} regenerates the files.
 *
 * <p>The OpenCL cases fail (not skip) under {@code CI=true} without an OpenCL device
 * ({@link TestBackends}); the Fashion-MNIST cases skip where the data set is not installed, except
 * under {@code CI=true}, where they fail (as {@link FashionMnistTest}).
 */
class TrajectoryParityTest {
    /** Relative tolerance of every compared value, against max(|golden|, |now|). */
    static final double REL = 1e-6;
    /** Absolute floor of the loss comparison: only for a loss of exactly 0 or a denormal. */
    static final double LOSS_FLOOR = 1e-12;
    /**
     * Absolute floor of the parameter comparisons. A weight (or a parameter's sum) that ends near 0
     * is the difference of O(0.01–1) float32 terms (Adam's updates of ~1e-3, an initial weight, a
     * sum of hundreds of thousands of weights), so it carries absolute, not relative, rounding of
     * that order: float32's epsilon is 1.19e-7, so a value within ~1e-7 of zero is known only to
     * ~1e-7, and a 1e-6 relative bound on it would demand more digits than float32 keeps. 1e-7 is
     * far below the typical weight (~0.01–0.1), so the bound stays relative for every other value.
     */
    static final double PARAM_FLOOR = 1e-7;
    /** Mismatches listed in a failure message (all are counted). */
    private static final int LISTED = 20;

    static Stream<Arguments> cases() {
        return Stream.of(Arguments.of(Model.SEED_SIMPLENET, "java"), Arguments.of(Model.SEED_SIMPLENET, "opencl"),
                Arguments.of(Model.FASHION_MNIST_MLP, "java"), Arguments.of(Model.FASHION_MNIST_MLP, "opencl"));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void trainsAsBeforeTheRedesign(Model model, String backendName) throws IOException {
        if (model == Model.FASHION_MNIST_MLP) {
            boolean present = Files.isDirectory(GoldenTrajectories.FASHION_MNIST);
            if (!present && "true".equals(System.getenv("CI"))) {
                fail("CI=true but Fashion-MNIST is not installed at " + GoldenTrajectories.FASHION_MNIST
                        + " (apt-get install dataset-fashion-mnist)");
            }
            assumeTrue(present, "Fashion-MNIST not installed at " + GoldenTrajectories.FASHION_MNIST);
        }
        Backend backend = GoldenTrajectories.backend(backendName);  // under CI=true without OpenCL: throws
        assumeTrue(backend != null, "no OpenCL device through JOCL; skipping the OpenCL trajectory");
        if (backendName.equals("java")) {
            // The Java goldens hold the Vector API kernels' results (surefire's argLine adds the module);
            // without it the MLP's GEMMs round differently and its trajectory leaves 1e-6 by step 23.
            // (They do not depend on the thread count or the vector width: 1, 2, 4 threads, 256 and
            // 512 bits give the same bits.)
            assertNull(JavaBackend.missingVectorApi(), "the Java golden trajectories were recorded with the Vector "
                    + "API kernels; run this test with --add-modules jdk.incubator.vector (as surefire does)");
        }
        Path file = GoldenTrajectories.file(GoldenTrajectories.GOLDEN_DIR, model, backendName);
        assertTrue(Files.isRegularFile(file), file + " is missing; regenerate with GoldenTrajectories.main");
        Trajectory golden = GoldenTrajectories.read(file);
        String where = model.id + " on " + TestBackends.label(backend);
        assertEquals(GoldenTrajectories.STEPS, golden.steps(), where + ": steps in " + file);
        assertEquals(GoldenTrajectories.STEPS, golden.losses().length, where + ": losses in " + file);

        Dataset data = GoldenTrajectories.data(model);
        DataPrint print = GoldenTrajectories.print(data);
        assertEquals(golden.data(), print, where + ": the training data differ from those the golden file was "
                + "recorded with (rows, features, sum of x, sum of y), so the trajectories cannot match: was "
                + "samples/" + model.id + ".json or the data set changed?");

        Trajectory now = GoldenTrajectories.record(model, backend, data);
        List<String> bad = new ArrayList<>();
        compareDropout(where, golden.dropout(), now.dropout(), bad);
        for (int s = 0; s < GoldenTrajectories.STEPS; s++) {
            check(bad, where + ", step " + (s + 1) + ": batch loss", golden.losses()[s], now.losses()[s], LOSS_FLOOR);
            check(bad, where + ", step " + (s + 1) + ": correct count", golden.correct()[s], now.correct()[s],
                    LOSS_FLOOR);
        }
        compareParameters(where, golden.parameters(), now.parameters(), bad);
        if (!bad.isEmpty()) {
            fail(bad.size() + " mismatches against " + file + " (recorded on " + golden.device() + "; now "
                    + now.device() + "); the first " + Math.min(LISTED, bad.size()) + ":\n  "
                    + String.join("\n  ", bad.subList(0, Math.min(LISTED, bad.size()))));
        }
    }

    private static void compareDropout(String where, List<DropoutRecord> golden, List<DropoutRecord> now,
                                       List<String> bad) {
        if (golden.size() != now.size()) {
            bad.add(where + ": " + now.size() + " dropout layers, the golden file has " + golden.size());
            return;
        }
        for (int i = 0; i < golden.size(); i++) {
            DropoutRecord g = golden.get(i);
            DropoutRecord n = now.get(i);
            String at = where + ", " + g.layer() + ": ";
            if (!g.equals(n)) {
                bad.add(at + "dropout counters or first keep bits differ (step 1's mask): golden " + g + ", now " + n);
            }
        }
    }

    private static void compareParameters(String where, List<ParamRecord> golden, List<ParamRecord> now,
                                          List<String> bad) {
        List<String> gNames = golden.stream().map(ParamRecord::name).toList();
        List<String> nNames = now.stream().map(ParamRecord::name).toList();
        if (!gNames.equals(nNames)) {
            bad.add(where + ": named parameters " + nNames + ", the golden file has " + gNames);
            return;
        }
        String after = ", after step " + GoldenTrajectories.STEPS + ": ";
        for (int i = 0; i < golden.size(); i++) {
            ParamRecord g = golden.get(i);
            ParamRecord n = now.get(i);
            String at = where + after + g.name();
            if (!Arrays.equals(g.shape(), n.shape())) {
                bad.add(at + ": shape " + Arrays.toString(n.shape()) + ", golden " + Arrays.toString(g.shape()));
                continue;
            }
            check(bad, at + " sum", g.sum(), n.sum(), PARAM_FLOOR);
            check(bad, at + " sum of squares", g.sumSquares(), n.sumSquares(), PARAM_FLOOR);
            int[] idx = GoldenTrajectories.sampleIndices(g.size(), g.sampleFirst(), g.sampleStride());
            if (g.size() != n.size() || g.sampleFirst() != n.sampleFirst() || g.sampleStride() != n.sampleStride()
                    || idx.length != g.sample().length || idx.length != n.sample().length) {
                bad.add(at + ": sampled " + n.sample().length + " of " + n.size() + " values (first " + n.sampleFirst()
                        + ", stride " + n.sampleStride() + "), the golden file " + g.sample().length + " of " + g.size()
                        + " (first " + g.sampleFirst() + ", stride " + g.sampleStride() + ")");
                continue;
            }
            for (int j = 0; j < idx.length; j++) {
                check(bad, at + "[flat " + idx[j] + "]", g.sample()[j], n.sample()[j], PARAM_FLOOR);
            }
        }
    }

    /** Adds a message when |now − golden| > max(REL · max(|golden|, |now|), floor). */
    private static void check(List<String> bad, String what, double golden, double now, double floor) {
        double diff = Math.abs(now - golden);
        double tol = Math.max(REL * Math.max(Math.abs(golden), Math.abs(now)), floor);
        if (!(diff <= tol)) {
            bad.add(String.format(Locale.ROOT, "%s: %.9g, golden %.9g (|diff| %.3g > tolerance %.3g)", what, now, golden,
                    diff, tol));
        }
    }
}
