package dev.clgrad.selftest;

import dev.clgrad.backend.AdamHyper;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Philox;
import dev.clgrad.backend.opencl.OpenClBackend;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The conformance checks of every {@link Backend} op, forward and backward, against {@link RefOps}:
 * fresh seeded inputs at awkward sizes (1, 7, 17, 33, 129, 1000, 4099 and mixed matrix shapes such
 * as 1x1000x3), every GEMM transpose with and without alpha/beta, outputs poisoned with NaN, every
 * operand a view at a non-zero offset; and the Random123 Philox4x32-10 known answers on the
 * backend's own generator. Tolerances (DESIGN.md): relative 1e-5 element-wise, 1e-4 GEMM, bit-exact
 * for copies, counts and random numbers. Run by {@code clgrad selftest} and by the JUnit
 * conformance test, so a user's driver is checked exactly as CI checks PoCL. GEMM checks are named
 * {@code gemm MxNxK XY alpha=.. beta=..} with X, Y = N (as stored) or T (transposed) for A and B;
 * the fused Dense ops {@code denseForward BxIxO ...}, {@code denseBackwardMasked BxIxO ...} and
 * {@code denseBackwardWeights BxIxO}, {@code denseBackward BxIxO p=..}, {@code mseDenseBackward BxIxO p=..};
 * the fused losses {@code mseForwardBackward n=..} and
 * {@code softmaxCrossEntropyForwardBackward RxC ..}, each against the unfused float64 reference.
 */
public final class Conformance {
    public static final double ELEMENTWISE = 1e-5;
    public static final double GEMM = 1e-4;
    public static final double EXACT = 0;
    static final int[] SIZES = {1, 7, 17, 33, 129, 1000, 4099};
    /** (rows, cols) of the matrix-shaped ops. */
    static final int[][] MATRICES = {{1, 1}, {7, 17}, {33, 129}, {1000, 3}, {3, 1000}, {129, 10}};
    /** (M, N, K) of the GEMM cases. */
    static final int[][] GEMMS = {{1, 1, 1}, {1, 1000, 3}, {1000, 3, 1}, {17, 33, 129}, {129, 17, 33},
            {33, 129, 17}, {7, 7, 7}, {64, 2100, 5}, {130, 67, 261}};
    /** (B, I, O) of the fused Dense cases: naive-kernel sizes and tiled ones with partial tiles. */
    static final int[][] DENSES = {{1, 1, 1}, {32, 20, 10}, {33, 129, 17}, {130, 67, 261}, {64, 5, 2100}};
    /** The dropout counter base: offset + i/4 carries past 2^32 within the larger sizes. */
    static final long DROPOUT_OFFSET = 0xFFFF_FFFEL;

    private Conformance() {
    }

    /** Every check, in a fixed order with fixed seeds. */
    public static List<Check> checks() {
        List<Check> all = new ArrayList<>();
        gemm(all);
        fillAndCopy(all);
        relu(all);
        bias(all);
        dropout(all);
        dense(all);
        adam(all);
        sgd(all);
        mse(all);
        softmaxCrossEntropy(all);
        accuracyCount(all);
        reductions(all);
        all.addAll(SpecialValues.checks());
        all.add(philoxKnownAnswers());
        return List.copyOf(all);
    }

