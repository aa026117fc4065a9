package dev.clgrad.backend;

import dev.clgrad.ops.Philox;
import dev.clgrad.selftest.Check;
import dev.clgrad.selftest.Comparison;
import dev.clgrad.selftest.Conformance;
import dev.clgrad.selftest.OpInputs;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
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
 * samples; and the shape and aliasing errors of the op interface.
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
    void checksHaveUniqueNamesAndCoverEveryOpForwardAndBackward() {
        List<Check> checks = Conformance.checks();
        Set<String> names = new HashSet<>();
        for (Check c : checks) {
            assertTrue(names.add(c.name()), "duplicate check name " + c.name());
        }
        List<String> ops = new ArrayList<>(List.of("gemm", "fill", "copy", "reluForward", "reluBackward", "biasAdd",
                "biasRelu", "dropoutForward", "dropoutBackward", "adamStep", "adamWStep", "sgdStep", "mseForward",
                "mseBackward", "softmaxCrossEntropyForward", "softmaxCrossEntropyBackward", "accuracyCount",
                "columnSum", "sum", "mean", "philox4x32-10", "denseForward", "denseBackwardMasked",
                "denseBackwardWeights", "denseBackward", "mseForwardBackward", "softmaxCrossEntropyForwardBackward"));
        ops.removeIf(op -> names.stream().anyMatch(n -> n.startsWith(op + " ")));
        assertEquals(List.of(), ops, "ops without a check");
        for (String transposes : List.of("NN", "TN", "NT", "TT")) {
            assertTrue(names.contains("gemm 1x1000x3 " + transposes + " alpha=0.5 beta=-1.5"), transposes);
        }
    }

    @BackendTest
    void gemmRejectsBadShapesAndAliasing(Backend backend) {
        try (OpInputs in = new OpInputs(backend, 1)) {
            Tensor a = in.poisoned(3, 4);
            Tensor b = in.poisoned(5, 2);
            Tensor c = in.poisoned(3, 2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend.gemm(false, false, 1f, a, b, 0f, c));
            assertTrue(e.getMessage().contains("(3, 4)") && e.getMessage().contains("(5, 2)"), e.getMessage());
            Tensor sq = in.tensor(in.uniform(4, 1), 2, 2);
            assertThrows(IllegalArgumentException.class, () -> backend.gemm(false, false, 1f, sq, sq, 0f, sq));
        }
    }

    @BackendTest
    void shapeMismatchesNameBothShapes(Backend backend) {
        try (OpInputs in = new OpInputs(backend, 1)) {
            Tensor x = in.poisoned(4, 3);
            Tensor y = in.poisoned(3, 4);
            List<Runnable> calls = new ArrayList<>();
            calls.add(() -> backend.reluForward(x, y));
            calls.add(() -> backend.dropoutForward(x, 0.5f, 1, 0, y));
            calls.add(() -> backend.mseBackward(x, x, y));
            calls.add(() -> backend.biasAdd(x, in.poisoned(4), x));
            for (Runnable call : calls) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
                assertTrue(e.getMessage().contains("(4, 3)"), e.getMessage());
            }
        }
    }
}
