package dev.clgrad.spark;

import dev.clgrad.backend.Backend;
import dev.clgrad.model.Sequential;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link SparkTrainer#fit} returns: per epoch, the mean training loss and metrics over the
 * epoch's samples (each sample counted once, also across a retried stage) and the samples counted;
 * the exchange cost; the stage attempt that finished and the checkpoint it resumed from; and the
 * trained model (task 0's, as {@code Sequential.save} writes it), for {@link #model}.
 */
public final class SparkHistory implements Serializable {
    private static final long serialVersionUID = 1L;

    private final List<Double> loss = new ArrayList<>();
    private final Map<String, List<Double>> metrics = new LinkedHashMap<>();
    private final List<Long> samples = new ArrayList<>();
    private double exchangeMsPerStep = Double.NaN;
    private double allGatherMsPerStep = Double.NaN;
    private double exchangeBytesPerStep = Double.NaN;
    private double samplesPerSecond = Double.NaN;
    private long stepsRun;
    private int stageAttempt;
    private String resumedFrom;
    private int tasks;
    private Map<String, byte[]> modelFiles = Map.of();

    SparkHistory(List<String> metricNames) {
        metricNames.forEach(m -> metrics.put(m, new ArrayList<>()));
    }

    void addEpoch(double meanLoss, double[] meanMetrics, long count) {
        loss.add(meanLoss);
        int k = 0;
        for (List<Double> m : metrics.values()) {
            m.add(meanMetrics[k++]);
        }
        samples.add(count);
    }

    void finish(double exchangeMs, double allGatherMs, double bytes, double perSecond, long steps, int attempt,
                String resumed, int taskCount, Map<String, byte[]> files) {
        exchangeMsPerStep = exchangeMs;
        allGatherMsPerStep = allGatherMs;
        exchangeBytesPerStep = bytes;
        samplesPerSecond = perSecond;
        stepsRun = steps;
        stageAttempt = attempt;
        resumedFrom = resumed;
        tasks = taskCount;
        modelFiles = Map.copyOf(files);
    }

    /** The compiled metrics' names, in order. */
    public List<String> metricNames() {
        return List.copyOf(metrics.keySet());
    }

    /** The epochs trained. */
    public int epochs() {
        return loss.size();
    }

    /** The mean training loss of each epoch, over its samples. */
    public List<Double> loss() {
        return List.copyOf(loss);
    }

    /** A compiled metric's mean over each epoch's samples ({@code accuracy}); empty when not compiled. */
    public List<Double> get(String metric) {
        return List.copyOf(metrics.getOrDefault(metric, List.of()));
    }

    /** The samples each epoch's loss and metrics are averaged over: the training rows, once each. */
    public List<Long> samples() {
        return List.copyOf(samples);
    }

    /**
     * Milliseconds per step in the exchange, averaged over the steps the finishing stage attempt
     * ran: the gradient's download, encoding, allGather (with the wait for the slowest task),
     * decoding, the sum and the upload (with model averaging: the parameters', every K steps,
     * averaged over all steps).
     */
    public double exchangeMsPerStep() {
        return exchangeMsPerStep;
    }

    /** The part of {@link #exchangeMsPerStep} spent inside {@code allGather}. */
    public double allGatherMsPerStep() {
        return allGatherMsPerStep;
    }

    /** Characters task 0 sent and received through allGather per step, on average (the strings' lengths). */
    public double exchangeBytesPerStep() {
        return exchangeBytesPerStep;
    }

    /** Training samples per second over the finishing attempt's steps (all tasks together). */
    public double samplesPerSecond() {
        return samplesPerSecond;
    }

    /** The training steps the finishing stage attempt ran (fewer than epochs·steps after a resume). */
    public long stepsRun() {
        return stepsRun;
    }

    /** The stage attempt that finished: 0 when no attempt failed. */
    public int stageAttempt() {
        return stageAttempt;
    }

    /** The checkpoint the finishing attempt resumed from ({@code step-0000000150}), or null when it started fresh. */
    public String resumedFrom() {
        return resumedFrom;
    }

    /** The barrier tasks (replicas) that trained. */
    public int tasks() {
        return tasks;
    }

    /** Writes the trained model to {@code dir} as {@code Sequential.save} does. */
    public void saveModel(Path dir) throws IOException {
        LocalDirs.write(modelFiles, dir);
    }

    /** The trained model on {@code backend} (not owned), built and compiled; the caller closes it. */
    public Sequential model(Backend backend) throws IOException {
        Path dir = Files.createTempDirectory("clgrad-spark-model-");
        try {
            saveModel(dir);
            return Sequential.load(dir, backend);
        } finally {
            LocalDirs.delete(dir);
        }
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("SparkHistory[");
        for (int e = 0; e < loss.size(); e++) {
            b.append(e == 0 ? "" : "; ").append("epoch ").append(e + 1).append(": loss ")
                    .append(String.format("%.4f", loss.get(e)));
            final int at = e;
            metrics.forEach((k, v) -> b.append(", ").append(k).append(' ').append(String.format("%.4f", v.get(at))));
            b.append(", ").append(samples.get(e)).append(" samples");
        }
        return b.append("]").toString();
    }
}