    /** C = alpha·op(A)·op(B) + beta·C; with beta 0, C starts as NaN and must be ignored. */
    private static void gemm(List<Check> all) {
        long seed = 11;
        for (int[] mnk : GEMMS) {
            int m = mnk[0];
            int n = mnk[1];
            int k = mnk[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0;
                boolean tb = (t & 2) != 0;
                for (float[] ab : new float[][] {{1f, 0f}, {0.5f, -1.5f}}) {
                    float alpha = ab[0];
                    float beta = ab[1];
                    String name = "gemm " + m + "x" + n + "x" + k + " " + (ta ? "T" : "N") + (tb ? "T" : "N")
                            + " alpha=" + alpha + " beta=" + beta;
                    all.add(new Check(name, GEMM, seed++, (backend, in) -> {
                        double[] a = in.uniform(m * k, 1);
                        double[] b = in.uniform(k * n, 1);
                        double[] c = in.uniform(m * n, 1);
                        Tensor tA = ta ? in.tensor(a, k, m) : in.tensor(a, m, k);
                        Tensor tB = tb ? in.tensor(b, n, k) : in.tensor(b, k, n);
                        Tensor tC = beta == 0f ? in.poisoned(m, n) : in.tensor(c, m, n);
                        backend.gemm(ta, tb, alpha, tA, tB, beta, tC);
                        return List.of(Comparison.close("gemm " + m + "x" + n + "x" + k + " transA=" + ta + " transB="
                                        + tb + " alpha=" + alpha + " beta=" + beta,
                                RefOps.gemm(ta, tb, m, n, k, alpha, a, b, beta, c), tC.toArray(), GEMM));
                    }));
                }
            }
        }
    }

    private static void fillAndCopy(List<Check> all) {
        for (int n : SIZES) {
            all.add(new Check("fill n=" + n, ELEMENTWISE, n, (backend, in) -> {
                Tensor x = in.poisoned(n);
                backend.fill(x, 2.5f);
                double[] ref = new double[n];
                Arrays.fill(ref, 2.5);
                return List.of(Comparison.close("fill n=" + n, ref, x.toArray(), ELEMENTWISE));
            }));
            all.add(new Check("copy n=" + n, EXACT, n, (backend, in) -> {
                double[] v = in.uniform(n, 3);
                Tensor src = in.tensor(v, n);
                Tensor dst = in.poisoned(1, n);
                backend.copy(src, dst);
                return List.of(Comparison.exact("copy n=" + n, OpInputs.floats(v), dst.toArray()));
            }));
        }
    }

    /** y = max(0, x), also in place; dX = dY·[y > 0]. */
    private static void relu(List<Check> all) {
        for (int n : SIZES) {
            all.add(new Check("reluForward n=" + n, ELEMENTWISE, 100 + n, (backend, in) -> {
                double[] x = in.uniform(n, 2);
                Tensor tx = in.tensor(x, n);
                Tensor ty = in.poisoned(n);
                backend.reluForward(tx, ty);
                double[] y = RefOps.reluForward(x);
                Comparison out = Comparison.close("reluForward n=" + n, y, ty.toArray(), ELEMENTWISE);
                backend.reluForward(tx, tx);
                return List.of(out, Comparison.close("reluForward in place n=" + n, y, tx.toArray(), ELEMENTWISE));
            }));
            all.add(new Check("reluBackward n=" + n, ELEMENTWISE, 100 + n, (backend, in) -> {
                double[] y = RefOps.reluForward(in.uniform(n, 2));
                double[] dy = in.uniform(n, 1);
                Tensor tdx = in.poisoned(n);
                backend.reluBackward(in.tensor(y, n), in.tensor(dy, n), tdx);
                return List.of(Comparison.close("reluBackward n=" + n, RefOps.reluBackward(y, dy), tdx.toArray(),
                        ELEMENTWISE));
            }));
        }
    }

