package dev.clgrad.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.TestBackends;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchmarkTest {
    private static final class Counting extends Benchmark {
        @Override
        ObjectNode measure(Backend backend, ObjectNode result) {
            return result;
        }
    }

    /** Warm-up lasts for at least --warmup runs and --warmup-seconds, then exactly --repeats runs are timed. */
    @Test
    void warmsUpForTheRunsAndTheTimeThenTimesTheRepeats() {
        Counting bench = new Counting();
        bench.repeats = 5;
        bench.warmup = 2;
        bench.warmupSeconds = 0.2;
        int[] runs = {0};
        long t0 = System.nanoTime();
        double ms = bench.medianMs(TestBackends.java(), () -> {
            runs[0]++;
            sleep(10);
        });
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(runs[0] >= 2 + 5, "at least the 2 warm-up runs and the 5 timed ones, got " + runs[0]);
        assertTrue(seconds >= 0.2 + 5 * 0.01, "0.2 s of warm-up, then 5 runs of 10 ms, took " + seconds + " s");
        assertTrue(ms >= 10, "median " + ms + " ms");

        bench.warmupSeconds = 0;
        runs[0] = 0;
        bench.medianMs(TestBackends.java(), () -> runs[0]++);
        assertEquals(2 + 5, runs[0]);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
