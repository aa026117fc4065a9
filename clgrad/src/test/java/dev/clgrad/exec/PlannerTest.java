package dev.clgrad.exec;

import dev.clgrad.model.Sequential;
import dev.clgrad.nn.BatchNormalization;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Dropout;
import dev.clgrad.nn.Flatten;
import dev.clgrad.nn.GlobalAveragePooling2D;
import dev.clgrad.nn.Layer;
import dev.clgrad.nn.MaxPooling2D;
import dev.clgrad.nn.ParameterStore;
import dev.clgrad.nn.ReLU;
import dev.clgrad.nn.SpatialDropout2D;
import dev.clgrad.ops.AccuracyCount;
import dev.clgrad.ops.ActBackward;
import dev.clgrad.ops.AdamUpdate;
import dev.clgrad.ops.ApplyChannelMask;
import dev.clgrad.ops.BatchNormApply;
import dev.clgrad.ops.BatchNormBackward;
import dev.clgrad.ops.BatchNormStats;
import dev.clgrad.ops.ColumnSum;
import dev.clgrad.ops.Composite;
import dev.clgrad.ops.Epilogue;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.MseLoss;
import dev.clgrad.ops.Op;
import dev.clgrad.ops.Philox;
import dev.clgrad.ops.Pool;
import dev.clgrad.ops.SoftmaxCrossEntropy;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused plans of whole models, read from what a {@link RecordingBackend} ran: one training step
 * (or inference batch) of a real {@link Sequential} with zero-filled batches, no OpenCL and no
 * arithmetic. Each test states the launches in order — op kind, epilogue, composite parts — and
 * which tensors each reads and writes, so a change to the lowering or the fusion rules shows here as
 * a changed plan, not as a changed kernel name.
 *
 * <p>Signatures ({@link #signature}) leave tensors out: {@code matmul NN [+bias relu mask]},
 * {@code matmul NT alpha=2.0 [gate relu]}, {@code denseWeightGrads(matmul TN, columnSum)}.
 */
class PlannerTest {
    private static final String FORWARD_RELU_MASK = "matmul NN [+bias relu mask]";
    private static final String FORWARD_RELU = "matmul NN [+bias relu]";
    private static final String FORWARD_LINEAR = "matmul NN [+bias]";
    private static final String WEIGHT_GRADS = "denseWeightGrads(matmul TN, columnSum)";
    private static final String RELU_BACKWARD_AFTER_DROPOUT = "denseBackward(matmul TN, columnSum, matmul NT alpha=2.0 [gate relu])";

    // ---- the models ----------------------------------------------------------------------------

    /** The seed SimpleNet: 20 → Dense(10, relu) → Dropout(0.5) → Dense(1), MSE, Adam. */
    private static Sequential seed(RecordingBackend b) {
        Sequential m = new Sequential(b, 42);
        m.add(new Dense(10, "relu")).add(new Dropout(0.5)).add(new Dense(1));
        return m.compile("adam", "mse").build(20);
    }

    /** The Fashion-MNIST MLP: 784 → Dense(512, relu) → Dropout(.5) → Dense(512, relu) → Dropout(.5) → Dense(10). */
    private static Sequential mlp(RecordingBackend b) {
        Sequential m = new Sequential(b, 42);
        m.add(new Dense(512, "relu")).add(new Dropout(0.5)).add(new Dense(512, "relu")).add(new Dropout(0.5))
                .add(new Dense(10));
        return m.compile("adam", "sparse_categorical_crossentropy", "accuracy").build(784);
    }

    /** One training step on zero-filled x: (rows·I) and y: (rows·T); returns what ran. */
    private static List<RecordingBackend.Run> trainStep(RecordingBackend b, Sequential m, int rows) {
        m.reserve(rows);
        b.clearRuns();
        m.trainBatch(new float[rows * m.inFeatures()], new float[rows * m.targetColumns()], rows);
        return b.runs();
    }

    private static List<Op> ops(List<RecordingBackend.Run> runs) {
        return runs.stream().map(RecordingBackend.Run::op).toList();
    }

    // ---- the plans -----------------------------------------------------------------------------

    @Test
    void seedStepIsFiveLaunches() {
        RecordingBackend b = new RecordingBackend();
        try (Sequential m = seed(b)) {
            List<RecordingBackend.Run> runs = trainStep(b, m, 32);
            List<Op> ops = ops(runs);
            assertEquals(List.of(FORWARD_RELU_MASK, FORWARD_LINEAR,
                    "mseDenseBackward(mseForwardBackward, matmul TN, columnSum, matmul NT alpha=2.0 [gate relu])",
                    WEIGHT_GRADS, "adamStep"), signatures(ops), plan(runs));
            assertEquals(List.of("dense_1.forward+dropout_1.forward", "dense_2.forward",
                    "loss+dense_2.backward+dropout_1.backward+dense_1.backward", "dense_1.backward", "optimizer"),
                    runs.stream().map(RecordingBackend.Run::label).toList(), plan(runs));
            ParameterStore store = m.parameterStore();

            MatMul dense1 = (MatMul) ops.get(0);
            assertEquals("input", dense1.a().name());
            assertEquals("(32, 20)", dense1.a().shape().toString());
            assertSame(store.params().buffer(), dense1.b().buffer());
            assertSameStorage(store.value("dense_1.kernel"), dense1.b());
            assertSameStorage(store.value("dense_1.bias"), dense1.epilogue().bias());
            Dropout dropout = (Dropout) m.layers().get(1);
            assertEquals(0.5f, dense1.epilogue().mask().rate());
            assertEquals(dropout.seed(), dense1.epilogue().mask().seed());
            Tensor h = dense1.c();
            assertEquals("dropout_1.y", h.name(), "the product is stored masked: no separate dense_1.y");

            MatMul dense2 = (MatMul) ops.get(1);
            assertSameStorage(h, dense2.a());
            assertSameStorage(store.value("dense_2.kernel"), dense2.b());
            Tensor pred = dense2.c();

            Composite last = (Composite) ops.get(2);
            assertEquals(Composite.Kind.MSE_DENSE_BACKWARD, last.kind());
            MseLoss mse = last.mse();
            assertSameStorage(pred, mse.pred());
            assertEquals("target", mse.target().name());
            assertNotNull(mse.loss(), "the loss is computed in the same launch");
            assertTrue(mse.accumulate(), "the loss adds to the device sum");
            Tensor dPred = mse.dPred();
            assertSameStorage(h, last.weightGrad().a());
            assertSameStorage(dPred, last.weightGrad().b());
            assertSameStorage(store.gradient("dense_2.kernel"), last.weightGrad().c());
            assertSameStorage(dPred, last.columnSum().x());
            assertSameStorage(store.gradient("dense_2.bias"), last.columnSum().out());
            MatMul dX = last.inputGrad();
            assertSameStorage(dPred, dX.a());
            assertSameStorage(store.value("dense_2.kernel"), dX.b());
            assertSameStorage(h, dX.epilogue().gate(), "the gate is dense_1's masked output");
            assertEquals(Philox.keepScale(0.5f), dX.alpha(), "alpha carries dropout's 1/(1-p)");
            assertEquals(2f, dX.alpha());

            Composite first = (Composite) ops.get(3);
            assertEquals(Composite.Kind.DENSE_WEIGHT_GRADS, first.kind());
            assertSameStorage(dense1.a(), first.weightGrad().a(), "dense_1's weight gradient reads the batch input");
            assertSameStorage(dX.c(), first.weightGrad().b());
            assertSameStorage(store.gradient("dense_1.kernel"), first.weightGrad().c());
            assertSameStorage(store.gradient("dense_1.bias"), first.columnSum().out());

            AdamUpdate adam = (AdamUpdate) ops.get(4);
            assertSameStorage(store.params(), adam.params());
            assertSameStorage(store.grads(), adam.grads());

            String explain = m.explain(32);
            assertTrue(explain.startsWith("training step, batch 32 on recording: 5 fused ops, 5 kernel launches after the batch upload"),
                    explain);
            assertTrue(explain.contains("fuses matmul + biasRelu + dropout; one kernel, matmul"), explain);
            assertTrue(explain.contains("fuses mseForwardBackward + matmul + columnSum + matmul + dropout + reluBackward;"
                    + " one kernel, mseDenseBackward"), explain);
            assertFalse(explain.contains("kernels here"), "every launch is one kernel on an OpenCL-like backend:\n" + explain);
        }
        assertEquals(0, b.liveBuffers(), "buffers left after close");
    }

    @Test
    void fashionMnistMlpStep() {
        RecordingBackend b = new RecordingBackend();
        try (Sequential m = mlp(b)) {
            List<RecordingBackend.Run> runs = trainStep(b, m, 128);
            List<Op> ops = ops(runs);
            assertEquals(List.of(FORWARD_RELU_MASK, FORWARD_RELU_MASK, FORWARD_LINEAR,
                    "softmaxCrossEntropyForwardBackward", "accuracyCount", RELU_BACKWARD_AFTER_DROPOUT,
                    RELU_BACKWARD_AFTER_DROPOUT, WEIGHT_GRADS, "adamStep"), signatures(ops), plan(runs));
            assertEquals(9, ops.size(), "launches of one MLP step:\n" + plan(runs));
            assertEquals(List.of("dense_1.forward+dropout_1.forward", "dense_2.forward+dropout_2.forward",
                    "dense_3.forward", "loss", "loss", "dense_3.backward+dropout_2.backward+dense_2.backward",
                    "dense_2.backward+dropout_1.backward+dense_1.backward", "dense_1.backward", "optimizer"),
                    runs.stream().map(RecordingBackend.Run::label).toList(), plan(runs));
            ParameterStore store = m.parameterStore();

            MatMul d1 = (MatMul) ops.get(0);
            MatMul d2 = (MatMul) ops.get(1);
            MatMul d3 = (MatMul) ops.get(2);
            assertEquals("input", d1.a().name());
            assertEquals("(128, 784)", d1.a().shape().toString());
            assertSameStorage(d1.c(), d2.a());
            assertSameStorage(d2.c(), d3.a());
            assertEquals(((Dropout) m.layers().get(1)).seed(), d1.epilogue().mask().seed());
            assertEquals(((Dropout) m.layers().get(3)).seed(), d2.epilogue().mask().seed());
            assertNotSame(d1.epilogue().mask().offset(), d2.epilogue().mask().offset(), "each dropout has its own counter");

            SoftmaxCrossEntropy sce = (SoftmaxCrossEntropy) ops.get(3);
            assertSameStorage(d3.c(), sce.pred());
            assertNotNull(sce.loss(), "the loss and its gradient in one launch");
            assertNotNull(sce.dPred(), "the loss and its gradient in one launch");
            AccuracyCount acc = (AccuracyCount) ops.get(4);
            assertSameStorage(d3.c(), acc.logits());
            assertSameStorage(sce.labels(), acc.labels());
            Tensor dPred = sce.dPred();

            Composite back3 = (Composite) ops.get(5);
            assertEquals(Composite.Kind.DENSE_BACKWARD, back3.kind());
            assertSameStorage(d2.c(), back3.weightGrad().a());
            assertSameStorage(dPred, back3.weightGrad().b());
            assertSameStorage(store.gradient("dense_3.kernel"), back3.weightGrad().c());
            assertSameStorage(store.gradient("dense_3.bias"), back3.columnSum().out());
            assertSameStorage(d2.c(), back3.inputGrad().epilogue().gate());
            assertSameStorage(store.value("dense_3.kernel"), back3.inputGrad().b());

            Composite back2 = (Composite) ops.get(6);
            assertEquals(Composite.Kind.DENSE_BACKWARD, back2.kind());
            assertSameStorage(d1.c(), back2.weightGrad().a());
            assertSameStorage(back3.inputGrad().c(), back2.weightGrad().b());
            assertSameStorage(store.gradient("dense_2.kernel"), back2.weightGrad().c());
            assertSameStorage(d1.c(), back2.inputGrad().epilogue().gate());
            assertSameStorage(store.value("dense_2.kernel"), back2.inputGrad().b());

            Composite back1 = (Composite) ops.get(7);
            assertSameStorage(d1.a(), back1.weightGrad().a());
            assertSameStorage(back2.inputGrad().c(), back1.weightGrad().b());
            assertSameStorage(store.gradient("dense_1.kernel"), back1.weightGrad().c());

            String explain = m.explain(128);
            assertTrue(explain.startsWith("training step, batch 128 on recording: 9 fused ops, 9 kernel launches"), explain);
        }
        assertEquals(0, b.liveBuffers(), "buffers left after close");
    }

    @Test
    void standaloneReluPlansLikeTheDenseActivation() {
        RecordingBackend b = new RecordingBackend();
        List<RecordingBackend.Run> standalone;
        List<RecordingBackend.Run> inDense;
        try (Sequential m = new Sequential(b, 7)) {
            m.add(new Dense(64)).add(new ReLU()).add(new Dropout(0.5)).add(new Dense(10));
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy").build(20);
            standalone = trainStep(b, m, 16);
        }
        try (Sequential m = new Sequential(b, 7)) {
            m.add(new Dense(64, "relu")).add(new Dropout(0.5)).add(new Dense(10));
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy").build(20);
            inDense = trainStep(b, m, 16);
        }
        assertEquals(List.of(FORWARD_RELU_MASK, FORWARD_LINEAR, "softmaxCrossEntropyForwardBackward", "accuracyCount",
                RELU_BACKWARD_AFTER_DROPOUT, WEIGHT_GRADS, "adamStep"), signatures(ops(inDense)), plan(inDense));
        assertEquals(signatures(ops(inDense)), signatures(ops(standalone)),
                "Dense(64) → ReLU() plans like Dense(64, relu):\n" + plan(standalone) + "\nvs\n" + plan(inDense));
        assertEquals("dense_1.forward+re_lu_1.forward+dropout_1.forward", standalone.get(0).label());
        assertEquals("dense_2.backward+dropout_1.backward+re_lu_1.backward", standalone.get(4).label());
        assertEquals(0, b.liveBuffers());
    }

    @Test
    void tanhGateFusesIntoTheInputGradientButNoCompositeBackward() {
        RecordingBackend b = new RecordingBackend();
        try (Sequential m = new Sequential(b, 3)) {
            m.add(new Dense(8, "tanh")).add(new Dense(3)).compile("adam", "mse").build(5);
            List<RecordingBackend.Run> runs = trainStep(b, m, 4);
            List<Op> ops = ops(runs);
            assertEquals(List.of("matmul NN [+bias tanh]", FORWARD_LINEAR, "mseForwardBackward", WEIGHT_GRADS,
                    "matmul NT [gate tanh]", WEIGHT_GRADS, "adamStep"), signatures(ops), plan(runs));
            MatMul dense1 = (MatMul) ops.get(0);
            MatMul dX = (MatMul) ops.get(4);
            assertEquals("dense_2.backward+dense_1.backward", runs.get(4).label());
            assertSameStorage(dense1.c(), dX.epilogue().gate(), "gated by tanh'(dense_1.y) = 1 − y²");
            assertEquals(1f, dX.alpha());
            assertSameStorage(dX.c(), ((Composite) ops.get(5)).weightGrad().b());
            assertFalse(b.fuses(dX), "no tanh-gated kernel on an OpenCL-like backend");
            String explain = m.explain(4);
            assertTrue(explain.contains("fuses matmul + tanhBackward; 2 kernels here"), explain);
        }
        assertEquals(0, b.liveBuffers());
    }

    /** Dense applies to the last axis: on (3, 5) samples its products are (B·3, ·) matrices, fused as on flat ones. */
    @Test
    void denseOnRankThreeSamplesFusesLikeTheSeed() {
        RecordingBackend b = new RecordingBackend();
        try (Sequential m = new Sequential(b, 5)) {
            m.add(new Dense(4, "relu")).add(new Dropout(0.5)).add(new Flatten()).add(new Dense(2));
            m.compile("adam", "mse").build(Shape.of(3, 5));
            List<RecordingBackend.Run> runs = trainStep(b, m, 6);
            List<Op> ops = ops(runs);
            assertEquals(List.of(FORWARD_RELU_MASK, FORWARD_LINEAR,
                    "mseDenseBackward(mseForwardBackward, matmul TN, columnSum, matmul NT alpha=2.0 [gate relu])",
                    WEIGHT_GRADS, "adamStep"), signatures(ops), plan(runs));
            MatMul dense1 = (MatMul) ops.get(0);
            assertEquals("(18, 5)", dense1.a().shape().toString(), "x: (6, 3, 5) as (6·3, 5)");
            assertEquals("(18, 4)", dense1.c().shape().toString());
            MatMul dense2 = (MatMul) ops.get(1);
            assertEquals("(6, 12)", dense2.a().shape().toString(), "flattened: a view, no launch");
            assertSameStorage(dense1.c(), dense2.a());
            Composite last = (Composite) ops.get(2);
            assertEquals("(6, 12)", last.inputGrad().c().shape().toString());
            assertSameStorage(dense1.c(), last.inputGrad().epilogue().gate());
            Composite first = (Composite) ops.get(3);
            assertEquals("(18, 4)", first.weightGrad().b().shape().toString());
            assertSameStorage(last.inputGrad().c(), first.weightGrad().b());
        }
        assertEquals(0, b.liveBuffers());
    }

    @Test
    void mlpInferenceIsThreeMatMulsWithoutMasks() {
        RecordingBackend b = new RecordingBackend();
        try (Sequential m = mlp(b)) {
            m.reserve(128);
            b.clearRuns();
            m.predictBatch(new float[128 * 784], 128, new float[128 * 10], 0);
            List<RecordingBackend.Run> runs = b.runs();
            List<Op> ops = ops(runs);
            assertEquals(List.of(FORWARD_RELU, FORWARD_RELU, FORWARD_LINEAR), signatures(ops), plan(runs));
            for (Op op : ops) {
                assertNull(((MatMul) op).epilogue().mask(), "no dropout at inference: " + op);
            }
            assertSameStorage(((MatMul) ops.get(0)).c(), ((MatMul) ops.get(1)).a());
            assertSameStorage(((MatMul) ops.get(1)).c(), ((MatMul) ops.get(2)).a());

            b.clearRuns();
            m.testBatch(new float[128 * 784], new float[128], 128);
            assertEquals(List.of(FORWARD_RELU, FORWARD_RELU, FORWARD_LINEAR, "softmaxCrossEntropyForward",
                    "accuracyCount"), signatures(ops(b.runs())), plan(b.runs()));
        }
        assertEquals(0, b.liveBuffers());
    }

    @Test
    void mlpWorkspaceIsSmallerThanPerLayerBuffers() {
        RecordingBackend b = new RecordingBackend();
        int rows = 128;
        try (Sequential m = mlp(b)) {
            long perLayerFloats = 0;
            for (Layer l : m.layers()) {
                perLayerFloats += (long) rows * (l.inputShape().size() + l.outputShape().size());
            }
            perLayerFloats += (long) rows * 10;
            long perLayerBytes = perLayerFloats * Float.BYTES;

            String explain = m.explain(rows);
            Matcher peakLine = Pattern.compile("peak workspace: .* \\(([0-9,]+) bytes\\) in one arena; per-layer y/dX "
                    + "buffers would take .* \\(([0-9,]+) bytes\\)").matcher(explain);
            assertTrue(peakLine.find(), explain);
            long peak = Long.parseLong(peakLine.group(1).replace(",", ""));
            assertEquals(perLayerBytes, Long.parseLong(peakLine.group(2).replace(",", "")), explain);
            assertTrue(peak > 0 && peak < perLayerBytes, "peak workspace " + peak + " bytes, per-layer y/dX buffers "
                    + perLayerBytes + " bytes:\n" + explain);

            // The structured plan says the same as the text, and the text is printed from it.
            try (Planner planner = new Planner(b, m.layers(), m.parameterStore(), m.inputShape())) {
                planner.compile(m.loss(), m.metrics(), m.optimizer());
                Planner.Plan plan = planner.plan(Planner.Kind.TRAIN, rows);
                assertEquals(peak, plan.peakWorkspaceBytes(), "peak workspace " + peak + " vs plan " + plan);
                assertEquals(perLayerBytes, plan.perLayerBytes());
                assertEquals(9, plan.launches().size());
                assertTrue(plan.launches().stream().allMatch(Planner.Plan.Launch::oneLaunch), plan.toString());
                assertEquals(explain, Explain.text(plan));
                assertEquals(plan.peakWorkspaceBytes(), planner.program(Planner.Kind.TRAIN, rows).arenaFloats() * 4);
            }
        }
        assertEquals(0, b.liveBuffers());
    }

    @Test
    void aBackendWithoutCompositeKernelsRunsTheirParts() {
        RecordingBackend b = new RecordingBackend(op -> !(op instanceof Composite));
        try (Sequential m = seed(b)) {
            List<RecordingBackend.Run> runs = trainStep(b, m, 32);
            assertEquals(5, runs.size(), "the plan is the same; the backend runs a composite's parts:\n" + plan(runs));
            try (Planner planner = new Planner(b, m.layers(), m.parameterStore(), m.inputShape())) {
                planner.compile(m.loss(), m.metrics(), m.optimizer());
                Planner.Plan plan = planner.plan(Planner.Kind.TRAIN, 32);
                assertEquals(List.of(true, true, false, false, true),
                        plan.launches().stream().map(Planner.Plan.Launch::oneLaunch).toList());
                assertEquals(1 + 1 + 4 + 2 + 1, plan.kernelLaunches());
                assertEquals(List.of("loss", "dense_2.backward", "dropout_1.backward", "dense_1.backward"),
                        List.of(plan.launches().get(2).layers().split("\\+")));
            }
            String explain = m.explain(32);
            assertTrue(explain.contains("fuses matmul + columnSum; 2 kernels here"), explain);
        }
        assertEquals(0, b.liveBuffers());
    }

    // ---- replay --------------------------------------------------------------------------------

    @Test
    void replayPreparesOnceAndAdvancesTheCounters() {
        RecordingBackend b = new RecordingBackend();
        try (Sequential m = seed(b)) {
            Dropout dropout = (Dropout) m.layers().get(1);
            m.reserve(32);
            assertEquals(0, b.prepares(), "nothing is prepared before the first step");
            List<RecordingBackend.Run> first = trainStep(b, m, 32);
            assertEquals(5, b.prepares(), "each launch prepared once");
            List<RecordingBackend.Run> second = trainStep(b, m, 32);
            assertEquals(5, b.prepares(), "the second step replays: nothing prepared again");
            assertEquals(5, b.distinctPrepared());
            assertEquals(5, second.size());
            for (int i = 0; i < 5; i++) {
                assertSame(first.get(i).op(), second.get(i).op(), "launch " + i + " replays the same bound op");
            }
            long blocks = Philox.blocks(32 * 10);
            assertEquals(80, blocks);
            assertEquals(List.of(0L), first.get(0).maskOffsets(), "step 1 draws its mask at counter 0");
            assertEquals(List.of(blocks), second.get(0).maskOffsets(), "step 2 draws at ceil(32·10/4)");
            assertEquals(2 * blocks, dropout.offset());
            assertEquals(1, first.get(4).adamStep(), "Adam's step count as the update reads it");
            assertEquals(2, second.get(4).adamStep());
            assertEquals(2, m.optimizer().iterations());

            m.explain(32);
            assertEquals(5, b.prepares(), "explain shows the program the steps replay");

            List<RecordingBackend.Run> partial = trainStep(b, m, 7);
            assertEquals(10, b.prepares(), "another batch size is its own program, prepared once");
            assertEquals(List.of(2 * blocks), partial.get(0).maskOffsets());
            assertEquals(2 * blocks + Philox.blocks(7 * 10), dropout.offset());
            assertEquals(3, partial.get(4).adamStep());
        }
        assertEquals(0, b.liveBuffers());
    }

    @Test
    void mlpDropoutCountersAdvancePerStep() {
        RecordingBackend b = new RecordingBackend();
        try (Sequential m = mlp(b)) {
            Dropout d1 = (Dropout) m.layers().get(1);
            Dropout d2 = (Dropout) m.layers().get(3);
            long blocks = (128 * 512 + 3) / 4;
            List<RecordingBackend.Run> first = trainStep(b, m, 128);
            List<RecordingBackend.Run> second = trainStep(b, m, 128);
            assertEquals(9, b.prepares());
            assertEquals(9, second.size(), "every launch runs again");
            assertEquals(List.of(0L), first.get(0).maskOffsets());
            assertEquals(List.of(0L), first.get(1).maskOffsets());
            assertEquals(List.of(blocks), second.get(0).maskOffsets());
            assertEquals(List.of(blocks), second.get(1).maskOffsets());
            assertEquals(2 * blocks, d1.offset());
            assertEquals(2 * blocks, d2.offset());
            assertEquals(2, second.get(8).adamStep());
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    /**
     * An image step: BatchNormalization → ReLU (fused into the batch norm's apply) → MaxPooling2D →
     * SpatialDropout2D → GlobalAveragePooling2D → Dense. The first layer computes no dX; the
     * batch statistics are per-batch values the backward reads; inference runs one apply with the
     * moving statistics and no mask.
     */
    @Test
    void imageStepFusesTheActivationIntoTheBatchNorm() {
        RecordingBackend b = new RecordingBackend();
        try (Sequential m = new Sequential(b, 5)) {
            m.add(new BatchNormalization()).add(new ReLU()).add(new MaxPooling2D()).add(new SpatialDropout2D(0.5))
                    .add(new GlobalAveragePooling2D()).add(new Dense(3));
            m.compile("adam", "mse").build(Shape.of(6, 6, 4));
            List<RecordingBackend.Run> runs = trainStep(b, m, 8);
            List<Op> ops = ops(runs);
            assertEquals(List.of("batchNormStats", "batchNormApplyRelu", "maxPoolForward", "spatialDropout",
                    "avgPoolForward", FORWARD_LINEAR, "mseForwardBackward", WEIGHT_GRADS, "matmul NT",
                    "avgPoolBackward", "spatialDropout", "maxPoolBackward", "reluBackward", "batchNormBackward",
                    "adamStep"), signatures(ops), plan(runs));
            assertEquals("batch_normalization_1.forward+re_lu_1.forward", runs.get(1).label());
            BatchNormStats stats = (BatchNormStats) ops.get(0);
            BatchNormApply apply = (BatchNormApply) ops.get(1);
            assertEquals("(288, 4)", stats.x().shape().toString(), "x: (8, 6, 6, 4) as (8·6·6, 4)");
            assertEquals("(4,)", stats.mean().shape().toString(), "one mean per channel, whatever the batch");
            assertSameStorage(stats.mean(), apply.mean());
            assertSameStorage(apply.y(), ((Pool) ops.get(2)).x());
            assertSameStorage(apply.y(), ((ActBackward) ops.get(12)).y(), "ReLU's backward reads the fused output");
            BatchNormBackward backward = (BatchNormBackward) ops.get(13);
            assertNull(backward.dX(), "the first layer computes no dX");
            assertSameStorage(stats.variance(), backward.variance());
            assertSameStorage(((ApplyChannelMask) ops.get(3)).y(), ((Pool) ops.get(4)).x());

            b.clearRuns();
            m.predictBatch(new float[8 * 144], 8, new float[8 * 3], 0);
            assertEquals(List.of("batchNormApplyRelu", "maxPoolForward", "avgPoolForward", FORWARD_LINEAR),
                    signatures(ops(b.runs())), plan(b.runs()));
            BatchNormApply inference = (BatchNormApply) b.runs().get(0).op();
            assertSameStorage(m.parameterStore().value("batch_normalization_1.moving_mean"), inference.mean());
        }
        assertEquals(0, b.liveBuffers());
    }

    /** An op's kind and epilogue, without its tensors. */
    static String signature(Op op) {
        if (op instanceof MatMul m) {
            Epilogue e = m.epilogue();
            List<String> epi = new ArrayList<>();
            if (e.isGate()) {
                epi.add("gate " + e.activation());
            } else {
                if (e.bias() != null) {
                    epi.add("+bias");
                }
                if (e.activation() != dev.clgrad.ops.Activation.LINEAR) {
                    epi.add(e.activation().kerasName());
                }
                if (e.mask() != null) {
                    epi.add("mask");
                }
            }
            return "matmul " + (m.transA() ? "T" : "N") + (m.transB() ? "T" : "N")
                    + (m.alpha() != 1f ? " alpha=" + m.alpha() : "") + (m.beta() != 0f ? " beta=" + m.beta() : "")
                    + (epi.isEmpty() ? "" : " [" + String.join(" ", epi) + "]");
        }
        if (op instanceof Composite c) {
            return c.name() + "(" + c.parts().stream().map(PlannerTest::signature).collect(Collectors.joining(", ")) + ")";
        }
        if (op instanceof ColumnSum) {
            return "columnSum";
        }
        return op.name();
    }

    static List<String> signatures(List<Op> ops) {
        return ops.stream().map(PlannerTest::signature).toList();
    }

    /** The launches as text, for failure messages. */
    private static String plan(List<RecordingBackend.Run> runs) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < runs.size(); i++) {
            sb.append(String.format("%2d  %-70s %s%n", i + 1, signature(runs.get(i).op()), runs.get(i).label()));
        }
        return sb.toString();
    }

    private static void assertSameStorage(Tensor expected, Tensor actual) {
        assertSameStorage(expected, actual, null);
    }

    private static void assertSameStorage(Tensor expected, Tensor actual, String why) {
        assertNotNull(actual, why);
        assertTrue(expected.buffer() == actual.buffer() && expected.offset() == actual.offset()
                        && expected.shape().size() == actual.shape().size(),
                (why == null ? "" : why + ": ") + "expected the storage of " + expected + " at " + expected.offset()
                        + ", got " + actual + " at " + actual.offset());
    }
}
