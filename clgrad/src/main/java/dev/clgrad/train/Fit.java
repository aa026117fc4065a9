package dev.clgrad.train;

import dev.clgrad.backend.Backend;
import dev.clgrad.data.Dataset;

import java.util.ArrayList;
import java.util.List;

/**
 * Options of {@code fit}, Keras's names and defaults: {@code Fit.epochs(10).batchSize(32)}. Every
 * value is checked here, before any work starts.
 *
 * @param epochs          passes over the training data (≥ 0; with a resume position, the total
 *                        including the epochs already done)
 * @param batchSize       rows per step (≥ 1), 32 by default
 * @param shuffle         shuffle the rows each epoch (true by default)
 * @param seed            the shuffle seed (0 by default)
 * @param validationData  data evaluated after each epoch ({@code val_loss}, …), or null
 * @param validationSplit fraction in [0, 1) of the training rows, taken from the end before
 *                        shuffling as Keras does, held out for validation; used when validationData is null
 * @param callbacks       called around epochs and steps
 * @param quiet           no progress output
 * @param lossEvery       steps between reads of the device loss sum (each read waits for the
 *                        device); a non-finite loss is noticed at these reads
 * @param checkFinite     scan the training and validation data for NaN and infinity before training
 * @param resume          where a checkpoint left training, or null to start at epoch 0, step 0
 * @param devices         data-parallel training ({@link Replicas}): one replica per device spec
 *                        ({@code opencl:0:0/2:0}, {@code java}, …; see {@code Backends.select}),
 *                        the first naming the model's own device; empty (the default) trains on
 *                        the model's device alone
 * @param backends        the same with open backends (not owned; the first is the model's); at
 *                        most one of devices and backends is non-empty
 */
public record Fit(int epochs, int batchSize, boolean shuffle, long seed, Dataset validationData,
                  double validationSplit, List<Callback> callbacks, boolean quiet, int lossEvery,
                  boolean checkFinite, Position resume, List<String> devices, List<Backend> backends) {
    public Fit {
        if (epochs < 0) {
            throw new IllegalArgumentException("fit: epochs must be >= 0, got " + epochs);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("fit: batch size must be >= 1, got " + batchSize);
        }
        if (!(validationSplit >= 0 && validationSplit < 1)) {
            throw new IllegalArgumentException("fit: validation split must be in [0, 1), got " + validationSplit);
        }
        if (lossEvery < 1) {
            throw new IllegalArgumentException("fit: lossEvery must be >= 1, got " + lossEvery);
        }
        if (resume != null && (resume.seed() != seed || resume.batchSize() != batchSize || resume.shuffle() != shuffle)) {
            throw new IllegalArgumentException("fit: the resume position was saved with seed " + resume.seed()
                    + ", batch size " + resume.batchSize() + ", shuffle " + resume.shuffle() + " but this fit has seed "
                    + seed + ", batch size " + batchSize + ", shuffle " + shuffle + "; use resumeFrom to take them");
        }
        callbacks = List.copyOf(callbacks);
        devices = List.copyOf(devices);
        backends = List.copyOf(backends);
        for (String d : devices) {
            if (d.isBlank()) {
                throw new IllegalArgumentException("fit: a device spec is blank in " + devices);
            }
        }
        if (!devices.isEmpty() && !backends.isEmpty()) {
            throw new IllegalArgumentException("fit: give the replicas' devices as specs " + devices
                    + " or as backends, not both");
        }
    }

    /** Defaults with the given epoch count: batch 32, shuffled with seed 0, no validation, progress on. */
    public static Fit epochs(int epochs) {
        return new Fit(epochs, 32, true, 0, null, 0, List.of(), false, 50, false, null, List.of(), List.of());
    }

    public Fit withEpochs(int e) {
        return new Fit(e, batchSize, shuffle, seed, validationData, validationSplit, callbacks, quiet, lossEvery,
                checkFinite, resume, devices, backends);
    }

    public Fit withBatchSize(int b) {
        return new Fit(epochs, b, shuffle, seed, validationData, validationSplit, callbacks, quiet, lossEvery,
                checkFinite, resume, devices, backends);
    }

    /** Keras's spelling of {@link #withBatchSize}: {@code Fit.epochs(10).batchSize(32)}. */
    public Fit batchSize(int b) {
        return withBatchSize(b);
    }

    public Fit withShuffle(boolean s) {
        return new Fit(epochs, batchSize, s, seed, validationData, validationSplit, callbacks, quiet, lossEvery,
                checkFinite, resume, devices, backends);
    }

    public Fit withSeed(long s) {
        return new Fit(epochs, batchSize, shuffle, s, validationData, validationSplit, callbacks, quiet, lossEvery,
                checkFinite, resume, devices, backends);
    }

    public Fit withValidationData(Dataset v) {
        return new Fit(epochs, batchSize, shuffle, seed, v, validationSplit, callbacks, quiet, lossEvery, checkFinite,
                resume, devices, backends);
    }

    public Fit withValidationSplit(double f) {
        return new Fit(epochs, batchSize, shuffle, seed, validationData, f, callbacks, quiet, lossEvery, checkFinite,
                resume, devices, backends);
    }

    /** Adds callbacks after those already set. */
    public Fit withCallbacks(Callback... more) {
        List<Callback> all = new ArrayList<>(callbacks);
        all.addAll(List.of(more));
        return new Fit(epochs, batchSize, shuffle, seed, validationData, validationSplit, all, quiet, lossEvery,
                checkFinite, resume, devices, backends);
    }

    public Fit withQuiet(boolean q) {
        return new Fit(epochs, batchSize, shuffle, seed, validationData, validationSplit, callbacks, q, lossEvery,
                checkFinite, resume, devices, backends);
    }

    public Fit withLossEvery(int n) {
        return new Fit(epochs, batchSize, shuffle, seed, validationData, validationSplit, callbacks, quiet, n,
                checkFinite, resume, devices, backends);
    }

    /** Whether to reject data holding NaN or infinity (one pass over the data before training). */
    public Fit withCheckFinite(boolean check) {
        return new Fit(epochs, batchSize, shuffle, seed, validationData, validationSplit, callbacks, quiet, lossEvery,
                check, resume, devices, backends);
    }

    /**
     * Data-parallel training with one replica per device of the comma-separated specs
     * ({@code "opencl:0:0/2:0,opencl:0:0/2:1"}), the first naming the model's own device
     * ({@link Replicas}); the backends are opened for the fit and closed after it.
     */
    public Fit devices(String specs) {
        List<String> list = new ArrayList<>();
        for (String d : specs.split(",", -1)) {
            list.add(d.trim());
        }
        return new Fit(epochs, batchSize, shuffle, seed, validationData, validationSplit, callbacks, quiet, lossEvery,
                checkFinite, resume, list, List.of());
    }

    /** Data-parallel training on open backends (not owned), the first the model's own ({@link Replicas}). */
    public Fit devices(List<Backend> replicas) {
        return new Fit(epochs, batchSize, shuffle, seed, validationData, validationSplit, callbacks, quiet, lossEvery,
                checkFinite, resume, List.of(), replicas);
    }

    /**
     * Continues from a checkpoint's position (see {@code Checkpoint.restore}): training starts at
     * its epoch and step, and its seed, batch size and shuffle replace these, so the batches are
     * the ones a run straight through would have seen.
     */
    public Fit resumeFrom(Position p) {
        return new Fit(epochs, p.batchSize(), p.shuffle(), p.seed(), validationData, validationSplit, callbacks, quiet,
                lossEvery, checkFinite, p, devices, backends);
    }
}
