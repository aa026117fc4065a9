package dev.clgrad.backend.opencl;

import dev.clgrad.backend.BackendException;
import dev.clgrad.ops.Cost;
import dev.clgrad.ops.GemmShape;
import dev.clgrad.ops.MatMul;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code C = alpha·op(A)·op(B) + beta·C} on OpenCL ({@code gemm.cl}). Shapes whose tiles would
 * mostly compute padding (say M = 1, N = 10 against a 64-wide tile, or K = 9 against a 32-deep K
 * step) run the one-element-per-work-item {@code gemm_naive}; everything else runs the tiled
 * {@code gemm_nn/nt/tn/tt}, which handles partial tiles itself, so the caller never pads.
 * {@link DenseRoutine} launches the same kernels with an epilogue, and a Dense forward of a short K
 * and a long M, or of a narrow N where {@link #blocksNarrow}, the register-blocked
 * {@code gemm_smallk_bias} ({@link #smallK}). A plain product with B
 * not transposed and a long K and M ({@link #packs}) first copies B into NWG-wide panels in the
 * backend's scratch ({@code gemm_pack_b}), which {@code gemm_nn_packed} / {@code gemm_tn_packed} then
 * read as one contiguous stream per work-group column, with the same sums in the same order
 * ({@link #packed}). The math is {@link MatMul}'s.
 */
final class GemmRoutine {
    static final String FILE = "gemm.cl";

    /** Defaults of gemm.cl's tunables, used when the device profile sets none. */
    private static final int MWG = 64;
    private static final int NWG = 64;
    private static final int KWG = 16;
    private static final int MDIMC = 16;
    private static final int NDIMC = 16;
    private static final int NAIVE_LOCAL = 8;
    /**
     * The fewest multiply-adds of a product that runs tiled or that {@link #blocksNarrow} runs
     * register-blocked: below it a launch costs more than its arithmetic on every device, and the
     * naive kernels fuse more of a step (the seed SimpleNet's whole step is five launches).
     */
    private static final long NARROW_BLOCKED_WORK = 1L << 16;
    /**
     * Defaults of {@code GEMM_PACK_K} and {@code GEMM_PACK_M}, the K and M from which a plain product
     * packs B (a profile, a tuning file or {@code clgrad.defines} may set them): on PoCL 3.1 (2 AVX-512
     * cores) packing takes the 2048³ product from about 325 to 210 ms of kernel time and is about even
     * at 1024³ (docs/BENCHMARKS.md, 2026-12-02). The thresholds are the prototype's, not searched: a
     * shorter K keeps a work-group's rows of B in cache unpacked, and a shorter M has too few
     * work-groups per panel to pay for the copy.
     */
    static final int PACK_K = 512;
    static final int PACK_M = 256;
    /** The pack's work-group edge along N: local = (PACK_LOCAL, 1). */
    private static final int PACK_LOCAL = 64;

    private GemmRoutine() {
    }

    /** The plain product of {@code op} (its epilogue is the caller's business). a, b not modified; c modified. */
    static Call.Kernel gemm(OpenClBackend cl, MatMul op) {
        return call(cl, op.shape(), op.transA(), op.transB(), "", op.alpha(), op.a(), op.b(),
                new Object[] {op.beta()}, op.c());
    }

    /** The two launches of a packed product: B into panels, then the product reading them; the pack's cost. */
    record Packed(Call.Kernel pack, Call.Kernel gemm, Cost packCost) {
    }

    /**
     * Whether a product of shape s packs op(B) here: K at least {@code GEMM_PACK_K} and M at least
     * {@code GEMM_PACK_M} for B as it is, or {@code GEMM_PACK_NT_K} and {@code GEMM_PACK_NT_M} for a
     * transposed B (so that the copy of op(B), K·NP floats with NP = N rounded up to GEMM_NWG, is
     * small beside the product, whose ceil(M / GEMM_MWG) work-groups per column each read a panel
     * once). The CPU profile packs a transposed B at any K from 64 rows: there the panels let the
     * direct k-loop replace the local tiles, which a transposed B otherwise needs (and whose kernel
     * is PoCL's slowest to compile).
     */
    static boolean packs(OpenClBackend cl, GemmShape s, boolean transB) {
        String suffix = transB ? "_NT" : "";
        return s.k() >= cl.define("GEMM_PACK" + suffix + "_K", PACK_K)
                && s.m() >= cl.define("GEMM_PACK" + suffix + "_M", PACK_M);
    }

    /**
     * The plain product of {@code op} as {@code gemm_pack_b} (or {@code gemm_pack_bt} for a transposed
     * B) then {@code gemm_nn_packed} or {@code gemm_tn_packed}, or null where it runs unpacked
     * ({@link #gemm}): see {@link #packedAs}. a, b not modified; c modified.
     */
    static Packed packed(OpenClBackend cl, MatMul op) {
        return packedAs(cl, op, "gemm_" + (op.transA() ? 't' : 'n') + "n_packed", new Object[] {op.beta()});
    }

    /**
     * The product of {@code op} as the pack of op(B) then {@code kernel} (a tiled entry point reading
     * the panels, given the arguments {@code M, N, K, alpha, a, panels, 0, epilogue..., c}), or null
     * where it does not pack: where it does not {@link #packs}, alpha is 0 (then B is not read), its
     * shape is naive or the panels do not fit in one buffer of the device. The pack's cost is its
     * bytes, K·NP floats read and written.
     */
    static Packed packedAs(OpenClBackend cl, MatMul op, String kernel, Object[] epilogue) {
        GemmShape s = op.shape();
        long floats = panelFloats(s, cl.define("GEMM_NWG", NWG));
        if (!packs(cl, s, op.transB()) || op.alpha() == 0f || naive(cl, s)
                || floats * Float.BYTES > cl.info().maxAllocBytes()) {
            return null;
        }
        Call.ScratchBuffer panels = new Call.ScratchBuffer(cl.scratch(), floats);
        Call.Kernel tiled = gemm(cl, op);
        List<Object> args = new ArrayList<>(List.of(s.m(), s.n(), s.k(), op.alpha(), op.a(), panels, 0));
        args.addAll(Arrays.asList(epilogue));
        args.add(op.c());
        Call.Kernel gemm = new Call.Kernel(FILE, kernel, tiled.global(), tiled.local(), args.toArray());
        return new Packed(pack(s, op.transB(), op.b(), floats / s.k(), panels, 0), gemm,
                new Cost(0, 2.0 * Float.BYTES * floats));
    }

    /** The panels of B for the shape s: K·NP floats, NP = N rounded up to a multiple of nwg. */
    static long panelFloats(GemmShape s, int nwg) {
        return (long) ceilDiv(s.n(), nwg) * nwg * s.k();
    }

    /**
     * The launch of {@code gemm_pack_b}, B (K, N), or {@code gemm_pack_bt}, B (N, K) when transB: op(B)
     * of the shape s into {@code panels}, NP columns wide (a tensor, or the scratch buffer followed by
     * its offset 0).
     */
    static Call.Kernel pack(GemmShape s, boolean transB, Tensor b, long np, Object... panels) {
        List<Object> args = new ArrayList<>(List.of(s.k(), s.n(), b));
        args.addAll(Arrays.asList(panels));
        return new Call.Kernel(FILE, transB ? "gemm_pack_bt" : "gemm_pack_b",
                new long[] {Geometry.cover(np, PACK_LOCAL), s.k()},
                new long[] {PACK_LOCAL, 1}, args.toArray());
    }

    /**
     * Why a tiled kernel with these defines cannot run on the device, or null when it can: its
     * work-group (GEMM_MDIMC·GEMM_NDIMC work-items) against {@code CL_DEVICE_MAX_WORK_GROUP_SIZE},
     * and its two tiles in local memory ({@code GEMM_KWG·(GEMM_MWG + GEMM_NWG)} floats) against
     * {@code CL_DEVICE_LOCAL_MEM_SIZE}.
     */
    static String tileProblem(long maxWorkGroupSize, long localMemBytes, int mwg, int nwg, int kwg, int mdimc,
                              int ndimc) {
        long items = (long) mdimc * ndimc;
        if (items > maxWorkGroupSize) {
            return "GEMM_MDIMC * GEMM_NDIMC = " + mdimc + " * " + ndimc + " = " + items
                    + " work-items exceeds the device's work-group limit (CL_DEVICE_MAX_WORK_GROUP_SIZE) of "
                    + maxWorkGroupSize;
        }
        long bytes = (long) kwg * (mwg + nwg) * Float.BYTES;
        if (bytes > localMemBytes) {
            return "GEMM_KWG * (GEMM_MWG + GEMM_NWG) * 4 = " + kwg + " * (" + mwg + " + " + nwg + ") * 4 = " + bytes
                    + " bytes of local memory exceeds the device's CL_DEVICE_LOCAL_MEM_SIZE of " + localMemBytes;
        }
        return null;
    }

    /**
     * The launch of {@code gemm_XY<suffix>} (tiled) or {@code gemm_naive<suffix>} for the shape s, with
     * the arguments {@code M, N, K, alpha, a, b, epilogue..., c} (the naive kernel takes the two
     * transpose flags first). The suffix names an epilogue of gemm.cl ("", "_bias", "_mask").
     */
    static Call.Kernel call(OpenClBackend cl, GemmShape s, boolean transA, boolean transB, String suffix,
                            float alpha, Tensor a, Tensor b, Object[] epilogue, Tensor c) {
        int mdimc = cl.define("GEMM_MDIMC", MDIMC);
        int ndimc = cl.define("GEMM_NDIMC", NDIMC);
        List<Object> args = new ArrayList<>(List.of(s.m(), s.n(), s.k(), alpha, a, b));
        args.addAll(Arrays.asList(epilogue));
        args.add(c);
        if (naive(cl, s)) {
            args.addAll(0, List.of(transA ? 1 : 0, transB ? 1 : 0));
            return new Call.Kernel(FILE, "gemm_naive" + suffix,
                    new long[] {Geometry.cover(s.n(), NAIVE_LOCAL), Geometry.cover(s.m(), NAIVE_LOCAL)},
                    new long[] {NAIVE_LOCAL, NAIVE_LOCAL}, args.toArray());
        }
        int mwg = cl.define("GEMM_MWG", MWG);
        int nwg = cl.define("GEMM_NWG", NWG);
        String problem = tileProblem(cl.maxWorkGroupSize(), cl.localMemBytes(), mwg, nwg, cl.define("GEMM_KWG", KWG),
                mdimc, ndimc);
        if (problem != null) {
            throw new BackendException("gemm.cl on " + cl.info().name() + ": " + problem
                    + "; fix its entry in native-config/profiles.json or rerun clgrad tune gemm");
        }
        // The kernels form tile origins and column indices up to a tile past M and N as ints.
        if (s.m() > Integer.MAX_VALUE - mwg || s.n() > Integer.MAX_VALUE - nwg) {
            throw new IllegalArgumentException("gemm: M = " + s.m() + " or N = " + s.n() + " is within a tile ("
                    + mwg + " x " + nwg + ") of the kernels' int index limit " + Integer.MAX_VALUE);
        }
        String kernel = "gemm_" + (transA ? 't' : 'n') + (transB ? 't' : 'n') + suffix;
        return new Call.Kernel(FILE, kernel, global(s, mwg, nwg, mdimc, ndimc), new long[] {ndimc, mdimc},
                args.toArray());
    }

    /**
     * Whether the shape s runs the naive kernel on this device: fewer than
     * {@link #NARROW_BLOCKED_WORK} multiply-adds, or tiles that would be mostly padding.
     */
    static boolean naive(OpenClBackend cl, GemmShape s) {
        return work(s) < NARROW_BLOCKED_WORK
                || mostlyPadding(s, cl.define("GEMM_MWG", MWG), cl.define("GEMM_NWG", NWG), cl.define("GEMM_KWG", KWG));
    }

    /**
     * Whether the shape s is one that {@code gemm_smallk_bias} runs as a Dense forward: M at least a
     * tile of rows ({@code GEMM_MWG}), so register blocks of rows by vectors of columns fill the
     * device, and either a naive shape with K within one K step ({@code GEMM_KWG}) or one that
     * {@link #blocksNarrow} (a classifier's 128 × 10 × 512 on a CPU: 0.57 ms naive, 0.15 ms blocked),
     * or on a GEMM_DIRECT device any K within one K step, tiles or not (the first 3 × 3 convolution's
     * 86528 × 32 × 9 on AVX2's 48 × 16 tiles: 4 ms tiled, 2.3 ms blocked); smaller products keep the
     * naive kernel.
     */
    static boolean smallK(OpenClBackend cl, GemmShape s) {
        boolean oneStep = s.k() <= cl.define("GEMM_KWG", KWG);
        return s.m() >= cl.define("GEMM_MWG", MWG) && (naive(cl, s) ? oneStep || blocksNarrow(cl, s)
                : oneStep && cl.define("GEMM_DIRECT", 0) != 0);
    }

    /**
     * Whether the naive shape s runs register-blocked ({@code gemm_smallk_bias},
     * {@code gemm_splitk_wgrad}) instead of as one sequential scalar dot product per work-item: on a
     * GEMM_DIRECT device (a CPU, where a work-group is a loop over its work-items, so nothing
     * vectorises a naive dot product) and at least {@link #NARROW_BLOCKED_WORK} multiply-adds (the
     * seed SimpleNet's products stay naive and fused).
     */
    static boolean blocksNarrow(OpenClBackend cl, GemmShape s) {
        return cl.define("GEMM_DIRECT", 0) != 0 && work(s) >= NARROW_BLOCKED_WORK;
    }

    private static long work(GemmShape s) {
        return (long) s.m() * s.n() * s.k();
    }

    /** The naive kernels' work-group edge: local = (NAIVE_LOCAL, NAIVE_LOCAL). */
    static int naiveLocal() {
        return NAIVE_LOCAL;
    }

    /** The global size of a tiled launch: dimension 0 along N, 1 along M. */
    static long[] global(GemmShape s, int mwg, int nwg, int mdimc, int ndimc) {
        return new long[] {(long) ceilDiv(s.n(), nwg) * ndimc, (long) ceilDiv(s.m(), mwg) * mdimc};
    }

    /**
     * Whether fewer than a quarter of the tiled kernel's multiply-adds would be real ones: it
     * computes whole MWG x NWG tiles of C, each over K rounded up to whole KWG steps, so a short K
     * (a 3x3 convolution over one channel has K = 9) wastes as much as a thin M or N.
     */
    static boolean mostlyPadding(GemmShape s, int mwg, int nwg, int kwg) {
        double tiled = (double) ceilDiv(s.m(), mwg) * mwg * ceilDiv(s.n(), nwg) * nwg * ceilDiv(s.k(), kwg) * kwg;
        return (double) s.m() * s.n() * s.k() < tiled / 4;
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }
}
