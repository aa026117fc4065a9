package dev.clgrad.backend.opencl;

import dev.clgrad.backend.BackendException;
import dev.clgrad.ops.Col2Im;
import dev.clgrad.ops.ConvGemm;
import dev.clgrad.ops.Epilogue;
import dev.clgrad.ops.GemmShape;
import dev.clgrad.ops.Im2Col;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.Window;
import dev.clgrad.tensor.Tensor;

/**
 * The sliding-window copies of a convolution on OpenCL ({@code conv.cl}), forward and adjoint side
 * by side: {@link Im2Col} (x: (B, H, W, C) → cols: (B·OH·OW, KH·KW·C)) and {@link Col2Im} (cols →
 * dx: (B, H, W, C)), one work-item per vector of {@code CONV_VW} channels of an output row (a cols
 * row, a dx pixel), over the 2-D range (channel vectors, rows) whose dimension 0 runs along
 * contiguous memory. The convolution itself is {@link GemmRoutine}'s (the Conv2D layer
 * multiplies cols by its kernel matrix), or, where {@code clgrad tune conv} measured it faster, the
 * implicit GEMM of {@code conv_implicit.cl} ({@link ConvGemm}: x: (B, H, W, C), kernel: (KH·KW·C,
 * F) → c: (B·OH·OW, F) with gemm_nn_bias's epilogue, no cols), whose choice per program kind is
 * the tuning file's {@value #IMPLICIT_TRAIN} and {@value #IMPLICIT_INFER}, each a mask of the shape
 * classes that run implicit (0 or unset: im2col for all). Each method turns its op, validated by the caller, into one call; the math is the op's.
 */
final class ConvRoutine {
    static final String FILE = "conv.cl";
    private static final String WG = "CONV_WG";
    private static final int WG_DEFAULT = 256;
    private static final String VW = "CONV_VW";
    private static final int VW_DEFAULT = 4;
    static final String IMPLICIT_FILE = "conv_implicit.cl";
    /** Tuning-file flags: the shape classes whose convolutions run implicit in a training step (in inference). */
    static final String IMPLICIT_TRAIN = "CONV_IMPLICIT_TRAIN";
    static final String IMPLICIT_INFER = "CONV_IMPLICIT_INFER";
    /** The shape classes of {@link #implicit}: C a multiple of CI_KWG, or not. */
    static final int RUNS = 2;
    static final int GATHERS = 1;
    /** conv_implicit.cl's tile defines and their defaults: CI_MWG, CI_NWG, CI_KWG, CI_MDIMC, CI_NDIMC, CI_VWN. */
    static final String[] TILE_NAMES = {"CI_MWG", "CI_NWG", "CI_KWG", "CI_MDIMC", "CI_NDIMC", "CI_VWN"};
    static final int[] TILE_DEFAULTS = {64, 32, 16, 16, 8, 4};

    private ConvRoutine() {
    }

    /** x: (B, H, W, C) → cols: (B·OH·OW, KH·KW·C). x not modified; cols modified. */
    static Call.Kernel im2col(OpenClBackend cl, Im2Col op) {
        Tensor x = op.x();
        return launch(cl, "im2col", x, op.cols().shape().dim(0), op.window(), x, op.cols());
    }

    /** cols: (B·OH·OW, KH·KW·C) → dx: (B, H, W, C), the gather. cols not modified; dx modified. */
    static Call.Kernel col2im(OpenClBackend cl, Col2Im op) {
        Tensor dx = op.dx();
        long pixels = (long) dx.shape().dim(0) * dx.shape().dim(1) * dx.shape().dim(2);
        return launch(cl, "col2im", dx, pixels, op.window(), op.cols(), dx);
    }

    /**
     * Whether this device's tuning runs {@code op} implicit in a training step (or in inference):
     * the flag is a mask of shape classes, {@value #RUNS} for C a multiple of CI_KWG (a K step is
     * one tap's contiguous channels), {@value #GATHERS} for any other C (each element split from k).
     */
    static boolean implicit(OpenClBackend cl, ConvGemm op, boolean training) {
        int flags = cl.define(training ? IMPLICIT_TRAIN : IMPLICIT_INFER, 0);
        return (flags & shapeClass(cl, op.x().shape().dim(3))) != 0;
    }

    /** The shape class of a convolution over C channels here: {@value #RUNS} or {@value #GATHERS}. */
    static int shapeClass(OpenClBackend cl, int channels) {
        return channels % cl.define(TILE_NAMES[2], TILE_DEFAULTS[2]) == 0 ? RUNS : GATHERS;
    }

