package dev.clgrad.backend.opencl;

import dev.clgrad.ops.Col2Im;
import dev.clgrad.ops.Im2Col;
import dev.clgrad.ops.Window;
import dev.clgrad.tensor.Tensor;

/**
 * The sliding-window copies of a convolution on OpenCL ({@code conv.cl}), forward and adjoint side
 * by side: {@link Im2Col} (x: (B, H, W, C) → cols: (B·OH·OW, KH·KW·C)) and {@link Col2Im} (cols →
 * dx: (B, H, W, C)), one work-item per output element over a 2-D range whose dimension 0 runs along
 * contiguous memory. The convolution itself is {@link GemmRoutine}'s (the Conv2D layer multiplies
 * cols by its kernel matrix). Each method turns its op, validated by the caller, into one call; the
 * math is the op's.
 */
final class ConvRoutine {
    static final String FILE = "conv.cl";
    private static final String WG = "CONV_WG";
    private static final int WG_DEFAULT = 256;

    private ConvRoutine() {
    }

    /** x: (B, H, W, C) → cols: (B·OH·OW, KH·KW·C). x not modified; cols modified. */
    static Call.Kernel im2col(OpenClBackend cl, Im2Col op) {
        Tensor cols = op.cols();
        return launch(cl, "im2col", cols.shape().dim(1), cols.shape().dim(0), op.x(), op.window(), op.x(), cols);
    }

    /** cols: (B·OH·OW, KH·KW·C) → dx: (B, H, W, C), the gather. cols not modified; dx modified. */
    static Call.Kernel col2im(OpenClBackend cl, Col2Im op) {
        Tensor dx = op.dx();
        long width = (long) dx.shape().dim(2) * dx.shape().dim(3);
        long imageRows = (long) dx.shape().dim(0) * dx.shape().dim(1);
        return launch(cl, "col2im", width, imageRows, dx, op.window(), op.cols(), dx);
    }

    /**
     * The launch of {@code kernel} over (items, rows) work-items with the image's B and C, the
     * window's pairs and the two tensors, after checking that every size the kernel takes as an
     * {@code int} fits.
     */
    private static Call.Kernel launch(OpenClBackend cl, String kernel, long items, long rows, Tensor image, Window w,
                                      Tensor in, Tensor out) {
        int dim0 = Geometry.intArg(kernel, "the work-items along a row", items);
        int dim1 = Geometry.intArg(kernel, "the rows", rows);
        int wg = Geometry.groupSize(cl, WG, WG_DEFAULT);
        int l0 = (int) Math.min(wg, Geometry.cover(dim0, 8));
        int l1 = Math.max(1, wg / l0);
        return new Call.Kernel(FILE, kernel, new long[] {Geometry.cover(dim0, l0), Geometry.cover(dim1, l1)},
                new long[] {l0, l1}, new Object[] {image.shape().dim(0), image.shape().dim(3),
                        new Call.Int2(w.h(), w.w()), new Call.Int2(w.oh(), w.ow()), new Call.Int2(w.kh(), w.kw()),
                        new Call.Int2(w.sh(), w.sw()), new Call.Int2(w.dh(), w.dw()),
                        new Call.Int2(w.padTop(), w.padLeft()), in, out});
    }
}
