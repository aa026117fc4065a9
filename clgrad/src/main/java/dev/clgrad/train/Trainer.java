package dev.clgrad.train;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.backend.Span;
import dev.clgrad.data.Batches;
import dev.clgrad.data.Dataset;
import dev.clgrad.tensor.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The loops behind {@code fit}, {@code evaluate} and {@code predict}. Per step the host gathers
 * the batch into one of two staging arrays and the model uploads it; the next batch is gathered
 * while the device runs the current step. The device loss sum is read every
 * {@code Fit.lossEvery()} steps and at the end of each epoch, nothing else; a read that is NaN or
 * infinite stops training with a {@link NonFiniteLossException} (only then are the gradients
 * downloaded, to name the first layer whose gradients went bad). With a resume position the loop
 * starts at its epoch and skips the batches that epoch already ran. At every epoch end the weights
 * are checked too ({@link #finiteWeights}). While the backend is
 * profiled, each step waits for its kernels before its span closes, so that device spans nest in
 * the step that enqueued them.
 */
public final class Trainer {
    private Trainer() {
    }

    /**
     * Trains {@code model} (compiled) on {@code train}; returns the per-epoch history. With
     * {@link Fit#devices} or {@link Fit#backends}, data parallel ({@link Replicas}): replica 0 is
     * the model on its own backend, which must be the first device listed.
     */
    public static History fit(Trainable model, Dataset train, Fit fit) {
        try (Span s = model.backend().span("fit")) {
            if (fit.devices().isEmpty() && fit.backends().isEmpty()) {
                return trainEpochs(model, train, fit);
            }
            return dataParallel(model, train, fit);
        }
    }

    /** {@link #fit} over replicas on the fit's devices; the backends opened from specs are closed after. */
    private static History dataParallel(Trainable model, Dataset train, Fit fit) {
        if (!(model instanceof Replicable first)) {
            throw new IllegalArgumentException("fit: data-parallel training needs a model that can be replicated "
                    + "(such as Sequential), not " + model.getClass().getSimpleName());
        }
        String own = model.backend().id();
        List<Backend> opened = new ArrayList<>();
        try {
            List<Backend> others = new ArrayList<>();
            if (!fit.backends().isEmpty()) {
                Backend b = fit.backends().get(0);
                if (b != model.backend() && !b.id().equals(own)) {
                    throw new IllegalArgumentException("fit: the model lives on " + own + " but the first replica's "
                            + "backend is " + b.id() + "; list the model's backend first (replica 0 is the model)");
                }
                others.addAll(fit.backends().subList(1, fit.backends().size()));
            } else {
                String spec = fit.devices().get(0);
                if (!spec.equalsIgnoreCase(own)) {
                    Backend b = Backends.select(spec);
                    opened.add(b);
                    if (!b.id().equals(own)) {
                        throw new IllegalArgumentException("fit: the model lives on " + own + " but the first device "
                                + "is '" + spec + "' (" + b.id() + "); list the model's device first (replica 0 is "
                                + "the model)");
                    }
                }
                for (String d : fit.devices().subList(1, fit.devices().size())) {
                    Backend b = Backends.select(d);
                    opened.add(b);
                    others.add(b);
                }
            }
            model.build(train.sampleShape(), Math.max(1, Math.min(fit.batchSize(), train.rows())));
            try (Replicas set = new Replicas(first, others)) {
                History h = trainEpochs(set, train, fit);
                h.exchangeMsPerStep(set.exchangeMsPerStep());
                return h;
            }
        } finally {
            for (int i = opened.size() - 1; i >= 0; i--) {
                opened.get(i).close();
            }
        }
    }

    private static History trainEpochs(Trainable model, Dataset train, Fit fit) {
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
        int stage = Math.min(fit.batchSize(), data.rows());
        checkData("fit", model, data, stage);
        if (val != null) {
            checkData("fit (validation data)", model, val, stage);
        }
        if (fit.checkFinite()) {
            checkFinite("fit", data);
            if (val != null) {
                checkFinite("fit (validation data)", val);
            }
        }
        Batches batches = new Batches(data, fit.batchSize(), fit.shuffle(), fit.seed());
        Position start = fit.resume();
        int firstEpoch = start == null ? 0 : start.epoch();
        int firstStep = start == null ? 0 : start.step();
        if (firstEpoch > fit.epochs() || firstStep > batches.count()) {
            throw new IllegalArgumentException("fit: the resume position (epoch " + firstEpoch + ", step " + firstStep
                    + ", from 0) lies beyond " + fit.epochs() + " epochs of " + batches.count() + " steps ("
                    + data.rows() + " rows in batches of " + fit.batchSize() + "); resume with the data and "
                    + "epochs the checkpoint was trained with, or more epochs");
        }
        model.reserve(stage);
        List<Callback> callbacks = new ArrayList<>(fit.callbacks());
        if (!fit.quiet()) {
            callbacks.add(ProgressBar.onStderr());
        }
        TrainingState state = new TrainingState(model, fit, batches.count());
        History history = new History();
        float[][] xs = {new float[stage * data.features()], new float[stage * data.features()]};
        float[][] ys = {new float[stage * data.targets()], new float[stage * data.targets()]};
        Backend backend = model.backend();
        state.callbacks(callbacks);
        callbacks.forEach(c -> c.onTrainBegin(state));
        if (start != null) {
            state.restoreCallbacks(start.callbacks());
        }
        for (int epoch = firstEpoch; epoch < fit.epochs() && !state.stopRequested(); epoch++) {
            Span epochSpan = backend.span("epoch " + (epoch + 1));
            int skip = epoch == firstEpoch ? firstStep : 0;
            state.beginEpoch(epoch, skip, Math.min((long) skip * fit.batchSize(), data.rows()));
            callbacks.forEach(c -> c.onEpochBegin(state));
            model.resetTotals();
            if (skip > 0) {
                model.restoreTotals(start.lossSum(), start.metricSums(), fit.batchSize());
            }
            int[] order = batches.order(epoch);
            int rows = skip < batches.count() ? batches.fill(order, skip, xs[skip & 1], ys[skip & 1]) : 0;
            for (int b = skip; b < batches.count(); b++) {
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
                    state.runningLoss(finiteLoss(model, state, model.totals()[0] / state.samples()));
                }
                callbacks.forEach(c -> c.onBatchEnd(state));
            }
            double[] totals = model.totals();
            state.endTrainingSteps();
            history.addTraining(data.rows(), state.epochSeconds());
            Map<String, Double> logs = new LinkedHashMap<>();
            logs.put("loss", finiteLoss(model, state, totals[0] / data.rows()));
            finiteWeights(model, state);
            putMetrics(model, totals, data.rows(), logs);
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

    /**
     * Returns {@code loss} when finite; otherwise stops training with the epoch, the step and the
     * first layer (in model order) whose gradients of the last step are non-finite. The gradients
     * are downloaded only then, so a healthy step copies nothing extra.
     */
    static double finiteLoss(Trainable model, TrainingState state, double loss) {
        if (Double.isFinite(loss)) {
            return loss;
        }
        NonFiniteScan.Found bad = NonFiniteScan.first(model.gradients(), model.parameterList());
        String detail = bad == null ? "every gradient of the last step is finite, so look at the data "
                + "(Fit.withCheckFinite(true) or train --check-finite checks it) or lower the learning rate"
                : "first layer with non-finite gradients: " + bad.layer() + " (" + bad + ")";
        int every = state.fit().lossEvery();
        int s = state.step();
        int lastGood = s % every == 0 ? s - every : s - s % every;
        String since = lastGood > 0
                ? "; it was finite at step " + lastGood + " (the loss is read every " + every + " steps)"
                : "";
        throw new NonFiniteLossException("fit: loss is " + loss + " at epoch " + (state.epoch() + 1) + ", step "
                + state.step() + since + "; " + detail + ". Training stopped; no checkpoint was written after the "
                + "loss went bad", state.epoch(), state.step(), bad == null ? null : bad.layer());
    }

    /**
     * Stops training when the weights hold NaN or ±∞ although the loss was finite: the last steps'
     * gradients overflowed after their loss was computed (an infinite input through a saturating
     * activation, say), which no later loss of this epoch shows. Checked at every epoch end, before
     * validation and the callbacks (a checkpoint) see the weights.
     */
    static void finiteWeights(Trainable model, TrainingState state) {
        NonFiniteScan.Found bad = NonFiniteScan.first(model.parameters(), model.parameterList());
        if (bad != null) {
            throw new NonFiniteLossException("fit: the weights are non-finite after epoch " + (state.epoch() + 1)
                    + ", step " + state.step() + ", though the loss was finite; first layer with non-finite weights: "
                    + bad.layer() + " (" + bad + "), so look at the data (Fit.withCheckFinite(true) or train "
                    + "--check-finite checks it) or lower the learning rate. Training stopped; no checkpoint was written after the weights went bad",
                    state.epoch(), state.step(), bad.layer());
        }
    }

    private static void checkFinite(String op, Dataset data) {
        float[] x = data.x();
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) {
                throw new IllegalArgumentException(op + ": " + data.origin().inputAt(i / data.features(),
                        i % data.features()) + ": " + x[i] + " (checked because of Fit.withCheckFinite)");
            }
        }
        float[] y = data.y();
        for (int i = 0; i < y.length; i++) {
            if (!Float.isFinite(y[i])) {
                throw new IllegalArgumentException(op + ": " + data.origin().targetAt(i / data.targets(),
                        i % data.targets()) + ": " + y[i] + " (checked because of Fit.withCheckFinite)");
            }
        }
    }

    /** The loss and each compiled metric over {@code data} (means over samples), in order, dropout off. */
    public static Map<String, Double> evaluate(Trainable model, Dataset data, int batchSize) {
        checkData("evaluate", model, data, batchSize);
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
        out.put("loss", totals[0] / data.rows());
        putMetrics(model, totals, data.rows(), out);
        return out;
    }

    /** Each compiled metric's mean over {@code rows} samples, by name, from {@link Trainable#totals}. */
    private static void putMetrics(Trainable model, double[] totals, int rows, Map<String, Double> logs) {
        List<String> names = model.metricNames();
        for (int m = 0; m < names.size(); m++) {
            logs.put(names.get(m), totals[1 + m] / rows);
        }
    }

    /** Outputs (N, O) for inputs x: (N, I), flat row-major, dropout off. Not modified: x. */
    public static float[] predict(Trainable model, float[] x, int rows, int batchSize) {
        if (rows < 1 || x.length % rows != 0) {
            throw new IllegalArgumentException("predict: " + x.length + " values do not split into " + rows + " rows");
        }
        int features = x.length / rows;
        model.build(Shape.of(features), batchSize);
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

    /**
     * {@code predict} with options: weight scaling (one pass, {@link #predict(Trainable, float[], int, int)},
     * std zero) or T Monte-Carlo passes ({@link Predict}): per input batch of B rows, the rows are
     * laid out once per pass of a group of G passes, G·B rows in one sampling run (G = T where the
     * workspace holds T·B rows, halved until it does; 1 when masks are shared by the batch), and
     * the outputs' mean and population std over the T passes are summed in float64. Not modified: x.
     */
    public static Prediction predict(Trainable model, float[] x, int rows, Predict options) {
        int batch = Math.min(options.batchSize(), Math.max(rows, 1));
        if (!options.monteCarlo()) {
            float[] mean = predict(model, x, rows, batch);
            int outputs = mean.length / rows;
            if (options.probabilities()) {
                softmaxRows(mean, rows, outputs);
            }
            return new Prediction(rows, outputs, 0, mean, new float[mean.length]);
        }
        if (rows < 1 || x.length % rows != 0) {
            throw new IllegalArgumentException("predict: " + x.length + " values do not split into " + rows + " rows");
        }
        int features = x.length / rows;
        int passes = options.passes();
        model.build(Shape.of(features), batch);
        int group = model.sharesMasksAcrossRows() ? 1 : passes;
        while (true) {
            try {
                model.reserve(Math.multiplyExact(group, batch));
                break;
            } catch (IllegalArgumentException e) {
                if (group == 1) {
                    throw e;
                }
                group = (group + 1) / 2;
            }
        }
        model.resetSampling();
        int outputs = model.outFeatures();
        float[] mean = new float[Math.multiplyExact(rows, outputs)];
        float[] std = new float[mean.length];
        float[] stage = new float[group * batch * features];
        float[] out = new float[group * batch * outputs];
        double[] sum = new double[batch * outputs];
        double[] squares = new double[batch * outputs];
        for (int r = 0; r < rows; r += batch) {
            int n = Math.min(batch, rows - r);
            Arrays.fill(sum, 0);
            Arrays.fill(squares, 0);
            for (int t = 0; t < passes; t += group) {
                int g = Math.min(group, passes - t);
                for (int k = 0; k < g; k++) {
                    System.arraycopy(x, r * features, stage, k * n * features, n * features);
                }
                model.sampleBatch(stage, g * n, out, 0);
                if (options.probabilities()) {
                    softmaxRows(out, g * n, outputs);
                }
                for (int k = 0; k < g; k++) {
                    for (int j = 0; j < n * outputs; j++) {
                        double v = out[k * n * outputs + j];
                        sum[j] += v;
                        squares[j] += v * v;
                    }
                }
            }
            for (int j = 0; j < n * outputs; j++) {
                double m = sum[j] / passes;
                mean[r * outputs + j] = (float) m;
                std[r * outputs + j] = (float) Math.sqrt(Math.max(0, squares[j] / passes - m * m));
            }
        }
        return new Prediction(rows, outputs, passes, mean, std);
    }

    /** v: (rows, O) → each row's softmax, in float64 with the row maximum subtracted first. Modified: v. */
    private static void softmaxRows(float[] v, int rows, int outputs) {
        for (int r = 0; r < rows; r++) {
            int at = r * outputs;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < outputs; j++) {
                max = Math.max(max, v[at + j]);
            }
            double total = 0;
            for (int j = 0; j < outputs; j++) {
                total += Math.exp(v[at + j] - max);
            }
            for (int j = 0; j < outputs; j++) {
                v[at + j] = (float) (Math.exp(v[at + j] - max) / total);
            }
        }
    }

    /** Outputs (N, O) for inputs (N, I). */
    public static float[][] predict(Trainable model, float[][] x, int batchSize) {
        Dataset d = Dataset.of(x, new float[x.length]);
        float[] flat = predict(model, d.x(), d.rows(), batchSize);
        int o = flat.length / x.length;
        float[][] out = new float[x.length][o];
        for (int r = 0; r < x.length; r++) {
            System.arraycopy(flat, r * o, out[r], 0, o);
        }
        return out;
    }

    /** Builds the model for the data's samples and batches of up to {@code rows} rows, then checks the targets. */
    private static void checkData(String op, Trainable model, Dataset data, int rows) {
        model.build(data.sampleShape(), rows);
        if (model.loss() == null) {
            throw new IllegalStateException(op + ": the model is not compiled: call compile(optimizer, loss) first");
        }
        int outputs = model.outFeatures();
        int expected = model.loss().targetColumns(outputs);
        if (data.targets() != expected) {
            throw new IllegalArgumentException(op + ": " + (data.origin().fromFiles() ? data.origin().y() : "y") + " has "
                    + data.targets() + " columns but loss " + model.loss().name() + " expects " + expected
                    + " for a model with " + outputs + " outputs");
        }
        if (model.loss().classification()) {
            float[] y = data.y();
            for (int i = 0; i < y.length; i++) {
                if (!(y[i] >= 0 && y[i] < outputs && y[i] == Math.rint(y[i]))) {
                    throw new IllegalArgumentException(op + ": " + data.origin().targetAt(i / data.targets(),
                            i % data.targets()) + ": label " + y[i] + " is not a class index in [0, " + outputs + ")");
                }
            }
        }
    }
}
