package dev.clgrad.backend.java;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.TimeUnit;

/**
 * Splits an index range {@code [0, n)} into contiguous chunks run on a fork-join pool sized to the
 * machine's processors, created at first use. Ranges below the grain run on the calling thread.
 */
final class ParallelLoop implements AutoCloseable {

    /** The work on one chunk {@code [from, to)}. */
    @FunctionalInterface
    interface Body {
        void run(int from, int to);
    }

    private final int threads;
    private ForkJoinPool pool;

    ParallelLoop(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("ParallelLoop: threads must be >= 1, got " + threads);
        }
        this.threads = threads;
    }

    int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over {@code [0, n)} in at most {@code threads} chunks of at least
     * {@code grain} indices each, chunk boundaries aligned to {@code align}; returns when all are done.
     */
    void forRange(int n, int grain, int align, Body body) {
        int chunks = (int) Math.min(threads, Math.max(1, n / (long) Math.max(grain, 1)));
        if (chunks <= 1) {
            body.run(0, n);
            return;
        }
        int step = (n + chunks - 1) / chunks;
        step = (step + align - 1) / align * align;
        List<ForkJoinTask<?>> tasks = new ArrayList<>(chunks);
        for (int from = step; from < n; from += step) {
            int lo = from;
            int hi = Math.min(n, from + step);
            tasks.add(pool().submit(() -> body.run(lo, hi)));
        }
        body.run(0, Math.min(n, step));
        for (ForkJoinTask<?> t : tasks) {
            t.join();
        }
    }

    private synchronized ForkJoinPool pool() {
        if (pool == null) {
            pool = new ForkJoinPool(threads);
        }
        return pool;
    }

    @Override
    public synchronized void close() {
        if (pool != null) {
            pool.shutdown();
            try {
                pool.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            pool = null;
        }
    }
}
