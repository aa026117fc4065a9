package dev.clgrad.spark;

import org.apache.spark.BarrierTaskContext;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Base64;

/**
 * The exchange between the barrier tasks of one stage, through Spark's own collective,
 * {@link BarrierTaskContext#allGather}: every task sends one string, the driver's barrier
 * coordinator gathers the R strings and returns all of them, in task order, to every task. A
 * vector of P floats travels as its little-endian bytes in Base64 (⌈4P/3⌉·4 characters), so one
 * exchange moves, per task, that much up and R times that much down. Every task then reduces the
 * same strings in the same order, in float64, so all of them compute the same bits.
 *
 * <p>Latency: Spark's allGather (3.x, 4.0) waits for the coordinator's answer in a loop of
 * {@code Thread.sleep(1000)}, checking whether the answer came and whether the task was killed
 * after each sleep, so every call takes at least a second. A waker thread, one per task, therefore
 * interrupts the waiting task thread every {@link #WAKE_NANOS} while a call is in flight: the loop
 * takes an interrupt as "check whether the task was killed" (it was not) and looks at the answer
 * again. Interrupts are only sent between the start and the end of a call (under a lock), and the
 * flag is cleared when the call returns; a kill from the driver still ends the task, since Spark
 * checks the task's kill reason, not the flag.
 */
final class AllGather implements AutoCloseable {
    /** How often the waker interrupts a waiting allGather. */
    static final long WAKE_NANOS = 200_000;

    private final BarrierTaskContext context;
    private final Object lock = new Object();
    private final Thread caller;
    private final Thread waker;
    private boolean inCall;
    private boolean closed;
    private long nanos;
    private long calls;
    private long bytes;

    AllGather(BarrierTaskContext context) {
        this.context = context;
        caller = Thread.currentThread();
        waker = new Thread(this::wake, "clgrad-allgather-waker-" + context.partitionId());
        waker.setDaemon(true);
        waker.start();
    }

    private void wake() {
        try {
            while (true) {
                synchronized (lock) {
                    while (!inCall && !closed) {
                        lock.wait();
                    }
                    if (closed) {
                        return;
                    }
                }
                java.util.concurrent.locks.LockSupport.parkNanos(WAKE_NANOS);
                synchronized (lock) {
                    if (inCall) {
                        caller.interrupt();
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
    }

    /**
     * Σ_j w[j]·v_j over the tasks j in order, in float64, rounded to float32 into {@code out}
     * (P); {@code mine} (P, or null when w[this task] is 0: nothing is sent). {@code counters}
     * travel along and come back as their element-wise maximum over the tasks (the random-mask
     * counters of a task that trained no rows this step lag the others').
     */
    void weightedSum(float[] mine, long[] counters, double[] w, float[] out) {
        StringBuilder msg = new StringBuilder(21 * counters.length + 1
                + (mine == null ? 0 : 4 * ((mine.length * Float.BYTES + 2) / 3)));
        for (int k = 0; k < counters.length; k++) {
            msg.append(k == 0 ? "" : ",").append(counters[k]);
        }
        msg.append(';');
        if (mine != null) {
            ByteBuffer b = ByteBuffer.allocate(mine.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(mine);
            msg.append(Base64.getEncoder().encodeToString(b.array()));
        }
        String[] all = gather(msg.toString());
        double[] sum = new double[out.length];
        for (int j = 0; j < all.length; j++) {
            int semi = all[j].indexOf(';');
            if (semi > 0) {
                String[] c = all[j].substring(0, semi).split(",");
                for (int k = 0; k < counters.length; k++) {
                    counters[k] = Math.max(counters[k], Long.parseLong(c[k]));
                }
            }
            if (semi + 1 == all[j].length() || w[j] == 0) {
                continue;
            }
            FloatBuffer f = ByteBuffer.wrap(Base64.getDecoder().decode(all[j].substring(semi + 1)))
                    .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            if (f.remaining() != out.length) {
                throw new IllegalStateException("allGather: task " + j + " sent " + f.remaining() + " values, expected "
                        + out.length + " (do all tasks build the same model?)");
            }
            for (int p = 0; p < out.length; p++) {
                sum[p] += w[j] * f.get(p);
            }
        }
        for (int p = 0; p < out.length; p++) {
            out[p] = (float) sum[p];
        }
    }

    /** Σ_j v_j over the tasks, in task order, in float64 (exact decimal round trip). */
    double[] sum(double[] mine) {
        StringBuilder msg = new StringBuilder();
        for (int k = 0; k < mine.length; k++) {
            msg.append(k == 0 ? "" : ",").append(mine[k]);
        }
        double[] out = new double[mine.length];
        for (String s : gather(msg.toString())) {
            String[] v = s.split(",");
            for (int k = 0; k < out.length; k++) {
                out[k] += Double.parseDouble(v[k]);
            }
        }
        return out;
    }

    /** Every task's value, in task order. */
    long[] gather(long mine) {
        String[] all = gather(Long.toString(mine));
        long[] out = new long[all.length];
        for (int j = 0; j < all.length; j++) {
            out[j] = Long.parseLong(all[j]);
        }
        return out;
    }

    private String[] gather(String msg) {
        long t = System.nanoTime();
        String[] all = awake(() -> context.allGather(msg));
        long n = msg.length();
        for (String s : all) {
            n += s.length();
        }
        nanos += System.nanoTime() - t;
        calls++;
        bytes += n;
        return all;
    }

    /** {@link BarrierTaskContext#barrier}: returns once every task has called it. */
    void barrier() {
        awake(() -> {
            context.barrier();
            return null;
        });
    }

    /** Runs a barrier call of Spark's with the waker on, then clears the interrupt flag. */
    private <T> T awake(java.util.function.Supplier<T> call) {
        synchronized (lock) {
            inCall = true;
            lock.notifyAll();
        }
        try {
            return call.get();
        } finally {
            synchronized (lock) {
                inCall = false;
            }
            Thread.interrupted();
            context.killTaskIfInterrupted();
        }
    }

    /** Time spent in allGather so far, in ns (the wait for the slowest task included). */
    long nanos() {
        return nanos;
    }

    /** Characters sent plus received so far (one byte each on the wire before Java serialization). */
    long bytes() {
        return bytes;
    }

    long calls() {
        return calls;
    }
}