    /** y[r, c] = x[r, c] + bias[c], then ReLU for biasRelu; biasAdd also in place. */
    private static void bias(List<Check> all) {
        for (int[] rc : MATRICES) {
            int r = rc[0];
            int c = rc[1];
            String shape = r + "x" + c;
            all.add(new Check("biasAdd " + shape, ELEMENTWISE, 200 + r * 31 + c, (backend, in) -> {
                double[] x = in.uniform(r * c, 2);
                double[] bias = in.uniform(c, 1);
                Tensor tx = in.tensor(x, r, c);
                Tensor tb = in.tensor(bias, c);
                Tensor ty = in.poisoned(r, c);
                double[] ref = RefOps.biasAdd(x, bias, false);
                backend.biasAdd(tx, tb, ty);
                Comparison out = Comparison.close("biasAdd " + shape, ref, ty.toArray(), ELEMENTWISE);
                backend.biasAdd(tx, tb, tx);
                return List.of(out, Comparison.close("biasAdd in place " + shape, ref, tx.toArray(), ELEMENTWISE));
            }));
            all.add(new Check("biasRelu " + shape, ELEMENTWISE, 200 + r * 31 + c, (backend, in) -> {
                double[] x = in.uniform(r * c, 2);
                double[] bias = in.uniform(c, 1);
                Tensor ty = in.poisoned(r, c);
                backend.biasRelu(in.tensor(x, r, c), in.tensor(bias, c), ty);
                return List.of(Comparison.close("biasRelu " + shape, RefOps.biasAdd(x, bias, true), ty.toArray(),
                        ELEMENTWISE));
            }));
        }
    }

    /** The Philox mask of DESIGN.md, forward on x and backward on dY, at rates 0, 0.1, 0.5, 0.9. */
    private static void dropout(List<Check> all) {
        for (int n : SIZES) {
            for (float p : new float[] {0f, 0.1f, 0.5f, 0.9f}) {
                long maskSeed = 42L + n;
                String what = " n=" + n + " p=" + p;
                all.add(new Check("dropoutForward" + what, ELEMENTWISE, 300 + n, (backend, in) -> {
                    double[] x = in.uniform(n, 2);
                    Tensor ty = in.poisoned(n);
                    backend.dropoutForward(in.tensor(x, n), p, maskSeed, DROPOUT_OFFSET, ty);
                    return List.of(Comparison.close("dropoutForward" + what,
                            RefOps.dropout(x, p, maskSeed, DROPOUT_OFFSET), ty.toArray(), ELEMENTWISE));
                }));
                all.add(new Check("dropoutBackward" + what, ELEMENTWISE, 300 + n, (backend, in) -> {
                    double[] dy = in.uniform(n, 1);
                    Tensor tdx = in.poisoned(n);
                    backend.dropoutBackward(in.tensor(dy, n), p, maskSeed, DROPOUT_OFFSET, tdx);
                    return List.of(Comparison.close("dropoutBackward" + what,
                            RefOps.dropout(dy, p, maskSeed, DROPOUT_OFFSET), tdx.toArray(), ELEMENTWISE));
                }));
            }
        }
    }

