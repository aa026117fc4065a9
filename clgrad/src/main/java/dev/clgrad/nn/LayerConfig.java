package dev.clgrad.nn;

import java.util.Set;

/**
 * A layer's entry in a model config, as the layer reads it ({@link LayerTypes}): typed, range-checked
 * values by key. Errors name the file and the JSON path of the key (the io package supplies this
 * over JSON).
 */
public interface LayerConfig {

    /** The required integer {@code key}, in [min, max]. */
    int integer(String key, int min, int max);

    /** The integer {@code key} in [min, max], or {@code fallback} when absent. */
    int integer(String key, int min, int max, int fallback);

    /**
     * A pair of integers in [min, max] such as a kernel size: one integer (used for both) or an
     * array of two; {@code fallback} when absent, required when {@code fallback} is null.
     */
    int[] pair(String key, int min, int max, int[] fallback);

    /** The required array of integers {@code key}, each in [min, max]. */
    int[] integers(String key, int min, int max);

    /** The boolean {@code key}, or {@code fallback} when absent. */
    boolean bool(String key, boolean fallback);

    /** The number {@code key} in [min, max] (or [min, max) when {@code maxOpen}), required. */
    double number(String key, double min, double max, boolean maxOpen);

    /** The number {@code key} in [min, max] (or [min, max) when {@code maxOpen}), or {@code fallback} when absent. */
    double number(String key, double min, double max, boolean maxOpen, double fallback);

    /** The string {@code key}, or {@code fallback} when absent. */
    String string(String key, String fallback);

    /**
     * The object {@code key} as a config of its own (a constraint, a regularizer), a plain string
     * {@code s} read as {@code {"type": s}}; null when absent.
     */
    LayerConfig object(String key);

    /** Rejects keys other than {@code keys}, naming the first. */
    void onlyKeys(Set<String> keys);

    /** An error about {@code key}, naming where it is. */
    RuntimeException error(String key, String message);
}
