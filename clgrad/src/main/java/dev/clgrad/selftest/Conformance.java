package dev.clgrad.selftest;

import dev.clgrad.backend.Backend;
import dev.clgrad.ops.AccuracyCount;
import dev.clgrad.ops.Act;
import dev.clgrad.ops.ActBackward;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.AdamHyper;
import dev.clgrad.ops.AdamUpdate;
import dev.clgrad.ops.ApplyMask;
import dev.clgrad.ops.BiasAct;
import dev.clgrad.ops.ColumnSum;
import dev.clgrad.ops.Composite;
import dev.clgrad.ops.Col2Im;
import dev.clgrad.ops.Copy;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Epilogue;
import dev.clgrad.ops.Fill;
import dev.clgrad.ops.ConvGemm;
import dev.clgrad.ops.Im2Col;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.MseLoss;
import dev.clgrad.ops.Op;
import dev.clgrad.ops.Philox;
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
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The conformance checks of every {@link Op}, forward and backward, run through
 * {@link Backend#run} against {@link RefOps}: fresh seeded inputs at awkward sizes (1, 7, 17, 33,
 * 129, 1000, 4099 and mixed matrix shapes such as 1x1000x3), every GEMM transpose with and without
 * alpha/beta, every {@link Activation}, outputs poisoned with NaN, every operand a view at a
 * non-zero offset; and the Random123 Philox4x32-10 known answers on the backend's own generator.
 * Tolerances (DESIGN.md): relative 1e-5 element-wise, 1e-4 GEMM, bit-exact for copies, counts and
 * random numbers; convolution's sliding-window copies at the {@link #WINDOWS} cases. Run by
 * {@code clgrad selftest} and by the JUnit conformance test, so a user's driver is checked exactly
 * as CI checks PoCL. Each {@link Check} names the op record it runs, and
 * {@link #uncheckedOps()} lists the records of the sealed family with no check.
 *
 * <p>Names: a plain op's check is named by the op ({@code reluForward n=17}, {@code biasTanh 7x17},
 * {@code mseForwardBackward n=33}, …); a plain product {@code gemm MxNxK XY alpha=.. beta=..} with
 * X, Y = N (as stored) or T (transposed) for A and B. The {@link MatMul} epilogues a Dense layer
 * uses keep the names of the fused ops they replace: {@code denseForward BxIxO <activation> p=..}
 * (bias, activation, dropout mask) and {@code denseBackwardMasked BxIxO [tanh|sigmoid] p=..} (gate
 * by the previous layer's output, ReLU when no activation is named, the dropout scale in alpha);
 * other epilogues, which a backend may run decomposed, are {@code matmul XY [epilogue] MxNxK}. The
 * {@link Composite}s are named by their kind ({@code denseWeightGrads BxIxO},
 * {@code denseBackward BxIxO p=..}, {@code mseDenseBackward BxIxO p=..}); the window copies by the
 * window ({@code im2col 33x5x5x3 k3x3 s1x1 d1x1 valid}, {@code col2im …}, and the implicit GEMM
 * {@code convgemm … F=33 bias relu p=0.5} against the float64 convolution and epilogue). Every fused op is
 * compared with the composition of its parts' float64 references, never with a fused formula.
 */
public final class Conformance {
    public static final double ELEMENTWISE = 1e-5;
    public static final double GEMM = 1e-4;
    public static final double EXACT = 0;
    static final int[] SIZES = {1, 7, 17, 33, 129, 1000, 4099};
    /** (rows, cols) of the matrix-shaped ops. */
    static final int[][] MATRICES = {{1, 1}, {7, 17}, {33, 129}, {1000, 3}, {3, 1000}, {129, 10}};
    /**
     * (M, N, K) of the GEMM cases: naive-kernel shapes (thin in M, N or K) and tiled ones with
     * partial tiles in M, N and K (200x300x70 on the CPU and GPU profiles, 130x67x261 and 64x2100x5
     * on the GPU ones), and one long enough for OpenCL to pack B into panels where B is not
     * transposed (257x67x513: K and M past GEMM_PACK_K = 512 and GEMM_PACK_M = 256, a partial last
     * panel, row tile and K step).
     */
    static final int[][] GEMMS = {{1, 1, 1}, {1, 1000, 3}, {1000, 3, 1}, {17, 33, 129}, {129, 17, 33},
            {33, 129, 17}, {7, 7, 7}, {64, 2100, 5}, {130, 67, 261}, {200, 300, 70}, {257, 67, 513}};
    /**
     * (B, I, O) of the Dense cases: naive-kernel sizes, tiled ones with partial tiles, and a batch
     * long enough for the weight gradient to split K (1030: 16 chunks of at least 64 rows).
     */
    static final int[][] DENSES = {{1, 1, 1}, {32, 20, 10}, {33, 129, 17}, {130, 67, 261}, {64, 5, 2100},
            {1030, 9, 33}};
    /** (M, N, K) of the other epilogues: one naive-kernel shape, one tiled with partial tiles. */
    static final int[][] EPILOGUE_SHAPES = {{7, 17, 33}, {130, 67, 261}};
    /**
     * (B, H, W, C, KH, KW, SH, SW, DH, DW, same padding 1 / valid 0) of the sliding-window cases: H and
     * W in {1, 5, 28, 33}, C in {1, 3, 17}, batch 1 and 33, strides 1 and 2, dilation 2, valid and
     * same padding with odd and even kernels (an even kernel pads one more row at the bottom), a
     * 1x1 kernel with stride 2, and Conv2D(32, 3) on 28x28x1.
     */
    static final int[][] WINDOWS = {{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0}, {33, 5, 5, 3, 3, 3, 1, 1, 1, 1, 0},
            {1, 28, 28, 1, 3, 3, 1, 1, 1, 1, 0}, {2, 28, 33, 17, 3, 3, 2, 2, 1, 1, 1},
            {33, 5, 1, 17, 2, 1, 1, 1, 1, 1, 1}, {1, 33, 5, 3, 4, 4, 2, 1, 1, 1, 1},
            {3, 33, 28, 1, 3, 3, 1, 1, 2, 2, 0}, {2, 5, 5, 3, 3, 3, 1, 1, 2, 2, 1},
            {33, 1, 28, 3, 1, 5, 1, 2, 1, 1, 1}, {1, 5, 28, 17, 5, 5, 2, 2, 1, 1, 1},
            {33, 28, 28, 3, 1, 1, 2, 2, 1, 1, 0}};
    /** The dropout counter base: offset + i/4 carries past 2^32 within the larger sizes. */
    static final long DROPOUT_OFFSET = 0xFFFF_FFFEL;

    private Conformance() {
    }

    /** Every check, in a fixed order with fixed seeds. */
    public static List<Check> checks() {
        List<Check> all = new ArrayList<>();
        gemm(all);
        fillAndCopy(all);
        activations(all);
        bias(all);
        dropout(all);
        dense(all);
        epilogues(all);
        keptPreActivations(all);
        softmax(all);
        adam(all);
        sgd(all);
        updateRules(all);
        mse(all);
        softmaxCrossEntropy(all);
        accuracyCount(all);
        LossChecks.add(all);
        reductions(all);
        constraints(all);
        windows(all);
        ImageOpChecks.add(all);
        NoiseChecks.add(all);
        all.addAll(SpecialValues.checks());
        all.add(philoxKnownAnswers());
        return List.copyOf(all);
    }

    /**
     * The op records of the sealed family, in declaration order: {@code Op}'s permitted
     * subclasses, with any sealed sub-family expanded into its own.
     */
    public static List<Class<? extends Op>> opClasses() {
        List<Class<? extends Op>> out = new ArrayList<>();
        addPermitted(Op.class, out);
        return List.copyOf(out);
    }

    @SuppressWarnings("unchecked")
    private static void addPermitted(Class<?> sealed, List<Class<? extends Op>> out) {
        for (Class<?> c : sealed.getPermittedSubclasses()) {
            if (c.isSealed()) {
                addPermitted(c, out);
            } else {
                out.add((Class<? extends Op>) c);
            }
        }
    }

    /** How many checks run each op record, for every record of {@link #opClasses()} (0 when none does). */
    public static Map<Class<? extends Op>, Integer> checksPerOp() {
        Map<Class<? extends Op>, Integer> counts = new LinkedHashMap<>();
        for (Class<? extends Op> c : opClasses()) {
            counts.put(c, 0);
        }
        for (Check check : checks()) {
            if (check.op() != null) {
                counts.merge(check.op(), 1, Integer::sum);
            }
        }
        return counts;
    }

    /** The op records no check runs: empty, or a new op is missing its conformance check. */
    public static List<Class<? extends Op>> uncheckedOps() {
        return checksPerOp().entrySet().stream().filter(e -> e.getValue() == 0).map(Map.Entry::getKey).toList();
    }

    /** {@code 15 of 15 op classes checked: MatMul 164, Fill 7, …}, and the unchecked ones when any. */
    public static String coverageLine() {
        Map<Class<? extends Op>, Integer> counts = checksPerOp();
        List<Class<? extends Op>> unchecked = uncheckedOps();
        StringBuilder sb = new StringBuilder().append(counts.size() - unchecked.size()).append(" of ")
                .append(counts.size()).append(" op classes checked:");
        String sep = " ";
        for (Map.Entry<Class<? extends Op>, Integer> e : counts.entrySet()) {
            sb.append(sep).append(e.getKey().getSimpleName()).append(' ').append(e.getValue());
            sep = ", ";
        }
        if (!unchecked.isEmpty()) {
            sb.append("; NO CHECK for ").append(unchecked.stream().map(Class::getSimpleName).toList());
        }
        return sb.toString();
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
                    all.add(new Check(name, MatMul.class, GEMM, seed++, (backend, in) -> {
                        double[] a = in.uniform(m * k, 1);
                        double[] b = in.uniform(k * n, 1);
                        double[] c = in.uniform(m * n, 1);
                        Tensor tA = ta ? in.tensor(a, k, m) : in.tensor(a, m, k);
                        Tensor tB = tb ? in.tensor(b, n, k) : in.tensor(b, k, n);
                        Tensor tC = beta == 0f ? in.poisoned(m, n) : in.tensor(c, m, n);
                        backend.run(MatMul.of(ta, tb, alpha, tA, tB, beta, tC));
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
            all.add(new Check("fill n=" + n, Fill.class, ELEMENTWISE, n, (backend, in) -> {
                Tensor x = in.poisoned(n);
                backend.run(new Fill(x, 2.5f));
                double[] ref = new double[n];
                Arrays.fill(ref, 2.5);
                return List.of(Comparison.close("fill n=" + n, ref, x.toArray(), ELEMENTWISE));
            }));
            all.add(new Check("copy n=" + n, Copy.class, EXACT, n, (backend, in) -> {
                double[] v = in.uniform(n, 3);
                Tensor src = in.tensor(v, n);
                Tensor dst = in.poisoned(1, n);
                backend.run(new Copy(src, dst));
                return List.of(Comparison.exact("copy n=" + n, OpInputs.floats(v), dst.toArray()));
            }));
        }
    }

    /**
     * The seed of a check that existed for ReLU alone before activations were values: ReLU keeps
     * its old seed, each other activation draws its own inputs.
     */
    private static long seed(long base, Activation a) {
        return a == Activation.RELU ? base : base + 100_000L * (a.code() + 1);
    }

    /** Input scale: the smooth activations reach into saturation, where 1 − y² and y·(1 − y) are small. */
    private static double scale(Activation a) {
        return a == Activation.LINEAR || a == Activation.RELU || a.kind() == Activation.Kind.LEAKY_RELU ? 2 : 3;
    }

    /** What {@code act}'s backward reads for inputs x: f(x) rounded to float32, or x itself where it {@link Activation#savesInput}. */
    private static double[] saved(Activation act, double[] x) {
        return act.savesInput() ? x : RefOps.rounded(RefOps.act(act, x));
    }

    /** y = f(x), also in place; dX = dY·g(y), also in place onto dY; for every activation. */
    private static void activations(List<Check> all) {
        for (Activation act : Activation.values()) {
            for (int n : SIZES) {
                String fwd = act.opName() + "Forward n=" + n;
                all.add(new Check(fwd, Act.class, ELEMENTWISE, seed(100 + n, act), (backend, in) -> {
                    double[] x = in.uniform(n, scale(act));
                    Tensor tx = in.tensor(x, n);
                    Tensor ty = in.poisoned(n);
                    backend.run(new Act(act, tx, ty));
                    double[] y = RefOps.act(act, x);
                    Comparison out = Comparison.close(fwd, y, ty.toArray(), ELEMENTWISE);
                    backend.run(new Act(act, tx, tx));
                    return List.of(out, Comparison.close(act.opName() + "Forward in place n=" + n, y, tx.toArray(),
                            ELEMENTWISE));
                }));
                String bwd = act.opName() + "Backward n=" + n;
                all.add(new Check(bwd, ActBackward.class, ELEMENTWISE, seed(100 + n, act), (backend, in) -> {
                    double[] y = saved(act, in.uniform(n, scale(act)));
                    double[] dy = in.uniform(n, 1);
                    Tensor ty = in.tensor(y, n);
                    Tensor tdy = in.tensor(dy, n);
                    Tensor tdx = in.poisoned(n);
                    double[] ref = RefOps.actBackward(act, y, dy);
                    backend.run(new ActBackward(act, ty, tdy, tdx));
                    Comparison out = Comparison.close(bwd, ref, tdx.toArray(), ELEMENTWISE);
                    backend.run(new ActBackward(act, ty, tdy, tdy));
                    return List.of(out, Comparison.close(act.opName() + "Backward in place n=" + n, ref,
                            tdy.toArray(), ELEMENTWISE));
                }));
            }
        }
    }

    /** y[r, c] = f(x[r, c] + bias[c]) for every activation (biasAdd, biasRelu, biasTanh, biasSigmoid), in place too. */
    private static void bias(List<Check> all) {
        for (Activation act : Activation.values()) {
            for (int[] rc : MATRICES) {
                int r = rc[0];
                int c = rc[1];
                String name = biasName(act) + " " + r + "x" + c;
                all.add(new Check(name, BiasAct.class, ELEMENTWISE, seed(200 + r * 31 + c, act), (backend, in) -> {
                    double[] x = in.uniform(r * c, scale(act));
                    double[] bias = in.uniform(c, 1);
                    Tensor tx = in.tensor(x, r, c);
                    Tensor tb = in.tensor(bias, c);
                    Tensor ty = in.poisoned(r, c);
                    double[] ref = RefOps.biasAct(x, bias, act);
                    backend.run(new BiasAct(tx, tb, act, ty));
                    Comparison out = Comparison.close(name, ref, ty.toArray(), ELEMENTWISE);
                    backend.run(new BiasAct(tx, tb, act, tx));
                    return List.of(out, Comparison.close(biasName(act) + " in place " + r + "x" + c, ref, tx.toArray(),
                            ELEMENTWISE));
                }));
            }
        }
    }

    /** {@link BiasAct}'s name for an activation: biasAdd, biasRelu, biasTanh, biasSigmoid. */
    private static String biasName(Activation a) {
        String n = a.opName();
        return a == Activation.LINEAR ? "biasAdd" : "bias" + Character.toUpperCase(n.charAt(0)) + n.substring(1);
    }

    /**
     * The Philox mask of DESIGN.md at rates 0, 0.1, 0.5, 0.9, on a forward x (also in place) and a
     * backward dY (the same op: the backward regenerates the mask); and a prepared op replayed with
     * its counter advanced, which must draw the mask of the counter's value at each run.
     */
    private static void dropout(List<Check> all) {
        for (int n : SIZES) {
            for (float p : new float[] {0f, 0.1f, 0.5f, 0.9f}) {
                long maskSeed = 42L + n;
                String what = " n=" + n + " p=" + p;
                all.add(new Check("dropoutForward" + what, ApplyMask.class, ELEMENTWISE, 300 + n, (backend, in) -> {
                    double[] x = in.uniform(n, 2);
                    Tensor tx = in.tensor(x, n);
                    Tensor ty = in.poisoned(n);
                    Mask mask = Mask.fixed(p, maskSeed, DROPOUT_OFFSET);
                    double[] ref = RefOps.dropout(x, p, maskSeed, DROPOUT_OFFSET);
                    backend.run(new ApplyMask(tx, mask, ty));
                    Comparison out = Comparison.close("dropoutForward" + what, ref, ty.toArray(), ELEMENTWISE);
                    backend.run(new ApplyMask(tx, mask, tx));
                    return List.of(out, Comparison.close("dropoutForward in place" + what, ref, tx.toArray(),
                            ELEMENTWISE));
                }));
                all.add(new Check("dropoutBackward" + what, ApplyMask.class, ELEMENTWISE, 300 + n, (backend, in) -> {
                    double[] dy = in.uniform(n, 1);
                    Tensor tdx = in.poisoned(n);
                    backend.run(new ApplyMask(in.tensor(dy, n), Mask.fixed(p, maskSeed, DROPOUT_OFFSET), tdx));
                    return List.of(Comparison.close("dropoutBackward" + what,
                            RefOps.dropout(dy, p, maskSeed, DROPOUT_OFFSET), tdx.toArray(), ELEMENTWISE));
                }));
            }
        }
        for (int n : new int[] {1001, 4099}) {
            float p = 0.3f;
            String what = "dropout replayed with its counter advanced n=" + n + " p=" + p;
            all.add(new Check(what, ApplyMask.class, ELEMENTWISE, 350 + n, (backend, in) -> {
                double[] x = in.uniform(n, 2);
                Tensor tx = in.tensor(x, n);
                Tensor ty = in.poisoned(n);
                Counter counter = new Counter(DROPOUT_OFFSET - Philox.blocks(n));
                ApplyMask op = new ApplyMask(tx, new Mask(p, 9, counter), ty);
                Backend.Launch launch = backend.prepare(op);
                List<Comparison> out = new ArrayList<>();
                for (String how : new String[] {"run", "run again", "prepared", "prepared again"}) {
                    long offset = counter.get();
                    if (how.startsWith("prepared")) {
                        launch.run();
                    } else {
                        backend.run(op);
                    }
                    out.add(Comparison.close(what + " " + how + " at offset " + Long.toUnsignedString(offset),
                            RefOps.dropout(x, p, 9, offset), ty.toArray(), ELEMENTWISE));
                    counter.getAndAdd(Philox.blocks(n));
                }
                return out;
            }));
        }
    }

    private static Mask maskOrNull(float p, long seed) {
        return p > 0 ? Mask.fixed(p, seed, DROPOUT_OFFSET) : null;
    }

    /**
     * The epilogues and composites a Dense layer lowers to, against the unfused float64
     * composition, at shapes on both sides of the naive/tiled choice: denseForward =
     * dropout(f(x·W + bias)) for every activation, with and without dropout; denseBackwardMasked =
     * g(h)·(dY·Wᵀ)/(1-p) with h a ReLU-and-dropout output (or a tanh or sigmoid output);
     * denseWeightGrads = (xᵀ·dY, columnSum(dY)); denseBackward = both of those on one
     * ReLU-and-dropout input; mseDenseBackward = denseBackward of dPred = mseBackward(pred, target)
     * with the loss mse(pred, target), set and then accumulated.
     */
    private static void dense(List<Check> all) {
        for (int[] bio : DENSES) {
            int b = bio[0];
            int i = bio[1];
            int o = bio[2];
            String shape = b + "x" + i + "x" + o;
            for (float p : new float[] {0f, 0.5f}) {
                long maskSeed = 77L + b;
                for (Activation act : Activation.values()) {
                    String what = "denseForward " + shape + " " + act.opName() + " p=" + p;
                    all.add(new Check(what, MatMul.class, GEMM, 900 + b + i + o, (backend, in) -> {
                        double[] x = in.uniform(b * i, 1);
                        double[] w = in.uniform(i * o, 1);
                        double[] bias = in.uniform(o, 1);
                        Tensor ty = in.poisoned(b, o);
                        backend.run(new MatMul(false, false, 1f, in.tensor(x, b, i), in.tensor(w, i, o), 0f, ty,
                                Epilogue.forward(in.tensor(bias, o), act, maskOrNull(p, maskSeed))));
                        double[] ref = RefOps.forwardEpilogue(RefOps.gemm(false, false, b, o, i, 1, x, w, 0, null), o,
                                bias, act, p, maskSeed, DROPOUT_OFFSET);
                        return List.of(Comparison.close(what, ref, ty.toArray(), GEMM));
                    }));
                }
                for (Activation act : new Activation[] {Activation.RELU, Activation.TANH, Activation.SIGMOID}) {
                    String what = "denseBackwardMasked " + shape + (act == Activation.RELU ? "" : " " + act.opName())
                            + " p=" + p;
                    all.add(new Check(what, MatMul.class, GEMM, seed(950 + b + i + o, act), (backend, in) -> {
                        double[] dy = in.uniform(b * o, 1);
                        double[] w = in.uniform(i * o, 1);
                        double[] h = RefOps.rounded(RefOps.act(act, in.uniform(b * i, 1)));
                        if (p > 0 && act == Activation.RELU) {
                            h = RefOps.dropout(h, p, maskSeed, DROPOUT_OFFSET);
                        }
                        Tensor tdx = in.poisoned(b, i);
                        backend.run(new MatMul(false, true, Philox.keepScale(p), in.tensor(dy, b, o),
                                in.tensor(w, i, o), 0f, tdx, Epilogue.gate(act, in.tensor(h, b, i))));
                        double[] ref = RefOps.gateEpilogue(
                                RefOps.gemm(false, true, b, i, o, Philox.keepScale(p), dy, w, 0, null), act, h);
                        return List.of(Comparison.close(what, ref, tdx.toArray(), GEMM));
                    }));
                }
            }
            String what = "denseWeightGrads " + shape;
            all.add(new Check(what, Composite.class, GEMM, 980 + b + i + o, (backend, in) -> {
                double[] x = in.uniform(b * i, 1);
                double[] dy = in.uniform(b * o, 1);
                Tensor tdw = in.poisoned(i, o);
                Tensor tdb = in.poisoned(o);
                backend.run(Composite.denseWeightGrads(in.tensor(x, b, i), in.tensor(dy, b, o), tdw, tdb));
                return List.of(Comparison.close(what + " dW", RefOps.gemm(true, false, i, o, b, 1, x, dy, 0, null),
                                tdw.toArray(), GEMM),
                        Comparison.close(what + " dBias", RefOps.columnSum(dy, o), tdb.toArray(), GEMM));
            }));
            for (float p : new float[] {0f, 0.5f}) {
                String whole = "denseBackward " + shape + " p=" + p;
                all.add(new Check(whole, Composite.class, GEMM, 990 + b + i + o, (backend, in) -> {
                    double[] h = RefOps.reluForward(in.uniform(b * i, 1));
                    if (p > 0) {
                        h = RefOps.dropout(h, p, 77L + b, DROPOUT_OFFSET);
                    }
                    double[] dy = in.uniform(b * o, 1);
                    double[] w = in.uniform(i * o, 1);
                    Tensor th = in.tensor(h, b, i);
                    Tensor tdy = in.tensor(dy, b, o);
                    Tensor tdw = in.poisoned(i, o);
                    Tensor tdb = in.poisoned(o);
                    Tensor tdx = in.poisoned(b, i);
                    backend.run(new Composite(Composite.Kind.DENSE_BACKWARD, List.of(
                            MatMul.of(true, false, 1f, th, tdy, 0f, tdw),
                            new ColumnSum(tdy, tdb),
                            inputGrad(tdy, in.tensor(w, i, o), th, p, tdx))));
                    double[] dx = RefOps.reluBackward(h,
                            RefOps.gemm(false, true, b, i, o, Philox.keepScale(p), dy, w, 0, null));
                    return List.of(Comparison.close(whole + " dW", RefOps.gemm(true, false, i, o, b, 1, h, dy, 0, null),
                                    tdw.toArray(), GEMM),
                            Comparison.close(whole + " dBias", RefOps.columnSum(dy, o), tdb.toArray(), GEMM),
                            Comparison.close(whole + " dX", dx, tdx.toArray(), GEMM));
                }));
                String fused = "mseDenseBackward " + shape + " p=" + p;
                all.add(new Check(fused, Composite.class, GEMM, 995 + b + i + o, (backend, in) -> {
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
                    backend.run(mseDenseBackward(tp, tt, th, tw, p, loss, false, tdp, tdw, tdb, tdx));
                    Comparison once = Comparison.close(fused + " loss", ref, loss.item(), GEMM);
                    backend.run(mseDenseBackward(tp, tt, th, tw, p, loss, true, tdp, tdw, tdb, tdx));
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

    /** dX = (dY·Wᵀ)·[h > 0]/(1-p): dY: (B, O), w: (I, O), h: (B, I) → dX: (B, I). */
    private static MatMul inputGrad(Tensor dY, Tensor w, Tensor h, float p, Tensor dX) {
        return new MatMul(false, true, Philox.keepScale(p), dY, w, 0f, dX, Epilogue.gate(Activation.RELU, h));
    }

    /** The last Dense layer's backward with MSE folded in, as the planner forms it. */
    private static Composite mseDenseBackward(Tensor pred, Tensor target, Tensor h, Tensor w, float p, Tensor loss,
                                              boolean accumulate, Tensor dPred, Tensor dW, Tensor dBias, Tensor dX) {
        return new Composite(Composite.Kind.MSE_DENSE_BACKWARD, List.of(
                new MseLoss(pred, target, loss, accumulate, dPred),
                MatMul.of(true, false, 1f, h, dPred, 0f, dW),
                new ColumnSum(dPred, dBias),
                inputGrad(dPred, w, h, p, dX)));
    }

    /**
     * One epilogue case, here and in {@link SpecialValues}: transposes, alpha, and the epilogue's
     * parts (rate −1: no mask).
     */
    record EpilogueCase(boolean transA, boolean transB, float alpha, boolean bias, Activation activation,
                                float rate, boolean gate) {
        String describe() {
            StringBuilder e = new StringBuilder();
            if (gate) {
                e.append("gate ").append(activation).append("'");
            } else {
                if (bias) {
                    e.append("+bias");
                }
                if (activation != Activation.LINEAR) {
                    e.append(e.length() > 0 ? " " : "").append(activation);
                }
                if (rate >= 0) {
                    e.append(e.length() > 0 ? " " : "").append("dropout(").append(rate).append(")");
                }
            }
            return "matmul " + (transA ? "T" : "N") + (transB ? "T" : "N") + (alpha != 1f ? " alpha=" + alpha : "")
                    + " [" + e + "]";
        }
    }

    /**
     * Epilogues beyond a Dense layer's own — no bias, a mask alone, transposed operands, alpha other
     * than 1, a rate-0 mask, gates on other transposes — which a backend may run as the
     * {@link MatMul#decompose() decomposition} rather than one kernel, so that path is checked too.
     * Rate −1 means no mask.
     */
    private static void epilogues(List<Check> all) {
        EpilogueCase[] cases = {
                new EpilogueCase(false, false, 1f, false, Activation.RELU, -1, false),
                new EpilogueCase(false, false, 1f, false, Activation.TANH, 0.5f, false),
                new EpilogueCase(false, false, 1f, false, Activation.LINEAR, 0.3f, false),
                new EpilogueCase(false, false, -2f, true, Activation.RELU, -1, false),
                new EpilogueCase(false, false, 1f, true, Activation.SIGMOID, 0f, false),
                new EpilogueCase(true, false, 1f, true, Activation.SIGMOID, -1, false),
                new EpilogueCase(false, true, 0.5f, true, Activation.RELU, 0.5f, false),
                new EpilogueCase(true, true, 1f, true, Activation.LINEAR, -1, false),
                new EpilogueCase(false, false, 1f, false, Activation.LINEAR, -1, true),
                new EpilogueCase(true, false, 1f, false, Activation.RELU, -1, true),
                new EpilogueCase(true, true, 2f, false, Activation.TANH, -1, true),
        };
        long seed = 1100;
        for (EpilogueCase e : cases) {
            for (int[] mnk : EPILOGUE_SHAPES) {
                int m = mnk[0];
                int n = mnk[1];
                int k = mnk[2];
                String what = e.describe() + " " + m + "x" + n + "x" + k;
                long maskSeed = seed;
                all.add(new Check(what, MatMul.class, GEMM, seed++, (backend, in) -> {
                    double[] a = in.uniform(m * k, 1);
                    double[] b = in.uniform(k * n, 1);
                    Tensor tA = e.transA() ? in.tensor(a, k, m) : in.tensor(a, m, k);
                    Tensor tB = e.transB() ? in.tensor(b, n, k) : in.tensor(b, k, n);
                    Tensor tC = in.poisoned(m, n);
                    double[] s = RefOps.gemm(e.transA(), e.transB(), m, n, k, e.alpha(), a, b, 0, null);
                    double[] ref;
                    Epilogue epilogue;
                    if (e.gate()) {
                        double[] g = RefOps.rounded(RefOps.act(e.activation(), in.uniform(m * n, 2)));
                        epilogue = Epilogue.gate(e.activation(), in.tensor(g, m, n));
                        ref = RefOps.gateEpilogue(s, e.activation(), g);
                    } else {
                        double[] bias = e.bias() ? in.uniform(n, 1) : null;
                        Mask mask = e.rate() >= 0 ? Mask.fixed(e.rate(), maskSeed, DROPOUT_OFFSET) : null;
                        epilogue = Epilogue.forward(bias == null ? null : in.tensor(bias, n), e.activation(), mask);
                        ref = RefOps.forwardEpilogue(s, n, bias, e.activation(), Math.max(0, e.rate()), maskSeed,
                                DROPOUT_OFFSET);
                    }
                    backend.run(new MatMul(e.transA(), e.transB(), e.alpha(), tA, tB, 0f, tC, epilogue));
                    return List.of(Comparison.close(what, ref, tC.toArray(), GEMM));
                }));
            }
        }
    }

    /**
     * One Adam and one AdamW step (t = 3) from random state: params, m and v all compared; and a
     * prepared step replayed three times with its step counter advanced (t = 1, 2, 3).
     */
    private static void adam(List<Check> all) {
        for (int n : SIZES) {
            for (AdamHyper h : new AdamHyper[] {AdamHyper.adam(1e-2f), AdamHyper.adamW(1e-2f, 0.1f)}) {
                String what = (h.weightDecay() == 0 ? "adamStep" : "adamWStep wd=" + h.weightDecay()) + " n=" + n;
                all.add(new Check(what, AdamUpdate.class, ELEMENTWISE, 400 + n, (backend, in) -> {
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
                    backend.run(new AdamUpdate(tp, in.tensor(g, n), tm, tv, h, Counter.of(3)));
                    RefOps.adamStep(p, g, m, v, h.lr(), h.beta1(), h.beta2(), h.eps(), h.weightDecay(), 3);
                    return List.of(Comparison.close(what + " params", p, tp.toArray(), ELEMENTWISE),
                            Comparison.close(what + " m", m, tm.toArray(), ELEMENTWISE),
                            Comparison.close(what + " v", v, tv.toArray(), ELEMENTWISE));
                }));
            }
        }
        int n = 1000;
        String what = "adamWStep replayed with its step advanced n=" + n;
        all.add(new Check(what, AdamUpdate.class, ELEMENTWISE, 450 + n, (backend, in) -> {
            AdamHyper h = AdamHyper.adamW(1e-2f, 0.1f);
            double[] p = in.uniform(n, 1);
            double[] g = in.uniform(n, 1);
            double[] m = new double[n];
            double[] v = new double[n];
            Tensor tp = in.tensor(p, n);
            Tensor tm = in.tensor(m, n);
            Tensor tv = in.tensor(v, n);
            Counter step = new Counter(1);
            Backend.Launch launch = backend.prepare(new AdamUpdate(tp, in.tensor(g, n), tm, tv, h, step));
            List<Comparison> out = new ArrayList<>();
            for (long t = 1; t <= 3; t++, step.getAndAdd(1)) {
                launch.run();
                RefOps.adamStep(p, g, m, v, h.lr(), h.beta1(), h.beta2(), h.eps(), h.weightDecay(), t);
                out.add(Comparison.close(what + " t=" + t + " params", p, tp.toArray(), ELEMENTWISE));
                out.add(Comparison.close(what + " t=" + t + " m", m, tm.toArray(), ELEMENTWISE));
                out.add(Comparison.close(what + " t=" + t + " v", v, tv.toArray(), ELEMENTWISE));
            }
            return out;
        }));
    }

    /** One SGD step, plain and with momentum and weight decay (velocity compared too). */
    private static void sgd(List<Check> all) {
        for (int n : SIZES) {
            for (float[] mw : new float[][] {{0f, 0f}, {0.9f, 0.01f}}) {
                float momentum = mw[0];
                float wd = mw[1];
                String what = "sgdStep momentum=" + momentum + " wd=" + wd + " n=" + n;
                all.add(new Check(what, SgdUpdate.class, ELEMENTWISE, 500 + n, (backend, in) -> {
                    double[] p = in.uniform(n, 1);
                    double[] g = in.uniform(n, 1);
                    double[] vel = in.uniform(n, 1);
                    Tensor tp = in.tensor(p, n);
                    Tensor tv = momentum == 0f ? null : in.tensor(vel, n);
                    backend.run(new SgdUpdate(tp, in.tensor(g, n), tv, 0.1f, momentum, wd));
                    RefOps.sgdStep(p, g, vel, 0.1f, momentum, wd);
                    Comparison params = Comparison.close(what + " params", p, tp.toArray(), ELEMENTWISE);
                    return tv == null ? List.of(params)
                            : List.of(params, Comparison.close(what + " velocity", vel, tv.toArray(), ELEMENTWISE));
                }));
            }
        }
    }

    /**
     * The sum of squares, then SGD with Nesterov momentum, RMSprop (plain and centered) and Adagrad
     * steps from random state, each unclipped, clipped by value and clipped by a norm read from a
     * device sumSquares (so both scale branches run: 0.5 below the norm, 1e3 above it); and a
     * prepared SGD step replayed with its learning rate and momentum changed between launches.
     */
    private static void updateRules(List<Check> all) {
        for (int n : SIZES) {
            all.add(new Check("sumSquares n=" + n, SumSquares.class, ELEMENTWISE, 560 + n, (backend, in) -> {
                double[] x = in.uniform(n, 3);
                Tensor out = in.poisoned(1);
                backend.run(new SumSquares(in.tensor(x, n), out));
                return List.of(Comparison.close("sumSquares n=" + n, new double[] {RefOps.sumSquares(x)}, out.toArray(),
                        ELEMENTWISE));
            }));
            for (String clip : new String[] {"none", "value", "norm below", "norm above"}) {
                String tail = " clip=" + clip + " n=" + n;
                all.add(new Check("sgdNesterovStep" + tail, SgdUpdate.class, ELEMENTWISE, 570 + n, (backend, in) -> {
                    double[] p = in.uniform(n, 1);
                    double[] g = in.uniform(n, 1);
                    double[] vel = in.uniform(n, 1);
                    Tensor tp = in.tensor(p, n);
                    Tensor tv = in.tensor(vel, n);
                    Tensor tg = in.tensor(g, n);
                    Clip c = clip(clip, in, g, tg, backend);
                    backend.run(new SgdUpdate(tp, tg, tv, Scalar.of(0.1f), Scalar.of(0.9f), 0.01f, true, c));
                    RefOps.sgdNesterovStep(p, clipped(c, g, in), vel, 0.1f, 0.9f, 0.01f);
                    return List.of(Comparison.close("sgdNesterovStep" + tail + " params", p, tp.toArray(), ELEMENTWISE),
                            Comparison.close("sgdNesterovStep" + tail + " velocity", vel, tv.toArray(), ELEMENTWISE));
                }));
                for (boolean centered : new boolean[] {false, true}) {
                    String what = (centered ? "rmspropCenteredStep" : "rmspropStep") + tail;
                    all.add(new Check(what, RmspropUpdate.class, ELEMENTWISE, 580 + n, (backend, in) -> {
                        double[] p = in.uniform(n, 1);
                        double[] g = in.uniform(n, 1);
                        double[] v = in.uniform(n, 0.1);
                        double[] a = in.uniform(n, 0.01);
                        for (int i = 0; i < n; i++) {
                            v[i] = Math.abs(v[i]) + 0.01;
                        }
                        Tensor tp = in.tensor(p, n);
                        Tensor tv = in.tensor(v, n);
                        Tensor ta = centered ? in.tensor(a, n) : null;
                        Tensor tg = in.tensor(g, n);
                        Clip c = clip(clip, in, g, tg, backend);
                        backend.run(new RmspropUpdate(tp, tg, tv, ta, Scalar.of(0.01f), 0.9f, 1e-7f, c));
                        RefOps.rmspropStep(p, clipped(c, g, in), v, centered ? a : null, 0.01f, 0.9f, 1e-7f);
                        List<Comparison> out = new ArrayList<>(List.of(
                                Comparison.close(what + " params", p, tp.toArray(), ELEMENTWISE),
                                Comparison.close(what + " v", v, tv.toArray(), ELEMENTWISE)));
                        if (centered) {
                            out.add(Comparison.close(what + " gAvg", a, ta.toArray(), ELEMENTWISE));
                        }
                        return out;
                    }));
                }
                all.add(new Check("adagradStep" + tail, AdagradUpdate.class, ELEMENTWISE, 590 + n, (backend, in) -> {
                    double[] p = in.uniform(n, 1);
                    double[] g = in.uniform(n, 1);
                    double[] acc = in.uniform(n, 0.1);
                    for (int i = 0; i < n; i++) {
                        acc[i] = Math.abs(acc[i]) + 0.1f;
                    }
                    Tensor tp = in.tensor(p, n);
                    Tensor ta = in.tensor(acc, n);
                    Tensor tg = in.tensor(g, n);
                    Clip c = clip(clip, in, g, tg, backend);
                    backend.run(new AdagradUpdate(tp, tg, ta, Scalar.of(0.05f), 1e-7f, c));
                    RefOps.adagradStep(p, clipped(c, g, in), acc, 0.05f, 1e-7f);
                    return List.of(Comparison.close("adagradStep" + tail + " params", p, tp.toArray(), ELEMENTWISE),
                            Comparison.close("adagradStep" + tail + " accumulator", acc, ta.toArray(), ELEMENTWISE));
                }));
            }
        }
        int n = 1000;
        String what = "sgdStep replayed with lr and momentum changed n=" + n;
        all.add(new Check(what, SgdUpdate.class, ELEMENTWISE, 599 + n, (backend, in) -> {
            double[] p = in.uniform(n, 1);
            double[] g = in.uniform(n, 1);
            double[] vel = new double[n];
            Tensor tp = in.tensor(p, n);
            Tensor tv = in.tensor(vel, n);
            Scalar lr = Scalar.of(0.1f);
            Scalar momentum = Scalar.of(0.5f);
            Backend.Launch launch = backend.prepare(new SgdUpdate(tp, in.tensor(g, n), tv, lr, momentum, 0f, false,
                    Clip.value(0.5f)));
            List<Comparison> out = new ArrayList<>();
            double[] gc = RefOps.clipped(g, 0.5f, 0, 0);
            for (int t = 1; t <= 3; t++) {
                launch.run();
                RefOps.sgdStep(p, gc, vel, lr.get(), momentum.get(), 0);
                out.add(Comparison.close(what + " t=" + t + " params", p, tp.toArray(), ELEMENTWISE));
                out.add(Comparison.close(what + " t=" + t + " velocity", vel, tv.toArray(), ELEMENTWISE));
                lr.set(lr.get() / 2);
                momentum.set(momentum.get() + 0.2f);
            }
            return out;
        }));
    }

    /**
     * The clip named {@code kind} for gradients g (tensor tg): none; by value 0.3; by norm, the
     * squared norm written to the device by {@link SumSquares} on {@code backend}, the norm set to
     * half of ‖g‖ ("below") or 1e3 ("above", no scaling).
     */
    private static Clip clip(String kind, OpInputs in, double[] g, Tensor tg, Backend backend) {
        return switch (kind) {
            case "none" -> Clip.NONE;
            case "value" -> Clip.value(0.3f);
            default -> {
                Tensor sq = in.poisoned(1);
                backend.run(new SumSquares(tg, sq));
                yield Clip.norm(kind.equals("norm below") ? (float) (0.5 * Math.sqrt(RefOps.sumSquares(g))) : 1e3f, sq);
            }
        };
    }

    /** The reference's clipped gradients for {@code c} (its norm from the float64 sum of squares). */
    private static double[] clipped(Clip c, double[] g, OpInputs in) {
        return RefOps.clipped(g, c.value(), c.norm(), RefOps.sumSquares(g));
    }

    /** mean((pred - target)²), also accumulated onto the previous loss; dPred = 2·(pred - target)/n. */
    private static void mse(List<Check> all) {
        for (int n : SIZES) {
            all.add(new Check("mseForward n=" + n, MseLoss.class, ELEMENTWISE, 600 + n, (backend, in) -> {
                double[] pred = in.uniform(n, 2);
                double[] target = in.uniform(n, 2);
                Tensor tp = in.tensor(pred, n, 1);
                Tensor tt = in.tensor(target, n, 1);
                Tensor loss = in.poisoned(1);
                double ref = RefOps.mse(pred, target);
                backend.run(new MseLoss(tp, tt, loss, false, null));
                Comparison once = Comparison.close("mseForward n=" + n, ref, loss.item(), ELEMENTWISE);
                backend.run(new MseLoss(tp, tt, loss, true, null));
                return List.of(once, Comparison.close("mseForward accumulate n=" + n, 2 * ref, loss.item(),
                        ELEMENTWISE));
            }));
            all.add(new Check("mseBackward n=" + n, MseLoss.class, ELEMENTWISE, 600 + n, (backend, in) -> {
                double[] pred = in.uniform(n, 2);
                double[] target = in.uniform(n, 2);
                Tensor d = in.poisoned(n, 1);
                backend.run(new MseLoss(in.tensor(pred, n, 1), in.tensor(target, n, 1), null, false, d));
                return List.of(Comparison.close("mseBackward n=" + n, RefOps.mseBackward(pred, target), d.toArray(),
                        ELEMENTWISE));
            }));
            all.add(new Check("mseForwardBackward n=" + n, MseLoss.class, ELEMENTWISE, 650 + n, (backend, in) -> {
                double[] pred = in.uniform(n, 2);
                double[] target = in.uniform(n, 2);
                Tensor tp = in.tensor(pred, n, 1);
                Tensor tt = in.tensor(target, n, 1);
                Tensor loss = in.poisoned(1);
                Tensor d = in.poisoned(n, 1);
                double ref = RefOps.mse(pred, target);
                backend.run(new MseLoss(tp, tt, loss, false, d));
                Comparison once = Comparison.close("mseForwardBackward loss n=" + n, ref, loss.item(), ELEMENTWISE);
                Comparison grad = Comparison.close("mseForwardBackward dPred n=" + n, RefOps.mseBackward(pred, target),
                        d.toArray(), ELEMENTWISE);
                backend.run(new MseLoss(tp, tt, loss, true, d));
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
                all.add(new Check("softmaxCrossEntropyForward" + what, SoftmaxCrossEntropy.class, ELEMENTWISE, seed,
                        (backend, in) -> {
                            double[] logits = in.uniform(r * c, scale);
                            int[] labels = in.labels(r, c);
                            Tensor tl = in.tensor(logits, r, c);
                            Tensor tlab = in.labelsTensor(labels);
                            Tensor loss = in.poisoned(1);
                            double ref = RefOps.softmaxCrossEntropy(logits, c, labels);
                            backend.run(new SoftmaxCrossEntropy(tl, tlab, loss, false, null));
                            Comparison once = Comparison.close("softmaxCrossEntropyForward" + what, ref, loss.item(),
                                    ELEMENTWISE);
                            backend.run(new SoftmaxCrossEntropy(tl, tlab, loss, true, null));
                            return List.of(once, Comparison.close("softmaxCrossEntropyForward accumulate" + what,
                                    2 * ref, loss.item(), ELEMENTWISE));
                        }));
                all.add(new Check("softmaxCrossEntropyBackward" + what, SoftmaxCrossEntropy.class, ELEMENTWISE, seed,
                        (backend, in) -> {
                            double[] logits = in.uniform(r * c, scale);
                            int[] labels = in.labels(r, c);
                            Tensor d = in.poisoned(r, c);
                            backend.run(new SoftmaxCrossEntropy(in.tensor(logits, r, c), in.labelsTensor(labels), null,
                                    false, d));
                            return List.of(Comparison.close("softmaxCrossEntropyBackward" + what,
                                    RefOps.softmaxCrossEntropyBackward(logits, c, labels), d.toArray(), ELEMENTWISE));
                        }));
                String fused = "softmaxCrossEntropyForwardBackward" + what;
                all.add(new Check(fused, SoftmaxCrossEntropy.class, ELEMENTWISE, seed, (backend, in) -> {
                    double[] logits = in.uniform(r * c, scale);
                    int[] labels = in.labels(r, c);
                    Tensor tl = in.tensor(logits, r, c);
                    Tensor tlab = in.labelsTensor(labels);
                    Tensor loss = in.poisoned(1);
                    Tensor d = in.poisoned(r, c);
                    double ref = RefOps.softmaxCrossEntropy(logits, c, labels);
                    backend.run(new SoftmaxCrossEntropy(tl, tlab, loss, false, d));
                    Comparison once = Comparison.close(fused + " loss", ref, loss.item(), ELEMENTWISE);
                    Comparison grad = Comparison.close(fused + " dLogits",
                            RefOps.softmaxCrossEntropyBackward(logits, c, labels), d.toArray(), ELEMENTWISE);
                    backend.run(new SoftmaxCrossEntropy(tl, tlab, loss, true, d));
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
                all.add(new Check(what, AccuracyCount.class, EXACT, 700 + r * 7 + c, (backend, in) -> {
                    double[] logits = in.uniform(r * c, scale);
                    int[] labels = in.labels(r, c);
                    Tensor tl = in.tensor(logits, r, c);
                    Tensor tlab = in.labelsTensor(labels);
                    Tensor count = in.poisoned(1);
                    float ref = RefOps.accuracyCount(logits, c, labels);
                    backend.run(new AccuracyCount(tl, tlab, count, false));
                    Comparison once = Comparison.exact(what, new float[] {ref}, new float[] {count.item()});
                    backend.run(new AccuracyCount(tl, tlab, count, true));
                    return List.of(once, Comparison.exact(what + " accumulate", new float[] {2 * ref},
                            new float[] {count.item()}));
                }));
            }
        }
        all.add(new Check("accuracyCount first maximum on ties", AccuracyCount.class, EXACT, 1, (backend, in) -> {
            Tensor logits = in.tensor(new double[] {1, 3, 3, 0, 5, 5, 5, 1}, 2, 4);
            Tensor count = in.poisoned(1);
            backend.run(new AccuracyCount(logits, in.tensor(new double[] {1, 0}, 2), count, false));
            float both = count.item();
            backend.run(new AccuracyCount(logits, in.tensor(new double[] {2, 1}, 2), count, false));
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
            all.add(new Check("columnSum " + shape, ColumnSum.class, ELEMENTWISE, seed, (backend, in) -> {
                double[] x = shifted(in.uniform(r * c, 1));
                Tensor cols = in.poisoned(c);
                backend.run(new ColumnSum(in.tensor(x, r, c), cols));
                return List.of(Comparison.close("columnSum " + shape, RefOps.columnSum(x, c), cols.toArray(),
                        ELEMENTWISE));
            }));
            all.add(new Check("sum " + shape, Sum.class, ELEMENTWISE, seed, (backend, in) -> {
                double[] x = shifted(in.uniform(r * c, 1));
                Tensor s = in.poisoned(1);
                backend.run(new Sum(in.tensor(x, r, c), s, false));
                return List.of(Comparison.close("sum " + shape, RefOps.sum(x), s.item(), ELEMENTWISE));
            }));
            all.add(new Check("mean " + shape, Sum.class, ELEMENTWISE, seed, (backend, in) -> {
                double[] x = shifted(in.uniform(r * c, 1));
                Tensor s = in.poisoned(1);
                backend.run(new Sum(in.tensor(x, r, c), s, true));
                return List.of(Comparison.close("mean " + shape, RefOps.mean(x), s.item(), ELEMENTWISE));
            }));
        }
    }

    /**
     * The norm constraints in place at every matrix and on vectors (one column): max-norm at a
     * bound that about half the columns exceed, unit norm, min-max norm at rate 0.5 (the operand a
     * view inside NaNs, so a write outside it shows); the L1/L2 penalty with and without its
     * gradient (loss poisoned, then accumulated onto).
     */
    private static void constraints(List<Check> all) {
        List<int[]> shapes = new ArrayList<>(Arrays.asList(MATRICES));
        for (int n : new int[] {1, 17, 4099}) {
            shapes.add(new int[] {n});
        }
        for (int[] dims : shapes) {
            int r = dims[0];
            int c = dims.length == 1 ? 1 : dims[1];
            String shape = dims.length == 1 ? "n=" + r : r + "x" + c;
            double typical = Math.sqrt(r / 3.0);
            for (double[] rule : new double[][] {{0, 0.9 * typical, 1}, {1, 1, 1}, {0.7 * typical, 1.1 * typical, 0.5}}) {
                String what = "renorm " + shape + " [" + (float) rule[0] + ", " + (float) rule[1] + "] rate=" + rule[2];
                all.add(new Check(what, Renorm.class, ELEMENTWISE, 900 + r * 7 + c, (backend, in) -> {
                    double[] w = in.uniform(r * c, 1);
                    Tensor t = in.tensor(w, dims);
                    backend.run(new Renorm(t, (float) rule[0], (float) rule[1], (float) rule[2]));
                    return List.of(Comparison.close(what, RefOps.renorm(w, c, (float) rule[0], (float) rule[1],
                            (float) rule[2]), t.toArray(), ELEMENTWISE));
                }));
            }
        }
        for (int n : SIZES) {
            for (float[] f : new float[][] {{0.01f, 0f}, {0f, 0.01f}, {0.003f, 0.02f}}) {
                String what = "regularize n=" + n + " l1=" + f[0] + " l2=" + f[1];
                all.add(new Check(what, Regularize.class, ELEMENTWISE, 950 + n, (backend, in) -> {
                    double[] w = in.uniform(n, 1);
                    double[] g = in.uniform(n, 0.1);
                    Tensor tg = in.tensor(g, n);
                    Tensor loss = in.poisoned(1);
                    Tensor tw = in.tensor(w, n);
                    double ref = RefOps.penalty(w, f[0], f[1]);
                    backend.run(new Regularize(tw, tg, f[0], f[1], loss, false));
                    Comparison once = Comparison.close(what + " loss", ref, loss.item(), ELEMENTWISE);
                    Comparison grad = Comparison.close(what + " grad", RefOps.penaltyGradient(w, g, f[0], f[1]),
                            tg.toArray(), ELEMENTWISE);
                    backend.run(new Regularize(tw, null, f[0], f[1], loss, true));
                    return List.of(once, grad, Comparison.close(what + " penalty accumulated", 2 * ref, loss.item(),
                            ELEMENTWISE));
                }));
            }
        }
    }

    /** A case of {@link #WINDOWS}: its window ({@link Window#keras}) and its name. */
    static Window window(int[] c) {
        return Window.keras(c[1], c[2], c[4], c[5], c[6], c[7], c[8], c[9], c[10] == 1 ? "same" : "valid");
    }

    /** {@code 33x5x5x3 k3x3 s1x1 d1x1 valid}: B x H x W x C, kernel, strides, dilation, padding. */
    static String windowName(int[] c) {
        return c[0] + "x" + c[1] + "x" + c[2] + "x" + c[3] + " k" + c[4] + "x" + c[5] + " s" + c[6] + "x" + c[7] + " d"
                + c[8] + "x" + c[9] + " " + (c[10] == 1 ? "same" : "valid");
    }

    /**
     * The sliding-window copies of a convolution at every case of {@link #WINDOWS}: im2col, bit
     * for bit (a copy, +0 in the padding), and col2im, the sum of the cols entries that read each
     * element, against the float64 scatter of {@link RefOps#col2im}; and the implicit GEMM
     * ({@link ConvGemm}) against {@link RefOps#conv2d} and its epilogue, alternately 33 filters with
     * bias, ReLU and dropout and 7 linear ones without a bias.
     */
    private static void windows(List<Check> all) {
        long seed = 1300;
        for (int[] c : WINDOWS) {
            Window w = window(c);
            int b = c[0];
            int ch = c[3];
            int rows = b * w.oh() * w.ow();
            int taps = w.taps() * ch;
            String im2col = "im2col " + windowName(c);
            all.add(new Check(im2col, Im2Col.class, EXACT, seed, (backend, in) -> {
                double[] x = in.uniform(b * w.h() * w.w() * ch, 2);
                Tensor cols = in.poisoned(rows, taps);
                backend.run(new Im2Col(in.tensor(x, b, w.h(), w.w(), ch), w, cols));
                return List.of(Comparison.exact(im2col, OpInputs.floats(RefOps.im2col(x, b, ch, w)), cols.toArray()));
            }));
            String col2im = "col2im " + windowName(c);
            all.add(new Check(col2im, Col2Im.class, ELEMENTWISE, seed++, (backend, in) -> {
                double[] cols = in.uniform(rows * taps, 1);
                Tensor dx = in.poisoned(b, w.h(), w.w(), ch);
                backend.run(new Col2Im(in.tensor(cols, rows, taps), w, dx));
                return List.of(Comparison.close(col2im, RefOps.col2im(cols, b, ch, w), dx.toArray(), ELEMENTWISE));
            }));
            boolean relu = seed % 2 == 0;
            int f = relu ? 33 : 7;
            float p = relu ? 0.5f : 0f;
            Activation act = relu ? Activation.RELU : Activation.LINEAR;
            String conv = "convgemm " + windowName(c) + " F=" + f + (relu ? " bias relu p=0.5" : " linear");
            all.add(new Check(conv, ConvGemm.class, GEMM, seed + 500, (backend, in) -> {
                double[] x = in.uniform(b * w.h() * w.w() * ch, 1);
                double[] kernel = in.uniform(taps * f, 1);
                double[] bias = relu ? in.uniform(f, 1) : null;
                Tensor y = in.poisoned(rows, f);
                backend.run(new ConvGemm(in.tensor(x, b, w.h(), w.w(), ch), w, in.tensor(kernel, taps, f), y,
                        Epilogue.forward(relu ? in.tensor(bias, f) : null, act, maskOrNull(p, 91L + b))));
                double[] ref = RefOps.forwardEpilogue(RefOps.conv2d(x, b, ch, kernel, f, null, w), f, bias, act, p,
                        91L + b, DROPOUT_OFFSET);
                return List.of(Comparison.close(conv, ref, y.toArray(), GEMM));
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
     * {@code philox_kat} kernel of philox.cl on OpenCL, {@link Philox#philox4x32} otherwise. It runs
     * no op (the masks built on the generator are the {@link ApplyMask} and epilogue checks).
     */
    private static Check philoxKnownAnswers() {
        List<PhiloxKat.Vector> vectors = PhiloxKat.load();
        return new Check("philox4x32-10 known answers (" + vectors.size() + " vectors)", null, EXACT, 0,
                (backend, in) -> {
                    List<Comparison> out = new ArrayList<>();
                    for (PhiloxKat.Vector v : vectors) {
                        out.add(Comparison.exact("philox4x32-10 " + v, v.out(), backend.philoxBlock(v.ctr(), v.key())));
                    }
                    return out;
                });
    }

    /**
     * The activations whose backward reads z (gelu, silu, elu, selu) in a Dense or bias-less
     * convolution forward epilogue that also keeps z = x·W + bias (with dropout too), and every
     * activation other than relu, tanh and sigmoid (checked in {@link #dense}) as a gate, from the
     * value its backward reads.
     */
    private static void keptPreActivations(List<Check> all) {
        for (int[] bio : DENSES) {
            int b = bio[0];
            int i = bio[1];
            int o = bio[2];
            String shape = b + "x" + i + "x" + o;
            for (Activation act : Activation.values()) {
                if (act.savesInput()) {
                    for (float p : new float[] {0f, 0.5f}) {
                        for (boolean bias : new boolean[] {true, false}) {
                            String what = "denseForward keep z " + shape + " " + act + (bias ? "" : " no bias") + " p=" + p;
                            long maskSeed = 79L + b;
                            all.add(new Check(what, MatMul.class, GEMM, 1900 + b + i + o + act.code(), (backend, in) -> {
                                double[] x = in.uniform(b * i, 1);
                                double[] w = in.uniform(i * o, 1);
                                double[] bv = bias ? in.uniform(o, 1) : new double[o];
                                Tensor ty = in.poisoned(b, o);
                                Tensor tz = in.poisoned(b, o);
                                backend.run(new MatMul(false, false, 1f, in.tensor(x, b, i), in.tensor(w, i, o), 0f, ty,
                                        Epilogue.forward(bias ? in.tensor(bv, o) : null, act, maskOrNull(p, maskSeed))
                                                .keeping(tz)));
                                double[] s = RefOps.gemm(false, false, b, o, i, 1, x, w, 0, null);
                                double[] ref = RefOps.forwardEpilogue(s, o, bv, act, p, maskSeed, DROPOUT_OFFSET);
                                double[] z = RefOps.biasAct(s, bv, Activation.LINEAR);
                                return List.of(Comparison.close(what + " y", ref, ty.toArray(), GEMM),
                                        Comparison.close(what + " z", z, tz.toArray(), GEMM));
                            }));
                        }
                    }
                }
                if (act == Activation.LINEAR || act == Activation.RELU || act == Activation.TANH
                        || act == Activation.SIGMOID) {
                    continue;
                }
                String what = "denseBackwardMasked " + shape + " " + act;
                all.add(new Check(what, MatMul.class, GEMM, 1950 + b + i + o + act.code(), (backend, in) -> {
                    double[] dy = in.uniform(b * o, 1);
                    double[] w = in.uniform(i * o, 1);
                    double[] h = saved(act, in.uniform(b * i, 2));
                    Tensor tdx = in.poisoned(b, i);
                    backend.run(new MatMul(false, true, 1f, in.tensor(dy, b, o), in.tensor(w, i, o), 0f, tdx,
                            Epilogue.gate(act, in.tensor(h, b, i))));
                    double[] ref = RefOps.gateEpilogue(RefOps.gemm(false, true, b, i, o, 1, dy, w, 0, null), act, h);
                    return List.of(Comparison.close(what, ref, tdx.toArray(), GEMM));
                }));
            }
        }
    }

    /** (R, C) of the softmax checks: one element, primes, a row past a work-group, a wide row. */
    static final int[][] SOFTMAX_SHAPES = {{1, 1}, {7, 17}, {33, 129}, {5, 1000}, {3, 4099}};

    /**
     * Softmax over the last axis, forward (also in place; inputs shifted by +60 so that an
     * unsubtracted e^x would overflow) and backward (also in place onto dY), rows of every
     * {@link #SOFTMAX_SHAPES} size, the rows given as a 3-D (R, 1, C) tensor once.
     */
    private static void softmax(List<Check> all) {
        for (int[] rc : SOFTMAX_SHAPES) {
            int r = rc[0];
            int c = rc[1];
            String fwd = "softmaxForward " + r + "x" + c;
            all.add(new Check(fwd, dev.clgrad.ops.Softmax.class, ELEMENTWISE, 2000 + r * 7 + c, (backend, in) -> {
                double[] x = in.uniform(r * c, 4);
                for (int k = 0; k < x.length; k++) {
                    x[k] = (float) (x[k] + 60);
                }
                Tensor tx = in.tensor(x, r, 1, c);
                Tensor ty = in.poisoned(r, 1, c);
                double[] ref = RefOps.softmax(x, c);
                backend.run(new dev.clgrad.ops.Softmax(tx, ty));
                Comparison out = Comparison.close(fwd, ref, ty.toArray(), ELEMENTWISE);
                backend.run(new dev.clgrad.ops.Softmax(tx, tx));
                return List.of(out, Comparison.close(fwd + " in place", ref, tx.toArray(), ELEMENTWISE));
            }));
            String bwd = "softmaxBackward " + r + "x" + c;
            all.add(new Check(bwd, dev.clgrad.ops.SoftmaxBackward.class, ELEMENTWISE, 2100 + r * 7 + c,
                    (backend, in) -> {
                        double[] y = RefOps.rounded(RefOps.softmax(in.uniform(r * c, 3), c));
                        double[] dy = in.uniform(r * c, 1);
                        Tensor ty = in.tensor(y, r, c);
                        Tensor tdy = in.tensor(dy, r, c);
                        Tensor tdx = in.poisoned(r, c);
                        double[] ref = RefOps.softmaxBackward(y, dy, c);
                        backend.run(new dev.clgrad.ops.SoftmaxBackward(ty, tdy, tdx));
                        Comparison out = Comparison.close(bwd, ref, tdx.toArray(), ELEMENTWISE);
                        backend.run(new dev.clgrad.ops.SoftmaxBackward(ty, tdy, tdy));
                        return List.of(out, Comparison.close(bwd + " in place", ref, tdy.toArray(), ELEMENTWISE));
                    }));
        }
    }
}