    /**
     * The fused Dense ops against the unfused float64 composition: denseForward =
     * dropout(act(x·W + bias)) with and without ReLU and dropout, and denseBackwardMasked =
     * reluBackward(h, (dY·Wᵀ)/(1-p)) with h a ReLU-and-dropout output, and denseBackwardWeights =
     * (xᵀ·dY, columnSum(dY)), and denseBackward = both of those on one ReLU-and-dropout input, and
     * mseDenseBackward = denseBackward of dPred = mseBackward(pred, target) with the loss
     * mse(pred, target), set and then accumulated;
     * shapes on both sides of the naive/tiled choice.
     */
    private static void dense(List<Check> all) {
        for (int[] bio : DENSES) {
            int b = bio[0];
            int i = bio[1];
            int o = bio[2];
            for (float p : new float[] {0f, 0.5f}) {
                long maskSeed = 77L + b;
                for (boolean relu : new boolean[] {false, true}) {
                    String what = "denseForward " + b + "x" + i + "x" + o + (relu ? " relu" : " linear") + " p=" + p;
                    all.add(new Check(what, GEMM, 900 + b + i + o, (backend, in) -> {
                        double[] x = in.uniform(b * i, 1);
                        double[] w = in.uniform(i * o, 1);
                        double[] bias = in.uniform(o, 1);
                        Tensor ty = in.poisoned(b, o);
                        backend.denseForward(in.tensor(x, b, i), in.tensor(w, i, o), in.tensor(bias, o), relu, p,
                                maskSeed, DROPOUT_OFFSET, ty);
                        double[] a = RefOps.biasAdd(RefOps.gemm(false, false, b, o, i, 1, x, w, 0, null), bias, relu);
                        double[] ref = p > 0 ? RefOps.dropout(a, p, maskSeed, DROPOUT_OFFSET) : a;
                        return List.of(Comparison.close(what, ref, ty.toArray(), GEMM));
                    }));
                }
                String what = "denseBackwardMasked " + b + "x" + i + "x" + o + " p=" + p;
                all.add(new Check(what, GEMM, 950 + b + i + o, (backend, in) -> {
                    double[] dy = in.uniform(b * o, 1);
                    double[] w = in.uniform(i * o, 1);
                    double[] h = RefOps.reluForward(in.uniform(b * i, 1));
                    if (p > 0) {
                        h = RefOps.dropout(h, p, maskSeed, DROPOUT_OFFSET);
                    }
                    Tensor tdx = in.poisoned(b, i);
                    backend.denseBackwardMasked(in.tensor(dy, b, o), in.tensor(w, i, o), in.tensor(h, b, i), p, tdx);
                    double[] ref = RefOps.reluBackward(h,
                            RefOps.gemm(false, true, b, i, o, Philox.keepScale(p), dy, w, 0, null));
                    return List.of(Comparison.close(what, ref, tdx.toArray(), GEMM));
                }));
            }
            String what = "denseBackwardWeights " + b + "x" + i + "x" + o;
            all.add(new Check(what, GEMM, 980 + b + i + o, (backend, in) -> {
                double[] x = in.uniform(b * i, 1);
                double[] dy = in.uniform(b * o, 1);
                Tensor tdw = in.poisoned(i, o);
                Tensor tdb = in.poisoned(o);
                backend.denseBackwardWeights(in.tensor(x, b, i), in.tensor(dy, b, o), tdw, tdb);
                return List.of(Comparison.close(what + " dW", RefOps.gemm(true, false, i, o, b, 1, x, dy, 0, null),
                                tdw.toArray(), GEMM),
                        Comparison.close(what + " dBias", RefOps.columnSum(dy, o), tdb.toArray(), GEMM));
            }));
            for (float p : new float[] {0f, 0.5f}) {
                String whole = "denseBackward " + b + "x" + i + "x" + o + " p=" + p;
                all.add(new Check(whole, GEMM, 990 + b + i + o, (backend, in) -> {
                    double[] h = RefOps.reluForward(in.uniform(b * i, 1));
                    if (p > 0) {
                        h = RefOps.dropout(h, p, 77L + b, DROPOUT_OFFSET);
                    }
                    double[] dy = in.uniform(b * o, 1);
                    double[] w = in.uniform(i * o, 1);
                    Tensor tdw = in.poisoned(i, o);
                    Tensor tdb = in.poisoned(o);
                    Tensor tdx = in.poisoned(b, i);
                    backend.denseBackward(in.tensor(h, b, i), in.tensor(dy, b, o), in.tensor(w, i, o), p, tdw, tdb,
                            tdx);
                    double[] dx = RefOps.reluBackward(h,
                            RefOps.gemm(false, true, b, i, o, Philox.keepScale(p), dy, w, 0, null));
                    return List.of(Comparison.close(whole + " dW", RefOps.gemm(true, false, i, o, b, 1, h, dy, 0, null),
                                    tdw.toArray(), GEMM),
                            Comparison.close(whole + " dBias", RefOps.columnSum(dy, o), tdb.toArray(), GEMM),
                            Comparison.close(whole + " dX", dx, tdx.toArray(), GEMM));
                }));
                String fused = "mseDenseBackward " + b + "x" + i + "x" + o + " p=" + p;
                all.add(new Check(fused, GEMM, 995 + b + i + o, (backend, in) -> {
                    double[] h = RefOps.reluForward(in.uniform(b * i, 1));
                    if (p > 0) {
                        h = RefOps.dropout(h, p, 77L + b, DROPOUT_OFFSET);
                    }
                    double[] pred = in.uniform(b * o, 2);
                    double[] target = in.uniform(b * o, 2);
                    double[] w = in.uniform(i * o, 1);
                    Tensor loss = in.poisoned(1);
                    Tensor tdp = in.poisoned(b, o);
                    Tensor tdw = in.poisoned(i, o);
                    Tensor tdb = in.poisoned(o);
                    Tensor tdx = in.poisoned(b, i);
                    Tensor tp = in.tensor(pred, b, o);
                    Tensor tt = in.tensor(target, b, o);
                    Tensor th = in.tensor(h, b, i);
                    Tensor tw = in.tensor(w, i, o);
                    double ref = RefOps.mse(pred, target);
                    backend.mseDenseBackward(tp, tt, th, tw, p, loss, false, tdp, tdw, tdb, tdx);
                    Comparison once = Comparison.close(fused + " loss", ref, loss.item(), GEMM);
                    backend.mseDenseBackward(tp, tt, th, tw, p, loss, true, tdp, tdw, tdb, tdx);
                    double[] dy = RefOps.mseBackward(pred, target);
                    double[] dx = RefOps.reluBackward(h,
                            RefOps.gemm(false, true, b, i, o, Philox.keepScale(p), dy, w, 0, null));
                    return List.of(once, Comparison.close(fused + " loss accumulate", 2 * ref, loss.item(), GEMM),
                            Comparison.close(fused + " dPred", dy, tdp.toArray(), GEMM),
                            Comparison.close(fused + " dW", RefOps.gemm(true, false, i, o, b, 1, h, dy, 0, null),
                                    tdw.toArray(), GEMM),
                            Comparison.close(fused + " dBias", RefOps.columnSum(dy, o), tdb.toArray(), GEMM),
                            Comparison.close(fused + " dX", dx, tdx.toArray(), GEMM));
                }));
            }
        }
    }

