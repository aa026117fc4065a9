package dev.clgrad.selftest;

import dev.clgrad.backend.AdamHyper;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.java.JavaBackend;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The float32 special values through every op: NaN (quiet, negative and signalling bit patterns),
 * ±∞, −0.0 and subnormals planted among small whole numbers, each op run on the backend under test
 * and on {@link JavaBackend#scalarSpec()} (the Java backend's scalar loops, the spec), outputs
 * compared element by element. {@code clgrad selftest} and the JUnit conformance test run these
 * with the rest of {@link Conformance#checks()}; on the Java backend they hold its Vector API
 * kernels to its scalar loops.
 *
 * <p>Two verdicts, both treating any NaN as equal to any NaN (NaN payloads are unspecified in Java
 * and OpenCL alike):
 * <ul>
 *   <li><b>bit for bit</b> ({@code Float.floatToRawIntBits}, so −0.0 ≠ +0.0): every op whose result
 *       is one IEEE operation per element or a selection (fill, copy, bias, ReLU and its backward,
 *       dropout, the MSE gradient, the accuracy count, SGD), and the GEMMs and fused Dense ops,
 *       whose inputs are chosen so that every product is exact (whole numbers in [-3, 3] against
 *       whole numbers and subnormals) and every dot product has at most 256 terms: then both
 *       backends add the same exact products in the same order (k ascending, from +0) and round
 *       identically, whatever the blocking.</li>
 *   <li><b>same class</b>: where the backends round differently by design (Java accumulates losses
 *       and sums in double, Adam's two formulations differ in rounding): NaN where the spec has
 *       NaN, the same infinity where it has one, and finite values within a relative
 *       {@value #ROUNDED} (the sign of zero not compared).</li>
 * </ul>
 * The rules each op follows are documented on the Java backend's methods (the spec) and in each
 * kernel file's header.
 */
public final class SpecialValues {
    /** Relative tolerance of the finite outputs of ops that round differently per backend. */
    public static final double ROUNDED = 1e-4;
    /**
     * Element counts: a scalar-loop size holding a whole 64-element dropout span of the CPU
     * profile and a tail, and one past the Java backend's Vector API threshold.
     */
    static final int[] SIZES = {67, 4099};
    /** (rows, cols) of the row-wise ops; 33x129 is past the Vector API threshold. */
    static final int[][] MATRICES = {{7, 17}, {33, 129}};
    /**
     * (M, N, K): a naive-kernel shape; a tiled one of whole 64 x 128 tiles (the CPU profile's; two
     * 64 x 64 tiles of the GPU profiles) whose K = 33 takes two K steps of 32 and three of 16, so a
     * tile is reloaded while the work-group may still read the last one; and a narrow one (N < 16:
     * the Java backend computes its transpose). Small enough for a simulator ({@link KernelSweep}).
     */
    static final int[][] GEMMS = {{7, 5, 3}, {64, 128, 33}, {300, 10, 20}};
    /**
     * (B, I, O) of the fused Dense ops: naive-kernel shapes, and shapes for which every product is
     * tiled on the CPU and GPU profiles (forward 64x128 by K = 33, input gradient 64x33 by K = 128,
     * weight gradient 33x128 by K = 64).
     */
    static final int[][] DENSES = {{5, 3, 4}, {64, 33, 128}};
    private static final long DROPOUT_OFFSET = 0xFFFF_FFFEL;

    /** The planted values: NaNs of three bit patterns, the infinities, both zeros, subnormals. */
    static final float[] SPECIAL = {Float.NaN, Float.intBitsToFloat(0xFFC0_0000), Float.intBitsToFloat(0x7F80_0001),
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, Float.MIN_VALUE, -3 * Float.MIN_VALUE,
            Float.MIN_NORMAL / 2, -Float.MIN_NORMAL / 4, Float.MIN_NORMAL};
    /**
     * The planted values without subnormals: NaNs, infinities, zeros. A product's other operand
     * draws from these, so no product of two subnormals (inexact, and rounded differently by a
     * fused and an unfused multiply-add) occurs.
     */
    static final float[] NO_SUBNORMAL = {Float.NaN, Float.intBitsToFloat(0xFFC0_0000), Float.intBitsToFloat(0x7F80_0001),
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f};
    /** The planted values that are not NaN or infinite: zeros of both signs and subnormals. */
    static final float[] TINY = {-0f, 0f, Float.MIN_VALUE, -3 * Float.MIN_VALUE, Float.MIN_NORMAL / 2,
            -Float.MIN_NORMAL / 4};

    private SpecialValues() {
    }

    /** One op run: builds its operands on {@code o}, runs the op on {@code b}, returns the named outputs. */
    @FunctionalInterface
    private interface Op {
        List<Output> run(Backend b, Operands o);
    }

    /** An output of an op: its name, its values, and whether the backends must agree bit for bit. */
    private record Output(String name, float[] values, boolean exact) {
        static Output exact(String name, Tensor t) {
            return new Output(name, t.toArray(), true);
        }

        static Output rounded(String name, Tensor t) {
            return new Output(name, t.toArray(), false);
        }
    }

    /** Every special-value check, in a fixed order with fixed seeds. */
    public static List<Check> checks() {
        List<Check> all = new ArrayList<>();
        elementwise(all);
        dropout(all);
        gemm(all);
        dense(all);
        optimizers(all);
        losses(all);
        reductions(all);
        return List.copyOf(all);
    }

    /** A check that runs {@code op} on the backend and on the scalar spec with operands from one seed. */
    private static Check check(String name, double tolerance, long seed, Op op) {
        return new Check("special values: " + name, tolerance, seed, (backend, in) -> {
            List<Output> got;
            List<Output> want;
            try (Operands o = new Operands(backend, seed)) {
                got = op.run(backend, o);
            }
            try (JavaBackend spec = JavaBackend.scalarSpec(); Operands o = new Operands(spec, seed)) {
                want = op.run(spec, o);
            }
            List<Comparison> out = new ArrayList<>();
            for (int i = 0; i < want.size(); i++) {
                Output w = want.get(i);
                String what = "special values: " + name + " " + w.name();
                out.add(w.exact() ? bits(what, w.values(), got.get(i).values(), tolerance)
                        : sameClass(what, w.values(), got.get(i).values(), tolerance));
            }
            return out;
        });
    }

    private static void elementwise(List<Check> all) {
        for (int n : SIZES) {
            for (float value : new float[] {Float.NaN, Float.NEGATIVE_INFINITY, -0f, Float.MIN_VALUE}) {
                all.add(check("fill n=" + n + " value=" + value, Conformance.EXACT, 1, (b, o) -> {
                    Tensor x = o.poisoned(n);
                    b.fill(x, value);
                    return List.of(Output.exact("x", x));
                }));
            }
            all.add(check("copy n=" + n, Conformance.EXACT, 2 + n, (b, o) -> {
                Tensor dst = o.poisoned(n);
                b.copy(o.tensor(o.planted(n, 0.3), n), dst);
                return List.of(Output.exact("dst", dst));
            }));
            all.add(check("reluForward n=" + n, Conformance.EXACT, 3 + n, (b, o) -> {
                Tensor x = o.tensor(o.planted(n, 0.3), n);
                Tensor y = o.poisoned(n);
                b.reluForward(x, y);
                b.reluForward(x, x);
                return List.of(Output.exact("y", y), Output.exact("y in place", x));
            }));
            all.add(check("reluBackward n=" + n, Conformance.EXACT, 4 + n, (b, o) -> {
                Tensor y = o.tensor(o.planted(n, 0.3), n);
                Tensor dy = o.tensor(o.planted(n, 0.3), n);
                Tensor dx = o.poisoned(n);
                b.reluBackward(y, dy, dx);
                b.reluBackward(y, dy, dy);
                return List.of(Output.exact("dX", dx), Output.exact("dX in place", dy));
            }));
        }
        for (int[] rc : MATRICES) {
            int r = rc[0];
            int c = rc[1];
            String shape = r + "x" + c;
            all.add(check("biasAdd " + shape, Conformance.EXACT, 5 + r, (b, o) -> {
                Tensor x = o.tensor(o.planted(r * c, 0.3), r, c);
                Tensor bias = o.tensor(o.planted(c, 0.3), c);
                Tensor y = o.poisoned(r, c);
                b.biasAdd(x, bias, y);
                b.biasAdd(x, bias, x);
                return List.of(Output.exact("y", y), Output.exact("y in place", x));
            }));
            all.add(check("biasRelu " + shape, Conformance.EXACT, 6 + r, (b, o) -> {
                Tensor x = o.tensor(o.planted(r * c, 0.3), r, c);
                Tensor bias = o.tensor(o.planted(c, 0.3), c);
                Tensor y = o.poisoned(r, c);
                b.biasRelu(x, bias, y);
                b.biasRelu(x, bias, x);
                return List.of(Output.exact("y", y), Output.exact("y in place", x));
            }));
        }
    }

    /** Dropout selects: kept elements are x·scale (NaN stays NaN), dropped ones +0 whatever x holds. */
    private static void dropout(List<Check> all) {
        for (int n : SIZES) {
            for (float p : new float[] {0.5f, 0.1f, 0f}) {
                all.add(check("dropoutForward n=" + n + " p=" + p, Conformance.EXACT, 7 + n, (b, o) -> {
                    Tensor x = o.tensor(o.planted(n, 0.3), n);
                    Tensor y = o.poisoned(n);
                    b.dropoutForward(x, p, 42, DROPOUT_OFFSET, y);
                    return List.of(Output.exact("y", y));
                }));
                all.add(check("dropoutBackward n=" + n + " p=" + p, Conformance.EXACT, 8 + n, (b, o) -> {
                    Tensor dy = o.tensor(o.planted(n, 0.3), n);
                    Tensor dx = o.poisoned(n);
                    b.dropoutBackward(dy, p, 42, DROPOUT_OFFSET, dx);
                    b.dropoutBackward(dy, p, 42, DROPOUT_OFFSET, dy);
                    return List.of(Output.exact("dX", dx), Output.exact("dX in place", dy));
                }));
            }
        }
    }

    /**
     * C = alpha·op(A)·op(B) + beta·C with NaN, ±∞ planted in A, B and C (so ∞·0 and ∞ − ∞ occur),
     * −0.0 in A and B, and with beta = 0 subnormals in A, one row of op(A) all subnormal. alpha = 0
     * reads neither A nor B (BLAS); beta = 0 never reads C. With beta ≠ 0, A and C hold no subnormal
     * and C no −0.0: the Java backend adds beta·C first in one kernel and last in another (so does
     * OpenCL), and with inexact sums (a whole number plus a subnormal) or an exactly zero result
     * IEEE arithmetic leaves the last bit and the sign of zero order-dependent.
     */
    private static void gemm(List<Check> all) {
        for (int[] mnk : GEMMS) {
            int m = mnk[0];
            int n = mnk[1];
            int k = mnk[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0;
                boolean tb = (t & 2) != 0;
                for (float[] ab : new float[][] {{1f, 0f}, {2f, 1f}, {0f, 1f}, {0f, 0f}}) {
                    float alpha = ab[0];
                    float beta = ab[1];
                    String name = "gemm " + m + "x" + n + "x" + k + " " + (ta ? "T" : "N") + (tb ? "T" : "N")
                            + " alpha=" + alpha + " beta=" + beta;
                    all.add(check(name, Conformance.EXACT, 9 + m + t, (b, o) -> {
                        float[] a = o.matrixA(m, k, beta == 0f);
                        float[] bm = o.planted(k * n, 0.05, NO_SUBNORMAL);
                        Tensor tA = ta ? o.tensor(transpose(a, m, k), k, m) : o.tensor(a, m, k);
                        Tensor tB = tb ? o.tensor(transpose(bm, k, n), n, k) : o.tensor(bm, k, n);
                        Tensor tC = beta == 0f ? o.poisoned(m, n) : o.tensor(o.noNegativeZero(o.planted(m * n, 0.05, NO_SUBNORMAL)), m, n);
                        b.gemm(ta, tb, alpha, tA, tB, beta, tC);
                        return List.of(Output.exact("C", tC));
                    }));
                }
            }
        }
    }

    /**
     * The fused Dense ops (and so their OpenCL epilogues) against the spec's unfused composition:
     * denseForward with and without ReLU and dropout, where bias, x and w hold special values;
     * the masked input gradient with h holding NaN, ±∞, ±0 and negatives; the weight gradients;
     * the whole backward; and the last layer's backward with MSE folded in (B·O a power of two, so
     * that 2/n is exact and dPred's products stay exact).
     */
    private static void dense(List<Check> all) {
        for (int[] bio : DENSES) {
            int bb = bio[0];
            int i = bio[1];
            int oo = bio[2];
            String shape = bb + "x" + i + "x" + oo;
            for (float p : new float[] {0.5f, 0f}) {
                for (boolean relu : new boolean[] {true, false}) {
                    String name = "denseForward " + shape + (relu ? " relu" : " linear") + " p=" + p;
                    all.add(check(name, Conformance.EXACT, 10 + bb, (b, o) -> {
                        Tensor x = o.tensor(o.matrixA(bb, i, true), bb, i);
                        Tensor w = o.tensor(o.planted(i * oo, 0.05, NO_SUBNORMAL), i, oo);
                        Tensor bias = o.tensor(o.planted(oo, 0.3), oo);
                        Tensor y = o.poisoned(bb, oo);
                        b.denseForward(x, w, bias, relu, p, 77, DROPOUT_OFFSET, y);
                        return List.of(Output.exact("y", y));
                    }));
                }
                all.add(check("denseBackwardMasked " + shape + " p=" + p, Conformance.EXACT, 11 + bb, (b, o) -> {
                    Tensor dy = o.tensor(o.matrixA(bb, oo, true), bb, oo);
                    Tensor w = o.tensor(o.planted(i * oo, 0.02, NO_SUBNORMAL), i, oo);
                    Tensor h = o.tensor(o.planted(bb * i, 0.3), bb, i);
                    Tensor dx = o.poisoned(bb, i);
                    b.denseBackwardMasked(dy, w, h, p, dx);
                    return List.of(Output.exact("dX", dx));
                }));
                all.add(check("denseBackward " + shape + " p=" + p, SpecialValues.ROUNDED, 12 + bb, (b, o) -> {
                    Tensor h = o.tensor(o.planted(bb * i, 0.1), bb, i);
                    Tensor dy = o.tensor(o.planted(bb * oo, 0.02, NO_SUBNORMAL), bb, oo);
                    Tensor w = o.tensor(o.planted(i * oo, 0.02, SPECIAL), i, oo);
                    Tensor dw = o.poisoned(i, oo);
                    Tensor db = o.poisoned(oo);
                    Tensor dx = o.poisoned(bb, i);
                    b.denseBackward(h, dy, w, p, dw, db, dx);
                    return List.of(Output.exact("dW", dw), Output.rounded("dBias", db), Output.exact("dX", dx));
                }));
            }
            all.add(check("denseBackwardWeights " + shape, SpecialValues.ROUNDED, 13 + bb, (b, o) -> {
                Tensor x = o.tensor(o.planted(bb * i, 0.02), bb, i);
                Tensor dy = o.tensor(o.planted(bb * oo, 0.02, NO_SUBNORMAL), bb, oo);
                Tensor dw = o.poisoned(i, oo);
                Tensor db = o.poisoned(oo);
                b.denseBackwardWeights(x, dy, dw, db);
                return List.of(Output.exact("dW", dw), Output.rounded("dBias", db));
            }));
        }
        for (int[] bio : new int[][] {{4, 3, 4}, {128, 67, 128}}) {
            int bb = bio[0];
            int i = bio[1];
            int oo = bio[2];
            for (float p : new float[] {0.5f, 0f}) {
                String name = "mseDenseBackward " + bb + "x" + i + "x" + oo + " p=" + p;
                all.add(check(name, SpecialValues.ROUNDED, 14 + bb, (b, o) -> {
                    Tensor pred = o.tensor(o.planted(bb * oo, 0.01), bb, oo);
                    Tensor target = o.tensor(o.planted(bb * oo, 0.01), bb, oo);
                    Tensor h = o.tensor(o.planted(bb * i, 0.05, NO_SUBNORMAL), bb, i);
                    Tensor w = o.tensor(o.planted(i * oo, 0.01, NO_SUBNORMAL), i, oo);
                    Tensor loss = o.poisoned(1);
                    Tensor dp = o.poisoned(bb, oo);
                    Tensor dw = o.poisoned(i, oo);
                    Tensor db = o.poisoned(oo);
                    Tensor dx = o.poisoned(bb, i);
                    b.mseDenseBackward(pred, target, h, w, p, loss, false, dp, dw, db, dx);
                    return List.of(Output.rounded("loss", loss), Output.exact("dPred", dp), Output.exact("dW", dw),
                            Output.rounded("dBias", db), Output.exact("dX", dx));
                }));
            }
        }
    }

    /** Adam and AdamW (same class: the formulations round differently), SGD bit for bit. */
    private static void optimizers(List<Check> all) {
        for (int n : SIZES) {
            for (AdamHyper h : new AdamHyper[] {AdamHyper.adam(1e-2f), AdamHyper.adamW(1e-2f, 0.1f)}) {
                String name = (h.weightDecay() == 0 ? "adamStep" : "adamWStep") + " n=" + n;
                all.add(check(name, SpecialValues.ROUNDED, 15 + n, (b, o) -> {
                    Tensor p = o.tensor(o.planted(n, 0.2), n);
                    Tensor g = o.tensor(o.planted(n, 0.2), n);
                    Tensor m = o.tensor(o.planted(n, 0.2), n);
                    Tensor v = o.tensor(o.abs(o.planted(n, 0.2)), n);
                    b.adamStep(p, g, m, v, h, 3);
                    return List.of(Output.rounded("params", p), Output.rounded("m", m), Output.rounded("v", v));
                }));
            }
            for (float[] mw : new float[][] {{0f, 0f}, {0.5f, 0.25f}}) {
                float momentum = mw[0];
                float wd = mw[1];
                all.add(check("sgdStep momentum=" + momentum + " wd=" + wd + " n=" + n, Conformance.EXACT, 16 + n,
                        (b, o) -> {
                            Tensor p = o.tensor(o.planted(n, 0.2), n);
                            Tensor g = o.tensor(o.planted(n, 0.2), n);
                            Tensor vel = momentum == 0f ? null : o.tensor(o.planted(n, 0.2), n);
                            b.sgdStep(p, g, vel, 0.5f, momentum, wd);
                            return vel == null ? List.of(Output.exact("params", p))
                                    : List.of(Output.exact("params", p), Output.exact("velocity", vel));
                        }));
            }
        }
    }

    /**
     * MSE (n = 16 too, where 2/n is exact), softmax cross-entropy and the accuracy count. Logit rows
     * hold NaN, +∞, −∞ (also every element −∞, also at the label), ±0 ties and subnormals; the loss
     * scalars are compared by class, the gradients of MSE and the count bit for bit.
     */
    private static void losses(List<Check> all) {
        for (int n : new int[] {16, 37, 4099}) {
            all.add(check("mseForward n=" + n, SpecialValues.ROUNDED, 17 + n, (b, o) -> {
                Tensor pred = o.tensor(o.planted(n, 0.01), n, 1);
                Tensor target = o.tensor(o.planted(n, 0.01), n, 1);
                Tensor loss = o.poisoned(1);
                Tensor clean = o.tensor(o.planted(n, 0.01, TINY), n, 1);
                Tensor lossClean = o.poisoned(1);
                b.mseForward(pred, target, loss, false);
                b.mseForward(clean, target, lossClean, false);
                return List.of(Output.rounded("loss", loss), Output.rounded("loss of finite pred", lossClean));
            }));
            all.add(check("mseBackward n=" + n, Conformance.EXACT, 18 + n, (b, o) -> {
                Tensor pred = o.tensor(o.planted(n, 0.2), n, 1);
                Tensor target = o.tensor(o.planted(n, 0.2), n, 1);
                Tensor d = o.poisoned(n, 1);
                b.mseBackward(pred, target, d);
                return List.of(Output.exact("dPred", d));
            }));
            all.add(check("mseForwardBackward n=" + n, SpecialValues.ROUNDED, 19 + n, (b, o) -> {
                Tensor pred = o.tensor(o.planted(n, 0.2), n, 1);
                Tensor target = o.tensor(o.planted(n, 0.2), n, 1);
                Tensor loss = o.poisoned(1);
                Tensor d = o.poisoned(n, 1);
                b.mseForwardBackward(pred, target, loss, false, d);
                return List.of(Output.rounded("loss", loss), Output.exact("dPred", d));
            }));
        }
        for (int[] rc : new int[][] {{16, 1}, {33, 10}, {7, 129}}) {
            int r = rc[0];
            int c = rc[1];
            String shape = r + "x" + c;
            all.add(check("softmaxCrossEntropyForward " + shape, SpecialValues.ROUNDED, 20 + r, (b, o) -> {
                Tensor logits = o.tensor(o.logits(r, c), r, c);
                Tensor labels = o.tensor(o.labels(r, c), r);
                List<Output> out = new ArrayList<>();
                for (int row = 0; row < r; row++) {
                    Tensor loss = o.poisoned(1);
                    b.softmaxCrossEntropyForward(o.rows(logits, row, c), o.rows(labels, row, 1), loss, false);
                    out.add(Output.rounded("loss of row " + row, loss));
                }
                Tensor all1 = o.poisoned(1);
                b.softmaxCrossEntropyForward(logits, labels, all1, false);
                out.add(Output.rounded("loss", all1));
                return out;
            }));
            all.add(check("softmaxCrossEntropyBackward " + shape, SpecialValues.ROUNDED, 21 + r, (b, o) -> {
                Tensor logits = o.tensor(o.logits(r, c), r, c);
                Tensor labels = o.tensor(o.labels(r, c), r);
                Tensor d = o.poisoned(r, c);
                b.softmaxCrossEntropyBackward(logits, labels, d);
                return List.of(Output.rounded("dLogits", d));
            }));
            all.add(check("softmaxCrossEntropyForwardBackward " + shape, SpecialValues.ROUNDED, 22 + r, (b, o) -> {
                Tensor logits = o.tensor(o.logits(r, c), r, c);
                Tensor labels = o.tensor(o.labels(r, c), r);
                Tensor loss = o.poisoned(1);
                Tensor d = o.poisoned(r, c);
                b.softmaxCrossEntropyForwardBackward(logits, labels, loss, false, d);
                return List.of(Output.rounded("loss", loss), Output.rounded("dLogits", d));
            }));
            all.add(check("accuracyCount " + shape, Conformance.EXACT, 23 + r, (b, o) -> {
                Tensor logits = o.tensor(o.logits(r, c), r, c);
                Tensor labels = o.tensor(o.labels(r, c), r);
                List<Output> out = new ArrayList<>();
                for (int row = 0; row < r; row++) {
                    Tensor count = o.poisoned(1);
                    b.accuracyCount(o.rows(logits, row, c), o.rows(labels, row, 1), count, false);
                    out.add(Output.exact("hit of row " + row, count));
                }
                return out;
            }));
        }
    }

    /** Column sums, sum and mean (the Java backend accumulates in double: same class). */
    private static void reductions(List<Check> all) {
        for (int[] rc : MATRICES) {
            int r = rc[0];
            int c = rc[1];
            String shape = r + "x" + c;
            all.add(check("columnSum " + shape, SpecialValues.ROUNDED, 24 + r, (b, o) -> {
                Tensor x = o.tensor(o.planted(r * c, 0.01), r, c);
                Tensor out = o.poisoned(c);
                b.columnSum(x, out);
                return List.of(Output.rounded("out", out));
            }));
        }
        for (int n : SIZES) {
            for (float[] values : new float[][] {SPECIAL, TINY, {Float.POSITIVE_INFINITY}, {Float.NEGATIVE_INFINITY}}) {
                String kind = values == SPECIAL ? "special" : values == TINY ? "tiny" : values[0] > 0 ? "+inf" : "-inf";
                all.add(check("sum and mean n=" + n + " " + kind, SpecialValues.ROUNDED, 25 + n + values.length,
                        (b, o) -> {
                            Tensor x = o.tensor(o.planted(n, 0.01, values), n);
                            Tensor s = o.poisoned(1);
                            Tensor mean = o.poisoned(1);
                            b.sum(x, s);
                            b.mean(x, mean);
                            return List.of(Output.rounded("sum", s), Output.rounded("mean", mean));
                        }));
            }
        }
    }

    // ---- comparisons -----------------------------------------------------------------------------

    /** Bit-for-bit equality, any NaN equal to any NaN. */
    static Comparison bits(String what, float[] want, float[] got, double tolerance) {
        return compare(what, want, got, tolerance, (w, g) -> Float.isNaN(w) ? Float.isNaN(g)
                : Float.floatToRawIntBits(w) == Float.floatToRawIntBits(g), "bit for bit");
    }

    /** NaN for NaN, the same infinity for an infinity, finite values within {@code tolerance} relative. */
    static Comparison sameClass(String what, float[] want, float[] got, double tolerance) {
        return compare(what, want, got, tolerance, (w, g) -> {
            if (Float.isNaN(w) || Float.isInfinite(w)) {
                return Float.isNaN(w) ? Float.isNaN(g) : w == g;
            }
            return Float.isFinite(g) && Math.abs((double) g - w) <= tolerance * Math.max(Math.abs((double) w), 1.0);
        }, "NaN, ±inf and finite within " + tolerance);
    }

    private interface Same {
        boolean test(float want, float got);
    }

    private static Comparison compare(String what, float[] want, float[] got, double tolerance, Same same,
                                      String rule) {
        if (want.length != got.length) {
            return new Comparison(what, Double.NaN, tolerance, false,
                    what + ": " + got.length + " outputs, expected " + want.length);
        }
        int differ = 0;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < want.length; i++) {
            if (!same.test(want[i], got[i])) {
                if (differ < 4) {
                    sb.append(differ == 0 ? "" : ";").append(" [").append(i).append("] got ").append(show(got[i]))
                            .append(", spec ").append(show(want[i]));
                }
                differ++;
            }
        }
        if (differ == 0) {
            return new Comparison(what, 0, tolerance, true, what + ": all " + want.length + " agree (" + rule + ")");
        }
        return new Comparison(what, (double) differ / want.length, tolerance, false,
                what + ": " + differ + " of " + want.length + " differ from the Java spec (" + rule + "):" + sb);
    }

    /** A float with its bits: {@code -0.0 (80000000)}. */
    static String show(float x) {
        return x + " (" + String.format("%08x", Float.floatToRawIntBits(x)) + ")";
    }

    private static float[] transpose(float[] x, int rows, int cols) {
        float[] t = new float[x.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = x[r * cols + c];
            }
        }
        return t;
    }

    /**
     * The operands of one op run on one backend, from one seed (so both backends get the same
     * values): every tensor a view 3 elements into a NaN-filled buffer. Closes them all.
     */
    private static final class Operands implements AutoCloseable {
        private static final int PAD = 3;
        private final Backend backend;
        private final SplittableRandom random;
        private final List<Tensor> owned = new ArrayList<>();

        Operands(Backend backend, long seed) {
            this.backend = backend;
            this.random = new SplittableRandom(seed);
        }

        /** Whole numbers in [-3, 3], a fraction {@code density} of them replaced by a {@link #SPECIAL}. */
        float[] planted(int n, double density) {
            return planted(n, density, SPECIAL);
        }

        float[] planted(int n, double density, float[] from) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = random.nextInt(-3, 4);
                if (random.nextDouble() < density) {
                    x[i] = from[random.nextInt(from.length)];
                }
            }
            return x;
        }

        /**
         * op(A): (rows, cols), whole numbers with NaN at (0, 0), +∞ and −∞ further down, ±0 scattered
         * and, with {@code subnormals}, subnormals too and row 3 all subnormal multiples (so its dot
         * products, sums of subnormals, are exact and a flush to zero shows).
         */
        float[] matrixA(int rows, int cols, boolean subnormals) {
            float[] a = planted(rows * cols, 0.02, subnormals ? TINY : new float[] {-0f, 0f});
            a[0] = Float.NaN;
            a[(1 % rows) * cols + cols - 1] = Float.POSITIVE_INFINITY;
            a[(2 % rows) * cols + 1 % cols] = Float.NEGATIVE_INFINITY;
            if (rows > 3 && subnormals) {
                for (int c = 0; c < cols; c++) {
                    a[3 * cols + c] = random.nextInt(-3, 4) * Float.MIN_VALUE;
                }
            }
            return a;
        }

        float[] noNegativeZero(float[] x) {
            for (int i = 0; i < x.length; i++) {
                x[i] = x[i] == 0f ? 0f : x[i];
            }
            return x;
        }

        float[] abs(float[] x) {
            for (int i = 0; i < x.length; i++) {
                x[i] = Float.isNaN(x[i]) ? x[i] : Math.abs(x[i]);
            }
            return x;
        }

        /**
         * (rows, cols) logits: whole numbers and subnormals, row 0 with a NaN, row 1 a +∞, row 2 a
         * −∞ (at the label, labels() puts class 0 there), row 3 all −∞, row 4 a tie of −0.0 and
         * +0.0 as the maximum, row 5 two NaNs; later rows ordinary.
         */
        float[] logits(int rows, int cols) {
            float[] x = planted(rows * cols, 0.05, TINY);
            put(x, 0, cols, cols / 2, Float.NaN);
            put(x, 1, cols, cols - 1, Float.POSITIVE_INFINITY);
            put(x, 2, cols, 0, Float.NEGATIVE_INFINITY);
            if (rows > 3) {
                Arrays.fill(x, 3 * cols, 4 * cols, Float.NEGATIVE_INFINITY);
            }
            if (rows > 4) {
                Arrays.fill(x, 4 * cols, 5 * cols, -5f);
                put(x, 4, cols, 0, -0f);
                put(x, 4, cols, cols - 1, 0f);
            }
            if (rows > 5) {
                put(x, 5, cols, cols - 1, Float.NaN);
                put(x, 5, cols, cols / 3, Float.intBitsToFloat(0xFFC0_0000));
            }
            return x;
        }

        private static void put(float[] x, int row, int cols, int col, float v) {
            if ((row + 1) * cols <= x.length) {
                x[row * cols + col] = v;
            }
        }

        /** Class indices in [0, classes): row 2's label is 0 (its −∞), row 4's the last class (+0.0 of the tie). */
        float[] labels(int rows, int classes) {
            float[] l = new float[rows];
            for (int r = 0; r < rows; r++) {
                l[r] = r == 2 ? 0 : r == 4 ? classes - 1 : r == 5 ? classes / 3 : random.nextInt(classes);
            }
            return l;
        }

        /** A view of {@code count} rows of t starting at {@code row}, t having {@code cols} columns. */
        Tensor rows(Tensor t, int row, int cols) {
            return cols == 1 && t.shape().dims().length == 1
                    ? t.view(row, Shape.of(1), t.name() + "[" + row + "]")
                    : t.view((long) row * cols, Shape.of(1, cols), t.name() + "[" + row + "]");
        }

        /** One upload of the framed values (see {@link OpInputs#tensor}). */
        Tensor tensor(float[] data, int... dims) {
            return framed(data, dims);
        }

        Tensor poisoned(int... dims) {
            return framed(null, dims);
        }

        private Tensor framed(float[] data, int... dims) {
            Shape shape = Shape.of(dims);
            float[] all = new float[Math.toIntExact(shape.size() + 2 * PAD)];
            Arrays.fill(all, Float.NaN);
            if (data != null) {
                System.arraycopy(data, 0, all, PAD, data.length);
            }
            Tensor parent = Tensor.of(backend, all, all.length);
            owned.add(parent);
            return parent.view(PAD, shape, "view");
        }

        @Override
        public void close() {
            for (int i = owned.size() - 1; i >= 0; i--) {
                owned.get(i).close();
            }
        }
    }
}
