package dev.clgrad.backend.opencl;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.backend.ProfileSink;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.Epilogue;
import dev.clgrad.ops.GemmShape;
import dev.clgrad.ops.MatMul;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static dev.clgrad.selftest.OpInputs.doubles;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * gemm.cl's accumulation paths give the same bits: GEMM_DIRECT = 0 (local tiles) and 1 (operands
 * straight from global memory), and on each of them a product with op(B) packed into panels
 * ({@code gemm_pack_b} or, B transposed, {@code gemm_pack_bt}, then {@code gemm_nn_packed} or
 * {@code gemm_tn_packed}; the ReLU-gated NT product as {@code gemm_nt_mask_packed}) and the unpacked
 * kernels, for every transpose combination, alpha and beta, on shapes with partial tiles in M, N (a
 * last panel partly +0) and K; every product also matches the float64 {@link MatMul#reference}. The
 * packing thresholds (GEMM_PACK_K, GEMM_PACK_M and their _NT_ twins) and GEMM_DIRECT come from a
 * tuning file in a temporary cache (1: every tiled product packs; {@link Integer#MAX_VALUE}: none
 * does), the tile from the device's profile. Also: the defaults pack a long product and not the
 * MLP's, {@code clgrad.defines} overrides the tuning file, and the pack declares its bytes to the
 * profiler.
 */
class GemmPackTest {
    /**
     * (M, N, K): partial tiles and panels everywhere, a K longer than several local K steps, a last
     * panel of 3 (all tiled on the profile's tile; a thinner N would run gemm_naive).
     */
    private static final int[][] SHAPES = {{67, 131, 45}, {130, 70, 200}, {97, 67, 97}};
    private static final int NEVER = Integer.MAX_VALUE;

    @RegisterExtension
    final TemporaryCache cache = new TemporaryCache();

    @Test
    void bothKLoopsPackedAndUnpackedGiveTheSameBits() throws IOException {
        OpenClBackend shared = TestBackends.openCl().get(0);
        float[][] local = run(shared, 0, NEVER);
        assertSameBits(local, run(shared, 1, NEVER), "GEMM_DIRECT=1 against the local tiles, unpacked");
        for (int direct = 0; direct <= 1; direct++) {
            assertSameBits(local, run(shared, direct, 1), "GEMM_DIRECT=" + direct + " packed against unpacked");
        }
    }

    @Test
    void theDefaultsPackALongProductAndNotTheMlps() throws IOException {
        OpenClBackend shared = TestBackends.openCl().get(0);
        try (Tensor a = Tensor.zeros(shared, Shape.of(257, 513));
             Tensor b = Tensor.zeros(shared, Shape.of(513, 67));
             Tensor c = Tensor.zeros(shared, Shape.of(257, 67));
             Tensor x = Tensor.zeros(shared, Shape.of(128, 784));
             Tensor w = Tensor.zeros(shared, Shape.of(784, 512));
             Tensor y = Tensor.zeros(shared, Shape.of(128, 512))) {
            assertEquals(List.of("gemm_pack_b", "gemm_nn_packed"), shared.kernels(MatMul.of(false, false, 1f, a, b, 0f, c)));
            assertEquals(List.of("gemm_nn"), shared.kernels(MatMul.of(false, false, 1f, x, w, 0f, y)),
                    "M = 128 < GEMM_PACK_M");
            assertEquals(List.of("gemm_nn"), shared.kernels(MatMul.of(false, false, 0f, a, b, 0f, c)),
                    "alpha = 0 reads no B");
        }
        boolean cpu = shared.define("GEMM_DIRECT", 0) != 0;
        try (Tensor dY = Tensor.zeros(shared, Shape.of(128, 512));
             Tensor w2 = Tensor.zeros(shared, Shape.of(512, 512));
             Tensor dY3 = Tensor.zeros(shared, Shape.of(128, 10));
             Tensor w3 = Tensor.zeros(shared, Shape.of(512, 10));
             Tensor h = Tensor.zeros(shared, Shape.of(128, 512));
             Tensor dX = Tensor.zeros(shared, Shape.of(128, 512))) {
            Epilogue gate = Epilogue.gate(Activation.RELU, h);
            assertEquals(cpu ? List.of("gemm_pack_bt", "gemm_nt_mask_packed") : List.of("gemm_nt_mask"),
                    shared.kernels(new MatMul(false, true, 2f, dY, w2, 0f, dX, gate)),
                    "the MLP's second input gradient: a CPU profile packs W^T from M >= 64");
            assertEquals(cpu ? List.of("gemm_pack_bt", "gemm_nt_mask_packed") : List.of("gemm_nt_mask"),
                    shared.kernels(new MatMul(false, true, 2f, dY3, w3, 0f, dX, gate)), "the third's, K = 10, too");
        }
        assertTrue(GemmRoutine.packs(shared, new GemmShape(2048, 2048, 2048), false));
        assertTrue(GemmRoutine.packs(shared, new GemmShape(2048, 2048, 2048), true));
        assertFalse(GemmRoutine.packs(shared, new GemmShape(2048, 2048, 511), false));
    }

    @Test
    void clgradDefinesOverrideTheTuningFile() throws IOException {
        OpenClBackend shared = TestBackends.openCl().get(0);
        store(shared, -1, 1);
        String old = System.getProperty("clgrad.defines");
        try {
            System.setProperty("clgrad.defines", "GEMM_PACK_K=" + NEVER + ", GEMM_PACK_M=7");
            try (OpenClBackend cl = OpenClBackend.open(shared.id(), shared.binding());
                 Tensor a = Tensor.zeros(cl, Shape.of(130, 200));
                 Tensor b = Tensor.zeros(cl, Shape.of(200, 70));
                 Tensor c = Tensor.zeros(cl, Shape.of(130, 70))) {
                assertEquals(NEVER, cl.define("GEMM_PACK_K", -1));
                assertEquals(7, cl.define("GEMM_PACK_M", -1));
                assertEquals(List.of("gemm_nn"), cl.kernels(MatMul.of(false, false, 1f, a, b, 0f, c)));
            }
            System.setProperty("clgrad.defines", "GEMM_PACK_K=1;GEMM_PACK_M=1");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> OpenClBackend.open(shared.id(), shared.binding()).close());
            assertTrue(e.getMessage().contains("GEMM_PACK_K=1;GEMM_PACK_M=1"), e.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty("clgrad.defines");
            } else {
                System.setProperty("clgrad.defines", old);
            }
        }
    }

    @Test
    void thePackDeclaresItsBytesAndTheProductItsCost() throws IOException {
        store(TestBackends.openCl().get(0), -1, 1);
        int m = 130;
        int n = 70;
        int k = 200;
        List<ProfileSink.KernelRecord> records = new ArrayList<>();
        OpenClBackend shared = TestBackends.openCl().get(0);
        try (OpenClBackend cl = OpenClBackend.open(shared.id(), shared.binding());
             Tensor a = Tensor.zeros(cl, Shape.of(m, k));
             Tensor b = Tensor.zeros(cl, Shape.of(k, n));
             Tensor c = Tensor.zeros(cl, Shape.of(m, n))) {
            MatMul op = MatMul.of(false, false, 1f, a, b, 0f, c);
            cl.profile(new ProfileSink() {
                @Override
                public void kernel(KernelRecord record) {
                    records.add(record);
                }

                @Override
                public void span(HostSpan span) {
                }
            });
            cl.run(op);
            cl.profile(null);
            long np = (long) Math.ceil(n / (double) cl.define("GEMM_NWG", 64)) * cl.define("GEMM_NWG", 64);
            assertEquals(2, records.size(), records.toString());
            assertEquals("gemm_pack_b", records.get(0).kernel());
            assertEquals(0, records.get(0).flops());
            assertEquals(2.0 * Float.BYTES * k * np, records.get(0).bytes());
            assertEquals("gemm_nn_packed", records.get(1).kernel());
            assertEquals(op.cost().flops(), records.get(1).flops());
            assertEquals(op.cost().bytes(), records.get(1).bytes());
        }
    }

    private static void assertSameBits(float[][] want, float[][] got, String what) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i].length, got[i].length);
            for (int j = 0; j < want[i].length; j++) {
                assertEquals(Float.floatToRawIntBits(want[i][j]), Float.floatToRawIntBits(got[i][j]),
                        what + ": product " + i + " element " + j + ": " + want[i][j] + " against " + got[i][j]);
            }
        }
    }

    /** A tuning file for the device: its profile's tile, GEMM_DIRECT = direct (unless -1), all four thresholds = pack. */
    private void store(OpenClBackend shared, int direct, int pack) throws IOException {
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("device", shared.info().name()).put("driver", shared.info().driverVersion());
        ObjectNode defines = root.putObject("defines");
        for (String n : new String[] {"GEMM_MWG", "GEMM_NWG", "GEMM_KWG", "GEMM_MDIMC", "GEMM_NDIMC", "GEMM_VWN",
            "GEMM_DIRECT"}) {
            int v = shared.define(n, -1);
            if (v >= 0) {
                defines.put(n, v);
            }
        }
        if (direct >= 0) {
            defines.put("GEMM_DIRECT", direct);
        }
        for (String n : new String[] {"GEMM_PACK_K", "GEMM_PACK_M", "GEMM_PACK_NT_K", "GEMM_PACK_NT_M"}) {
            defines.put(n, pack);
        }
        TuningFile.store(cache.dir(), root);
    }

    /**
     * Every product of {@link #SHAPES} x (NN, NT, TN, TT) x (alpha, beta), and the ReLU-gated NT product
     * of the Dense input gradient, on a backend with GEMM_DIRECT = direct and the packing thresholds =
     * pack, each checked against the float64 reference and for the kernels it runs.
     */
    private float[][] run(OpenClBackend shared, int direct, int pack) throws IOException {
        store(shared, direct, pack);
        float[][] out = new float[SHAPES.length * (2 * 2 * 2 + 1)][];
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
                for (boolean ta : new boolean[] {false, true}) {
                    for (boolean tb : new boolean[] {false, true}) {
                        for (float[] ab : new float[][] {{1f, 0f}, {0.5f, -2f}}) {
                            String what = "GEMM_DIRECT=" + direct + " pack=" + pack + " " + m + "x" + n + "x" + k
                                    + " transA=" + ta + " transB=" + tb + " alpha=" + ab[0] + " beta=" + ab[1];
                            try (Tensor tA = ta ? Tensor.of(cl, a, k, m) : Tensor.of(cl, a, m, k);
                                 Tensor tB = tb ? Tensor.of(cl, b, n, k) : Tensor.of(cl, b, k, n);
                                 Tensor tC = Tensor.of(cl, c0, m, n)) {
                                MatMul op = MatMul.of(ta, tb, ab[0], tA, tB, ab[1], tC);
                                String gemm = "gemm_" + (ta ? "t" : "n");
                                assertEquals(pack == 1 ? List.of(tb ? "gemm_pack_bt" : "gemm_pack_b", gemm + "n_packed")
                                        : List.of(gemm + (tb ? "t" : "n")), cl.kernels(op),
                                        what + " (a tiled shape on the profile's tile)");
                                cl.run(op);
                                out[i] = tC.toArray();
                            }
                            assertNear(MatMul.reference(ta, tb, m, n, k, ab[0], doubles(a), doubles(b), ab[1],
                                    doubles(c0)), out[i], what);
                            i++;
                        }
                    }
                }
                float[] h = random(rng, m * n);
                String what = "GEMM_DIRECT=" + direct + " pack=" + pack + " " + m + "x" + n + "x" + k + " masked NT";
                try (Tensor dY = Tensor.of(cl, a, m, k); Tensor w = Tensor.of(cl, b, n, k);
                     Tensor tH = Tensor.of(cl, h, m, n); Tensor dX = Tensor.of(cl, c0, m, n)) {
                    MatMul op = new MatMul(false, true, 0.5f, dY, w, 0f, dX, Epilogue.gate(Activation.RELU, tH));
                    assertEquals(pack == 1 ? List.of("gemm_pack_bt", "gemm_nt_mask_packed") : List.of("gemm_nt_mask"),
                            cl.kernels(op), what);
                    cl.run(op);
                    out[i] = dX.toArray();
                }
                double[] ref = MatMul.reference(false, true, m, n, k, 0.5, doubles(a), doubles(b), 0, null);
                for (int j = 0; j < ref.length; j++) {
                    ref[j] = h[j] > 0 ? ref[j] : 0;
                }
                assertNear(ref, out[i], what);
                i++;
            }
        }
        assertEquals(out.length, i);
        return out;
    }

    private static void assertNear(double[] ref, float[] got, String what) {
        for (int j = 0; j < ref.length; j++) {
            double err = Math.abs(got[j] - ref[j]);
            assertTrue(err <= 1e-5 + 1e-5 * Math.abs(ref[j]), what + " element " + j + ": " + got[j] + " vs " + ref[j]);
        }
    }

    private static float[] random(SplittableRandom rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return v;
    }
}