    /** One Adam and one AdamW step (t = 3) from random state: params, m and v all compared. */
    private static void adam(List<Check> all) {
        for (int n : SIZES) {
            for (AdamHyper h : new AdamHyper[] {AdamHyper.adam(1e-2f), AdamHyper.adamW(1e-2f, 0.1f)}) {
                String what = (h.weightDecay() == 0 ? "adamStep" : "adamWStep wd=" + h.weightDecay()) + " n=" + n;
                all.add(new Check(what, ELEMENTWISE, 400 + n, (backend, in) -> {
                    double[] p = in.uniform(n, 1);
                    double[] g = in.uniform(n, 1);
                    double[] m = in.uniform(n, 0.1);
                    double[] v = in.uniform(n, 0.1);
                    for (int i = 0; i < n; i++) {
                        v[i] = Math.abs(v[i]);
                    }
                    Tensor tp = in.tensor(p, n);
                    Tensor tm = in.tensor(m, n);
                    Tensor tv = in.tensor(v, n);
                    backend.adamStep(tp, in.tensor(g, n), tm, tv, h, 3);
                    RefOps.adamStep(p, g, m, v, h.lr(), h.beta1(), h.beta2(), h.eps(), h.weightDecay(), 3);
                    return List.of(Comparison.close(what + " params", p, tp.toArray(), ELEMENTWISE),
                            Comparison.close(what + " m", m, tm.toArray(), ELEMENTWISE),
                            Comparison.close(what + " v", v, tv.toArray(), ELEMENTWISE));
                }));
            }
        }
    }

