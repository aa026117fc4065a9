package dev.clgrad.spark;

import dev.clgrad.train.Replicas;

import java.io.Serializable;

/**
 * Which rows every barrier task trains at every step. Dimensions: N rows in all, B global batch,
 * R tasks, S = ceil(N/B) steps per epoch. Step s takes the global rows [s·B, s·B + G_s), G_s =
 * min(B, N − s·B), split over the tasks as {@link Replicas#split} splits a batch over devices:
 * task i holds rows [at_i, at_{i+1}) of it. {@link SparkTrainer} sends every row to the task that
 * trains it (global row k: step k / B, place k mod B), so a task's partition is, in order, its
 * shares of steps 0, 1, …; with shuffling off, the global batch of step s is rows [s·B, s·B + G_s)
 * of the input, as one device would take them. With shuffling on, each task permutes its own rows
 * every epoch, and its shares keep their sizes.
 */
final class BatchPlan implements Serializable {
    private static final long serialVersionUID = 1L;

    private final long rows;
    private final int batch;
    private final int tasks;
    private final int[] full;
    private final int[] last;

    BatchPlan(long rows, int batch, int tasks, int alignment) {
        if (rows < 1) {
            throw new IllegalArgumentException("the training data holds no rows");
        }
        this.rows = rows;
        this.batch = batch;
        this.tasks = tasks;
        this.full = Replicas.split(batch, tasks, alignment);
        this.last = Replicas.split(globalRows(steps() - 1), tasks, alignment);
    }

    long rows() {
        return rows;
    }

    int batch() {
        return batch;
    }

    int tasks() {
        return tasks;
    }

    /** S = ceil(N / B). */
    int steps() {
        return Math.toIntExact((rows + batch - 1) / batch);
    }

    /** G_s: the rows of step s's global batch. */
    int globalRows(int step) {
        return (int) Math.min(batch, rows - (long) step * batch);
    }

    /** The split of step s's global batch: task i holds [at[i], at[i+1]). */
    int[] split(int step) {
        return step == steps() - 1 ? last.clone() : full.clone();
    }

    /** The task that trains global row k (from 0). */
    int task(long k) {
        int step = Math.toIntExact(k / batch);
        int place = (int) (k % batch);
        int[] at = step == steps() - 1 ? last : full;
        for (int i = 0; i < tasks; i++) {
            if (place < at[i + 1]) {
                return i;
            }
        }
        throw new IllegalStateException("row " + k + " lies beyond the last task's share");
    }

    /** The rows task i trains in one epoch. */
    long taskRows(int task) {
        return (long) (steps() - 1) * (full[task + 1] - full[task]) + (last[task + 1] - last[task]);
    }

    /** The rows task i trains in the first {@code steps} steps of an epoch. */
    long taskRowsBefore(int task, int steps) {
        long n = (long) Math.min(steps, steps() - 1) * (full[task + 1] - full[task]);
        return steps >= steps() ? n + (last[task + 1] - last[task]) : n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BatchPlan p && p.rows == rows && p.batch == batch && p.tasks == tasks
                && java.util.Arrays.equals(p.full, full) && java.util.Arrays.equals(p.last, last);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(rows, batch, tasks, java.util.Arrays.hashCode(full));
    }

    /** The largest share of any task at any step. */
    int maxShare() {
        int m = 1;
        for (int i = 0; i < tasks; i++) {
            m = Math.max(m, Math.max(full[i + 1] - full[i], last[i + 1] - last[i]));
        }
        return m;
    }
}
