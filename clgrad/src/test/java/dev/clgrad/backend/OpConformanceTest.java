package dev.clgrad.backend;

import dev.clgrad.backend.java.JavaBackend;
import dev.clgrad.ops.Act;
import dev.clgrad.ops.ActBackward;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.ApplyMask;
import dev.clgrad.ops.BiasAct;
import dev.clgrad.ops.Composite;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.MseLoss;
import dev.clgrad.ops.Op;
import dev.clgrad.selftest.Check;
import dev.clgrad.selftest.Comparison;
import dev.clgrad.selftest.Conformance;
import dev.clgrad.selftest.OpInputs;
import dev.clgrad.tensor.DeviceBuffer;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every check of {@link Conformance} (every op forward and backward against the float64 reference,
 * the Philox known answers; the checks {@code clgrad selftest} runs) on every backend of
 * {@link TestBackends#all()}, each comparison asserted with its first bad index, max error and
 * samples; the coverage of the sealed op family, derived from {@code Op}'s permitted subclasses (an
 * op record without a check fails here); and the shape and aliasing errors of {@code run}.
 */
class OpConformanceTest {

    /** The backends of {@link TestBackends#all()}, named for test reports; never closed. */
    static Stream<Named<Backend>> backends() {
        return TestBackends.all().stream().map(b -> Named.of(TestBackends.label(b), b));
    }

    static Stream<Arguments> checksOnBackends() {
        return backends().flatMap(b -> Conformance.checks().stream().map(c -> Arguments.of(b, Named.of(c.name(), c))));
    }

    @ParameterizedTest(name = "{0}: {1}", autoCloseArguments = false)
    @MethodSource("checksOnBackends")
    void conformance(Backend backend, Check check) {
        List<Comparison> comparisons = check.evaluate(backend);
        assertFalse(comparisons.isEmpty(), check.name() + " compared nothing");
        for (Comparison c : comparisons) {
            assertTrue(c.passed(), () -> c.detail() + " on " + TestBackends.label(backend));
            assertEquals(check.tolerance(), c.tolerance(), () -> c.what() + ": tolerance differs from its check's");
        }
    }

    @Test
    void everyOpRecordHasACheck() {
        List<Class<? extends Op>> ops = Conformance.opClasses();
        assertEquals(List.of(Op.class.getPermittedSubclasses()).size(), ops.size(), "the family flattened: " + ops);
        assertTrue(ops.contains(MatMul.class) && ops.contains(Composite.class), ops.toString());
        assertEquals(List.of(), Conformance.uncheckedOps(), "op records without a conformance check");
        Map<Class<? extends Op>, Integer> counts = Conformance.checksPerOp();
        assertEquals(Set.copyOf(ops), counts.keySet());
        System.err.println("OpConformanceTest: " + Conformance.coverageLine());
    }

    @Test
    void checksHaveUniqueNamesAndCoverEveryVariant() {
        List<Check> checks = Conformance.checks();
        Set<String> names = new HashSet<>();
        for (Check c : checks) {
            assertTrue(names.add(c.name()), "duplicate check name " + c.name());
            assertTrue(c.op() != null || c.name().startsWith("philox4x32-10 known answers"),
                    c.name() + " names no op record");
        }
        List<String> prefixes = new ArrayList<>(List.of("gemm", "fill", "copy", "dropoutForward", "dropoutBackward",
                "adamStep", "adamWStep", "sgdStep", "mseForward", "mseBackward", "softmaxCrossEntropyForward",
                "softmaxCrossEntropyBackward", "accuracyCount", "columnSum", "sum", "mean", "philox4x32-10",
                "denseForward", "denseBackwardMasked", "mseForwardBackward", "softmaxCrossEntropyForwardBackward",
                "matmul", "im2col", "col2im",
                "maxPoolForward", "maxPoolBackward", "avgPoolForward", "avgPoolBackward",
                "batchNormStats", "batchNormApply", "batchNormBackward", "spatialDropout",
                "sumSquares", "sgdNesterovStep", "rmspropStep", "rmspropCenteredStep", "adagradStep",
                "softmaxForward", "softmaxBackward",
                "gaussianDropout", "alphaDropout", "alphaDropoutBackward", "sparseCategoricalCrossentropy"));
        for (Activation a : Activation.values()) {
            prefixes.add(a.opName() + "Forward");
            prefixes.add(a.opName() + "Backward");
        }
        for (Composite.Kind k : Composite.Kind.values()) {
            prefixes.add(camelCase(k.name()));
        }
        List<String> missing = new ArrayList<>(prefixes);
        missing.removeIf(op -> names.stream().anyMatch(n -> n.startsWith(op + " ")));
        assertEquals(List.of(), missing, "variants without a check");
        for (String transposes : List.of("NN", "TN", "NT", "TT")) {
            assertTrue(names.contains("gemm 1x1000x3 " + transposes + " alpha=0.5 beta=-1.5"), transposes);
        }
    }

    /** DENSE_WEIGHT_GRADS → denseWeightGrads, the kind's op name. */
    private static String camelCase(String enumName) {
        StringBuilder sb = new StringBuilder();
        for (String part : enumName.toLowerCase().split("_")) {
            sb.append(sb.length() == 0 ? part : Character.toUpperCase(part.charAt(0)) + part.substring(1));
        }
        return sb.toString();
    }