    /** One SGD step, plain and with momentum and weight decay (velocity compared too). */
    private static void sgd(List<Check> all) {
        for (int n : SIZES) {
            for (float[] mw : new float[][] {{0f, 0f}, {0.9f, 0.01f}}) {
                float momentum = mw[0];
                float wd = mw[1];
                String what = "sgdStep momentum=" + momentum + " wd=" + wd + " n=" + n;
                all.add(new Check(what, ELEMENTWISE, 500 + n, (backend, in) -> {
                    double[] p = in.uniform(n, 1);
                    double[] g = in.uniform(n, 1);
                    double[] vel = in.uniform(n, 1);
                    Tensor tp = in.tensor(p, n);
                    Tensor tv = momentum == 0f ? null : in.tensor(vel, n);
                    backend.sgdStep(tp, in.tensor(g, n), tv, 0.1f, momentum, wd);
                    RefOps.sgdStep(p, g, vel, 0.1f, momentum, wd);
                    Comparison params = Comparison.close(what + " params", p, tp.toArray(), ELEMENTWISE);
                    return tv == null ? List.of(params)
                            : List.of(params, Comparison.close(what + " velocity", vel, tv.toArray(), ELEMENTWISE));
                }));
            }
        }
    }

    /** mean((pred - target)²), also accumulated onto the previous loss; dPred = 2·(pred - target)/n. */
    private static void mse(List<Check> all) {
        for (int n : SIZES) {
            all.add(new Check("mseForward n=" + n, ELEMENTWISE, 600 + n, (backend, in) -> {
                double[] pred = in.uniform(n, 2);
                double[] target = in.uniform(n, 2);
                Tensor tp = in.tensor(pred, n, 1);
                Tensor tt = in.tensor(target, n, 1);
                Tensor loss = in.poisoned(1);
                double ref = RefOps.mse(pred, target);
                backend.mseForward(tp, tt, loss, false);
                Comparison once = Comparison.close("mseForward n=" + n, ref, loss.item(), ELEMENTWISE);
                backend.mseForward(tp, tt, loss, true);
                return List.of(once, Comparison.close("mseForward accumulate n=" + n, 2 * ref, loss.item(),
                        ELEMENTWISE));
            }));
            all.add(new Check("mseBackward n=" + n, ELEMENTWISE, 600 + n, (backend, in) -> {
                double[] pred = in.uniform(n, 2);
                double[] target = in.uniform(n, 2);
                Tensor d = in.poisoned(n, 1);
                backend.mseBackward(in.tensor(pred, n, 1), in.tensor(target, n, 1), d);
                return List.of(Comparison.close("mseBackward n=" + n, RefOps.mseBackward(pred, target), d.toArray(),
                        ELEMENTWISE));
            }));
            all.add(new Check("mseForwardBackward n=" + n, ELEMENTWISE, 650 + n, (backend, in) -> {
                double[] pred = in.uniform(n, 2);
                double[] target = in.uniform(n, 2);
                Tensor tp = in.tensor(pred, n, 1);
                Tensor tt = in.tensor(target, n, 1);
                Tensor loss = in.poisoned(1);
                Tensor d = in.poisoned(n, 1);
                double ref = RefOps.mse(pred, target);
                backend.mseForwardBackward(tp, tt, loss, false, d);
                Comparison once = Comparison.close("mseForwardBackward loss n=" + n, ref, loss.item(), ELEMENTWISE);
                Comparison grad = Comparison.close("mseForwardBackward dPred n=" + n, RefOps.mseBackward(pred, target),
                        d.toArray(), ELEMENTWISE);
                backend.mseForwardBackward(tp, tt, loss, true, d);
                return List.of(once, grad, Comparison.close("mseForwardBackward accumulate n=" + n, 2 * ref,
                        loss.item(), ELEMENTWISE));
            }));
        }
    }

