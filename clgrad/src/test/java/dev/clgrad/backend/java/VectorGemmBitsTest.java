package dev.clgrad.backend.java;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Vector API GEMM's bits, which the golden training trajectories record: C(M, N) equal, bit for
 * bit, to the scalar order it promises. Per element, per depth panel of {@link VectorGemm#KC} (the
 * last one {@code K mod KC}), a fused multiply-add chain {@code s = fma(alpha·op(A)[i, p], op(B)[p, j], s)}
 * from {@code s = +0} over p in order; the panels added in order to {@code beta·C} ({@code +0} for
 * beta 0, C itself for beta 1). Shapes reach the row and column splits over two threads (the latter
 * with op(A) packed once and shared), edge blocks, A read in place (alpha 1, narrow C), B read in
 * place (N = NR), every transpose, at offsets.
 */
class VectorGemmBitsTest {
    private static final int[][] SHAPES = {
        {128, 512, 784}, {784, 512, 128}, {37, 70, 600}, {130, 129, 513}, {100, 64, 520}, {200, VectorGemm.NR, 300},
        {300, 31, 257}, {6, VectorGemm.NC + 52, 40}, {47, 300, 300},
    };

    @Test
    void matchesTheScalarOrderBitForBit() {
        assertTrue(JavaGemm.VECTOR_API, "surefire's argLine must add --add-modules jdk.incubator.vector");
        Random rnd = new Random(7);
        try (ParallelLoop loop = new ParallelLoop(2)) {
            for (int[] s : SHAPES) {
                for (int t = 0; t < 4; t++) {
                    for (float[] ab : new float[][] {{1f, 0f}, {0.5f, 1f}, {1f, -0.75f}}) {
                        check(loop, (t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], ab[0], ab[1], rnd);
                    }
                }
            }
        }
    }

    private static void check(ParallelLoop loop, boolean transA, boolean transB, int m, int n, int k, float alpha,
                              float beta, Random rnd) {
        int aOff = 3;
        int bOff = 5;
        int cOff = 7;
        float[] a = random(aOff + m * k, rnd);
        float[] b = random(bOff + k * n, rnd);
        float[] c = random(cOff + m * n, rnd);
        float[] c0 = c.clone();
        JavaGemm.gemm(loop, true, transA, transB, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float old = c0[cOff + i * n + j];
                float want = beta == 0f ? 0f : beta == 1f ? old : beta * old;
                for (int p0 = 0; p0 < k; p0 += VectorGemm.KC) {
                    float sum = 0f;
                    for (int p = p0; p < Math.min(k, p0 + VectorGemm.KC); p++) {
                        float av = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
                        float bv = transB ? b[bOff + j * k + p] : b[bOff + p * n + j];
                        sum = Math.fma(alpha * av, bv, sum);
                    }
                    want += sum;
                }
                float got = c[cOff + i * n + j];
                if (Float.floatToRawIntBits(got) != Float.floatToRawIntBits(want)) {
                    fail(String.format("transA=%s transB=%s m=%d n=%d k=%d alpha=%s beta=%s: C[%d,%d] = %s, want %s",
                            transA, transB, m, n, k, alpha, beta, i, j, got, want));
                }
            }
        }
    }

    private static float[] random(int size, Random rnd) {
        float[] x = new float[size];
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextFloat() * 2f - 1f;
        }
        return x;
    }
}
