package dev.clgrad.backend.java;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Both GEMM kernels of the Java backend (the Vector API's and the auto-vectorised one) against a
 * float64 reference, on shapes that reach every path: the direct loop, row and column splits between
 * two threads, several depth and column panels, edge blocks narrower and shorter than a register block,
 * the transposed narrow case, B one micro-panel wide (read in place), every transpose, alpha and
 * beta, and operands at offsets in larger arrays (views).
 */
class JavaGemmTest {
    private static final int[][] SHAPES = {
        {5, 7, 9}, {13, 45, 70}, {97, 200, 300}, {300, 31, 257}, {6, VectorGemm.NC + 52, 40}, {1, 1000, 40},
        {500, 10, 64}, {130, 129, 513}, {61, 300, 3}, {40, 700, 64}, {9, VectorGemm.NR, 700},
    };

    /** The Maven build runs the tests with the Vector API, so its kernel is tested, not skipped. */
    @Test
    void testsRunWithTheVectorApi() {
        assertTrue(JavaGemm.VECTOR_API, "surefire's argLine must add --add-modules jdk.incubator.vector");
    }

    @ParameterizedTest(name = "vectorApi={0}")
    @ValueSource(booleans = {true, false})
    void matchesFloat64Reference(boolean vectorApi) {
        Random rnd = new Random(42);
        try (ParallelLoop loop = new ParallelLoop(2)) {
            for (int[] s : SHAPES) {
                for (int t = 0; t < 4; t++) {
                    boolean transA = (t & 1) != 0;
                    boolean transB = (t & 2) != 0;
                    float alpha = t == 3 ? -0.5f : 1f;
                    float beta = t == 0 ? 0f : t == 1 ? 1f : 0.75f;
                    check(loop, vectorApi, transA, transB, s[0], s[1], s[2], alpha, beta, rnd);
                }
            }
        }
    }

    @Test
    void theDescriptionNamesTheKernels() {
        try (JavaBackend vector = new JavaBackend(1, true); JavaBackend scalar = new JavaBackend(1, false)) {
            assertTrue(vector.info().name().contains("Vector API"), vector.info().name());
            assertTrue(scalar.info().name().contains("auto-vectorised"), scalar.info().name());
        }
    }

    private static void check(ParallelLoop loop, boolean vectorApi, boolean transA, boolean transB, int m, int n,
                              int k, float alpha, float beta, Random rnd) {
        int aOff = 3;
        int bOff = 5;
        int cOff = 7;
        float[] a = random(aOff + m * k + 2, rnd);
        float[] b = random(bOff + k * n + 2, rnd);
        float[] c = random(cOff + m * n + 2, rnd);
        float[] c0 = c.clone();
        JavaGemm.gemm(loop, vectorApi, transA, transB, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff);
        String where = String.format("vectorApi=%s transA=%s transB=%s m=%d n=%d k=%d alpha=%s beta=%s", vectorApi,
                transA, transB, m, n, k, alpha, beta);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                double abs = 0;
                for (int p = 0; p < k; p++) {
                    double av = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
                    double bv = transB ? b[bOff + j * k + p] : b[bOff + p * n + j];
                    sum += av * bv;
                    abs += Math.abs(av * bv);
                }
                double old = c0[cOff + i * n + j];
                double want = alpha * sum + beta * old;
                double tol = 1e-5 * (Math.abs(alpha) * abs + Math.abs(beta * old)) + 1e-6;
                float got = c[cOff + i * n + j];
                if (!(Math.abs(got - want) <= tol)) {
                    fail(where + ": C[" + i + "," + j + "] = " + got + ", want " + want + " ± " + tol);
                }
            }
        }
        for (int i = 0; i < cOff; i++) {
            if (c[i] != c0[i]) {
                fail(where + ": wrote before C at " + i);
            }
        }
        for (int i = cOff + m * n; i < c.length; i++) {
            if (c[i] != c0[i]) {
                fail(where + ": wrote past C at " + i);
            }
        }
    }

    private static float[] random(int size, Random rnd) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }
}
