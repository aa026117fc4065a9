package dev.clgrad.backend.opencl;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.OpenClTest;
import dev.clgrad.backend.ProfileSink;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.ops.Act;
import dev.clgrad.ops.ActBackward;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.AdamHyper;
import dev.clgrad.ops.AdamUpdate;
import dev.clgrad.ops.ApplyMask;
import dev.clgrad.ops.BiasAct;
import dev.clgrad.ops.ColumnSum;
import dev.clgrad.ops.Composite;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Epilogue;
import dev.clgrad.ops.Fill;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.MseLoss;
import dev.clgrad.ops.Op;
import dev.clgrad.ops.Philox;
import dev.clgrad.ops.SoftmaxCrossEntropy;
import dev.clgrad.ops.Sum;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static dev.clgrad.backend.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How OpenCL runs the op family: the activations' kernels against the Java spec
 * ({@link Activation#reference}), which MatMul epilogues and composites run as one launch
 * ({@link OpenClBackend#fuses}, {@link OpenClBackend#kernels}) and that the fused kernels give what
 * the float64 reference and the decompositions give, prepared launches that replay what
 * {@link OpenClBackend#run} computes while their counters move, and the profile naming each
 * launch's op and cost. Outputs are poisoned with NaN first.
 */
class OpenClOpsTest {
    private static final double ELEMENTWISE = 1e-5;
    private static final double GEMM = 1e-4;

    @OpenClTest
    void activationsForwardAndBackwardMatchTheJavaSpec(OpenClBackend cl) {
        SplittableRandom rng = new SplittableRandom(1);
        int rows = 17;
        int cols = 33;
        int n = rows * cols;
        float[] xs = random(rng, n, 4);
        float[] bs = random(rng, cols, 1);
        float[] dys = random(rng, n, 1);
        for (Activation a : Activation.values()) {
            try (Tensor x = Tensor.of(cl, xs, rows, cols); Tensor bias = Tensor.of(cl, bs, cols);
                 Tensor dY = Tensor.of(cl, dys, rows, cols); Tensor y = nans(cl, rows, cols);
                 Tensor yb = nans(cl, rows, cols); Tensor dX = nans(cl, rows, cols)) {
                String what = a + " on " + TestBackends.label(cl);
                cl.run(new Act(a, x, y));
                double[] ref = new double[n];
                for (int i = 0; i < n; i++) {
                    ref[i] = a.reference(xs[i]);
                }
                assertClose(what + " forward", ref, y.toArray(), ELEMENTWISE);

                cl.run(new BiasAct(x, bias, a, yb));
                for (int i = 0; i < n; i++) {
                    ref[i] = a.reference((double) xs[i] + bs[i % cols]);
                }
                assertClose(what + " bias + activation", ref, yb.toArray(), ELEMENTWISE);

                float[] out = y.toArray();
                cl.run(new ActBackward(a, y, dY, dX));
                for (int i = 0; i < n; i++) {
                    ref[i] = dys[i] * a.referenceDerivative(out[i]);
                }
                assertClose(what + " backward", ref, dX.toArray(), ELEMENTWISE);

                cl.run(new Act(a, x, x));
                assertArrayEquals(out, x.toArray(), what + " in place gives the same bits");
            }
        }
    }

    @OpenClTest
    void reluBackwardIsASelect(OpenClBackend cl) {
        float[] ys = {0f, -0f, 1e-30f, 2f, -3f, Float.NaN};
        float[] dys = {5f, 6f, 7f, Float.NaN, 9f, 10f};
        try (Tensor y = Tensor.of(cl, ys, ys.length); Tensor dY = Tensor.of(cl, dys, dys.length);
             Tensor dX = nans(cl, ys.length)) {
            cl.run(new ActBackward(Activation.RELU, y, dY, dX));
            assertArrayEquals(new float[] {0f, 0f, 7f, Float.NaN, 0f, Float.NaN}, dX.toArray(),
                    "y NaN gives NaN; dY's NaN passes only where y > 0");
        }
    }

    @OpenClTest
    void forwardEpiloguesRunInTheGemmAndMatchTheReference(OpenClBackend cl) {
        SplittableRandom rng = new SplittableRandom(2);
        int[][] shapes = {{5, 3, 7}, {67, 131, 45}, {1, 1, 1}};
        for (int[] mnk : shapes) {
            int m = mnk[0];
            int n = mnk[1];
            int k = mnk[2];
            float[] xs = random(rng, m * k, 1);
            float[] ws = random(rng, k * n, 1);
            float[] bs = random(rng, n, 1);
            for (Activation a : Activation.values()) {
                for (float p : new float[] {0f, 0.3f}) {
                    Counter offset = Counter.of(11);
                    Mask mask = p == 0f ? null : new Mask(p, 42, offset);
                    try (Tensor x = Tensor.of(cl, xs, m, k); Tensor w = Tensor.of(cl, ws, k, n);
                         Tensor bias = Tensor.of(cl, bs, n); Tensor y = nans(cl, m, n); Tensor parts = nans(cl, m, n)) {
                        MatMul op = new MatMul(false, false, 0.5f, x, w, 0f, y, Epilogue.forward(bias, a, mask));
                        String what = "matmul " + m + "x" + n + "x" + k + " [" + op.epilogue() + "] on "
                                + TestBackends.label(cl);
                        assertEquals(true, cl.fuses(op), what);
                        assertEquals(List.of(GemmRoutine.smallK(cl, op.shape()) ? "gemm_smallk_bias"
                                : GemmRoutine.naive(cl, op.shape()) ? "gemm_naive_bias" : "gemm_nn_bias"),
                                cl.kernels(op), what);
                        cl.run(op);
                        double[] ref = new double[m * n];
                        int t = Philox.threshold(p);
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < n; j++) {
                                double s = 0;
                                for (int q = 0; q < k; q++) {
                                    s += (double) xs[i * k + q] * ws[q * n + j];
                                }
                                double z = a.reference(0.5 * s + bs[j]);
                                ref[i * n + j] = mask == null ? z
                                        : Philox.keep(42, 11, (long) i * n + j, t) ? z / (1 - p) : 0;
                            }
                        }
                        assertClose(what, ref, y.toArray(), GEMM);
                        for (Op part : new MatMul(false, false, 0.5f, x, w, 0f, parts, op.epilogue()).decompose()) {
                            cl.run(part);
                        }
                        assertClose(what + " decomposed", ref, parts.toArray(), GEMM);
                    }
                }
            }
        }
    }

    @OpenClTest
    void fusesSaysWhichOpsRunAsOneLaunch(OpenClBackend cl) {
        SplittableRandom rng = new SplittableRandom(3);
        // small: every product is a naive-kernel shape on any tile; large: none is.
        for (int[] bio : new int[][] {{4, 3, 2}, {128, 256, 256}}) {
            int b = bio[0];
            int i = bio[1];
            int o = bio[2];
            boolean small = b == 4;
            try (Tensor x = rand(cl, rng, b, i); Tensor w = rand(cl, rng, i, o); Tensor bias = rand(cl, rng, o);
                 Tensor y = nans(cl, b, o); Tensor target = rand(cl, rng, b, o); Tensor dY = rand(cl, rng, b, o);
                 Tensor dW = nans(cl, i, o); Tensor dBias = nans(cl, o); Tensor dX = nans(cl, b, i);
                 Tensor loss = nans(cl, 1); Tensor dPred = nans(cl, b, o)) {
                y.copyFrom(random(rng, b * o, 1));
                String gemm = small ? "gemm_naive" : null;
                // A CPU profile packs a transposed B from M >= 64 (GEMM_PACK_NT_K, GEMM_PACK_NT_M).
                boolean packsNt = !small && cl.define("GEMM_DIRECT", 0) != 0;
                String[] masked = packsNt ? new String[] {"gemm_pack_bt", "gemm_nt_mask_packed"}
                        : new String[] {small ? "gemm_naive_mask" : "gemm_nt_mask"};
                String[] plainNt = packsNt ? new String[] {"gemm_pack_bt", "gemm_nn_packed"}
                        : new String[] {small ? gemm : "gemm_nt"};
                List<Object[]> table = new ArrayList<>();
                table.add(row(MatMul.of(false, false, 1f, x, w, 0f, y), true,
                        small ? gemm : "gemm_nn"));
                table.add(row(new MatMul(false, false, 1f, x, w, 0f, y, Epilogue.forward(bias, Activation.TANH,
                        Mask.fixed(0.5f, 1, 0))), true, small ? "gemm_naive_bias" : "gemm_nn_bias"));
                table.add(row(new MatMul(false, false, 1f, x, w, 0f, y, Epilogue.forward(null, Activation.RELU, null)),
                        false, small ? gemm : "gemm_nn", "relu_forward"));
                table.add(row(new MatMul(false, false, 1f, x, w, 0f, y, Epilogue.forward(null, Activation.LINEAR,
                        Mask.fixed(0.5f, 1, 0))), false, small ? gemm : "gemm_nn", "dropout_forward"));
                table.add(row(new MatMul(false, true, 2f, dY, w, 0f, dX, Epilogue.gate(Activation.RELU, x)), true,
                        masked));
                table.add(row(new MatMul(false, true, 2f, dY, w, 0f, dX, Epilogue.gate(Activation.SIGMOID, x)), false,
                        concat(plainNt, new String[] {"act_backward"})));
                table.add(row(new MatMul(false, true, 2f, dY, w, 0f, dX, Epilogue.gate(Activation.LINEAR, x)), true,
                        plainNt));
                Composite weights = Composite.denseWeightGrads(x, dY, dW, dBias);
                table.add(row(weights, small, small ? new String[] {"gemm_naive_wgrad"}
                        : new String[] {"gemm_tn", "column_sum"}));
                MatMul gated = new MatMul(false, true, 2f, dY, w, 0f, dX, Epilogue.gate(Activation.RELU, x));
                Composite backward = new Composite(Composite.Kind.DENSE_BACKWARD,
                        List.of(weights.parts().get(0), weights.parts().get(1), gated));
                table.add(row(backward, small, small ? new String[] {"dense_backward_naive"}
                        : concat(new String[] {"gemm_tn", "column_sum"}, masked)));
                MseLoss mse = new MseLoss(y, target, loss, false, dPred);
                Composite mseBackward = new Composite(Composite.Kind.MSE_DENSE_BACKWARD, List.of(mse,
                        MatMul.of(true, false, 1f, x, dPred, 0f, dW), new ColumnSum(dPred, dBias),
                        new MatMul(false, true, 2f, dPred, w, 0f, dX, Epilogue.gate(Activation.RELU, x))));
                table.add(row(mseBackward, small, small ? new String[] {"dense_mse_backward_naive"}
                        : concat(new String[] {"mse_forward_backward", "gemm_tn", "column_sum"}, masked)));
                table.add(row(new Act(Activation.LINEAR, y, y), true));
                table.add(row(new Fill(y, 1f), true, "fill"));
                for (Object[] r : table) {
                    Op op = (Op) r[0];
                    String what = op + " at B, I, O = " + b + ", " + i + ", " + o + " on " + TestBackends.label(cl);
                    assertEquals(r[1], cl.fuses(op), what);
                    assertEquals(Arrays.asList((String[]) r[2]), cl.kernels(op), what);
                    cl.run(op);
                }
                cl.finish();
            }
        }
    }

    @OpenClTest
    void compositesAsOneKernelGiveWhatTheirPartsGive(OpenClBackend cl) {
        SplittableRandom rng = new SplittableRandom(4);
        int b = 9;
        int i = 5;
        int o = 3;
        try (Owned own = new Owned()) {
            Tensor h = own.add(rand(cl, rng, b, i));
            Tensor w = own.add(rand(cl, rng, i, o));
            Tensor pred = own.add(rand(cl, rng, b, o));
            Tensor target = own.add(rand(cl, rng, b, o));
            Tensor[] fused = own.add(outputs(cl, b, i, o));
            Tensor[] parts = own.add(outputs(cl, b, i, o));
            for (boolean withMse : new boolean[] {false, true}) {
                Composite one = backward(withMse, h, w, pred, target, fused);
                Composite two = backward(withMse, h, w, pred, target, parts);
                assertEquals(true, cl.fuses(one));
                cl.run(one);
                two.parts().forEach(cl::run);
                String what = one.name() + " on " + TestBackends.label(cl);
                List<Tensor> got = one.outputs();
                List<Tensor> ref = two.outputs();
                assertEquals(withMse ? 5 : 3, got.size(), what);
                for (int t = 0; t < got.size(); t++) {
                    assertClose(what + " output " + got.get(t).name(), doubles(ref.get(t).toArray()),
                            got.get(t).toArray(), GEMM);
                }
            }
        }
    }

    @OpenClTest
    void preparedLaunchesReplayWhatRunComputes(OpenClBackend cl) {
        SplittableRandom rng = new SplittableRandom(5);
        int b = 33;
        int i = 70;
        int o = 130;
        Counter offset = Counter.of(3);
        try (Owned own = new Owned()) {
            Tensor x = own.add(rand(cl, rng, b, i));
            Tensor w = own.add(rand(cl, rng, i, o));
            Tensor bias = own.add(rand(cl, rng, o));
            Tensor y = own.add(rand(cl, rng, b, o));
            Tensor y2 = own.add(nans(cl, b, o));
            Tensor dY = own.add(rand(cl, rng, b, o));
            Tensor target = own.add(rand(cl, rng, b, o));
            Tensor labels = own.add(Tensor.of(cl, labels(rng, b, o), b));
            Tensor[] grads = own.add(outputs(cl, b, i, o));
            Tensor loss = own.add(nans(cl, 1));
            Tensor dPred = own.add(nans(cl, b, o));
            Mask mask = new Mask(0.25f, 7, offset);
            List<Op> ops = List.of(
                    new MatMul(false, false, 1f, x, w, 0f, y, Epilogue.forward(bias, Activation.RELU, mask)),
                    new MatMul(false, false, 1f, x, w, 0f, y2, Epilogue.forward(bias, Activation.SIGMOID, null)),
                    MatMul.of(true, false, 1f, x, dY, 0f, grads[0]),
                    new MatMul(false, true, 4f / 3, dY, w, 0f, grads[2], Epilogue.gate(Activation.RELU, x)),
                    backward(false, x, w, y, target, grads),
                    backward(true, x, w, y, target, grads),
                    Composite.denseWeightGrads(x, dY, grads[0], grads[1]),
                    new MseLoss(y, target, loss, false, dPred),
                    new MseLoss(y, target, loss, true, null),
                    new SoftmaxCrossEntropy(y, labels, loss, false, dPred),
                    new ApplyMask(dY, mask, dPred),
                    new BiasAct(dY, bias, Activation.TANH, dPred),
                    new ColumnSum(dY, grads[1]),
                    new Sum(dY, loss, true),
                    new Fill(dPred, -2f));
            for (Op op : ops) {
                String what = op + " on " + TestBackends.label(cl);
                Backend.Launch launch = cl.prepare(op);
                for (long counter : new long[] {3, 0xFFFF_FFFFL, 5}) {
                    offset.set(counter);
                    poison(op);
                    cl.run(op);
                    List<float[]> expected = op.outputs().stream().map(Tensor::toArray).toList();
                    poison(op);
                    launch.run();
                    for (int t = 0; t < expected.size(); t++) {
                        assertArrayEquals(expected.get(t), op.outputs().get(t).toArray(),
                                what + " output " + t + " at counter " + counter);
                    }
                }
            }
        }
    }

    @OpenClTest
    void aClassifiersNarrowProductsRunRegisterBlockedOnACpu(OpenClBackend cl) {
        SplittableRandom rng = new SplittableRandom(9);
        int b = 128;
        int i = 512;
        int o = 10;
        boolean cpu = cl.define("GEMM_DIRECT", 0) != 0;
        try (Owned own = new Owned()) {
            Tensor x = own.add(rand(cl, rng, b, i));
            Tensor w = own.add(rand(cl, rng, i, o));
            Tensor bias = own.add(rand(cl, rng, o));
            Tensor y = own.add(nans(cl, b, o));
            Tensor dY = own.add(rand(cl, rng, b, o));
            Tensor dW = own.add(nans(cl, i, o));
            Tensor dBias = own.add(nans(cl, o));
            MatMul forward = new MatMul(false, false, 1f, x, w, 0f, y, Epilogue.forward(bias, Activation.LINEAR, null));
            Composite grads = Composite.denseWeightGrads(x, dY, dW, dBias);
            String what = "the " + b + " x " + i + " x " + o + " classifier on " + TestBackends.label(cl);
            boolean tiled = !GemmRoutine.naive(cl, forward.shape());
            assertEquals(List.of(tiled ? "gemm_nn_bias" : cpu ? "gemm_smallk_bias" : "gemm_naive_bias"),
                    cl.kernels(forward), what);
            boolean tiledGrads = !GemmRoutine.naive(cl, grads.weightGrad().shape());
            assertEquals(tiledGrads ? List.of("gemm_tn", "column_sum")
                    : cpu ? List.of("gemm_splitk_wgrad", "gemm_splitk_sum") : List.of("gemm_naive_wgrad"),
                    cl.kernels(grads), what);
            cl.run(forward);
            cl.run(grads);
            double[] xs = doubles(x.toArray());
            double[] ref = MatMul.reference(false, false, b, o, i, 1, xs, doubles(w.toArray()), 0, null);
            float[] bs = bias.toArray();
            for (int r = 0; r < b; r++) {
                for (int c = 0; c < o; c++) {
                    ref[r * o + c] += bs[c];
                }
            }
            assertClose(what + " forward", ref, y.toArray(), GEMM);
            double[] dys = doubles(dY.toArray());
            assertClose(what + " dW", MatMul.reference(true, false, i, o, b, 1, xs, dys, 0, null), dW.toArray(), GEMM);
            double[] sums = new double[o];
            for (int r = 0; r < b; r++) {
                for (int c = 0; c < o; c++) {
                    sums[c] += dys[r * o + c];
                }
            }
            assertClose(what + " dBias", sums, dBias.toArray(), GEMM);
        }
    }

    @OpenClTest
    void longKWeightGradientsSplitKIntoScratchReservedWhenPrepared(OpenClBackend cl) {
        SplittableRandom rng = new SplittableRandom(8);
        int b = 3001;
        try (Owned own = new Owned()) {
            Tensor dY = own.add(rand(cl, rng, b, 33));
            Tensor xNarrow = own.add(rand(cl, rng, b, 9));
            Tensor xWide = own.add(rand(cl, rng, b, 40));
            Tensor[] narrow = {own.add(nans(cl, 9, 33)), own.add(nans(cl, 33))};
            Tensor[] wide = {own.add(nans(cl, 40, 33)), own.add(nans(cl, 33))};
            Composite first = Composite.denseWeightGrads(xNarrow, dY, narrow[0], narrow[1]);
            Composite second = Composite.denseWeightGrads(xWide, dY, wide[0], wide[1]);
            String what = first + " on " + TestBackends.label(cl);
            long before = cl.scratch().floats();
            assertEquals(false, cl.fuses(first), what);
            assertEquals(List.of("gemm_splitk_wgrad", "gemm_splitk_sum"), cl.kernels(first), what);
            assertEquals(before, cl.scratch().floats(), "asking for the kernels reserves nothing");
            Backend.Launch one = cl.prepare(first);
            assertTrue(cl.scratch().floats() >= 2 * 10 * 33, "prepare reserves the partial sums of two chunks or more: "
                    + cl.scratch().floats());
            one.run();
            float[] dW = narrow[0].toArray();
            float[] dBias = narrow[1].toArray();
            assertClose(what + " dW", MatMul.reference(true, false, 9, 33, b, 1, doubles(xNarrow.toArray()),
                    doubles(dY.toArray()), 0, null), dW, GEMM);
            double[] sums = new double[33];
            float[] dys = dY.toArray();
            for (int r = 0; r < b; r++) {
                for (int c = 0; c < 33; c++) {
                    sums[c] += dys[r * 33 + c];
                }
            }
            assertClose(what + " dBias", sums, dBias, GEMM);
            Backend.Launch two = cl.prepare(second);
            assertTrue(cl.scratch().floats() >= 2 * 41 * 33, "a wider product grows the scratch area: "
                    + cl.scratch().floats());
            long grown = cl.scratch().floats();
            for (int rep = 0; rep < 3; rep++) {
                poison(first);
                one.run();
                assertArrayEquals(dW, narrow[0].toArray(), what + ": replayed after the scratch area grew, " + rep);
                assertArrayEquals(dBias, narrow[1].toArray(), what + " dBias: replayed, " + rep);
                two.run();
                poison(first);
                cl.run(first);
                assertArrayEquals(dW, narrow[0].toArray(), what + ": the same bits when run, " + rep);
                assertArrayEquals(dBias, narrow[1].toArray(), what + " dBias: the same bits when run, " + rep);
            }
            assertEquals(grown, cl.scratch().floats(), "replays allocate nothing");
        }
    }

    @OpenClTest
    void preparedLaunchesOfOneKernelKeepTheirOwnArguments(OpenClBackend cl) {
        SplittableRandom rng = new SplittableRandom(6);
        try (Tensor x1 = rand(cl, rng, 4, 3); Tensor x2 = rand(cl, rng, 4, 3); Tensor w = rand(cl, rng, 3, 2);
             Tensor bias = rand(cl, rng, 2); Tensor y1 = nans(cl, 4, 2); Tensor y2 = nans(cl, 4, 2);
             Tensor r1 = nans(cl, 4, 2); Tensor r2 = nans(cl, 4, 2)) {
            Epilogue e = Epilogue.forward(bias, Activation.RELU, Mask.fixed(0.5f, 9, 0));
            Backend.Launch first = cl.prepare(new MatMul(false, false, 1f, x1, w, 0f, y1, e));
            Backend.Launch second = cl.prepare(new MatMul(false, false, 1f, x2, w, 0f, y2, e));
            second.run();
            first.run();
            cl.run(new MatMul(false, false, 1f, x1, w, 0f, r1, e));
            cl.run(new MatMul(false, false, 1f, x2, w, 0f, r2, e));
            assertArrayEquals(r1.toArray(), y1.toArray());
            assertArrayEquals(r2.toArray(), y2.toArray());
        }
    }

    @OpenClTest
    void preparedAdamReadsItsStepAtEachLaunch(OpenClBackend cl) {
        SplittableRandom rng = new SplittableRandom(7);
        int n = 1001;
        float[] p0 = random(rng, n, 1);
        float[] g = random(rng, n, 1);
        AdamHyper hyper = AdamHyper.adamW(1e-2f, 0.01f);
        try (Tensor p1 = Tensor.of(cl, p0, n); Tensor m1 = Tensor.zeros(cl, Shape.of(n));
             Tensor v1 = Tensor.zeros(cl, Shape.of(n)); Tensor p2 = Tensor.of(cl, p0, n);
             Tensor m2 = Tensor.zeros(cl, Shape.of(n)); Tensor v2 = Tensor.zeros(cl, Shape.of(n));
             Tensor grads = Tensor.of(cl, g, n)) {
            Counter step = Counter.of(1);
            Backend.Launch replayed = cl.prepare(new AdamUpdate(p2, grads, m2, v2, hyper, step));
            for (int t = 1; t <= 4; t++) {
                cl.run(new AdamUpdate(p1, grads, m1, v1, hyper, Counter.of(t)));
                replayed.run();
                step.getAndAdd(1);
            }
            assertArrayEquals(p1.toArray(), p2.toArray(), "params after 4 steps");
            assertArrayEquals(m1.toArray(), m2.toArray(), "m after 4 steps");
            assertArrayEquals(v1.toArray(), v2.toArray(), "v after 4 steps");
        }
    }

    @OpenClTest
    void theProfileNamesEachLaunchsOpAndCost(OpenClBackend cl) {
        SplittableRandom rng = new SplittableRandom(8);
        List<ProfileSink.KernelRecord> records = new ArrayList<>();
        ProfileSink sink = new ProfileSink() {
            @Override
            public void kernel(KernelRecord record) {
                records.add(record);
            }

            @Override
            public void span(HostSpan span) {
            }
        };
        for (int[] bio : new int[][] {{4, 3, 2}, {128, 256, 256}}) {
            int b = bio[0];
            int i = bio[1];
            int o = bio[2];
            try (Owned own = new Owned()) {
                Tensor h = own.add(rand(cl, rng, b, i));
                Tensor w = own.add(rand(cl, rng, i, o));
                Tensor pred = own.add(rand(cl, rng, b, o));
                Tensor target = own.add(rand(cl, rng, b, o));
                Tensor[] grads = own.add(outputs(cl, b, i, o));
                Composite op = backward(false, h, w, pred, target, grads);
                List<Op> expected = cl.fuses(op) ? List.of(op)
                        : List.of(op.parts().get(0), op.parts().get(1), op.parts().get(2));
                Backend.Launch launch = cl.prepare(op);
                cl.profile(sink);
                try {
                    cl.run(op);
                    launch.run();
                    cl.finish();
                } finally {
                    cl.profile(null);
                }
                String what = op + " on " + TestBackends.label(cl);
                // One record per launch: a packed product's pack declares no FLOPs, the product the op's cost.
                List<Op> perLaunch = new ArrayList<>();
                for (Op e : expected) {
                    for (String k : cl.kernels(e)) {
                        perLaunch.add(k.startsWith("gemm_pack_") ? null : e);
                    }
                }
                assertEquals(2 * perLaunch.size(), records.size(), what + ": " + records);
                for (int r = 0; r < records.size(); r++) {
                    Op e = perLaunch.get(r % perLaunch.size());
                    if (e == null) {
                        assertEquals(0.0, records.get(r).flops(), what + " record " + r + " (a pack)");
                        continue;
                    }
                    assertEquals(e.name(), records.get(r).op(), what + " record " + r);
                    assertEquals(e.cost().flops(), records.get(r).flops(), what + " record " + r);
                    assertEquals(e.cost().bytes(), records.get(r).bytes(), what + " record " + r);
                }
                records.clear();
            }
        }
    }

    /** DENSE_BACKWARD (or MSE_DENSE_BACKWARD with pred, target) into out = {dW, dBias, dX, loss, dPred}. */
    private static Composite backward(boolean withMse, Tensor h, Tensor w, Tensor pred, Tensor target, Tensor[] out) {
        Tensor dY = withMse ? out[4] : pred;
        MatMul dW = MatMul.of(true, false, 1f, h, dY, 0f, out[0]);
        ColumnSum dBias = new ColumnSum(dY, out[1]);
        MatMul dX = new MatMul(false, true, 2f, dY, w, 0f, out[2], Epilogue.gate(Activation.RELU, h));
        return withMse
                ? new Composite(Composite.Kind.MSE_DENSE_BACKWARD,
                        List.of(new MseLoss(pred, target, out[3], false, out[4]), dW, dBias, dX))
                : new Composite(Composite.Kind.DENSE_BACKWARD, List.of(dW, dBias, dX));
    }

    /** dW: (I, O), dBias: (O), dX: (B, I), loss: (1), dPred: (B, O), poisoned. */
    private static Tensor[] outputs(OpenClBackend cl, int b, int i, int o) {
        return new Tensor[] {nans(cl, i, o), nans(cl, o), nans(cl, b, i), nans(cl, 1), nans(cl, b, o)};
    }

    /** NaN in every output, 0.5 in an output that is also read (an accumulated loss). */
    private static void poison(Op op) {
        for (Tensor t : op.outputs()) {
            float[] v = new float[Math.toIntExact(t.shape().size())];
            Arrays.fill(v, op.inputs().contains(t) ? 0.5f : Float.NaN);
            t.copyFrom(v);
        }
    }

    /** The tensors of one test, closed together in reverse order. */
    private static final class Owned implements AutoCloseable {
        private final List<Tensor> tensors = new ArrayList<>();

        Tensor add(Tensor t) {
            tensors.add(t);
            return t;
        }

        Tensor[] add(Tensor[] ts) {
            tensors.addAll(Arrays.asList(ts));
            return ts;
        }

        @Override
        public void close() {
            for (int i = tensors.size() - 1; i >= 0; i--) {
                tensors.get(i).close();
            }
        }
    }

    private static String[] concat(String[] first, String[] then) {
        String[] out = Arrays.copyOf(first, first.length + then.length);
        System.arraycopy(then, 0, out, first.length, then.length);
        return out;
    }

    private static Object[] row(Op op, boolean fuses, String... kernels) {
        return new Object[] {op, fuses, kernels};
    }

    private static Tensor nans(OpenClBackend cl, int... dims) {
        float[] v = new float[Arrays.stream(dims).reduce(1, (a, c) -> a * c)];
        Arrays.fill(v, Float.NaN);
        return Tensor.of(cl, v, dims);
    }

    private static Tensor rand(OpenClBackend cl, SplittableRandom rng, int... dims) {
        return Tensor.of(cl, random(rng, Arrays.stream(dims).reduce(1, (a, c) -> a * c), 1), dims);
    }

    private static float[] random(SplittableRandom rng, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((rng.nextDouble() * 2 - 1) * scale);
        }
        return v;
    }

    private static float[] labels(SplittableRandom rng, int b, int classes) {
        float[] v = new float[b];
        for (int i = 0; i < b; i++) {
            v[i] = rng.nextInt(classes);
        }
        return v;
    }

    private static double[] doubles(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }
}
