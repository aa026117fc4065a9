package dev.clgrad.backend.opencl;

import dev.clgrad.backend.OpShapes;
import dev.clgrad.ops.Philox;
import dev.clgrad.tensor.Tensor;

/**
 * Inverted dropout with Philox masks on OpenCL ({@code dropout.cl}), forward and backward. The
 * keep threshold {@code ceil(p·2^24)} and the scale {@code 1/(1-p)} are computed here once, so the
 * kernel compares the same integers as {@link Philox#keep}. A work-item generates DROPOUT_VW Philox
 * blocks (4·DROPOUT_VW elements).
 */
final class DropoutRoutine {
    static final String FILE = "dropout.cl";
    private static final String WG = "DROPOUT_WG";
    private static final int WG_DEFAULT = 256;
    private static final String VW = "DROPOUT_VW";
    private static final int VW_DEFAULT = 1;

    private DropoutRoutine() {
    }

    /**
     * {@code y[i] = keep(i) ? x[i]/(1-p) : 0} with the mask of (seed, offset, p). x not modified;
     * y modified (may be x).
     *
     * @throws IllegalArgumentException for p outside [0, 1) or x, y of different shapes
     */
    static void forward(OpenClBackend cl, Tensor x, float p, long seed, long offset, Tensor y) {
        int threshold = Philox.threshold(p);
        OpShapes.same("dropoutForward", "x", x, "y", y);
        launch(cl, "dropout_forward", x, threshold, p, seed, offset, y);
    }

    /**
     * {@code dX[i] = keep(i) ? dY[i]/(1-p) : 0}, the mask regenerated from (seed, offset, p). dY not
     * modified; dX modified (may be dY).
     *
     * @throws IllegalArgumentException for p outside [0, 1) or dY, dX of different shapes
     */
    static void backward(OpenClBackend cl, Tensor dY, float p, long seed, long offset, Tensor dX) {
        int threshold = Philox.threshold(p);
        OpShapes.same("dropoutBackward", "dY", dY, "dX", dX);
        launch(cl, "dropout_backward", dY, threshold, p, seed, offset, dX);
    }

    private static void launch(OpenClBackend cl, String kernel, Tensor in, int threshold, float p, long seed,
                               long offset, Tensor out) {
        int n = ElementwiseRoutine.size(in);
        if (n == 0) {
            return;
        }
        int wg = Launch.groupSize(cl, WG, WG_DEFAULT);
        int vw = cl.define(VW, VW_DEFAULT);
        long items = (Philox.blocks(n) + vw - 1) / vw;
        float scale = scale(p);
        cl.enqueue(FILE, kernel, Launch.global(items, wg), Launch.local(wg),
                n, threshold, scale, seed, offset, in, out);
    }

    /** {@code 1/(1-p)} rounded once to float. */
    static float scale(float p) {
        return (float) (1.0 / (1.0 - p));
    }
}
