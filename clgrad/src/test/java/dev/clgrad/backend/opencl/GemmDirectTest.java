package dev.clgrad.backend.opencl;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.ops.MatMul;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * gemm.cl's two accumulation paths, GEMM_DIRECT = 0 (local tiles) and 1 (operands straight from
 * global memory), give the same bits for every transpose combination, alpha and beta, on shapes with
 * partial tiles in M, N and K, and both match the float64 {@link MatMul#reference}. Each backend gets
 * its defines from a tuning file in a temporary cache (the profile's tile, GEMM_DIRECT set).
 */
class GemmDirectTest {
    /** (M, N, K): partial tiles everywhere, a K longer than several local K steps, a thin N. */
    private static final int[][] SHAPES = {{67, 131, 45}, {130, 70, 200}, {49, 17, 97}};

    @RegisterExtension
    final TemporaryCache cache = new TemporaryCache();

    @Test
    void directAndLocalTilesGiveTheSameBits() throws IOException {
        OpenClBackend shared = TestBackends.openCl().get(0);
        float[][] local = run(shared, 0);
        float[][] direct = run(shared, 1);
        assertEquals(local.length, direct.length);
        for (int i = 0; i < local.length; i++) {
            assertEquals(local[i].length, direct[i].length);
            for (int j = 0; j < local[i].length; j++) {
                assertEquals(Float.floatToRawIntBits(local[i][j]), Float.floatToRawIntBits(direct[i][j]),
                        "product " + i + " element " + j + ": local " + local[i][j] + ", direct " + direct[i][j]);
            }
        }
    }

    /** Every product of {@link #SHAPES} x transposes x (alpha, beta) on a backend with GEMM_DIRECT = direct. */
    private float[][] run(OpenClBackend shared, int direct) throws IOException {
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("device", shared.info().name()).put("driver", shared.info().driverVersion());
        ObjectNode defines = root.putObject("defines");
        for (String n : new String[] {"GEMM_MWG", "GEMM_NWG", "GEMM_KWG", "GEMM_MDIMC", "GEMM_NDIMC", "GEMM_VWN"}) {
            int v = shared.define(n, -1);
            if (v > 0) {
                defines.put(n, v);
            }
        }
        defines.put("GEMM_DIRECT", direct);
        TuningFile.store(cache.dir(), root);
        float[][] out = new float[SHAPES.length * 4 * 2][];
        int i = 0;
        try (OpenClBackend cl = OpenClBackend.open(shared.id(), shared.binding())) {
            assertEquals(direct, cl.define("GEMM_DIRECT", -1), "the tuning file's GEMM_DIRECT is used");
            for (int[] mnk : SHAPES) {
                int m = mnk[0];
                int n = mnk[1];
                int k = mnk[2];
                SplittableRandom rng = new SplittableRandom(m * 31L + n);
                float[] a = random(rng, m * k);
                float[] b = random(rng, k * n);
                float[] c0 = random(rng, m * n);
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 2) != 0;
                    boolean tb = (t & 1) != 0;
                    for (float[] ab : new float[][] {{1f, 0f}, {0.5f, -2f}}) {
                        try (Tensor tA = ta ? Tensor.of(cl, a, k, m) : Tensor.of(cl, a, m, k);
                             Tensor tB = tb ? Tensor.of(cl, b, n, k) : Tensor.of(cl, b, k, n);
                             Tensor tC = Tensor.of(cl, c0, m, n)) {
                            cl.run(MatMul.of(ta, tb, ab[0], tA, tB, ab[1], tC));
                            out[i] = tC.toArray();
                        }
                        double[] ref = MatMul.reference(ta, tb, m, n, k, ab[0], doubles(a), doubles(b), ab[1],
                                doubles(c0));
                        for (int j = 0; j < ref.length; j++) {
                            double err = Math.abs(out[i][j] - ref[j]);
                            assertTrue(err <= 1e-5 + 1e-5 * Math.abs(ref[j]), "GEMM_DIRECT=" + direct + " " + m + "x"
                                    + n + "x" + k + " transA=" + ta + " transB=" + tb + " alpha=" + ab[0] + " beta="
                                    + ab[1] + " element " + j + ": " + out[i][j] + " vs " + ref[j]);
                        }
                        i++;
                    }
                }
            }
        }
        assertEquals(out.length, i);
        return out;
    }

    private static float[] random(SplittableRandom rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return v;
    }

    private static double[] doubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
