package dev.clgrad.backend.java;

import dev.clgrad.Config;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParallelLoopTest {

    /** Runs a range, returning how often each index was visited; the names of the threads that ran chunks go into names. */
    private static int[] visits(ParallelLoop loop, int n, int grain, int align, Set<String> names) {
        int[] seen = new int[n];
        loop.forRange(n, grain, align, (from, to) -> {
            names.add(Thread.currentThread().getName());
            for (int i = from; i < to; i++) {
                seen[i]++;
            }
        });
        return seen;
    }

    @Test
    void everyIndexRunsOnceAcrossTheCallerAndTheWorkers() {
        for (long spin : new long[] {0, 1000}) {
            try (ParallelLoop loop = new ParallelLoop(3, spin)) {
                for (int n : new int[] {1, 2, 3, 7, 64, 1001}) {
                    for (int align : new int[] {1, 16}) {
                        Set<String> names = ConcurrentHashMap.newKeySet();
                        int[] seen = visits(loop, n, 1, align, names);
                        for (int i = 0; i < n; i++) {
                            assertEquals(1, seen[i], "index " + i + " of " + n + ", align " + align + ", spin " + spin);
                        }
                        int chunks = Math.min(3, (n + align - 1) / align);
                        assertTrue(names.size() <= chunks, names + " for " + n + " / " + align);
                    }
                }
                Set<String> names = ConcurrentHashMap.newKeySet();
                visits(loop, 3000, 1, 1, names);
                assertEquals(Set.of(Thread.currentThread().getName(), "clgrad-java-1", "clgrad-java-2"), names);
            }
        }
    }

    @Test
    void claimedChunksCoverTheRangeOnceWithTheirOwnBounds() {
        try (ParallelLoop loop = new ParallelLoop(3, 1000)) {
            for (int n : new int[] {0, 1, 15, 16, 17, 1000, 4096}) {
                int[] seen = new int[n];
                Set<String> bounds = ConcurrentHashMap.newKeySet();
                Set<String> names = ConcurrentHashMap.newKeySet();
                loop.forChunks(n, 1, 16, (from, to) -> {
                    bounds.add(from + ".." + to);
                    names.add(Thread.currentThread().getName());
                    for (int i = from; i < to; i++) {
                        seen[i]++;
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertEquals(1, seen[i], "index " + i + " of " + n);
                }
                int chunks = Math.max(1, (n + 15) / 16);
                assertEquals(n <= 16 ? 1 : chunks, bounds.size(), bounds + " for " + n);
                for (String b : bounds) {
                    int from = Integer.parseInt(b.substring(0, b.indexOf('.')));
                    int to = Integer.parseInt(b.substring(b.lastIndexOf('.') + 1));
                    assertTrue(n <= 16 || from % 16 == 0 && (to - from == 16 || to == n), b + " for " + n);
                }
                assertTrue(names.size() <= Math.min(3, chunks), names + " for " + n);
            }
        }
    }

    @Test
    void chunksBelowTwoGrainsRunWholeOnTheCallerAndAWorkersFailureReachesIt() {
        try (ParallelLoop loop = new ParallelLoop(2, 1000)) {
            Set<String> names = ConcurrentHashMap.newKeySet();
            int[] seen = new int[100];
            loop.forChunks(100, 64, 8, (from, to) -> {
                names.add(Thread.currentThread().getName() + " " + from + ".." + to);
                for (int i = from; i < to; i++) {
                    seen[i]++;
                }
            });
            assertEquals(Set.of(Thread.currentThread().getName() + " 0..100"), names);
            assertEquals(100, java.util.Arrays.stream(seen).sum());
            AtomicInteger ran = new AtomicInteger();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> loop.forChunks(1000, 1, 10, (from, to) -> {
                        ran.incrementAndGet();
                        if (from == 500) {
                            throw new IllegalArgumentException("chunk " + from);
                        }
                    }));
            assertEquals("chunk 500", e.getMessage());
            assertTrue(ran.get() >= 51, "chunks run before the failure was thrown: " + ran.get());
            int[] again = visits(loop, 1000, 1, 1, ConcurrentHashMap.newKeySet());
            assertEquals(1000, java.util.Arrays.stream(again).sum());
        }
    }

    @Test
    void rangesBelowTheGrainRunWholeOnTheCaller() {
        try (ParallelLoop loop = new ParallelLoop(2, 1000)) {
            Set<String> names = ConcurrentHashMap.newKeySet();
            int[] seen = visits(loop, 100, 64, 1, names);
            assertEquals(Set.of(Thread.currentThread().getName()), names);
            assertEquals(100, java.util.Arrays.stream(seen).sum());
        }
    }

    @Test
    void aParkedWorkerIsWokenByTheNextRange() throws InterruptedException {
        try (ParallelLoop loop = new ParallelLoop(2, 10)) {
            for (int round = 0; round < 5; round++) {
                Set<String> names = ConcurrentHashMap.newKeySet();
                int[] seen = visits(loop, 1000, 1, 1, names);
                assertEquals(1000, java.util.Arrays.stream(seen).sum());
                assertTrue(names.contains("clgrad-java-1"), names.toString());
                Thread.sleep(20);
            }
        }
    }

    @Test
    void aWorkersExceptionReachesTheCallerAfterEveryChunkAndTheLoopGoesOn() {
        try (ParallelLoop loop = new ParallelLoop(2, 1000)) {
            AtomicInteger finished = new AtomicInteger();
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> loop.forRange(100, 1, 1,
                    (from, to) -> {
                        if (from > 0) {
                            throw new IllegalStateException("chunk " + from + ".." + to);
                        }
                        finished.incrementAndGet();
                    }));
            assertEquals("chunk 50..100", thrown.getMessage());
            assertEquals(1, finished.get());
            ArithmeticException both = assertThrows(ArithmeticException.class, () -> loop.forRange(100, 1, 1,
                    (from, to) -> {
                        throw new ArithmeticException("chunk " + from);
                    }));
            assertEquals("chunk 0", both.getMessage());
            assertEquals("chunk 50", both.getSuppressed()[0].getMessage());
            int[] seen = visits(loop, 100, 1, 1, ConcurrentHashMap.newKeySet());
            assertEquals(100, java.util.Arrays.stream(seen).sum());
        }
    }

    @Test
    void aRangeInsideABodyRunsWholeOnThatBodysThread() {
        try (ParallelLoop loop = new ParallelLoop(2, 1000)) {
            int[] seen = new int[100 * 100];
            loop.forRange(100, 1, 1, (from, to) -> {
                String outer = Thread.currentThread().getName();
                for (int i = from; i < to; i++) {
                    int row = i;
                    loop.forRange(100, 1, 1, (f, t) -> {
                        assertEquals(outer, Thread.currentThread().getName());
                        for (int j = f; j < t; j++) {
                            seen[row * 100 + j]++;
                        }
                    });
                }
            });
            for (int v : seen) {
                assertEquals(1, v);
            }
        }
    }

    @Test
    void twoCallersAtOnceBothGetEveryIndex() throws InterruptedException {
        try (ParallelLoop loop = new ParallelLoop(2, 1000)) {
            CountDownLatch go = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread[] callers = new Thread[2];
            for (int c = 0; c < callers.length; c++) {
                callers[c] = new Thread(() -> {
                    try {
                        go.await();
                        for (int round = 0; round < 200; round++) {
                            int[] seen = visits(loop, 517, 1, 4, ConcurrentHashMap.newKeySet());
                            for (int v : seen) {
                                assertEquals(1, v);
                            }
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                });
                callers[c].start();
            }
            go.countDown();
            for (Thread t : callers) {
                t.join();
            }
            assertSame(null, failure.get());
        }
    }

    @Test
    void closeEndsTheWorkerThreads() throws InterruptedException {
        ParallelLoop loop = new ParallelLoop(2, 1000);
        Set<Thread> workers = ConcurrentHashMap.newKeySet();
        loop.forRange(1000, 1, 1, (from, to) -> {
            if (from > 0) {
                workers.add(Thread.currentThread());
            }
        });
        assertEquals(1, workers.size());
        Thread worker = workers.iterator().next();
        assertTrue(worker.isDaemon());
        loop.close();
        worker.join(10_000);
        assertFalse(worker.isAlive());
    }

    @Test
    void theSpinPropertyIsCheckedWithItsValue() {
        String before = System.getProperty("clgrad.spinMicros");
        try {
            System.clearProperty("clgrad.spinMicros");
            assertEquals(1000, Config.spinMicros());
            System.setProperty("clgrad.spinMicros", " 0 ");
            assertEquals(0, Config.spinMicros());
            for (String bad : new String[] {"-5", "1.5", "2000000", "fast"}) {
                System.setProperty("clgrad.spinMicros", bad);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Config::spinMicros);
                assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
            }
            assertThrows(IllegalArgumentException.class, () -> new ParallelLoop(2, -1));
        } finally {
            if (before == null) {
                System.clearProperty("clgrad.spinMicros");
            } else {
                System.setProperty("clgrad.spinMicros", before);
            }
        }
    }
}
