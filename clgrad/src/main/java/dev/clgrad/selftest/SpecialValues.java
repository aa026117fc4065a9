package dev.clgrad.selftest;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.java.JavaBackend;
import dev.clgrad.ops.AccuracyCount;
import dev.clgrad.ops.Act;
import dev.clgrad.ops.ActBackward;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.AdamHyper;
import dev.clgrad.ops.AdamUpdate;
import dev.clgrad.ops.ApplyAlphaMask;
import dev.clgrad.ops.ApplyChannelMask;
import dev.clgrad.ops.ApplyGaussianNoise;
import dev.clgrad.ops.ApplyMask;
import dev.clgrad.ops.BatchNormApply;
import dev.clgrad.ops.BatchNormBackward;
import dev.clgrad.ops.BatchNormStats;
import dev.clgrad.ops.BiasAct;
import dev.clgrad.ops.CategoricalCrossEntropy;
import dev.clgrad.ops.ElementwiseLoss;
import dev.clgrad.ops.RowMetric;
import dev.clgrad.ops.ColumnSum;
import dev.clgrad.ops.Composite;
import dev.clgrad.ops.Col2Im;
import dev.clgrad.ops.ConvGemm;
import dev.clgrad.ops.Copy;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Epilogue;
import dev.clgrad.ops.Fill;
import dev.clgrad.ops.Im2Col;
import dev.clgrad.ops.GaussianNoise;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.MseLoss;
import dev.clgrad.ops.Op;
import dev.clgrad.ops.Philox;
import dev.clgrad.ops.Pool;
import dev.clgrad.ops.PoolBackward;
import dev.clgrad.ops.Pooling;
import dev.clgrad.ops.Regularize;
import dev.clgrad.ops.Renorm;
import dev.clgrad.ops.SgdUpdate;
import dev.clgrad.ops.AdagradUpdate;
import dev.clgrad.ops.Clip;
import dev.clgrad.ops.RmspropUpdate;
import dev.clgrad.ops.Scalar;
import dev.clgrad.ops.SumSquares;
import dev.clgrad.ops.SoftmaxCrossEntropy;
import dev.clgrad.ops.Sum;
import dev.clgrad.ops.Window;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The float32 special values through every op record: NaN (quiet, negative and signalling bit
 * patterns), ±∞, −0.0 and subnormals planted among small whole numbers, each op run
 * ({@link Backend#run}) on the backend under test and on {@link JavaBackend#scalarSpec()} (the
 * Java backend's scalar loops, the spec), outputs compared element by element.
 * {@code clgrad selftest} and the JUnit conformance test run these with the rest of
 * {@link Conformance#checks()}; on the Java backend they hold its Vector API kernels and its fused
 * {@link MatMul} epilogues to its scalar loops. Each {@link Check} names the op record it runs.
 *
 * <p>The planted values are small whole numbers so that exact arithmetic stays exact; tanh and
 * sigmoid also get inputs that saturate them ({@link #SATURATING}: ±1 after rounding, e^|z| past
 * float32's range, sigmoid's subnormal and zero results), through each of their code paths. The
 * saturating checks come last, so that {@link KernelSweep}'s plan, which takes the first of equally
 * cheap checks, keeps the plain ones.
 *
 * <p>Three verdicts, all treating any NaN as equal to any NaN (NaN payloads are unspecified in
 * Java and OpenCL alike):
 * <ul>
 *   <li><b>bit for bit</b> ({@code Float.floatToRawIntBits}, so −0.0 ≠ +0.0): every op whose result
 *       is one IEEE operation per element or a selection ({@link Fill}, {@link Copy}, {@link BiasAct}
 *       and {@link Act} / {@link ActBackward} with the linear and ReLU activations, {@link ApplyMask},
 *       {@link Im2Col} (a copy, +0 in the padding) and {@link Col2Im} (float32 sums in one fixed
 *       order on every backend),
 *       the MSE gradient, the accuracy count, SGD), and the {@link MatMul}s — plain, with a linear or
 *       ReLU forward epilogue (bias, dropout mask) or a ReLU gate — and the Dense {@link Composite}s'
 *       products, whose inputs are chosen so that every product is exact (whole numbers in [-3, 3]
 *       against whole numbers and subnormals) and every dot product has at most 256 terms: then
 *       both backends add the same exact products in the same order (k ascending, from +0) and
 *       round identically, whatever the blocking, and alpha is a power of two.</li>
 *   <li><b>same class, relative</b> ({@value #SMOOTH}): tanh and sigmoid ({@link Act},
 *       {@link BiasAct}, {@link ActBackward}, MatMul epilogues and gates), and {@link ConvGemm} (the
 *       implicit GEMM with a bias and ReLU over planted images: OpenCL's tiles add the taps with
 *       {@code mad}), which the Java backend
 *       computes as {@link Activation#apply} and {@code dY·}{@link Activation#derivative}
 *       and OpenCL with its own {@code tanh} and {@code exp}: NaN where the spec has NaN, the same
 *       infinity where it has one, and finite values within {@value #SMOOTH} of the spec's,
 *       relative to it, or to the smallest normal float for a subnormal (so a zero must stay a
 *       zero and a subnormal well inside the range must not become one; the sign of zero not
 *       compared).</li>
 *   <li><b>same class</b>: where the backends round differently by design (Java accumulates losses
 *       and sums in double, Adam's two formulations differ in rounding): NaN where the spec has
 *       NaN, the same infinity where it has one, and finite values within {@value #ROUNDED} of the
 *       spec's, relative to the larger of it and 1 (the sign of zero not compared).</li>
 * </ul>
 * The rules each op follows are documented on the Java backend (the spec) and in each kernel
 * file's header.
 */
public final class SpecialValues {
    /** Relative tolerance of the finite outputs of ops that round differently per backend. */
    public static final double ROUNDED = 1e-4;
    /** Relative tolerance of the finite outputs of tanh and sigmoid (forward, backward, epilogues). */
    public static final double SMOOTH = 1e-5;
    /**
     * Element counts: a scalar-loop size holding a whole 64-element dropout span of the CPU
     * profile and a tail, and one past the Java backend's Vector API threshold.
     */
    static final int[] SIZES = {67, 4099};
    /** (rows, cols) of the row-wise ops; 33x129 is past the Vector API threshold. */
    static final int[][] MATRICES = {{7, 17}, {33, 129}};
    /**
     * (M, N, K): a naive-kernel shape; a tiled one of whole tiles (two 128 x 64 tiles of the CPU
     * profile, four 64 x 64 tiles of the GPU profiles) whose K = 33 takes two K steps of 32 and
     * three of 16, so a tile is reloaded while the work-group may still read the last one; and a
     * narrow one (N < 16: the Java backend computes its transpose). Small enough for a simulator
     * ({@link KernelSweep}).
     */
    static final int[][] GEMMS = {{7, 5, 3}, {128, 128, 33}, {300, 10, 20}};
    /**
     * (M, N, K) of the products that OpenCL runs with B packed into panels, each with partial tiles:
     * M a row or two past whole tiles of 64 and of 48, N = 67 a whole 64-wide panel and one of 3
     * columns, K past whole K steps of 16 and 32. 257x67x513 packs at the default thresholds
     * (GEMM_PACK_K = 512, GEMM_PACK_M = 256); 130x67x40 only under lowered ones, such as the
     * Oclgrind step's (.ci/oclgrind: GEMM_PACK_K = 40, GEMM_PACK_M = 129, so that no smaller
     * special-value product packs), where the first would take minutes.
     */
    static final int[][] PACKED_GEMMS = {{257, 67, 513}, {130, 67, 40}};
    /**
     * (B, I, O) of the Dense epilogues and composites: naive-kernel shapes, shapes for which every
     * product is tiled on the CPU and GPU profiles (forward 128x128 by K = 33, whole tiles; input
     * gradient 128x33 by K = 128 and weight gradient 33x128 by K = 128, partial ones), and a
     * forward of a short K and a long M (130x17 by K = 9, at least a tile of rows: OpenCL's
     * gemm_smallk_bias, with partial row blocks and vectors).
     */
    static final int[][] DENSES = {{5, 3, 4}, {128, 33, 128}, {130, 9, 17}};
    /** (M, N, K) of the other epilogues: a naive-kernel shape and a tiled one (see {@link #GEMMS}). */
    static final int[][] EPILOGUE_SHAPES = {{7, 5, 3}, {64, 128, 33}};
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
    /**
     * Inputs that saturate tanh and sigmoid, of both signs: where tanh rounds to ±1, where e^|z|
     * overflows float32 (|z| > 88.72), where sigmoid(z) is subnormal (z in [−103.97, −87.34]) and
     * where it rounds to +0, up to the largest float; with NaN and ±∞.
     */
    static final float[] SATURATING = saturating(9f, 10f, 17f, 20f, 44f, 80f, 87f, 87.5f, 88f, 88.5f, 88.75f, 89f,
            90f, 92.5f, 95f, 97.5f, 100f, 102.5f, 103f, 103.9f, 104f, 110f, 1e4f, Float.MAX_VALUE);

    private SpecialValues() {
    }

    /** ±each of {@code magnitudes}, then NaN, +∞, −∞. */
    private static float[] saturating(float... magnitudes) {
        float[] out = new float[2 * magnitudes.length + 3];
        for (int i = 0; i < magnitudes.length; i++) {
            out[2 * i] = magnitudes[i];
            out[2 * i + 1] = -magnitudes[i];
        }
        out[out.length - 3] = Float.NaN;
        out[out.length - 2] = Float.POSITIVE_INFINITY;
        out[out.length - 1] = Float.NEGATIVE_INFINITY;
        return out;
    }

    /** One op run: builds its operands on {@code o}, runs the op on {@code b}, returns the named outputs. */
    @FunctionalInterface
    private interface Run {
        List<Output> run(Backend b, Operands o);
    }

    /** How an output is held to the spec's. */
    private enum Verdict { BITS, RELATIVE, CLASS }

    /** An output of an op: its name, its values, and how the backends must agree. */
    private record Output(String name, float[] values, Verdict verdict) {
        static Output exact(String name, Tensor t) {
            return new Output(name, t.toArray(), Verdict.BITS);
        }

        static Output rounded(String name, Tensor t) {
            return new Output(name, t.toArray(), Verdict.CLASS);
        }

        /** Bit for bit after a linear or ReLU activation, same class and relative after tanh or sigmoid. */
        static Output of(Activation a, String name, Tensor t) {
            return new Output(name, t.toArray(), smooth(a) ? Verdict.RELATIVE : Verdict.BITS);
        }
    }

    /** Whether the backends may round {@code a} differently (all but linear, relu, leaky_relu). */
    private static boolean smooth(Activation a) {
        return a != Activation.LINEAR && a != Activation.RELU && a.kind() != Activation.Kind.LEAKY_RELU;
    }

    /** The tolerance of a check of activation {@code a}: bit for bit, or {@link #SMOOTH}. */
    private static double tolerance(Activation a) {
        return smooth(a) ? SMOOTH : Conformance.EXACT;
    }

    /**
     * The seed of a check that existed for ReLU (or linear) alone before activations were values:
     * that activation keeps its old seed, each other draws its own inputs.
     */
    private static long seed(long base, Activation a, Activation keeper) {
        return a == keeper ? base : base + 1000L * (a.code() + 1);
    }

    /** Every special-value check, in a fixed order with fixed seeds. */
    public static List<Check> checks() {
        List<Check> all = new ArrayList<>();
        elementwise(all);
        dropout(all);
        dropoutVariants(all);
        gemm(all);
        packedGemm(all);
        dense(all);
        epilogues(all);
        optimizers(all);
        updateRules(all);
        losses(all);
        kerasLosses(all);
        reductions(all);
        constraints(all);
        windows(all);
        imageOps(all);
        keptPreActivationsAndSoftmax(all);
        saturation(all);
        return List.copyOf(all);
    }

    /**
     * A check of op record {@code op} that runs {@code run} on the backend and on the scalar spec
     * with operands from one seed.
     */
    private static Check check(String name, Class<? extends Op> op, double tolerance, long seed, Run run) {
        return new Check("special values: " + name, op, tolerance, seed, (backend, in) -> {
            List<Output> got;
            List<Output> want;
            try (Operands o = new Operands(backend, seed)) {
                got = run.run(backend, o);
            }
            try (JavaBackend spec = JavaBackend.scalarSpec(); Operands o = new Operands(spec, seed)) {
                want = run.run(spec, o);
            }
            List<Comparison> out = new ArrayList<>();
            for (int i = 0; i < want.size(); i++) {
                Output w = want.get(i);
                String what = "special values: " + name + " " + w.name();
                float[] g = got.get(i).values();
                out.add(switch (w.verdict()) {
                    case BITS -> bits(what, w.values(), g, tolerance);
                    case RELATIVE -> relative(what, w.values(), g, tolerance);
                    case CLASS -> sameClass(what, w.values(), g, tolerance);
                });
            }
            return out;
        });
    }

    /** {@link BiasAct}'s name for an activation: biasAdd, biasRelu, biasTanh, biasSigmoid. */
    private static String biasName(Activation a) {
        String n = a.opName();
        return a == Activation.LINEAR ? "biasAdd" : "bias" + Character.toUpperCase(n.charAt(0)) + n.substring(1);
    }

    /**
     * Fill, copy, and for every activation its forward, its backward (from planted outputs y; for
     * tanh and sigmoid every other finite y replaced by f(y), so 1 − y² and y·(1 − y) also see
     * outputs near saturation) and bias + activation, each also in place.
     */
    private static void elementwise(List<Check> all) {
        for (int n : SIZES) {
            for (float value : new float[] {Float.NaN, Float.NEGATIVE_INFINITY, -0f, Float.MIN_VALUE}) {
                all.add(check("fill n=" + n + " value=" + value, Fill.class, Conformance.EXACT, 1, (b, o) -> {
                    Tensor x = o.poisoned(n);
                    b.run(new Fill(x, value));
                    return List.of(Output.exact("x", x));
                }));
            }
            all.add(check("copy n=" + n, Copy.class, Conformance.EXACT, 2 + n, (b, o) -> {
                Tensor dst = o.poisoned(n);
                b.run(new Copy(o.tensor(o.planted(n, 0.3), n), dst));
                return List.of(Output.exact("dst", dst));
            }));
            for (Activation act : Activation.values()) {
                all.add(check(act.opName() + "Forward n=" + n, Act.class, tolerance(act),
                        seed(3 + n, act, Activation.RELU), (b, o) -> {
                            Tensor x = o.tensor(o.planted(n, 0.3), n);
                            Tensor y = o.poisoned(n);
                            b.run(new Act(act, x, y));
                            b.run(new Act(act, x, x));
                            return List.of(Output.of(act, "y", y), Output.of(act, "y in place", x));
                        }));
                all.add(check(act.opName() + "Backward n=" + n, ActBackward.class, tolerance(act),
                        seed(4 + n, act, Activation.RELU), (b, o) -> {
                            Tensor y = o.tensor(o.outputs(act, o.planted(n, 0.3)), n);
                            Tensor dy = o.tensor(o.planted(n, 0.3), n);
                            Tensor dx = o.poisoned(n);
                            b.run(new ActBackward(act, y, dy, dx));
                            b.run(new ActBackward(act, y, dy, dy));
                            return List.of(Output.of(act, "dX", dx), Output.of(act, "dX in place", dy));
                        }));
            }
        }
        for (int[] rc : MATRICES) {
            int r = rc[0];
            int c = rc[1];
            String shape = r + "x" + c;
            for (Activation act : Activation.values()) {
                long seed = act == Activation.RELU ? 6 + r : seed(5 + r, act, Activation.LINEAR);
                all.add(check(biasName(act) + " " + shape, BiasAct.class, tolerance(act), seed, (b, o) -> {
                    Tensor x = o.tensor(o.planted(r * c, 0.3), r, c);
                    Tensor bias = o.tensor(o.planted(c, 0.3), c);
                    Tensor y = o.poisoned(r, c);
                    b.run(new BiasAct(x, bias, act, y));
                    b.run(new BiasAct(x, bias, act, x));
                    return List.of(Output.of(act, "y", y), Output.of(act, "y in place", x));
                }));
            }
        }
    }

    /**
     * A Dense forward epilogue that keeps z for each activation whose backward reads it (x·W +
     * bias with special values planted, with and without dropout), compared by class and relative
     * to {@value #SMOOTH} (y) and bit for bit (z, an exact sum); and softmax over rows holding the
     * planted values (a row with NaN or +∞ is NaN throughout) forward and backward, compared by class
     * and relative to {@value #SMOOTH}.
     */
    private static void keptPreActivationsAndSoftmax(List<Check> all) {
        for (Activation act : Activation.values()) {
            if (!act.savesInput()) {
                continue;
            }
            for (int[] bio : DENSES) {
                int bb = bio[0];
                int i = bio[1];
                int oo = bio[2];
                for (float p : new float[] {-1, 0.5f}) {
                    String name = "denseForward keep z " + bb + "x" + i + "x" + oo + " " + act + " p=" + p;
                    all.add(check(name, MatMul.class, SMOOTH, 60 + bb + act.code(), (b, o) -> {
                        Tensor x = o.tensor(o.matrixA(bb, i, true), bb, i);
                        Tensor w = o.tensor(o.planted(i * oo, 0.05, NO_SUBNORMAL), i, oo);
                        Tensor bias = o.tensor(o.planted(oo, 0.3), oo);
                        Tensor y = o.poisoned(bb, oo);
                        Tensor z = o.poisoned(bb, oo);
                        b.run(new MatMul(false, false, 1f, x, w, 0f, y,
                                Epilogue.forward(bias, act, maskOrNull(p, 78)).keeping(z)));
                        return List.of(Output.of(act, "y", y), Output.exact("z", z));
                    }));
                }
            }
        }
        for (int[] rc : MATRICES) {
            int r = rc[0];
            int c = rc[1];
            all.add(check("softmaxForward " + r + "x" + c, dev.clgrad.ops.Softmax.class, SMOOTH, 70 + r, (b, o) -> {
                Tensor x = o.tensor(o.planted(r * c, 0.02), r, c);
                Tensor y = o.poisoned(r, c);
                b.run(new dev.clgrad.ops.Softmax(x, y));
                b.run(new dev.clgrad.ops.Softmax(x, x));
                return List.of(new Output("y", y.toArray(), Verdict.RELATIVE),
                        new Output("y in place", x.toArray(), Verdict.RELATIVE));
            }));
            all.add(check("softmaxBackward " + r + "x" + c, dev.clgrad.ops.SoftmaxBackward.class, SMOOTH, 72 + r,
                    (b, o) -> {
                        float[] v = o.planted(r * c, 0.02);
                        for (int k = 0; k < v.length; k++) {
                            v[k] = Float.isFinite(v[k]) ? Math.abs(v[k]) / (4f * c) : v[k];
                        }
                        Tensor y = o.tensor(v, r, c);
                        Tensor dy = o.tensor(o.planted(r * c, 0.02), r, c);
                        Tensor dx = o.poisoned(r, c);
                        b.run(new dev.clgrad.ops.SoftmaxBackward(y, dy, dx));
                        b.run(new dev.clgrad.ops.SoftmaxBackward(y, dy, dy));
                        return List.of(new Output("dX", dx.toArray(), Verdict.RELATIVE),
                                new Output("dX in place", dy.toArray(), Verdict.RELATIVE));
                    }));
        }
    }

    /**
     * tanh and sigmoid of {@link #SATURATING} inputs (and whole numbers) through each of their code
     * paths: {@link Act}, {@link BiasAct} (the bias saturating, x whole numbers and special values)
     * and a Dense forward epilogue (x·W + bias with a saturating bias, with dropout), compared by
     * class and relative to {@value #SMOOTH}. Each backend must give sigmoid's subnormal results
     * where the spec has them, not a zero from an overflowed e^−z.
     */
    private static void saturation(List<Check> all) {
        for (Activation act : Activation.values().stream().filter(SpecialValues::smooth).toList()) {
            int n = 4 * SATURATING.length;
            all.add(check(act.opName() + "Forward saturating n=" + n, Act.class, SMOOTH, 40 + act.code(),
                    (b, o) -> {
                        float[] v = o.planted(n, 0.5, SATURATING);
                        System.arraycopy(SATURATING, 0, v, 0, SATURATING.length);
                        Tensor x = o.tensor(v, n);
                        Tensor y = o.poisoned(n);
                        b.run(new Act(act, x, y));
                        return List.of(Output.of(act, "y", y));
                    }));
            int r = 7;
            int c = SATURATING.length;
            all.add(check(biasName(act) + " saturating " + r + "x" + c, BiasAct.class, SMOOTH, 42 + act.code(),
                    (b, o) -> {
                        Tensor x = o.tensor(o.planted(r * c, 0.3), r, c);
                        Tensor bias = o.tensor(SATURATING.clone(), c);
                        Tensor y = o.poisoned(r, c);
                        b.run(new BiasAct(x, bias, act, y));
                        return List.of(Output.of(act, "y", y));
                    }));
            for (int[] bio : DENSES) {
                int bb = bio[0];
                int i = bio[1];
                int oo = bio[2];
                String name = "denseForward " + bb + "x" + i + "x" + oo + " " + act.opName() + " saturating p=0.5";
                all.add(check(name, MatMul.class, SMOOTH, 44 + act.code(), (b, o) -> {
                    Tensor x = o.tensor(o.matrixA(bb, i, true), bb, i);
                    Tensor w = o.tensor(o.planted(i * oo, 0.05, NO_SUBNORMAL), i, oo);
                    Tensor bias = o.tensor(o.planted(oo, 0.9, SATURATING), oo);
                    Tensor y = o.poisoned(bb, oo);
                    b.run(new MatMul(false, false, 1f, x, w, 0f, y, Epilogue.forward(bias, act, maskOrNull(0.5f, 77))));
                    return List.of(Output.of(act, "y", y));
                }));
            }
        }
    }

    /**
     * Dropout selects: kept elements are x·scale (NaN stays NaN), dropped ones +0 whatever x holds.
     * The forward and the backward are one op, {@link ApplyMask}: the backward's check runs it on a
     * gradient, also in place.
     */
    private static void dropout(List<Check> all) {
        for (int n : SIZES) {
            for (float p : new float[] {0.5f, 0.1f, 0f}) {
                all.add(check("dropoutForward n=" + n + " p=" + p, ApplyMask.class, Conformance.EXACT, 7 + n,
                        (b, o) -> {
                            Tensor x = o.tensor(o.planted(n, 0.3), n);
                            Tensor y = o.poisoned(n);
                            b.run(new ApplyMask(x, Mask.fixed(p, 42, DROPOUT_OFFSET), y));
                            return List.of(Output.exact("y", y));
                        }));
                all.add(check("dropoutBackward n=" + n + " p=" + p, ApplyMask.class, Conformance.EXACT, 8 + n,
                        (b, o) -> {
                            Tensor dy = o.tensor(o.planted(n, 0.3), n);
                            Tensor dx = o.poisoned(n);
                            Mask mask = Mask.fixed(p, 42, DROPOUT_OFFSET);
                            b.run(new ApplyMask(dy, mask, dx));
                            b.run(new ApplyMask(dy, mask, dy));
                            return List.of(Output.exact("dX", dx), Output.exact("dX in place", dy));
                        }));
            }
        }
    }

    /**
     * Gaussian and alpha dropout (forward and gradient, also in place) on planted NaN, ±∞, −0.0 and
     * subnormals, against the scalar spec bit for bit: the noise and the masks are the same bits on
     * every backend, and a dropped element is the op's constant whatever x holds.
     */
    private static void dropoutVariants(List<Check> all) {
        for (int n : SIZES) {
            for (float p : new float[] {0.5f, 0.1f, 0f}) {
                all.add(check("gaussianDropout n=" + n + " p=" + p, ApplyGaussianNoise.class, Conformance.EXACT, 9 + n,
                        (b, o) -> {
                            Tensor x = o.tensor(o.planted(n, 0.3), n);
                            Tensor y = o.poisoned(n);
                            GaussianNoise noise = GaussianNoise.fixed(p, 42, DROPOUT_OFFSET);
                            b.run(new ApplyGaussianNoise(x, noise, y));
                            b.run(new ApplyGaussianNoise(x, noise, x));
                            return List.of(Output.exact("y", y), Output.exact("y in place", x));
                        }));
                for (boolean gradient : new boolean[] {false, true}) {
                    all.add(check((gradient ? "alphaDropoutBackward" : "alphaDropout") + " n=" + n + " p=" + p,
                            ApplyAlphaMask.class, Conformance.EXACT, 10 + n, (b, o) -> {
                                Tensor x = o.tensor(o.planted(n, 0.3), n);
                                Tensor y = o.poisoned(n);
                                Mask mask = Mask.fixed(p, 42, DROPOUT_OFFSET);
                                b.run(new ApplyAlphaMask(x, mask, gradient, y));
                                b.run(new ApplyAlphaMask(x, mask, gradient, x));
                                return List.of(Output.exact("y", y), Output.exact("y in place", x));
                            }));
                }
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
                    all.add(check(name, MatMul.class, Conformance.EXACT, 9 + m + t, (b, o) -> {
                        float[] a = o.matrixA(m, k, beta == 0f);
                        float[] bm = o.planted(k * n, 0.05, NO_SUBNORMAL);
                        Tensor tA = ta ? o.tensor(transpose(a, m, k), k, m) : o.tensor(a, m, k);
                        Tensor tB = tb ? o.tensor(transpose(bm, k, n), n, k) : o.tensor(bm, k, n);
                        Tensor tC = beta == 0f ? o.poisoned(m, n)
                                : o.tensor(o.noNegativeZero(o.planted(m * n, 0.05, NO_SUBNORMAL)), m, n);
                        b.run(MatMul.of(ta, tb, alpha, tA, tB, beta, tC));
                        return List.of(Output.exact("C", tC));
                    }));
                }
            }
        }
    }

    /**
     * The plain products of {@link #PACKED_GEMMS} with every transpose (so OpenCL may pack op(B)), and
     * the ReLU-gated input gradient dY·Wᵀ·[h > 0] at the same sizes (gemm_nt_mask_packed): NaN and
     * ±∞ planted in op(A)'s first three rows, in B (at a density of 1/K, so that many columns stay
     * finite), with beta ≠ 0 in C and in h; ±0 in A and B; no subnormals, so every sum is a whole
     * number below 2^24 and exact in any order (K = 513 is longer than the 256 terms the other
     * checks keep to).
     */
    private static void packedGemm(List<Check> all) {
        for (int[] mnk : PACKED_GEMMS) {
            packedGemm(all, mnk[0], mnk[1], mnk[2]);
        }
        maskedInputGradient(all, 40, 128, 64, "");
    }

    /**
     * dY·Wᵀ·[h > 0] at (M, N, K), dY: (M, K), W: (N, K), h: (M, N), exact sums. At 40x128x64 (fewer rows
     * than the CPU profile's GEMM_PACK_NT_M = 64, a tiled shape on every profile) it is the local-tile
     * gemm_nt_mask that a CPU device no longer runs for longer products.
     */
    private static void maskedInputGradient(List<Check> all, int m, int n, int k, String suffix) {
        all.add(check("denseBackwardMasked " + m + "x" + n + "x" + k + suffix, MatMul.class, Conformance.EXACT,
                44 + m, (b, o) -> {
                    Tensor dy = o.tensor(o.matrixA(m, k, false), m, k);
                    Tensor w = o.tensor(o.planted(n * k, 1.0 / k, NO_SUBNORMAL), n, k);
                    Tensor h = o.tensor(o.outputs(Activation.RELU, o.planted(m * n, 0.3)), m, n);
                    Tensor dx = o.poisoned(m, n);
                    b.run(new MatMul(false, true, 2f, dy, w, 0f, dx, Epilogue.gate(Activation.RELU, h)));
                    return List.of(Output.exact("dX", dx));
                }));
    }

    private static void packedGemm(List<Check> all, int m, int n, int k) {
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                for (float[] ab : new float[][] {{1f, 0f}, {2f, 1f}}) {
                    float alpha = ab[0];
                    float beta = ab[1];
                    String name = "gemm " + m + "x" + n + "x" + k + " " + (ta ? "T" : "N") + (tb ? "T" : "N")
                            + " alpha=" + alpha + " beta=" + beta;
                    all.add(check(name, MatMul.class, Conformance.EXACT, 40 + m + (ta ? 1 : 0) + (tb ? 2 : 0),
                            (b, o) -> {
                                float[] a = o.matrixA(m, k, false);
                                Tensor tA = ta ? o.tensor(transpose(a, m, k), k, m) : o.tensor(a, m, k);
                                float[] bv = o.planted(k * n, 1.0 / k, NO_SUBNORMAL);
                                Tensor tB = tb ? o.tensor(transpose(bv, k, n), n, k) : o.tensor(bv, k, n);
                                Tensor tC = beta == 0f ? o.poisoned(m, n)
                                        : o.tensor(o.noNegativeZero(o.planted(m * n, 0.05, NO_SUBNORMAL)), m, n);
                                b.run(MatMul.of(ta, tb, alpha, tA, tB, beta, tC));
                                return List.of(Output.exact("C", tC));
                            }));
                }
            }
        }
        maskedInputGradient(all, m, n, k, " packed");
    }

    /** A dropout mask at rate p > 0, or none for p = 0 (a Dense layer without dropout). */
    private static Mask maskOrNull(float p, long seed) {
        return p > 0 ? Mask.fixed(p, seed, DROPOUT_OFFSET) : null;
    }

    /** dX = (dY·Wᵀ)·[h > 0]/(1-p), the ReLU-gated input gradient: dY: (B, O), w: (I, O), h: (B, I). */
    private static MatMul inputGrad(Tensor dY, Tensor w, Tensor h, float p, Tensor dX) {
        return new MatMul(false, true, Philox.keepScale(p), dY, w, 0f, dX, Epilogue.gate(Activation.RELU, h));
    }

    /**
     * The MatMul epilogues and composites a Dense layer lowers to (and so the OpenCL fused kernels
     * or decompositions, and the Java fused epilogue) against the spec's: the forward
     * {@code mask(f(x·W + bias))} for every activation with and without dropout, where bias, x and
     * w hold special values; the gated input gradient (ReLU, tanh, sigmoid) with h holding NaN, ±∞,
     * ±0 and negatives; the weight gradients ({@link Composite#denseWeightGrads}); the whole
     * backward ({@link Composite.Kind#DENSE_BACKWARD}); and the last layer's backward with MSE
     * folded in ({@link Composite.Kind#MSE_DENSE_BACKWARD}; B·O a power of two, so that 2/n is exact
     * and dPred's products stay exact).
     */
    private static void dense(List<Check> all) {
        for (int[] bio : DENSES) {
            int bb = bio[0];
            int i = bio[1];
            int oo = bio[2];
            String shape = bb + "x" + i + "x" + oo;
            for (float p : new float[] {0.5f, 0f}) {
                for (Activation act : Activation.values()) {
                    String name = "denseForward " + shape + " " + act.opName() + " p=" + p;
                    all.add(check(name, MatMul.class, tolerance(act), 10 + bb, (b, o) -> {
                        Tensor x = o.tensor(o.matrixA(bb, i, true), bb, i);
                        Tensor w = o.tensor(o.planted(i * oo, 0.05, NO_SUBNORMAL), i, oo);
                        Tensor bias = o.tensor(o.planted(oo, 0.3), oo);
                        Tensor y = o.poisoned(bb, oo);
                        b.run(new MatMul(false, false, 1f, x, w, 0f, y, Epilogue.forward(bias, act, maskOrNull(p, 77))));
                        return List.of(Output.of(act, "y", y));
                    }));
                }
                for (Activation act : new Activation[] {Activation.RELU, Activation.TANH, Activation.SIGMOID}) {
                    String name = "denseBackwardMasked " + shape + (act == Activation.RELU ? "" : " " + act.opName())
                            + " p=" + p;
                    all.add(check(name, MatMul.class, tolerance(act), seed(11 + bb, act, Activation.RELU), (b, o) -> {
                        Tensor dy = o.tensor(o.matrixA(bb, oo, true), bb, oo);
                        Tensor w = o.tensor(o.planted(i * oo, 0.02, NO_SUBNORMAL), i, oo);
                        Tensor h = o.tensor(o.outputs(act, o.planted(bb * i, 0.3)), bb, i);
                        Tensor dx = o.poisoned(bb, i);
                        b.run(new MatMul(false, true, Philox.keepScale(p), dy, w, 0f, dx, Epilogue.gate(act, h)));
                        return List.of(Output.of(act, "dX", dx));
                    }));
                }
                all.add(check("denseBackward " + shape + " p=" + p, Composite.class, SpecialValues.ROUNDED, 12 + bb,
                        (b, o) -> {
                            Tensor h = o.tensor(o.planted(bb * i, 0.1), bb, i);
                            Tensor dy = o.tensor(o.planted(bb * oo, 0.02, NO_SUBNORMAL), bb, oo);
                            Tensor w = o.tensor(o.planted(i * oo, 0.02, SPECIAL), i, oo);
                            Tensor dw = o.poisoned(i, oo);
                            Tensor db = o.poisoned(oo);
                            Tensor dx = o.poisoned(bb, i);
                            b.run(new Composite(Composite.Kind.DENSE_BACKWARD, List.of(
                                    MatMul.of(true, false, 1f, h, dy, 0f, dw),
                                    new ColumnSum(dy, db),
                                    inputGrad(dy, w, h, p, dx))));
                            return List.of(Output.exact("dW", dw), Output.rounded("dBias", db), Output.exact("dX", dx));
                        }));
            }
            all.add(check("denseWeightGrads " + shape, Composite.class, SpecialValues.ROUNDED, 13 + bb, (b, o) -> {
                Tensor x = o.tensor(o.planted(bb * i, 0.02), bb, i);
                Tensor dy = o.tensor(o.planted(bb * oo, 0.02, NO_SUBNORMAL), bb, oo);
                Tensor dw = o.poisoned(i, oo);
                Tensor db = o.poisoned(oo);
                b.run(Composite.denseWeightGrads(x, dy, dw, db));
                return List.of(Output.exact("dW", dw), Output.rounded("dBias", db));
            }));
        }
        splitWeightGrads(all);
        for (int[] bio : new int[][] {{4, 3, 4}, {128, 67, 128}}) {
            int bb = bio[0];
            int i = bio[1];
            int oo = bio[2];
            for (float p : new float[] {0.5f, 0f}) {
                String name = "mseDenseBackward " + bb + "x" + i + "x" + oo + " p=" + p;
                all.add(check(name, Composite.class, SpecialValues.ROUNDED, 14 + bb, (b, o) -> {
                    Tensor pred = o.tensor(o.planted(bb * oo, 0.01), bb, oo);
                    Tensor target = o.tensor(o.planted(bb * oo, 0.01), bb, oo);
                    Tensor h = o.tensor(o.planted(bb * i, 0.05, NO_SUBNORMAL), bb, i);
                    Tensor w = o.tensor(o.planted(i * oo, 0.01, NO_SUBNORMAL), i, oo);
                    Tensor loss = o.poisoned(1);
                    Tensor dp = o.poisoned(bb, oo);
                    Tensor dw = o.poisoned(i, oo);
                    Tensor db = o.poisoned(oo);
                    Tensor dx = o.poisoned(bb, i);
                    b.run(new Composite(Composite.Kind.MSE_DENSE_BACKWARD, List.of(
                            new MseLoss(pred, target, loss, false, dp),
                            MatMul.of(true, false, 1f, h, dp, 0f, dw),
                            new ColumnSum(dp, db),
                            inputGrad(dp, w, h, p, dx))));
                    return List.of(Output.rounded("loss", loss), Output.exact("dPred", dp), Output.exact("dW", dw),
                            Output.rounded("dBias", db), Output.exact("dX", dx));
                }));
            }
        }
    }

    /**
     * The weight gradients over a long K, which a backend may sum in chunks of K and then sum the
     * chunks (OpenCL's split K, a convolution's weight gradient): B = 1100 rows of x: (B, 9) and
     * dY: (B, 17), whole numbers among NaN, ±∞ and ±0 (sparse enough that most dot products stay
     * finite), and one column of x all subnormal multiples. Every product is exact and every partial
     * sum a whole number (or a whole multiple of the smallest subnormal) well inside float32's
     * range, so any grouping of the terms gives the spec's bits: dW bit for bit.
     */
    private static void splitWeightGrads(List<Check> all) {
        int bb = 1100;
        int i = 9;
        int oo = 17;
        all.add(check("denseWeightGrads " + bb + "x" + i + "x" + oo, Composite.class, SpecialValues.ROUNDED, 15,
                (b, o) -> {
                    float[] xs = o.planted(bb * i, 0.0005, NO_SUBNORMAL);
                    for (int r = 0; r < bb; r++) {
                        xs[r * i + 3] *= Float.MIN_VALUE;
                    }
                    Tensor x = o.tensor(xs, bb, i);
                    Tensor dy = o.tensor(o.planted(bb * oo, 0.0005, NO_SUBNORMAL), bb, oo);
                    Tensor dw = o.poisoned(i, oo);
                    Tensor db = o.poisoned(oo);
                    b.run(Composite.denseWeightGrads(x, dy, dw, db));
                    return List.of(Output.exact("dW", dw), Output.rounded("dBias", db));
                }));
    }

    /**
     * Epilogues beyond a Dense layer's own, which a backend may run as the
     * {@link MatMul#decompose() decomposition} (OpenCL: the plain product, then {@link Act} or
     * {@link BiasAct}, {@link ApplyMask} or {@link ActBackward} in place) or fused (the Java
     * backend): no bias, transposed operands, alpha −2 or 2 (exact scalings), tanh and sigmoid
     * forward and gates, and a ReLU mask alone. A gate's h holds whole numbers, special values and
     * f(h) values (see {@link Operands#outputs}).
     */
    private static void epilogues(List<Check> all) {
        Conformance.EpilogueCase[] cases = {
                new Conformance.EpilogueCase(false, false, 1f, false, Activation.TANH, 0.5f, false),
                new Conformance.EpilogueCase(true, false, 1f, true, Activation.SIGMOID, -1, false),
                new Conformance.EpilogueCase(false, true, -2f, false, Activation.RELU, 0.5f, false),
                new Conformance.EpilogueCase(false, false, 1f, false, Activation.TANH, -1, true),
                new Conformance.EpilogueCase(true, true, 2f, false, Activation.SIGMOID, -1, true),
                new Conformance.EpilogueCase(true, false, 1f, false, Activation.RELU, -1, true),
        };
        long seed = 30;
        for (Conformance.EpilogueCase e : cases) {
            for (int[] mnk : EPILOGUE_SHAPES) {
                int m = mnk[0];
                int n = mnk[1];
                int k = mnk[2];
                Activation act = e.activation();
                long maskSeed = seed;
                all.add(check(e.describe() + " " + m + "x" + n + "x" + k, MatMul.class, tolerance(act), seed++,
                        (b, o) -> {
                            float[] a = o.matrixA(m, k, true);
                            float[] bm = o.planted(k * n, 0.05, NO_SUBNORMAL);
                            Tensor tA = e.transA() ? o.tensor(transpose(a, m, k), k, m) : o.tensor(a, m, k);
                            Tensor tB = e.transB() ? o.tensor(transpose(bm, k, n), n, k) : o.tensor(bm, k, n);
                            Tensor tC = o.poisoned(m, n);
                            Epilogue epilogue;
                            if (e.gate()) {
                                epilogue = Epilogue.gate(act, o.tensor(o.outputs(act, o.planted(m * n, 0.3)), m, n));
                            } else {
                                Tensor bias = e.bias() ? o.tensor(o.planted(n, 0.3), n) : null;
                                Mask mask = e.rate() >= 0 ? Mask.fixed(e.rate(), maskSeed, DROPOUT_OFFSET) : null;
                                epilogue = Epilogue.forward(bias, act, mask);
                            }
                            b.run(new MatMul(e.transA(), e.transB(), e.alpha(), tA, tB, 0f, tC, epilogue));
                            return List.of(Output.of(act, "C", tC));
                        }));
            }
        }
    }

    /** Adam and AdamW (same class: the formulations round differently), SGD bit for bit. */
    private static void optimizers(List<Check> all) {
        for (int n : SIZES) {
            for (AdamHyper h : new AdamHyper[] {AdamHyper.adam(1e-2f), AdamHyper.adamW(1e-2f, 0.1f)}) {
                String name = (h.weightDecay() == 0 ? "adamStep" : "adamWStep") + " n=" + n;
                all.add(check(name, AdamUpdate.class, SpecialValues.ROUNDED, 15 + n, (b, o) -> {
                    Tensor p = o.tensor(o.planted(n, 0.2), n);
                    Tensor g = o.tensor(o.planted(n, 0.2), n);
                    Tensor m = o.tensor(o.planted(n, 0.2), n);
                    Tensor v = o.tensor(o.abs(o.planted(n, 0.2)), n);
                    b.run(new AdamUpdate(p, g, m, v, h, Counter.of(3)));
                    return List.of(Output.rounded("params", p), Output.rounded("m", m), Output.rounded("v", v));
                }));
            }
            for (float[] mw : new float[][] {{0f, 0f}, {0.5f, 0.25f}}) {
                float momentum = mw[0];
                float wd = mw[1];
                all.add(check("sgdStep momentum=" + momentum + " wd=" + wd + " n=" + n, SgdUpdate.class,
                        Conformance.EXACT, 16 + n, (b, o) -> {
                            Tensor p = o.tensor(o.planted(n, 0.2), n);
                            Tensor g = o.tensor(o.planted(n, 0.2), n);
                            Tensor vel = momentum == 0f ? null : o.tensor(o.planted(n, 0.2), n);
                            b.run(new SgdUpdate(p, g, vel, 0.5f, momentum, wd));
                            return vel == null ? List.of(Output.exact("params", p))
                                    : List.of(Output.exact("params", p), Output.exact("velocity", vel));
                        }));
            }
        }
    }

    /**
     * The sum of squares (class: NaN and infinities propagate) and, with planted specials in
     * params, grads and state, SGD with Nesterov momentum (bit for bit unless norm-clipped), RMSprop (plain and
     * centered) and Adagrad, each unclipped, clipped by value and by a norm read from the device.
     */
    private static void updateRules(List<Check> all) {
        for (int n : SIZES) {
            all.add(check("sumSquares n=" + n, SumSquares.class, SpecialValues.ROUNDED, 40 + n, (b, o) -> {
                Tensor x = o.tensor(o.planted(n, 0.2), n);
                Tensor clean = o.tensor(o.planted(n, 0.2, TINY), n);
                Tensor s = o.poisoned(1);
                Tensor sc = o.poisoned(1);
                b.run(new SumSquares(x, s));
                b.run(new SumSquares(clean, sc));
                return List.of(Output.rounded("sum", s), Output.rounded("sum of tiny values", sc));
            }));
            for (String kind : new String[] {"none", "value", "norm"}) {
                String tail = " clip=" + kind + " n=" + n;
                boolean exact = !kind.equals("norm"); // the norm's square root and sum round differently
                all.add(check("sgdNesterovStep" + tail, SgdUpdate.class, exact ? Conformance.EXACT : SpecialValues.ROUNDED,
                        41 + n, (b, o) -> {
                            Tensor p = o.tensor(o.planted(n, 0.2), n);
                            Tensor g = o.tensor(o.planted(n, 0.2), n);
                            Tensor vel = o.tensor(o.planted(n, 0.2), n);
                            b.run(new SgdUpdate(p, g, vel, Scalar.of(0.5f), Scalar.of(0.25f), 0.25f, true,
                                    clip(b, o, kind, n)));
                            return exact ? List.of(Output.exact("params", p), Output.exact("velocity", vel))
                                    : List.of(Output.rounded("params", p), Output.rounded("velocity", vel));
                        }));
                for (boolean centered : new boolean[] {false, true}) {
                    all.add(check((centered ? "rmspropCenteredStep" : "rmspropStep") + tail, RmspropUpdate.class,
                            SpecialValues.ROUNDED, 42 + n, (b, o) -> {
                                Tensor p = o.tensor(o.planted(n, 0.2), n);
                                Tensor g = o.tensor(o.planted(n, 0.2), n);
                                Tensor v = o.tensor(o.abs(o.planted(n, 0.2)), n);
                                Tensor a = centered ? o.tensor(o.planted(n, 0.2), n) : null;
                                b.run(new RmspropUpdate(p, g, v, a, Scalar.of(0.01f), 0.9f, 1e-7f, clip(b, o, kind, n)));
                                return centered
                                        ? List.of(Output.rounded("params", p), Output.rounded("v", v), Output.rounded("gAvg", a))
                                        : List.of(Output.rounded("params", p), Output.rounded("v", v));
                            }));
                }
                all.add(check("adagradStep" + tail, AdagradUpdate.class, SpecialValues.ROUNDED, 43 + n, (b, o) -> {
                    Tensor p = o.tensor(o.planted(n, 0.2), n);
                    Tensor g = o.tensor(o.planted(n, 0.2), n);
                    Tensor acc = o.tensor(o.abs(o.planted(n, 0.2)), n);
                    b.run(new AdagradUpdate(p, g, acc, Scalar.of(0.05f), 1e-7f, clip(b, o, kind, n)));
                    return List.of(Output.rounded("params", p), Output.rounded("accumulator", acc));
                }));
            }
        }
    }

    /** No clip, clip by value 0.1, or by norm 0.5 over the squared norm of fresh finite gradients. */
    private static Clip clip(Backend b, Operands o, String kind, int n) {
        return switch (kind) {
            case "none" -> Clip.NONE;
            case "value" -> Clip.value(0.1f);
            default -> {
                Tensor sq = o.poisoned(1);
                b.run(new SumSquares(o.tensor(o.planted(n, 0.2, TINY), n), sq));
                yield Clip.norm(0.5f, sq);
            }
        };
    }

    /**
     * MSE (n = 16 too, where 2/n is exact), softmax cross-entropy and the accuracy count. Logit rows
     * hold NaN, +∞, −∞ (also every element −∞, also at the label), ±0 ties and subnormals; the loss
     * scalars are compared by class, the gradients of MSE and the count bit for bit.
     */
    private static void losses(List<Check> all) {
        for (int n : new int[] {16, 37, 4099}) {
            all.add(check("mseForward n=" + n, MseLoss.class, SpecialValues.ROUNDED, 17 + n, (b, o) -> {
                Tensor pred = o.tensor(o.planted(n, 0.01), n, 1);
                Tensor target = o.tensor(o.planted(n, 0.01), n, 1);
                Tensor loss = o.poisoned(1);
                Tensor clean = o.tensor(o.planted(n, 0.01, TINY), n, 1);
                Tensor lossClean = o.poisoned(1);
                b.run(new MseLoss(pred, target, loss, false, null));
                b.run(new MseLoss(clean, target, lossClean, false, null));
                return List.of(Output.rounded("loss", loss), Output.rounded("loss of finite pred", lossClean));
            }));
            all.add(check("mseBackward n=" + n, MseLoss.class, Conformance.EXACT, 18 + n, (b, o) -> {
                Tensor pred = o.tensor(o.planted(n, 0.2), n, 1);
                Tensor target = o.tensor(o.planted(n, 0.2), n, 1);
                Tensor d = o.poisoned(n, 1);
                b.run(new MseLoss(pred, target, null, false, d));
                return List.of(Output.exact("dPred", d));
            }));
            all.add(check("mseForwardBackward n=" + n, MseLoss.class, SpecialValues.ROUNDED, 19 + n, (b, o) -> {
                Tensor pred = o.tensor(o.planted(n, 0.2), n, 1);
                Tensor target = o.tensor(o.planted(n, 0.2), n, 1);
                Tensor loss = o.poisoned(1);
                Tensor d = o.poisoned(n, 1);
                b.run(new MseLoss(pred, target, loss, false, d));
                return List.of(Output.rounded("loss", loss), Output.exact("dPred", d));
            }));
        }
        for (int[] rc : new int[][] {{16, 1}, {33, 10}, {7, 129}}) {
            int r = rc[0];
            int c = rc[1];
            String shape = r + "x" + c;
            all.add(check("softmaxCrossEntropyForward " + shape, SoftmaxCrossEntropy.class, SpecialValues.ROUNDED,
                    20 + r, (b, o) -> {
                        Tensor logits = o.tensor(o.logits(r, c), r, c);
                        Tensor labels = o.tensor(o.labels(r, c), r);
                        List<Output> out = new ArrayList<>();
                        for (int row = 0; row < r; row++) {
                            Tensor loss = o.poisoned(1);
                            b.run(new SoftmaxCrossEntropy(o.rows(logits, row, c), o.rows(labels, row, 1), loss, false,
                                    null));
                            out.add(Output.rounded("loss of row " + row, loss));
                        }
                        Tensor all1 = o.poisoned(1);
                        b.run(new SoftmaxCrossEntropy(logits, labels, all1, false, null));
                        out.add(Output.rounded("loss", all1));
                        return out;
                    }));
            all.add(check("softmaxCrossEntropyBackward " + shape, SoftmaxCrossEntropy.class, SpecialValues.ROUNDED,
                    21 + r, (b, o) -> {
                        Tensor logits = o.tensor(o.logits(r, c), r, c);
                        Tensor labels = o.tensor(o.labels(r, c), r);
                        Tensor d = o.poisoned(r, c);
                        b.run(new SoftmaxCrossEntropy(logits, labels, null, false, d));
                        return List.of(Output.rounded("dLogits", d));
                    }));
            all.add(check("softmaxCrossEntropyForwardBackward " + shape, SoftmaxCrossEntropy.class,
                    SpecialValues.ROUNDED, 22 + r, (b, o) -> {
                        Tensor logits = o.tensor(o.logits(r, c), r, c);
                        Tensor labels = o.tensor(o.labels(r, c), r);
                        Tensor loss = o.poisoned(1);
                        Tensor d = o.poisoned(r, c);
                        b.run(new SoftmaxCrossEntropy(logits, labels, loss, false, d));
                        return List.of(Output.rounded("loss", loss), Output.rounded("dLogits", d));
                    }));
            all.add(check("accuracyCount " + shape, AccuracyCount.class, Conformance.EXACT, 23 + r, (b, o) -> {
                Tensor logits = o.tensor(o.logits(r, c), r, c);
                Tensor labels = o.tensor(o.labels(r, c), r);
                List<Output> out = new ArrayList<>();
                for (int row = 0; row < r; row++) {
                    Tensor count = o.poisoned(1);
                    b.run(new AccuracyCount(o.rows(logits, row, c), o.rows(labels, row, 1), count, false));
                    out.add(Output.exact("hit of row " + row, count));
                }
                return out;
            }));
        }
    }

    /**
     * The Keras losses and metrics: each {@link ElementwiseLoss.Kind} over planted values (for the
     * probability loss, whole numbers mapped into (0, 1) so some elements escape the clip), MAE's and
     * Huber's gradients bit for bit, the other losses by class; {@link CategoricalCrossEntropy} over
     * {@link Operands#logits} rows (probabilities: their magnitudes) with planted targets, and
 * {@link SoftmaxCrossEntropy} on probabilities over the same magnitudes with planted labels; every
     * {@link RowMetric.Kind} over the same rows, per row, counts bit for bit.
     */
    private static void kerasLosses(List<Check> all) {
        for (ElementwiseLoss.Kind kind : ElementwiseLoss.Kind.values()) {
            boolean bits = kind == ElementwiseLoss.Kind.MAE || kind == ElementwiseLoss.Kind.HUBER;
            float delta = kind == ElementwiseLoss.Kind.HUBER ? 1.5f : 0f;
            for (int n : new int[] {16, 37, 4099}) {
                all.add(check(kind.opName() + "ForwardBackward n=" + n, ElementwiseLoss.class, SpecialValues.ROUNDED,
                        30 + n + kind.ordinal(), (b, o) -> {
                            float[] p = o.planted(n, 0.2);
                            if (kind == ElementwiseLoss.Kind.BINARY_CROSSENTROPY) {
                                for (int i = 0; i < n; i++) {
                                    p[i] = p[i] == Math.rint(p[i]) && p[i] != 0 ? (p[i] + 4) / 8 : p[i];
                                }
                            }
                            Tensor pred = o.tensor(p, n, 1);
                            Tensor target = o.tensor(o.planted(n, 0.2), n, 1);
                            Tensor loss = o.poisoned(1);
                            Tensor d = o.poisoned(n, 1);
                            Tensor clean = o.tensor(o.planted(n, 0.05, TINY), n, 1);
                            Tensor lossClean = o.poisoned(1);
                            b.run(new ElementwiseLoss(kind, delta, pred, target, loss, false, d));
                            b.run(new ElementwiseLoss(kind, delta, clean, target, lossClean, false, null));
                            return List.of(Output.rounded("loss", loss), bits ? Output.exact("dPred", d)
                                    : Output.rounded("dPred", d), Output.rounded("loss of finite pred", lossClean));
                        }));
            }
        }
        for (int[] rc : new int[][] {{16, 1}, {33, 10}, {7, 129}}) {
            int r = rc[0];
            int c = rc[1];
            String shape = r + "x" + c;
            for (boolean logits : new boolean[] {true, false}) {
                all.add(check("categoricalCrossentropy" + (logits ? "FromLogits" : "") + "ForwardBackward " + shape,
                        CategoricalCrossEntropy.class, SpecialValues.ROUNDED, 40 + r, (b, o) -> {
                            float[] z = o.logits(r, c);
                            Tensor pred = o.tensor(logits ? z : o.abs(z), r, c);
                            Tensor target = o.tensor(o.abs(o.planted(r * c, 0.1)), r, c);
                            List<Output> out = new ArrayList<>();
                            for (int row = 0; row < r; row++) {
                                Tensor loss = o.poisoned(1);
                                Tensor d = o.poisoned(1, c);
                                b.run(new CategoricalCrossEntropy(logits, o.rows(pred, row, c), o.rows(target, row, c),
                                        loss, false, d));
                                out.add(Output.rounded("loss of row " + row, loss));
                                out.add(Output.rounded("dPred of row " + row, d));
                            }
                            Tensor whole = o.poisoned(1);
                            b.run(new CategoricalCrossEntropy(logits, pred, target, whole, false, null));
                            out.add(Output.rounded("loss", whole));
                            return out;
                        }));
            }
            all.add(check("sparseCategoricalCrossentropyForwardBackward " + shape, SoftmaxCrossEntropy.class,
                    SpecialValues.ROUNDED, 43 + r, (b, o) -> {
                        Tensor pred = o.tensor(o.abs(o.logits(r, c)), r, c);
                        Tensor labels = o.tensor(o.labels(r, c), r);
                        List<Output> out = new ArrayList<>();
                        for (int row = 0; row < r; row++) {
                            Tensor loss = o.poisoned(1);
                            Tensor d = o.poisoned(1, c);
                            Tensor dAlone = o.poisoned(1, c);
                            b.run(new SoftmaxCrossEntropy(false, o.rows(pred, row, c), o.rows(labels, row, 1), loss,
                                    false, d));
                            b.run(new SoftmaxCrossEntropy(false, o.rows(pred, row, c), o.rows(labels, row, 1), null,
                                    false, dAlone));
                            out.add(Output.rounded("loss of row " + row, loss));
                            out.add(Output.rounded("dPred of row " + row, d));
                            out.add(Output.rounded("dPred alone of row " + row, dAlone));
                        }
                        Tensor whole = o.poisoned(1);
                        b.run(new SoftmaxCrossEntropy(false, pred, labels, whole, false, null));
                        out.add(Output.rounded("loss", whole));
                        return out;
                    }));
            for (RowMetric.Kind kind : RowMetric.Kind.values()) {
                boolean counts = kind != RowMetric.Kind.BINARY_ACCURACY && kind != RowMetric.Kind.ABSOLUTE_ERROR;
                float param = kind.topK() ? 3 : 0f;
                all.add(check(kind.opName() + "Sum " + shape, RowMetric.class, counts ? Conformance.EXACT
                        : SpecialValues.ROUNDED, 45 + r + kind.ordinal(), (b, o) -> {
                            Tensor pred = o.tensor(o.logits(r, c), r, c);
                            Tensor target = kind.sparse() ? o.tensor(o.labels(r, c), r)
                                    : o.tensor(o.planted(r * c, 0.1), r, c);
                            List<Output> out = new ArrayList<>();
                            for (int row = 0; row < r; row++) {
                                Tensor sum = o.poisoned(1);
                                b.run(new RowMetric(kind, param, o.rows(pred, row, c),
                                        kind.sparse() ? o.rows(target, row, 1) : o.rows(target, row, c), sum, false));
                                out.add(counts ? Output.exact("row " + row, sum) : Output.rounded("row " + row, sum));
                            }
                            return out;
                        }));
            }
        }
    }

    /** Column sums, sum and mean (the Java backend accumulates in double: same class). */
    private static void reductions(List<Check> all) {
        for (int[] rc : MATRICES) {
            int r = rc[0];
            int c = rc[1];
            String shape = r + "x" + c;
            all.add(check("columnSum " + shape, ColumnSum.class, SpecialValues.ROUNDED, 24 + r, (b, o) -> {
                Tensor x = o.tensor(o.planted(r * c, 0.01), r, c);
                Tensor out = o.poisoned(c);
                b.run(new ColumnSum(x, out));
                return List.of(Output.rounded("out", out));
            }));
        }
        for (int n : SIZES) {
            for (float[] values : new float[][] {SPECIAL, TINY, {Float.POSITIVE_INFINITY}, {Float.NEGATIVE_INFINITY}}) {
                String kind = values == SPECIAL ? "special" : values == TINY ? "tiny" : values[0] > 0 ? "+inf" : "-inf";
                all.add(check("sum and mean n=" + n + " " + kind, Sum.class, SpecialValues.ROUNDED,
                        25 + n + values.length, (b, o) -> {
                            Tensor x = o.tensor(o.planted(n, 0.01, values), n);
                            Tensor s = o.poisoned(1);
                            Tensor mean = o.poisoned(1);
                            b.run(new Sum(x, s, false));
                            b.run(new Sum(x, mean, true));
                            return List.of(Output.rounded("sum", s), Output.rounded("mean", mean));
                        }));
            }
        }
    }

    /**
     * The norm constraints (max-norm, unit norm, min-max norm at rate 0.5) on matrices holding the
     * special values (a column with a NaN becomes NaN, one with an infinity NaN and zeros) and
     * a column of subnormals (whose float32 norm underflows); the L1/L2 penalty and its gradient
     * of special and tiny weights. All by class: Java sums in double.
     */
    private static void constraints(List<Check> all) {
        for (int[] rc : MATRICES) {
            int r = rc[0];
            int c = rc[1];
            for (float[] rule : new float[][] {{0, 2, 1}, {1, 1, 1}, {1, 4, 0.5f}}) {
                String name = "renorm " + r + "x" + c + " [" + rule[0] + ", " + rule[1] + "] rate=" + rule[2];
                all.add(check(name, Renorm.class, SpecialValues.ROUNDED, 26 + r, (b, o) -> {
                    float[] v = o.planted(r * c, 0.02);
                    for (int i = 0; i < r; i++) {
                        v[i * c + c - 1] = TINY[i % TINY.length];
                    }
                    Tensor w = o.tensor(v, r, c);
                    b.run(new Renorm(w, rule[0], rule[1], rule[2]));
                    return List.of(Output.rounded("w", w));
                }));
            }
        }
        for (int n : SIZES) {
            for (float[] values : new float[][] {SPECIAL, TINY}) {
                String name = "regularize n=" + n + (values == SPECIAL ? " special" : " tiny");
                all.add(check(name, Regularize.class, SpecialValues.ROUNDED, 27 + n + values.length, (b, o) -> {
                    Tensor w = o.tensor(o.planted(n, 0.05, values), n);
                    Tensor g = o.tensor(o.planted(n, 0.01, values), n);
                    Tensor loss = o.poisoned(1);
                    Tensor penalty = o.poisoned(1);
                    b.run(new Regularize(w, g, 0.25f, 0.5f, loss, false));
                    b.run(new Regularize(w, null, 0f, 0.5f, penalty, false));
                    return List.of(Output.rounded("loss", loss), Output.rounded("grad", g),
                            Output.rounded("penalty", penalty));
                }));
            }
        }
    }

    /**
     * (B, H, W, C, KH, KW, SH, SW, DH, DW, same 1 / valid 0) of the window checks, small enough
     * for a simulator: the first two each with padding, strides and (the first) dilation, so that
     * the {@link KernelSweep}'s cheapest check still takes every path: an even kernel and an odd one,
     * both with 17 channels (full channel vectors of conv.cl and a last one of a single channel at
     * every {@code CONV_VW} up to 16); the third a valid window over 17 channels and 1,224
     * elements, so that the Java backend's Vector API col2im (whole vectors of channels) and its
     * scalar tail both run.
     */
    static final int[][] WINDOWS = {{2, 5, 7, 17, 2, 3, 2, 1, 1, 2, 1}, {1, 6, 5, 17, 3, 3, 2, 2, 1, 1, 1},
        {2, 6, 6, 17, 3, 3, 1, 1, 1, 1, 0}};

    /**
     * im2col copies the planted values of x bit for bit and writes +0 in the padding; col2im adds
     * the planted values of cols, +0 first and then the taps kh, kw ascending, so ∞ − ∞ is NaN, a
     * NaN propagates and −0 alone sums to +0, bit for bit on every backend.
     */
    private static void windows(List<Check> all) {
        for (int[] c : WINDOWS) {
            Window w = Conformance.window(c);
            int b = c[0];
            int ch = c[3];
            int rows = b * w.oh() * w.ow();
            int taps = w.taps() * ch;
            String shape = Conformance.windowName(c);
            all.add(check("im2col " + shape, Im2Col.class, Conformance.EXACT, 30 + c[1], (bk, o) -> {
                Tensor x = o.tensor(o.planted(b * w.h() * w.w() * ch, 0.3), b, w.h(), w.w(), ch);
                Tensor cols = o.poisoned(rows, taps);
                bk.run(new Im2Col(x, w, cols));
                return List.of(Output.exact("cols", cols));
            }));
            all.add(check("convgemm " + shape, ConvGemm.class, SMOOTH, 32 + c[1], (bk, o) -> {
                Tensor x = o.tensor(o.planted(b * w.h() * w.w() * ch, 0.3), b, w.h(), w.w(), ch);
                Tensor kernel = o.tensor(o.planted(taps * 5, 0.05, NO_SUBNORMAL), taps, 5);
                Tensor bias = o.tensor(o.planted(5, 0.3), 5);
                Tensor y = o.poisoned(rows, 5);
                bk.run(new ConvGemm(x, w, kernel, y, Epilogue.forward(bias, Activation.RELU, null)));
                return List.of(new Output("y", y.toArray(), Verdict.RELATIVE));
            }));
            all.add(check("col2im " + shape, Col2Im.class, Conformance.EXACT, 31 + c[1], (bk, o) -> {
                Tensor cols = o.tensor(o.planted(rows * taps, 0.1), rows, taps);
                Tensor dx = o.poisoned(b, w.h(), w.w(), ch);
                bk.run(new Col2Im(cols, w, dx));
                return List.of(Output.exact("dx", dx));
            }));
        }
    }

    /**
     * The image ops on planted values (whole numbers in [-3, 3], so windows hold many ties, among
     * NaN, ±∞, ±0 and subnormals). Max pooling forward and backward bit for bit: a selection, and
     * gradients summed over the same windows in the same order (so the first maximum of a tie, and
     * the first NaN, must get the gradient on every backend). Average pooling same class and
     * relative ({@value #SMOOTH}: a device's float division may be a few ulp off). Batch
     * normalisation same class ({@value #ROUNDED}): the spec sums in double. Spatial dropout bit for
     * bit, a selection like dropout. The pools have 17 channels, so the cheapest one (the Oclgrind
     * sweep's) takes both the full channel vectors and a last partial one of pool.cl at every
     * {@code POOL_VW} up to 16.
     */
    private static void imageOps(List<Check> all) {
        int[][] pools = {{2, 5, 5, 17, 2, 2, 1, 1, 1}, {3, 7, 6, 17, 3, 3, 2, 2, 0}};
        for (int[] p : pools) {
            Window w = Window.keras(p[1], p[2], p[4], p[5], p[6], p[7], 1, 1, p[8] == 1 ? "same" : "valid");
            int[] image = {p[0], p[1], p[2], p[3]};
            int[] pooled = {p[0], w.oh(), w.ow(), p[3]};
            int in = p[0] * p[1] * p[2] * p[3];
            int out = p[0] * w.oh() * w.ow() * p[3];
            String what = ImageOpChecks.shape(image) + " pool " + p[4] + "x" + p[5] + " strides " + p[6] + "x" + p[7]
                    + (p[8] == 1 ? " same" : " valid");
            for (Pooling kind : Pooling.values()) {
                String prefix = kind == Pooling.MAX ? "maxPool" : "avgPool";
                boolean max = kind == Pooling.MAX;
                double tol = max ? Conformance.EXACT : SMOOTH;
                all.add(check(prefix + "Forward " + what, Pool.class, tol, 50 + p[0], (b, o) -> {
                    Tensor y = o.poisoned(pooled);
                    b.run(new Pool(kind, w, o.tensor(o.planted(in, 0.3), image), y));
                    return List.of(new Output("y", y.toArray(), max ? Verdict.BITS : Verdict.RELATIVE));
                }));
                all.add(check(prefix + "Backward " + what, PoolBackward.class, tol, 51 + p[0], (b, o) -> {
                    Tensor x = o.tensor(o.planted(in, 0.3), image);
                    Tensor dx = o.poisoned(image);
                    b.run(new PoolBackward(kind, w, max ? x : null, o.tensor(o.planted(out, 0.1), pooled), dx));
                    return List.of(new Output("dX", dx.toArray(), max ? Verdict.BITS : Verdict.RELATIVE));
                }));
            }
        }
        for (int[] dims : new int[][] {{9, 17}, {2, 5, 5, 3}}) {
            int c = dims[dims.length - 1];
            int n = 1;
            for (int d : dims) {
                n *= d;
            }
            int size = n;
            String what = ImageOpChecks.shape(dims);
            all.add(check("batchNormStats " + what, BatchNormStats.class, ROUNDED, 53 + c, (b, o) -> {
                Tensor mean = o.poisoned(c);
                Tensor var = o.poisoned(c);
                Tensor mm = o.tensor(o.planted(c, 0.3), c);
                Tensor mv = o.tensor(o.abs(o.planted(c, 0.3)), c);
                b.run(new BatchNormStats(o.tensor(o.planted(size, 0.05), dims), mean, var, mm, mv, 0.99f));
                return List.of(Output.rounded("mean", mean), Output.rounded("variance", var),
                        Output.rounded("moving mean", mm), Output.rounded("moving variance", mv));
            }));
            for (Activation act : Activation.values()) {
                all.add(check("batchNormApply " + what + " " + act.opName(), BatchNormApply.class, ROUNDED,
                        54 + c + act.code(), (b, o) -> {
                            Tensor y = o.poisoned(dims);
                            b.run(new BatchNormApply(o.tensor(o.planted(size, 0.1), dims), o.tensor(o.planted(c, 0.2), c),
                                    o.tensor(o.abs(o.planted(c, 0.2)), c), o.tensor(o.planted(c, 0.2), c),
                                    o.tensor(o.planted(c, 0.2), c), 1e-3f, act, y));
                            return List.of(Output.rounded("y", y));
                        }));
            }
            all.add(check("batchNormBackward " + what, BatchNormBackward.class, ROUNDED, 58 + c, (b, o) -> {
                Tensor dx = o.poisoned(dims);
                Tensor dg = o.poisoned(c);
                Tensor db = o.poisoned(c);
                b.run(new BatchNormBackward(o.tensor(o.planted(size, 0.05), dims), o.tensor(o.planted(size, 0.05), dims),
                        o.tensor(o.planted(c, 0.2), c), o.tensor(o.abs(o.planted(c, 0.2)), c),
                        o.tensor(o.planted(c, 0.2), c), 1e-3f, dx, dg, db));
                return List.of(Output.rounded("dX", dx), Output.rounded("dGamma", dg), Output.rounded("dBeta", db));
            }));
        }
        for (int[] dims : new int[][] {{5, 2, 17}, {2, 5, 5, 3}}) {
            int n = 1;
            for (int d : dims) {
                n *= d;
            }
            int size = n;
            for (float p : new float[] {0.5f, 0f}) {
                all.add(check("spatialDropout " + ImageOpChecks.shape(dims) + " p=" + p, ApplyChannelMask.class,
                        Conformance.EXACT, 59 + size, (b, o) -> {
                            Tensor x = o.tensor(o.planted(size, 0.3), dims);
                            Tensor y = o.poisoned(dims);
                            Mask mask = Mask.fixed(p, 42, DROPOUT_OFFSET);
                            b.run(new ApplyChannelMask(x, mask, y));
                            b.run(new ApplyChannelMask(x, mask, x));
                            return List.of(Output.exact("y", y), Output.exact("y in place", x));
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

    /**
     * NaN for NaN, the same infinity for an infinity, finite values within {@code tolerance} of the
     * spec's relative to it, subnormals relative to the smallest normal float:
     * {@code |got − want| <= tolerance·max(|want|, MIN_NORMAL)}. A zero must stay (within a few
     * MIN_VALUE of) zero, and a result the spec has well inside the subnormal range must not be
     * zero; subnormals are spaced MIN_VALUE apart, so a bound relative to their own size would ask
     * a last-place difference of a tanh or exp to vanish.
     */
    static Comparison relative(String what, float[] want, float[] got, double tolerance) {
        return compare(what, want, got, tolerance, (w, g) -> {
            if (Float.isNaN(w) || Float.isInfinite(w)) {
                return Float.isNaN(w) ? Float.isNaN(g) : w == g;
            }
            return Float.isFinite(g)
                    && Math.abs((double) g - w) <= tolerance * Math.max(Math.abs((double) w), Float.MIN_NORMAL);
        }, "NaN, ±inf and finite within " + tolerance + " relative");
    }

    /**
     * NaN for NaN, the same infinity for an infinity, finite values within {@code tolerance} of the
     * spec's relative to the larger of it and 1.
     */
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

        /**
         * For tanh and sigmoid, {@code y} with every other finite element (odd indices) replaced by
         * f(y), so the backward also sees outputs such as tanh(3) ≈ 0.995, where 1 − y² cancels;
         * {@code y} as it is for linear and ReLU. Modifies and returns y.
         */
        float[] outputs(Activation a, float[] y) {
            if (smooth(a) && !a.savesInput()) {
                for (int i = 1; i < y.length; i += 2) {
                    if (Float.isFinite(y[i])) {
                        y[i] = a.apply(y[i]);
                    }
                }
            }
            return y;
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