    /** Max-subtracted softmax cross-entropy on logits up to ±1e4 (overflow without the max), and its gradient. */
    private static void softmaxCrossEntropy(List<Check> all) {
        for (int[] rc : MATRICES) {
            int r = rc[0];
            int c = rc[1];
            for (double scale : new double[] {3, 1e4}) {
                String what = " " + r + "x" + c + " logits ±" + scale;
                long seed = 700 + r * 7 + c;
                all.add(new Check("softmaxCrossEntropyForward" + what, ELEMENTWISE, seed, (backend, in) -> {
                    double[] logits = in.uniform(r * c, scale);
                    int[] labels = in.labels(r, c);
                    Tensor tl = in.tensor(logits, r, c);
                    Tensor tlab = in.labelsTensor(labels);
                    Tensor loss = in.poisoned(1);
                    double ref = RefOps.softmaxCrossEntropy(logits, c, labels);
                    backend.softmaxCrossEntropyForward(tl, tlab, loss, false);
                    Comparison once = Comparison.close("softmaxCrossEntropyForward" + what, ref, loss.item(),
                            ELEMENTWISE);
                    backend.softmaxCrossEntropyForward(tl, tlab, loss, true);
                    return List.of(once, Comparison.close("softmaxCrossEntropyForward accumulate" + what, 2 * ref,
                            loss.item(), ELEMENTWISE));
                }));
                all.add(new Check("softmaxCrossEntropyBackward" + what, ELEMENTWISE, seed, (backend, in) -> {
                    double[] logits = in.uniform(r * c, scale);
                    int[] labels = in.labels(r, c);
                    Tensor d = in.poisoned(r, c);
                    backend.softmaxCrossEntropyBackward(in.tensor(logits, r, c), in.labelsTensor(labels), d);
                    return List.of(Comparison.close("softmaxCrossEntropyBackward" + what,
                            RefOps.softmaxCrossEntropyBackward(logits, c, labels), d.toArray(), ELEMENTWISE));
                }));
                String fused = "softmaxCrossEntropyForwardBackward" + what;
                all.add(new Check(fused, ELEMENTWISE, seed, (backend, in) -> {
                    double[] logits = in.uniform(r * c, scale);
                    int[] labels = in.labels(r, c);
                    Tensor tl = in.tensor(logits, r, c);
                    Tensor tlab = in.labelsTensor(labels);
                    Tensor loss = in.poisoned(1);
                    Tensor d = in.poisoned(r, c);
                    double ref = RefOps.softmaxCrossEntropy(logits, c, labels);
                    backend.softmaxCrossEntropyForwardBackward(tl, tlab, loss, false, d);
                    Comparison once = Comparison.close(fused + " loss", ref, loss.item(), ELEMENTWISE);
                    Comparison grad = Comparison.close(fused + " dLogits",
                            RefOps.softmaxCrossEntropyBackward(logits, c, labels), d.toArray(), ELEMENTWISE);
                    backend.softmaxCrossEntropyForwardBackward(tl, tlab, loss, true, d);
                    return List.of(once, grad, Comparison.close(fused + " accumulate", 2 * ref, loss.item(),
                            ELEMENTWISE));
                }));
            }
        }
    }

    /** Correct predictions counted exactly, also accumulated; ties go to the first maximum. */
    private static void accuracyCount(List<Check> all) {
        for (int[] rc : MATRICES) {
            int r = rc[0];
            int c = rc[1];
            for (double scale : new double[] {3, 1e4}) {
                String what = "accuracyCount " + r + "x" + c + " logits ±" + scale;
                all.add(new Check(what, EXACT, 700 + r * 7 + c, (backend, in) -> {
                    double[] logits = in.uniform(r * c, scale);
                    int[] labels = in.labels(r, c);
                    Tensor tl = in.tensor(logits, r, c);
                    Tensor tlab = in.labelsTensor(labels);
                    Tensor count = in.poisoned(1);
                    float ref = RefOps.accuracyCount(logits, c, labels);
                    backend.accuracyCount(tl, tlab, count, false);
                    Comparison once = Comparison.exact(what, new float[] {ref}, new float[] {count.item()});
                    backend.accuracyCount(tl, tlab, count, true);
                    return List.of(once, Comparison.exact(what + " accumulate", new float[] {2 * ref},
                            new float[] {count.item()}));
                }));
            }
        }
        all.add(new Check("accuracyCount first maximum on ties", EXACT, 1, (backend, in) -> {
            Tensor logits = in.tensor(new double[] {1, 3, 3, 0, 5, 5, 5, 1}, 2, 4);
            Tensor count = in.poisoned(1);
            backend.accuracyCount(logits, in.tensor(new double[] {1, 0}, 2), count, false);
            float both = count.item();
            backend.accuracyCount(logits, in.tensor(new double[] {2, 1}, 2), count, false);
            return List.of(Comparison.exact("accuracyCount ties, labels (1, 0)", new float[] {2}, new float[] {both}),
                    Comparison.exact("accuracyCount ties, labels (2, 1)", new float[] {0}, new float[] {count.item()}));
        }));
    }

