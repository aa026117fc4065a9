package dev.clgrad.selftest;

import dev.clgrad.backend.Backend;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.ApplyChannelMask;
import dev.clgrad.ops.BatchNormApply;
import dev.clgrad.ops.BatchNormBackward;
import dev.clgrad.ops.BatchNormStats;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.Philox;
import dev.clgrad.ops.Pool;
import dev.clgrad.ops.PoolBackward;
import dev.clgrad.ops.Pooling;
import dev.clgrad.ops.Window;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The conformance checks of the ops image models add — pooling ({@link Pool}, {@link PoolBackward}),
 * batch normalisation ({@link BatchNormStats}, {@link BatchNormApply}, {@link BatchNormBackward})
 * and spatial dropout ({@link ApplyChannelMask}) — against {@link RefOps} in float64, part of
 * {@link Conformance#checks()}: fresh inputs, outputs poisoned, every operand a view at an offset,
 * at awkward image sizes (H, W in {1, 5, 28, 33}, C in {1, 3, 17}, batches of 1 and 33), strides 1
 * and 2, "valid" and "same" padding with odd and even windows, and windows as large as the image
 * (global average pooling). Names: {@code maxPoolForward BxHxWxC pool KHxKW strides SHxSW valid},
 * {@code batchNormBackward 33x5x5x3 all}, {@code spatialDropout 33x5x5x3 p=0.5}, ….
 */
final class ImageOpChecks {
    /** (B, H, W, C, KH, KW, SH, SW, same) of the pooling cases; KH = H, KW = W is global pooling. */
    static final int[][] POOLS = {
            {1, 1, 1, 1, 1, 1, 1, 1, 0},
            {33, 5, 5, 3, 2, 2, 2, 2, 0},
            {33, 5, 5, 3, 2, 2, 2, 2, 1},
            {1, 28, 28, 17, 3, 3, 1, 1, 1},
            {33, 33, 28, 1, 3, 2, 2, 2, 1},
            {1, 33, 33, 3, 3, 3, 2, 2, 0},
            {33, 28, 5, 17, 2, 3, 1, 1, 0},
            {33, 1, 33, 3, 1, 4, 1, 2, 1},
            {1, 5, 1, 17, 4, 1, 2, 1, 1},
            {1, 33, 5, 3, 2, 2, 1, 1, 1},
            {33, 5, 28, 17, 5, 28, 1, 1, 0},
    };
    /** Per-sample-and-batch shapes (B, …, C) of the batch-normalisation and spatial-dropout cases. */
    static final int[][] IMAGES = {{1, 1}, {33, 17}, {33, 5, 5, 3}, {1, 28, 28, 17}, {33, 33, 28, 1}, {1, 1, 33, 3}};
    static final float EPSILON = 1e-3f;
    static final float MOMENTUM = 0.9f;

    private ImageOpChecks() {
    }

    static void add(List<Check> all) {
        pooling(all);
        batchNorm(all);
        spatialDropout(all);
    }

    /** {@code 33x5x5x3}. */
    static String shape(int... dims) {
        StringBuilder sb = new StringBuilder();
        for (int d : dims) {
            sb.append(sb.length() == 0 ? "" : "x").append(d);
        }
        return sb.toString();
    }

    /**
     * Max and average pooling, forward and backward, for every case: max forward bit for bit (a
     * selection), the rest to {@link Conformance#ELEMENTWISE} (the backward sums overlapping
     * windows' gradients in float32).
     */
    private static void pooling(List<Check> all) {
        for (int[] p : POOLS) {
            int batch = p[0];
            int channels = p[3];
            Window w = Window.keras(p[1], p[2], p[4], p[5], p[6], p[7], 1, 1, p[8] == 1 ? "same" : "valid");
            String what = shape(batch, p[1], p[2], channels) + " pool " + p[4] + "x" + p[5] + " strides " + p[6] + "x"
                    + p[7] + (p[8] == 1 ? " same" : " valid");
            long seed = 1300 + batch + 7L * p[1] + 13L * p[2] + 31L * p[4];
            int in = batch * p[1] * p[2] * channels;
            int out = batch * w.oh() * w.ow() * channels;
            for (Pooling kind : Pooling.values()) {
                String prefix = kind == Pooling.MAX ? "maxPool" : "avgPool";
                String fwd = prefix + "Forward " + what;
                double tol = kind == Pooling.MAX ? Conformance.EXACT : Conformance.ELEMENTWISE;
                all.add(new Check(fwd, Pool.class, tol, seed, (backend, ops) -> {
                    double[] x = ops.uniform(in, 2);
                    Tensor ty = ops.poisoned(batch, w.oh(), w.ow(), channels);
                    backend.run(new Pool(kind, w, ops.tensor(x, batch, p[1], p[2], channels), ty));
                    double[] ref = RefOps.pool(kind, w, batch, channels, x);
                    return List.of(kind == Pooling.MAX ? Comparison.exact(fwd, OpInputs.floats(ref), ty.toArray())
                            : Comparison.close(fwd, ref, ty.toArray(), tol));
                }));
                String bwd = prefix + "Backward " + what;
                all.add(new Check(bwd, PoolBackward.class, Conformance.ELEMENTWISE, seed + 1, (backend, ops) -> {
                    double[] x = ops.uniform(in, 2);
                    double[] dy = ops.uniform(out, 1);
                    Tensor tx = kind == Pooling.MAX ? ops.tensor(x, batch, p[1], p[2], channels) : null;
                    Tensor tdx = ops.poisoned(batch, p[1], p[2], channels);
                    backend.run(new PoolBackward(kind, w, tx, ops.tensor(dy, batch, w.oh(), w.ow(), channels), tdx));
                    return List.of(Comparison.close(bwd, RefOps.poolBackward(kind, w, batch, channels, x, dy),
                            tdx.toArray(), Conformance.ELEMENTWISE));
                }));
            }
        }
    }

    /** Values of mean about 3, so that a one-pass variance would cancel visibly. */
    private static double[] shifted(OpInputs ops, int n) {
        double[] x = ops.uniform(n, 2);
        for (int i = 0; i < n; i++) {
            x[i] = (float) (x[i] + 3);
        }
        return x;
    }

    /** Moving variances to start from: positive. */
    private static double[] positive(OpInputs ops, int n) {
        double[] v = ops.uniform(n, 1);
        for (int i = 0; i < n; i++) {
            v[i] = (float) (Math.abs(v[i]) + 0.5);
        }
        return v;
    }

    /**
     * The statistics with the moving update; the apply for every activation with gamma and beta,
     * and without either (also in place); the backward with every output, with dX alone and no
     * gamma, and with the parameter gradients alone.
     */
    private static void batchNorm(List<Check> all) {
        for (int[] dims : IMAGES) {
            int c = dims[dims.length - 1];
            int size = 1;
            for (int d : dims) {
                size *= d;
            }
            int n = size;
            String what = shape(dims);
            long seed = 1500 + n + c;
            all.add(new Check("batchNormStats " + what, BatchNormStats.class, Conformance.ELEMENTWISE, seed,
                    (backend, ops) -> {
                        double[] x = shifted(ops, n);
                        double[] mm = ops.uniform(c, 1);
                        double[] mv = positive(ops, c);
                        Tensor mean = ops.poisoned(c);
                        Tensor var = ops.poisoned(c);
                        Tensor tmm = ops.tensor(mm, c);
                        Tensor tmv = ops.tensor(mv, c);
                        backend.run(new BatchNormStats(ops.tensor(x, dims), mean, var, tmm, tmv, MOMENTUM));
                        double[][] ref = RefOps.batchNormStats(x, c);
                        String s = "batchNormStats " + what;
                        return List.of(Comparison.close(s + " mean", ref[0], mean.toArray(), Conformance.ELEMENTWISE),
                                Comparison.close(s + " variance", ref[1], var.toArray(), Conformance.ELEMENTWISE),
                                Comparison.close(s + " moving mean", RefOps.movingUpdate(mm, ref[0], MOMENTUM),
                                        tmm.toArray(), Conformance.ELEMENTWISE),
                                Comparison.close(s + " moving variance", RefOps.movingUpdate(mv, ref[1], MOMENTUM),
                                        tmv.toArray(), Conformance.ELEMENTWISE));
                    }));
            for (Activation act : Activation.values()) {
                String apply = "batchNormApply " + what + " " + act.opName();
                all.add(new Check(apply, BatchNormApply.class, Conformance.ELEMENTWISE, seed + 1 + act.code(),
                        (backend, ops) -> {
                            double[] x = shifted(ops, n);
                            double[] mean = ops.uniform(c, 3);
                            double[] var = positive(ops, c);
                            double[] gamma = ops.uniform(c, 2);
                            double[] beta = ops.uniform(c, 1);
                            Tensor ty = ops.poisoned(dims);
                            backend.run(new BatchNormApply(ops.tensor(x, dims), ops.tensor(mean, c), ops.tensor(var, c),
                                    ops.tensor(gamma, c), ops.tensor(beta, c), EPSILON, act, ty));
                            return List.of(Comparison.close(apply, RefOps.batchNormApply(x, mean, var, gamma, beta,
                                    EPSILON, act), ty.toArray(), Conformance.ELEMENTWISE));
                        }));
            }
            String bare = "batchNormApply " + what + " no gamma, no beta, in place";
            all.add(new Check(bare, BatchNormApply.class, Conformance.ELEMENTWISE, seed + 7, (backend, ops) -> {
                double[] x = shifted(ops, n);
                double[] mean = ops.uniform(c, 3);
                double[] var = positive(ops, c);
                Tensor tx = ops.tensor(x, dims);
                backend.run(new BatchNormApply(tx, ops.tensor(mean, c), ops.tensor(var, c), null, null, EPSILON,
                        Activation.LINEAR, tx));
                return List.of(Comparison.close(bare, RefOps.batchNormApply(x, mean, var, null, null, EPSILON,
                        Activation.LINEAR), tx.toArray(), Conformance.ELEMENTWISE));
            }));
            for (String outputs : new String[] {"all", "dX alone without gamma", "dGamma and dBeta alone"}) {
                String bwd = "batchNormBackward " + what + " " + outputs;
                all.add(new Check(bwd, BatchNormBackward.class, Conformance.ELEMENTWISE, seed + 8, (backend, ops) -> {
                    double[] x = shifted(ops, n);
                    double[] dy = ops.uniform(n, 1);
                    boolean withGamma = !outputs.startsWith("dX");
                    double[] gamma = withGamma ? ops.uniform(c, 2) : null;
                    double[][] stats = RefOps.batchNormStats(x, c);
                    Tensor tdx = outputs.equals("dGamma and dBeta alone") ? null : ops.poisoned(dims);
                    Tensor tdg = withGamma ? ops.poisoned(c) : null;
                    Tensor tdb = withGamma ? ops.poisoned(c) : null;
                    backend.run(new BatchNormBackward(ops.tensor(x, dims), ops.tensor(dy, dims),
                            ops.tensor(RefOps.rounded(stats[0]), c), ops.tensor(RefOps.rounded(stats[1]), c),
                            gamma == null ? null : ops.tensor(gamma, c), EPSILON, tdx, tdg, tdb));
                    double[][] ref = RefOps.batchNormBackward(x, dy, gamma, EPSILON, c);
                    List<Comparison> out = new ArrayList<>();
                    if (tdx != null) {
                        out.add(Comparison.close(bwd + " dX", ref[0], tdx.toArray(), Conformance.ELEMENTWISE));
                    }
                    if (withGamma) {
                        out.add(Comparison.close(bwd + " dGamma", ref[1], tdg.toArray(), Conformance.ELEMENTWISE));
                        out.add(Comparison.close(bwd + " dBeta", ref[2], tdb.toArray(), Conformance.ELEMENTWISE));
                    }
                    return out;
                }));
            }
        }
    }

    /**
     * Spatial dropout at rates 0, 0.3 and 0.5 (also in place) at the conformance counter base, whose
     * blocks carry past 2^32; and a prepared op replayed with its counter advanced by
     * ceil(B·C/4), which must draw the mask of the counter's value at each run.
     */
    private static void spatialDropout(List<Check> all) {
        for (int[] dims : IMAGES) {
            int batch = dims[0];
            int c = dims[dims.length - 1];
            int size = 1;
            for (int d : dims) {
                size *= d;
            }
            int n = size;
            for (float p : new float[] {0f, 0.3f, 0.5f}) {
                String what = "spatialDropout " + shape(dims) + " p=" + p;
                long maskSeed = 91L + n;
                all.add(new Check(what, ApplyChannelMask.class, Conformance.ELEMENTWISE, 1700 + n, (backend, ops) -> {
                    double[] x = ops.uniform(n, 2);
                    Tensor tx = ops.tensor(x, dims);
                    Tensor ty = ops.poisoned(dims);
                    Mask mask = Mask.fixed(p, maskSeed, Conformance.DROPOUT_OFFSET);
                    double[] ref = RefOps.channelDropout(x, batch, c, p, maskSeed, Conformance.DROPOUT_OFFSET);
                    backend.run(new ApplyChannelMask(tx, mask, ty));
                    Comparison once = Comparison.close(what, ref, ty.toArray(), Conformance.ELEMENTWISE);
                    backend.run(new ApplyChannelMask(tx, mask, tx));
                    return List.of(once, Comparison.close(what + " in place", ref, tx.toArray(), Conformance.ELEMENTWISE));
                }));
            }
        }
        int[] dims = {33, 5, 5, 3};
        String what = "spatialDropout replayed with its counter advanced " + shape(dims) + " p=0.5";
        all.add(new Check(what, ApplyChannelMask.class, Conformance.ELEMENTWISE, 1799, (backend, ops) -> {
            int n = 33 * 5 * 5 * 3;
            double[] x = ops.uniform(n, 2);
            Tensor ty = ops.poisoned(dims);
            Counter counter = new Counter(Conformance.DROPOUT_OFFSET - Philox.blocks(33 * 3));
            ApplyChannelMask op = new ApplyChannelMask(ops.tensor(x, dims), new Mask(0.5f, 9, counter), ty);
            Backend.Launch launch = backend.prepare(op);
            List<Comparison> out = new ArrayList<>();
            for (String how : new String[] {"run", "prepared", "prepared again"}) {
                long offset = counter.get();
                if (how.startsWith("prepared")) {
                    launch.run();
                } else {
                    backend.run(op);
                }
                out.add(Comparison.close(what + " " + how + " at offset " + Long.toUnsignedString(offset),
                        RefOps.channelDropout(x, 33, 3, 0.5f, 9, offset), ty.toArray(), Conformance.ELEMENTWISE));
                counter.getAndAdd(Philox.blocks(op.maskElements()));
            }
            return out;
        }));
    }
}
