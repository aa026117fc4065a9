package dev.clgrad.backend.opencl;

import dev.clgrad.ops.ApplyAlphaMask;
import dev.clgrad.ops.ApplyChannelMask;
import dev.clgrad.ops.ApplyGaussianNoise;
import dev.clgrad.ops.ApplyMask;
import dev.clgrad.ops.GaussianNoise;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.Philox;

/**
 * Inverted dropout with Philox masks on OpenCL ({@code dropout.cl}), forward and backward. The
 * keep threshold {@code ceil(p·2^24)} and the scale {@code 1/(1-p)} are computed here once, so the
 * kernel compares the same integers as {@link Philox#keep}. A work-item generates DROPOUT_VW Philox
 * blocks (4·DROPOUT_VW elements). One kernel, {@code dropout_forward}, runs both directions: an
 * {@link ApplyMask} is the forward and the backward alike; {@code spatial_dropout} does the same
 * for an {@link ApplyChannelMask}, one mask element per (sample, channel); {@code gaussian_dropout}
 * and {@code alpha_dropout} run the variants ({@link ApplyGaussianNoise}, {@link ApplyAlphaMask}).
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
     * {@code y[i] = keep(i) ? x[i]/(1-p) : 0} with the op's mask, its counter base read at each
     * launch; the forward and the backward of a dropout alike (the backward regenerates the mask).
     * x not modified; y modified (may be x). Null when there are no elements.
     */
    static Call apply(OpenClBackend cl, ApplyMask op) {
        int n = ElementwiseRoutine.size(op.x());
        if (n == 0) {
            return null;
        }
        Mask mask = op.mask();
        int wg = Geometry.groupSize(cl, WG, WG_DEFAULT);
        int vw = cl.define(VW, VW_DEFAULT);
        long items = (Philox.blocks(n) + vw - 1) / vw;
        return new Call.Kernel(FILE, "dropout_forward", Geometry.global(items, wg), Geometry.local(wg),
                new Object[] {n, mask.threshold(), scale(mask.rate()), mask.seed(),
                        new Call.CounterValue(mask.offset()), op.x(), op.y()});
    }

    /**
     * {@code y[b, …, c] = keep(b·C + c) ? x/(1-p) : 0} with the op's mask over B·C elements, its
     * counter base read at each launch; forward and backward alike. x not modified; y modified (may
     * be x). One work-item per mask element, walking its channel's positions. Null when there are no
     * elements.
     */
    static Call applyPerChannel(OpenClBackend cl, ApplyChannelMask op) {
        int n = ElementwiseRoutine.size(op.x());
        if (n == 0) {
            return null;
        }
        Mask mask = op.mask();
        int wg = Geometry.groupSize(cl, WG, WG_DEFAULT);
        int row = n / op.x().shape().rows();
        int c = op.x().shape().last();
        return new Call.Kernel(FILE, "spatial_dropout", Geometry.global((long) (n / row) * c, wg), Geometry.local(wg),
                new Object[] {n, row, c, mask.threshold(),
                        scale(mask.rate()), mask.seed(), new Call.CounterValue(mask.offset()), op.x(), op.y()});
    }

    /**
     * {@code y[i] = x[i]·(1 + σ·z(i))} ({@link ApplyGaussianNoise}), one work-item per Philox block
     * of two elements, the counter base read at each launch; forward and backward alike. x not
     * modified; y modified (may be x). Null when there are no elements.
     */
    static Call gaussian(OpenClBackend cl, ApplyGaussianNoise op) {
        int n = ElementwiseRoutine.size(op.x());
        if (n == 0) {
            return null;
        }
        GaussianNoise noise = op.noise();
        int wg = Geometry.groupSize(cl, WG, WG_DEFAULT);
        return new Call.Kernel(FILE, "gaussian_dropout", Geometry.global(GaussianNoise.blocks(n), wg),
                Geometry.local(wg), new Object[] {n, noise.sigma(), noise.seed(), new Call.CounterValue(noise.offset()),
                        op.x(), op.y()});
    }

    /**
     * {@code y[i] = keep(i) ? a·x[i] + b : dropped} ({@link ApplyAlphaMask}: a, b and the dropped
     * value from the op, b = dropped = 0 for the gradient), one work-item per Philox block. x not
     * modified; y modified (may be x). Null when there are no elements.
     */
    static Call alpha(OpenClBackend cl, ApplyAlphaMask op) {
        int n = ElementwiseRoutine.size(op.x());
        if (n == 0) {
            return null;
        }
        Mask mask = op.mask();
        int wg = Geometry.groupSize(cl, WG, WG_DEFAULT);
        return new Call.Kernel(FILE, "alpha_dropout", Geometry.global(Philox.blocks(n), wg), Geometry.local(wg),
                new Object[] {n, mask.threshold(), op.a(), op.b(), op.dropped(), mask.seed(),
                        new Call.CounterValue(mask.offset()), op.x(), op.y()});
    }

    /** {@code 1/(1-p)} rounded once to float. */
    static float scale(float p) {
        return (float) (1.0 / (1.0 - p));
    }
}
