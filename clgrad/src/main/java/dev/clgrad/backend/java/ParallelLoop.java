package dev.clgrad.backend.java;

import dev.clgrad.Config;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits an index range {@code [0, n)} into contiguous chunks: the calling thread runs the first,
 * each of {@code threads - 1} worker threads (started at first use, daemons) one more. Ranges below
 * the grain, and calls made while the loop is already running one (from a body, or from a second
 * thread), run whole on the calling thread.
 *
 * <p>Idle workers, and a caller waiting for its workers, spin for a while ({@code clgrad.spinMicros},
 * {@link Config#spinMicros}) before they park. A training step hands the workers a range every few
 * hundred microseconds, and waking a parked thread takes far longer on a virtual machine, whose idle
 * CPU has halted, than a spin: docs/BENCHMARKS.md, "The Java backend's thread hand-off", has the
 * figures against the {@code ForkJoinPool} this replaces.
 */
final class ParallelLoop implements AutoCloseable {

    /** The work on one chunk {@code [from, to)}. */
    @FunctionalInterface
    interface Body {
        void run(int from, int to);
    }

    private final int threads;
    private final long spinNanos;
    private final AtomicBoolean running = new AtomicBoolean();
    private Worker[] workers;

    /** A loop of {@code threads} threads (the caller's included) spinning as {@code clgrad.spinMicros} says. */
    ParallelLoop(int threads) {
        this(threads, Config.spinMicros());
    }

    /** A loop of {@code threads} threads whose idle ones spin {@code spinMicros} before parking. */
    ParallelLoop(int threads, long spinMicros) {
        if (threads < 1) {
            throw new IllegalArgumentException("ParallelLoop: threads must be >= 1, got " + threads);
        }
        if (spinMicros < 0) {
            throw new IllegalArgumentException("ParallelLoop: spinMicros must be >= 0, got " + spinMicros);
        }
        this.threads = threads;
        this.spinNanos = TimeUnit.MICROSECONDS.toNanos(spinMicros);
    }

    int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over {@code [0, n)} in at most {@code threads} chunks of at least
     * {@code grain} indices each, chunk boundaries aligned to {@code align}; returns when all are done.
     * A body's exception is thrown here once every chunk has finished (the others' added as
     * suppressed).
     */
    void forRange(int n, int grain, int align, Body body) {
        int chunks = (int) Math.min(threads, Math.max(1, n / (long) Math.max(grain, 1)));
        if (chunks <= 1 || !running.compareAndSet(false, true)) {
            body.run(0, n);
            return;
        }
        try {
            Worker[] ws = workers();
            int step = (n + chunks - 1) / chunks;
            step = (step + align - 1) / align * align;
            int posted = 0;
            for (int from = step; from < n; from += step) {
                ws[posted++].post(body, from, Math.min(n, from + step));
            }
            join(ws, posted, body, 0, Math.min(n, step));
        } finally {
            running.set(false);
        }
    }

    /**
     * Runs {@code body} over {@code [0, n)} in chunks of {@code chunk} indices (the last one shorter),
     * which the calling thread and the workers claim one at a time until none is left, so a thread
     * that runs slower (its caches colder for that part of the range, or its CPU shared) takes fewer
     * chunks; returns when all are done. Runs whole on the calling thread, as {@link #forRange} does,
     * when n holds fewer than two grains or the loop is busy. For bodies whose result does not depend
     * on which thread runs a chunk. Exceptions as {@link #forRange}.
     */
    void forChunks(int n, int grain, int chunk, Body body) {
        int count = (int) Math.max(1, (n + (long) chunk - 1) / Math.max(chunk, 1));
        boolean parallel = threads > 1 && n / (long) Math.max(grain, 1) >= 2 && count > 1;
        if (!parallel || !running.compareAndSet(false, true)) {
            body.run(0, n);
            return;
        }
        try {
            Worker[] ws = workers();
            AtomicInteger next = new AtomicInteger();
            Body claim = (unused, none) -> {
                for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                    body.run(i * chunk, (int) Math.min(n, (i + 1L) * chunk));
                }
            };
            int posted = Math.min(ws.length, count - 1);
            for (int i = 0; i < posted; i++) {
                ws[i].post(claim, 0, 0);
            }
            join(ws, posted, claim, 0, 0);
        } finally {
            running.set(false);
        }
    }

    /** Runs the caller's part, waits for the first {@code posted} workers, then throws the first failure. */
    private static void join(Worker[] ws, int posted, Body body, int from, int to) {
        Throwable failure = null;
        try {
            body.run(from, to);
        } catch (Throwable t) {
            failure = t;
        }
        for (int i = 0; i < posted; i++) {
            Throwable t = ws[i].await();
            if (t != null && failure == null) {
                failure = t;
            } else if (t != null) {
                failure.addSuppressed(t);
            }
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }

    private synchronized Worker[] workers() {
        if (workers == null) {
            Worker[] ws = new Worker[threads - 1];
            for (int i = 0; i < ws.length; i++) {
                ws[i] = new Worker("clgrad-java-" + (i + 1), spinNanos);
                ws[i].start();
            }
            workers = ws;
        }
        return workers;
    }

    @Override
    public synchronized void close() {
        if (workers != null) {
            for (Worker w : workers) {
                w.finish();
            }
            for (Worker w : workers) {
                try {
                    w.join(TimeUnit.SECONDS.toMillis(10));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            workers = null;
        }
    }

    /**
     * One worker thread and its one-chunk mailbox. The caller writes the chunk, then bumps
     * {@code posted}; the worker runs it, then sets {@code finished} to that count. Each side reads
     * the other's parked flag only after its own write of the count the other waits on, so a
     * thread about to park is always seen and woken.
     */
    private static final class Worker extends Thread {
        private final long spinNanos;
        private volatile long posted;
        private volatile long finished;
        private volatile boolean stopping;
        private volatile boolean parked;
        private volatile Thread waiter;
        private Body body;
        private int from;
        private int to;
        private Throwable failure;

        Worker(String name, long spinNanos) {
            super(name);
            this.spinNanos = spinNanos;
            setDaemon(true);
        }

        /** Hands this worker {@code body} over {@code [from, to)}; called by the loop's one caller. */
        void post(Body body, int from, int to) {
            this.body = body;
            this.from = from;
            this.to = to;
            this.failure = null;
            posted = posted + 1;
            if (parked) {
                LockSupport.unpark(this);
            }
        }

        /** Waits for the chunk last posted; returns what it threw, or null. */
        Throwable await() {
            long target = posted;
            long spinUntil = System.nanoTime() + spinNanos;
            while (finished != target) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    waiter = Thread.currentThread();
                    if (finished != target) {
                        LockSupport.park(this);
                    }
                    waiter = null;
                }
            }
            return failure;
        }

        void finish() {
            stopping = true;
            LockSupport.unpark(this);
        }

        @Override
        public void run() {
            long done = 0;
            while (true) {
                long spinUntil = System.nanoTime() + spinNanos;
                while (posted == done && !stopping) {
                    if (System.nanoTime() < spinUntil) {
                        Thread.onSpinWait();
                    } else {
                        parked = true;
                        if (posted == done && !stopping) {
                            LockSupport.park(this);
                        }
                        parked = false;
                    }
                }
                if (posted == done) {
                    return;
                }
                done++;
                try {
                    body.run(from, to);
                } catch (Throwable t) {
                    failure = t;
                }
                body = null;
                finished = done;
                Thread w = waiter;
                if (w != null) {
                    LockSupport.unpark(w);
                }
            }
        }
    }
}
