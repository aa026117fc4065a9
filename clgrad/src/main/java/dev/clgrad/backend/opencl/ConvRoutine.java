package dev.clgrad.backend.opencl;

import dev.clgrad.ops.Col2Im;
import dev.clgrad.ops.Im2Col;
import dev.clgrad.ops.Window;
import dev.clgrad.tensor.Tensor;

/**
 * The sliding-window copies of a convolution on OpenCL ({@code conv.cl}), forward and adjoint side
 * by side: {@link Im2Col} (x: (B, H, W, C) → cols: (B·OH·OW, KH·KW·C)) and {@link Col2Im} (cols →
 * dx: (B, H, W, C)), one work-item per vector of {@code CONV_VW} channels of an output row (a cols
 * row, a dx pixel), over the 2-D range (channel vectors, rows) whose dimension 0 runs along
 * contiguous memory. The convolution itself is
 * {@link GemmRoutine}'s (the Conv2D layer multiplies cols by its kernel matrix). Each method turns
 * its op, validated by the caller, into one call; the math is the op's.
 */
final class ConvRoutine {
    static final String FILE = "conv.cl";
    private static final String WG = "CONV_WG";
    private static final int WG_DEFAULT = 256;
    private static final String VW = "CONV_VW";
    private static final int VW_DEFAULT = 4;

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
