package dev.clgrad.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code fit} returns, as Keras's {@code History}: per-epoch values by metric name
 * ({@code loss}, {@code accuracy}, {@code val_loss}, {@code val_accuracy}), plus the training
 * throughput.
 */
public final class History {
    private final Map<String, List<Double>> values = new LinkedHashMap<>();
    private long samples;
    private double seconds;
    private double exchangeMs = Double.NaN;

    /** Appends one epoch's logs. Not modified: logs. */
    void record(Map<String, Double> logs) {
        logs.forEach((k, v) -> values.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
    }

    void addTraining(long rows, double elapsedSeconds) {
        samples += rows;
        seconds += elapsedSeconds;
    }

    /** Epochs completed. */
    public int epochs() {
        List<Double> loss = values.get("loss");
        return loss == null ? 0 : loss.size();
    }

    /** Values of one metric per epoch, empty when it was not tracked. */
    public List<Double> get(String metric) {
        return Collections.unmodifiableList(values.getOrDefault(metric, List.of()));
    }

    /** Training loss per epoch. */
    public List<Double> loss() {
        return get("loss");
    }

    /** Every metric by name, in the order first recorded. */
    public Map<String, List<Double>> all() {
        Map<String, List<Double>> out = new LinkedHashMap<>();
        values.forEach((k, v) -> out.put(k, Collections.unmodifiableList(v)));
        return Collections.unmodifiableMap(out);
    }

    void exchangeMsPerStep(double ms) {
        exchangeMs = ms;
    }

    /**
     * Data-parallel training ({@link Replicas#exchangeMsPerStep}): milliseconds per step spent
     * moving and summing gradients and parameters; NaN on one device.
     */
    public double exchangeMsPerStep() {
        return exchangeMs;
    }

    /** Training rows processed per second of training steps (validation excluded). */
    public double samplesPerSecond() {
        return seconds > 0 ? samples / seconds : 0;
    }
}