    /**
     * x: (B, H, W, C), kernel: (KH·KW·C, F) → c = epilogue(cols·kernel): (B·OH·OW, F) without cols,
     * as {@code conv_implicit}: one work-group per CI_MWG x CI_NWG tile of c. x, kernel, bias not
     * modified; c (and z) modified. The mask's counter base is read at each launch.
     */
    static Call.Kernel implicit(OpenClBackend cl, ConvGemm op) {
        int[] t = new int[TILE_NAMES.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = cl.define(TILE_NAMES[i], TILE_DEFAULTS[i]);
        }
        String problem = tileProblem(cl.maxWorkGroupSize(), cl.localMemBytes(), t);
        if (problem != null) {
            throw new BackendException(IMPLICIT_FILE + " on " + cl.info().name() + ": " + problem
                    + "; fix its entry in native-config/profiles.json or rerun clgrad tune conv");
        }
        GemmShape s = op.shape();
        if (s.m() > Integer.MAX_VALUE - t[0] || s.n() > Integer.MAX_VALUE - t[1]) {
            throw new IllegalArgumentException("convgemm: M = " + s.m() + " or N = " + s.n() + " is within a tile ("
                    + t[0] + " x " + t[1] + ") of the kernel's int index limit " + Integer.MAX_VALUE);
        }
        Window w = op.window();
        Epilogue e = op.epilogue();
        Mask mask = e.mask();
        Tensor x = op.x();
        long[] global = GemmRoutine.global(s, t[0], t[1], t[3], t[4]);
        return new Call.Kernel(IMPLICIT_FILE, "conv_implicit", global, new long[] {t[4], t[3]}, new Object[] {
                x.shape().dim(0), x.shape().dim(3), new Call.Int2(w.h(), w.w()), new Call.Int2(w.oh(), w.ow()),
                new Call.Int2(w.kh(), w.kw()), new Call.Int2(w.sh(), w.sw()), new Call.Int2(w.dh(), w.dw()),
                new Call.Int2(w.padTop(), w.padLeft()), s.n(), x, op.kernel(), e.bias() == null ? 0 : 1,
                e.bias() == null ? op.kernel() : e.bias(), e.activation().code(), e.activation().alpha(),
                mask == null ? 0 : mask.threshold(), mask == null ? 1f : mask.scale(), mask == null ? 0L : mask.seed(),
                mask == null ? (Object) 0L : new Call.CounterValue(mask.offset()), e.z() == null ? op.c() : e.z(),
                e.z() == null ? 0 : 1, op.c()});
    }

    /**
     * Why conv_implicit.cl's tiles {@code t} (CI_MWG, CI_NWG, CI_KWG, CI_MDIMC, CI_NDIMC, CI_VWN) cannot run
     * on the device, or null when they can: the divisibility the kernel's loads need, the work-group
     * against {@code CL_DEVICE_MAX_WORK_GROUP_SIZE} and the two tiles against the local memory.
     */
    static String tileProblem(long maxWorkGroupSize, long localMemBytes, int[] t) {
        int items = t[3] * t[4];
        if (t[0] % t[3] != 0 || t[1] % (t[4] * t[5]) != 0 || items % t[2] != 0 || (t[0] * t[2]) % items != 0
                || (t[2] * t[1]) % items != 0 || Integer.bitCount(t[5]) != 1 || t[5] > 16) {
            return "CI_MWG, CI_NWG, CI_KWG, CI_MDIMC, CI_NDIMC, CI_VWN = " + java.util.Arrays.toString(t)
                    + " need CI_VWN in 1, 2, 4, 8, 16, CI_MWG a multiple of CI_MDIMC, CI_NWG of CI_NDIMC * CI_VWN, "
                    + "CI_MDIMC * CI_NDIMC of CI_KWG, and CI_MWG * CI_KWG and CI_KWG * CI_NWG multiples of "
                    + "CI_MDIMC * CI_NDIMC";
        }
        if (items > maxWorkGroupSize) {
            return "CI_MDIMC * CI_NDIMC = " + items + " work-items exceeds the device's work-group limit of "
                    + maxWorkGroupSize;
        }
        long bytes = ((long) t[2] * (t[0] + t[1]) + 3L * t[0]) * Float.BYTES;
        if (bytes > localMemBytes) {
            return "(CI_KWG * (CI_MWG + CI_NWG) + 3 * CI_MWG) * 4 = " + bytes + " bytes of local memory exceeds the "
                    + "device's " + localMemBytes;
        }
        return null;
    }

    /**
     * The launch of {@code kernel} over (channel vectors, rows) work-items, the image's B and C, the window's
     * pairs and the two tensors, after checking that the range the kernel indexes with {@code int}s
     * fits.
     */
    private static Call.Kernel launch(OpenClBackend cl, String kernel, Tensor image, long rows, Window w, Tensor in,
                                      Tensor out) {
        int channels = image.shape().dim(3);
        int wg = Geometry.groupSize(cl, WG, WG_DEFAULT);
        int vw = cl.define(VW, VW_DEFAULT);
        int vectors = (channels + vw - 1) / vw;
        int l0 = Math.min(wg, vectors);
        int l1 = Math.max(1, wg / l0);
        long[] global = {Geometry.cover(vectors, l0), Geometry.cover(rows, l1)};
        Geometry.intArg(kernel, "the work-items along the rows (" + rows + " rounded up to groups of " + l1 + ")",
                global[1]);
        return new Call.Kernel(FILE, kernel, global, new long[] {l0, l1}, new Object[] {image.shape().dim(0), channels,
                new Call.Int2(w.h(), w.w()), new Call.Int2(w.oh(), w.ow()), new Call.Int2(w.kh(), w.kw()),
                new Call.Int2(w.sh(), w.sw()), new Call.Int2(w.dh(), w.dw()), new Call.Int2(w.padTop(), w.padLeft()),
                in, out});
    }
}
