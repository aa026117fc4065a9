package dev.clgrad.train;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Span;
import dev.clgrad.data.Batches;
import dev.clgrad.data.Dataset;
import dev.clgrad.nn.Sequential;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The loops behind {@code fit}, {@code evaluate} and {@code predict}. Per step the host gathers
 * the batch into one of two staging arrays and the model uploads it; the next batch is gathered
 * while the device runs the current step. The device loss sum is read every
 * {@code Fit.lossEvery()} steps and at the end of each epoch, nothing else. While the backend is
 * profiled, each step waits for its kernels before its span closes, so that device spans nest in
 * the step that enqueued them.
 */
public final class Trainer {
    private Trainer() {
    }

    /** Trains {@code model} (compiled) on {@code train}; returns the per-epoch history. */
    public static History fit(Sequential model, Dataset train, Fit fit) {
        try (Span s = model.backend().span("fit")) {
            return trainEpochs(model, train, fit);
        }
    }

    private static History trainEpochs(Sequential model, Dataset train, Fit fit) {
        Dataset data = train;
        Dataset val = fit.validationData();
        if (val == null && fit.validationSplit() > 0) {
            int held = (int) (train.rows() * fit.validationSplit());
            if (held < 1 || held >= train.rows()) {
                throw new IllegalArgumentException("fit: validation split " + fit.validationSplit() + " of "
                        + train.rows() + " rows leaves " + held + " validation rows; need at least one on each side");
            }
            data = train.slice(0, train.rows() - held);
            val = train.slice(train.rows() - held, train.rows());
        }
        checkData("fit", model, data);
        if (val != null) {
            checkData("fit (validation data)", model, val);
        }
        model.reserve(fit.batchSize());
        Batches batches = new Batches(data, fit.batchSize(), fit.shuffle(), fit.seed());
        List<Callback> callbacks = new ArrayList<>(fit.callbacks());
        if (!fit.quiet()) {
            callbacks.add(ProgressBar.onStderr());
        }
        TrainingState state = new TrainingState(model, fit.epochs(), batches.count());
        History history = new History();
        float[][] xs = {new float[fit.batchSize() * data.features()], new float[fit.batchSize() * data.features()]};
        float[][] ys = {new float[fit.batchSize() * data.targets()], new float[fit.batchSize() * data.targets()]};
        Backend backend = model.backend();
        callbacks.forEach(c -> c.onTrainBegin(state));
        for (int epoch = 0; epoch < fit.epochs() && !state.stopRequested(); epoch++) {
            Span epochSpan = backend.span("epoch " + (epoch + 1));
            state.beginEpoch(epoch);
            callbacks.forEach(c -> c.onEpochBegin(state));
            model.resetTotals();
            int[] order = batches.order(epoch);
            int rows = batches.fill(order, 0, xs[0], ys[0]);
            for (int b = 0; b < batches.count(); b++) {
                try (Span step = backend.span("step")) {
                    model.trainBatch(xs[b & 1], ys[b & 1], rows);
                    if (step != Span.NONE) {
                        backend.finish();
                    }
                }
                int done = rows;
                if (b + 1 < batches.count()) {
                    rows = batches.fill(order, b + 1, xs[(b + 1) & 1], ys[(b + 1) & 1]);
                }
                state.endStep(done);
                if ((b + 1) % fit.lossEvery() == 0) {
                    state.runningLoss(model.totals()[0] / (b + 1));
                }
                callbacks.forEach(c -> c.onBatchEnd(state));
            }
            double[] totals = model.totals();
            state.endTrainingSteps();
            history.addTraining(data.rows(), state.epochSeconds());
            Map<String, Double> logs = new LinkedHashMap<>();
            logs.put("loss", totals[0] / batches.count());
            if (model.tracksAccuracy()) {
                logs.put("accuracy", totals[1] / data.rows());
            }
            state.runningLoss(logs.get("loss"));
            if (val != null) {
                evaluate(model, val, fit.batchSize()).forEach((k, v) -> logs.put("val_" + k, v));
            }
            history.record(logs);
            epochSpan.close();
            callbacks.forEach(c -> c.onEpochEnd(state, logs));
        }
        callbacks.forEach(c -> c.onTrainEnd(state));
        return history;
    }

    /** Mean batch loss and (when compiled) accuracy over {@code data}, in order, dropout off. */
    public static Map<String, Double> evaluate(Sequential model, Dataset data, int batchSize) {
        checkData("evaluate", model, data);
        model.reserve(batchSize);
        Batches batches = new Batches(data, batchSize, false, 0);
        int[] order = batches.order(0);
        float[] x = new float[batchSize * data.features()];
        float[] y = new float[batchSize * data.targets()];
        model.resetTotals();
        for (int b = 0; b < batches.count(); b++) {
            model.testBatch(x, y, batches.fill(order, b, x, y));
        }
        double[] totals = model.totals();
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("loss", totals[0] / batches.count());
        if (model.tracksAccuracy()) {
            out.put("accuracy", totals[1] / data.rows());
        }
        return out;
    }

    /** Outputs (N, O) for inputs x: (N, I), flat row-major, dropout off. Not modified: x. */
    public static float[] predict(Sequential model, float[] x, int rows, int batchSize) {
        if (rows < 1 || x.length % rows != 0) {
            throw new IllegalArgumentException("predict: " + x.length + " values do not split into " + rows + " rows");
        }
        int features = x.length / rows;
        model.build(features);
        model.reserve(batchSize);
        int outputs = model.outFeatures();
        float[] out = new float[Math.multiplyExact(rows, outputs)];
        float[] stage = new float[batchSize * features];
        for (int r = 0; r < rows; r += batchSize) {
            int n = Math.min(batchSize, rows - r);
            System.arraycopy(x, r * features, stage, 0, n * features);
            model.predictBatch(stage, n, out, r * outputs);
        }
        return out;
    }

    /** Outputs (N, O) for inputs (N, I). */
    public static float[][] predict(Sequential model, float[][] x, int batchSize) {
        Dataset d = Dataset.of(x, new float[x.length]);
        float[] flat = predict(model, d.x(), d.rows(), batchSize);
        int o = flat.length / x.length;
        float[][] out = new float[x.length][o];
        for (int r = 0; r < x.length; r++) {
            System.arraycopy(flat, r * o, out[r], 0, o);
        }
        return out;
    }

    private static void checkData(String op, Sequential model, Dataset data) {
        model.build(data.features());
        if (model.loss() == null) {
            throw new IllegalStateException(op + ": the model is not compiled: call compile(optimizer, loss) first");
        }
        int outputs = model.outFeatures();
        int expected = model.loss().targetColumns(outputs);
        if (data.targets() != expected) {
            throw new IllegalArgumentException(op + ": y has " + data.targets() + " columns but loss "
                    + model.loss().name() + " expects " + expected + " for a model with " + outputs + " outputs");
        }
        if (model.loss().classification()) {
            float[] y = data.y();
            for (int r = 0; r < y.length; r++) {
                if (!(y[r] >= 0 && y[r] < outputs && y[r] == Math.rint(y[r]))) {
                    throw new IllegalArgumentException(op + ": label " + y[r] + " at row " + r
                            + " is not a class index in [0, " + outputs + ")");
                }
            }
        }
    }
}
