package dev.clgrad.profile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clgrad.ops.Act;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.AdamHyper;
import dev.clgrad.ops.AdamUpdate;
import dev.clgrad.ops.ApplyMask;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Mask;
import dev.clgrad.ops.MatMul;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendTest;
import dev.clgrad.backend.ProfileSink.KernelRecord;
import dev.clgrad.backend.Span;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Kernel statistics and the Chrome trace on every backend. */
class ProfilerTest {

    private static void work(Backend b, Tensor x, Tensor w, Tensor y, Tensor m, Tensor v) {
        try (Span s = b.span("step")) {
            b.run(MatMul.of(false, false, 1f, x, w, 0f, y));
            b.run(new Act(Activation.RELU, y, y));
            b.run(new ApplyMask(y, Mask.fixed(0.5f, 7, 0), y));
            b.run(new AdamUpdate(w, w, m, v, AdamHyper.adam(1e-3f), Counter.of(1)));
        }
    }

    @BackendTest
    void recordsEveryOpWithCostsAndWritesAValidTrace(Backend b, @TempDir Path dir) throws Exception {
        try (Tensor x = Tensor.zeros(b, Shape.of(64, 128)); Tensor w = Tensor.zeros(b, Shape.of(128, 96));
             Tensor y = Tensor.empty(b, Shape.of(64, 96)); Tensor m = Tensor.zeros(b, Shape.of(128, 96));
             Tensor v = Tensor.zeros(b, Shape.of(128, 96))) {
            work(b, x, w, y, m, v);
            b.finish();
            long wall0 = System.nanoTime();
            List<KernelRecord> kernels;
            Path trace = dir.resolve("trace.json");
            try (Profiler p = Profiler.start(b)) {
                for (int i = 0; i < 3; i++) {
                    work(b, x, w, y, m, v);
                }
                kernels = p.kernels();
                long wall = System.nanoTime() - wall0;
                long device = kernels.stream().mapToLong(k -> k.endNs() - k.startNs()).sum();
                assertTrue(device <= wall, "kernel time " + device + " ns exceeds the wall time " + wall + " ns");
                Set<String> ops = kernels.stream().map(KernelRecord::op).collect(Collectors.toSet());
                assertTrue(ops.containsAll(Set.of("matmul", "reluForward", "dropout", "adamStep")), ops.toString());
                KernelRecord gemm = kernels.stream().filter(k -> k.op().equals("matmul")).findFirst().orElseThrow();
                assertEquals(2.0 * 64 * 96 * 128, gemm.flops());
                String table = p.report();
                assertTrue(table.lines().count() > 4, table);
                assertEquals(3, p.spans().size());
                p.writeTrace(trace);
            }
            work(b, x, w, y, m, v);
            b.finish();

            JsonNode root = new ObjectMapper().readTree(trace.toFile());
            JsonNode events = root.get("traceEvents");
            int complete = 0;
            for (JsonNode e : events) {
                for (String f : List.of("name", "ph", "pid", "tid")) {
                    assertTrue(e.has(f), f + " missing in " + e);
                }
                if (e.get("ph").asText().equals("X")) {
                    complete++;
                    assertTrue(e.has("ts") && e.has("dur"), e.toString());
                    assertTrue(e.get("dur").asDouble() >= 0, e.toString());
                }
            }
            assertEquals(kernels.size() + 3, complete, "one event per kernel and per span");
            assertFalse(kernels.isEmpty());
        }
    }
}
