package dev.clgrad.backend.opencl;

import dev.clgrad.backend.BackendException;
import dev.clgrad.backend.GemmShape;
import dev.clgrad.tensor.Tensor;

/**
 * {@code C = alpha·op(A)·op(B) + beta·C} on OpenCL ({@code gemm.cl}). Shapes whose tiles would
 * mostly compute padding (say M = 1, or N = 10 against a 128-wide tile) run the one-element-per-
 * work-item {@code gemm_naive}; everything else runs the tiled {@code gemm_nn/nt/tn/tt}, which
 * handles partial tiles itself, so the caller never pads.
 */
final class GemmRoutine {
    static final String FILE = "gemm.cl";

    /** Defaults of gemm.cl's tunables, used when the device profile sets none. */
    private static final int MWG = 64;
    private static final int NWG = 64;
    private static final int MDIMC = 16;
    private static final int NDIMC = 16;
    private static final int NAIVE_LOCAL = 8;

    private GemmRoutine() {
    }

    /**
     * See {@link dev.clgrad.backend.Backend#gemm}. a, b not modified; c modified.
     *
     * @throws IllegalArgumentException for shapes {@link GemmShape#of} rejects
     */
    static void gemm(OpenClBackend cl, boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta,
                     Tensor c) {
        GemmShape s = GemmShape.of(transA, transB, a, b, c);
        int mwg = cl.define("GEMM_MWG", MWG);
        int nwg = cl.define("GEMM_NWG", NWG);
        int mdimc = cl.define("GEMM_MDIMC", MDIMC);
        int ndimc = cl.define("GEMM_NDIMC", NDIMC);
        if (mostlyPadding(s, mwg, nwg)) {
            cl.enqueue(FILE, "gemm_naive",
                    new long[] {Launch.cover(s.n(), NAIVE_LOCAL), Launch.cover(s.m(), NAIVE_LOCAL)},
                    new long[] {NAIVE_LOCAL, NAIVE_LOCAL},
                    transA ? 1 : 0, transB ? 1 : 0, s.m(), s.n(), s.k(), alpha, a, b, beta, c);
            return;
        }
        if ((long) mdimc * ndimc > cl.maxWorkGroupSize()) {
            throw new BackendException("GEMM_MDIMC * GEMM_NDIMC = " + mdimc + " * " + ndimc + " exceeds the "
                    + "work-group limit " + cl.maxWorkGroupSize() + " of " + cl.info().name()
                    + "; fix its entry in native-config/profiles.json");
        }
        String kernel = "gemm_" + (transA ? 't' : 'n') + (transB ? 't' : 'n');
        long[] global = {(long) ceilDiv(s.n(), nwg) * ndimc, (long) ceilDiv(s.m(), mwg) * mdimc};
        cl.enqueue(FILE, kernel, global, new long[] {ndimc, mdimc}, s.m(), s.n(), s.k(), alpha, a, b, beta, c);
    }

    /** Whether fewer than a quarter of the tiled kernel's C elements would be real ones. */
    static boolean mostlyPadding(GemmShape s, int mwg, int nwg) {
        double tiled = (double) ceilDiv(s.m(), mwg) * mwg * ceilDiv(s.n(), nwg) * nwg;
        return (double) s.m() * s.n() < tiled / 4;
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }
}