    /**
     * On a Java backend that records what it is asked to run: every check runs the op record it
     * names, and over all checks every activation runs through {@link Act}, {@link ActBackward},
     * {@link BiasAct} and a matmul's forward epilogue, every non-linear one through a gate, and
     * every {@link Composite.Kind} runs — so a new activation or kind without checks fails too.
     */
    @Test
    void everyCheckRunsItsOpAndEveryActivationAndKindRuns() {
        Set<String> seen = new LinkedHashSet<>();
        try (JavaBackend java = new JavaBackend(); Recording backend = new Recording(java)) {
            for (Check check : Conformance.checks()) {
                backend.ran.clear();
                check.evaluate(backend);
                if (check.op() != null) {
                    assertTrue(backend.ran.stream().anyMatch(check.op()::isInstance),
                            check.name() + " names " + check.op().getSimpleName() + " but ran " + backend.ran);
                }
                for (Op op : backend.ran) {
                    seen.add(variant(op));
                }
            }
            assertEquals(0, java.liveBuffers(), "the checks free their operands");
        }
        List<String> expected = new ArrayList<>();
        for (Activation a : Activation.values()) {
            expected.add("Act " + a);
            expected.add("ActBackward " + a);
            expected.add("BiasAct " + a);
            expected.add("MatMul forward " + a);
            if (a.savesInput()) {
                expected.add("MatMul forward keeping z " + a);
            }
            if (a != Activation.LINEAR) {
                expected.add("MatMul gate " + a);
            }
        }
        for (Composite.Kind k : Composite.Kind.values()) {
            expected.add("Composite " + k);
        }
        expected.removeAll(seen);
        assertEquals(List.of(), expected, "variants no check runs; ran " + seen);
    }

    private static String variant(Op op) {
        if (op instanceof Act a) {
            return "Act " + a.activation();
        }
        if (op instanceof ActBackward a) {
            return "ActBackward " + a.activation();
        }
        if (op instanceof BiasAct a) {
            return "BiasAct " + a.activation();
        }
        if (op instanceof MatMul m && !m.epilogue().isNone()) {
            return "MatMul " + (m.epilogue().isGate() ? "gate " : m.epilogue().z() != null ? "forward keeping z "
                    : "forward ") + m.epilogue().activation();
        }
        if (op instanceof Composite c) {
            return "Composite " + c.kind();
        }
        return op.getClass().getSimpleName();
    }

    @BackendTest
    void gemmRejectsBadShapesAndAliasing(Backend backend) {
        try (OpInputs in = new OpInputs(backend, 1)) {
            Tensor a = in.poisoned(3, 4);
            Tensor b = in.poisoned(5, 2);
            Tensor c = in.poisoned(3, 2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend.run(MatMul.of(false, false, 1f, a, b, 0f, c)));
            assertTrue(e.getMessage().contains("(3, 4)") && e.getMessage().contains("(5, 2)"), e.getMessage());
            Tensor sq = in.tensor(in.uniform(4, 1), 2, 2);
            assertThrows(IllegalArgumentException.class,
                    () -> backend.run(MatMul.of(false, false, 1f, sq, sq, 0f, sq)));
        }
    }

    @BackendTest
    void shapeMismatchesNameBothShapes(Backend backend) {
        try (OpInputs in = new OpInputs(backend, 1)) {
            Tensor x = in.poisoned(4, 3);
            Tensor y = in.poisoned(3, 4);
            List<Runnable> calls = new ArrayList<>();
            calls.add(() -> backend.run(new Act(Activation.RELU, x, y)));
            calls.add(() -> backend.run(new ApplyMask(x, Mask.fixed(0.5f, 1, 0), y)));
            calls.add(() -> backend.run(new MseLoss(x, x, null, false, y)));
            calls.add(() -> backend.run(new BiasAct(x, in.poisoned(4), Activation.LINEAR, x)));
            for (Runnable call : calls) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
                assertTrue(e.getMessage().contains("(4, 3)"), e.getMessage());
            }
        }
    }

    /** A backend that records the ops it is asked to run, then runs them on another; closes nothing of it. */
    private static final class Recording implements Backend {
        final List<Op> ran = new ArrayList<>();
        private final Backend inner;

        Recording(Backend inner) {
            this.inner = inner;
        }

        @Override
        public DeviceInfo info() {
            return inner.info();
        }

        @Override
        public void run(Op op) {
            ran.add(op);
            inner.run(op);
        }

        @Override
        public boolean fuses(Op op) {
            return inner.fuses(op);
        }

        @Override
        public List<String> kernels(Op op) {
            return inner.kernels(op);
        }

        @Override
        public Launch prepare(Op op) {
            ran.add(op);
            return inner.prepare(op);
        }

        @Override
        public void profile(ProfileSink sink) {
            inner.profile(sink);
        }

        @Override
        public Span span(String name) {
            return inner.span(name);
        }

        @Override
        public void close() {
        }

        @Override
        public DeviceBuffer allocate(long floats) {
            return inner.allocate(floats);
        }

        @Override
        public void release(DeviceBuffer buffer) {
            inner.release(buffer);
        }

        @Override
        public void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
            inner.upload(src, srcOffset, dst, dstOffset, count);
        }

        @Override
        public void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count) {
            inner.download(src, srcOffset, dst, dstOffset, count);
        }

        @Override
        public int liveBuffers() {
            return inner.liveBuffers();
        }

        @Override
        public Transfers transfers() {
            return inner.transfers();
        }

        @Override
        public void finish() {
            inner.finish();
        }
    }
}