    /** Column sums (bias gradients), sum and mean over every element. */
    private static void reductions(List<Check> all) {
        for (int[] rc : MATRICES) {
            int r = rc[0];
            int c = rc[1];
            String shape = r + "x" + c;
            long seed = 800 + r * 13 + c;
            all.add(new Check("columnSum " + shape, ELEMENTWISE, seed, (backend, in) -> {
                double[] x = shifted(in.uniform(r * c, 1));
                Tensor cols = in.poisoned(c);
                backend.columnSum(in.tensor(x, r, c), cols);
                return List.of(Comparison.close("columnSum " + shape, RefOps.columnSum(x, c), cols.toArray(),
                        ELEMENTWISE));
            }));
            all.add(new Check("sum " + shape, ELEMENTWISE, seed, (backend, in) -> {
                double[] x = shifted(in.uniform(r * c, 1));
                Tensor s = in.poisoned(1);
                backend.sum(in.tensor(x, r, c), s);
                return List.of(Comparison.close("sum " + shape, RefOps.sum(x), s.item(), ELEMENTWISE));
            }));
            all.add(new Check("mean " + shape, ELEMENTWISE, seed, (backend, in) -> {
                double[] x = shifted(in.uniform(r * c, 1));
                Tensor s = in.poisoned(1);
                backend.mean(in.tensor(x, r, c), s);
                return List.of(Comparison.close("mean " + shape, RefOps.mean(x), s.item(), ELEMENTWISE));
            }));
        }
    }

    /** x + 0.25, so sums do not cancel to near zero (a relative error needs a reference away from 0). */
    private static double[] shifted(double[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] += 0.25;
        }
        return x;
    }

    /**
     * Every Random123 Philox4x32-10 known-answer vector on the backend's generator: the
     * {@code philox_kat} kernel of philox.cl on OpenCL, {@link Philox#philox4x32} otherwise.
     */
    private static Check philoxKnownAnswers() {
        List<PhiloxKat.Vector> vectors = PhiloxKat.load();
        return new Check("philox4x32-10 known answers (" + vectors.size() + " vectors)", EXACT, 0, (backend, in) -> {
            List<Comparison> out = new ArrayList<>();
            Tensor words = in.poisoned(4);
            for (PhiloxKat.Vector v : vectors) {
                int[] got = new int[4];
                if (backend instanceof OpenClBackend cl) {
                    int[] c = v.ctr();
                    int[] k = v.key();
                    cl.enqueue("philox.cl", "philox_kat", new long[] {1}, null, c[0], c[1], c[2], c[3], k[0], k[1],
                            words);
                    float[] f = words.toArray();
                    for (int j = 0; j < 4; j++) {
                        got[j] = Float.floatToRawIntBits(f[j]);
                    }
                } else {
                    Philox.philox4x32(v.ctr(), v.key(), got);
                }
                out.add(Comparison.exact("philox4x32-10 " + v, v.out(), got));
            }
            return out;
        });
    }
}
