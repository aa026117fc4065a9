import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.locks.LockSupport;

/**
 * What handing a chunk of work to a second thread costs on this machine: the caller gives a
 * worker BODY µs of work, does BODY µs itself, waits for the worker, then works GAP µs alone (the
 * serial ops between a step's parallel ones), 2,000 times per round. Once through a
 * {@code ForkJoinPool} (a submitted task, joined) and once through a worker that spins before it
 * parks, as the Java backend's {@code ParallelLoop} does. Prints the mean µs per hand-off (ideal:
 * BODY) and how long the worker took to start, per round.
 *
 * <pre>java bench/java/ThreadHandoff.java [GAP_US BODY_US SPIN_US]    (default 50 200 1000)</pre>
 */
public final class ThreadHandoff {
    private static volatile double sink;
    private static volatile Runnable task;
    private static volatile long finished;

    private static void work(long micros) {
        long end = System.nanoTime() + micros * 1000;
        double x = 0;
        while (System.nanoTime() < end) {
            x += 1;
        }
        sink = x;
    }

    public static void main(String[] args) throws InterruptedException {
        long gap = args.length > 0 ? Long.parseLong(args[0]) : 50;
        long body = args.length > 1 ? Long.parseLong(args[1]) : 200;
        long spin = (args.length > 2 ? Long.parseLong(args[2]) : 1000) * 1000;
        int n = 2000;
        ForkJoinPool pool = new ForkJoinPool(2);
        Thread worker = new Thread(() -> {
            while (true) {
                long until = System.nanoTime() + spin;
                Runnable r;
                while ((r = task) == null) {
                    if (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.park();
                    }
                }
                task = null;
                r.run();
                finished++;
            }
        });
        worker.setDaemon(true);
        worker.start();
        for (int round = 0; round < 3; round++) {
            for (boolean spinning : new boolean[] {false, true}) {
                long total = 0;
                long start = 0;
                for (int i = 0; i < n; i++) {
                    work(gap);
                    long t0 = System.nanoTime();
                    long[] began = new long[1];
                    Runnable chunk = () -> {
                        began[0] = System.nanoTime();
                        work(body);
                    };
                    if (spinning) {
                        long before = finished;
                        task = chunk;
                        LockSupport.unpark(worker);
                        work(body);
                        while (finished == before) {
                            Thread.onSpinWait();
                        }
                    } else {
                        ForkJoinTask<?> t = pool.submit(chunk);
                        work(body);
                        t.join();
                    }
                    total += System.nanoTime() - t0;
                    start += began[0] - t0;
                }
                System.out.printf("round %d %-13s gap %d us, body %d us: %.1f us per hand-off, worker started after %.1f us%n",
                        round + 1, spinning ? "spinning:" : "ForkJoinPool:", gap, body, total / 1e3 / n, start / 1e3 / n);
            }
        }
        pool.shutdown();
    }
}
