package dev.clgrad.profile;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.Diagnostics;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.ProfileSink;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Kernel-level profiling of everything a backend runs between {@link #start} and {@link #close}:
 * <pre>{@code
 * try (Profiler p = Profiler.start(model)) {
 *     model.fit(x, y, Fit.epochs(1));
 *     System.out.print(p.report());
 *     p.writeTrace(Path.of("trace.json"));
 * }
 * }</pre>
 * On OpenCL, kernel times come from event time stamps; on the Java backend, from the wall clock
 * of each op. Host spans (fit, epoch, step, layer forward/backward, optimizer, batch upload) come
 * from {@link Backend#span}.
 */
public final class Profiler implements ProfileSink, AutoCloseable {
    private final Backend backend;
    private final long originNs;
    private final List<KernelRecord> kernels = new ArrayList<>();
    private final List<HostSpan> spans = new ArrayList<>();
    private boolean stopped;

    private Profiler(Backend backend) {
        this.backend = backend;
        this.originNs = System.nanoTime();
    }

    /** Starts profiling {@code backend}. */
    public static Profiler start(Backend backend) {
        Profiler p = new Profiler(backend);
        backend.profile(p);
        return p;
    }

    @Override
    public synchronized void kernel(KernelRecord record) {
        kernels.add(record);
    }

    @Override
    public synchronized void span(HostSpan span) {
        spans.add(span);
    }

    /** Waits for the device, then returns the kernel launches recorded so far. */
    public List<KernelRecord> kernels() {
        flush();
        synchronized (this) {
            return List.copyOf(kernels);
        }
    }

    public synchronized List<HostSpan> spans() {
        return List.copyOf(spans);
    }

    /** Per-kernel statistics, largest total time first. */
    public List<KernelStats> stats() {
        return KernelStats.of(kernels());
    }

    /** The top-kernels table. */
    public String report() {
        return KernelStats.table(stats());
    }

    /**
     * The statistics as JSON: {@code {"device": id (opencl:0:0, java), "deviceName":…,
     * "kernels":[{"kernel":…,"calls":…,…}], "deviceMs":…}}.
     */
    public ObjectNode toJson() {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("device", backend.id());
        root.put("deviceName", backend.info().name());
        ArrayNode list = root.putArray("kernels");
        double total = 0;
        for (KernelStats s : stats()) {
            list.add(mapper.valueToTree(s));
            total += s.totalMs();
        }
        root.put("deviceMs", total);
        return root;
    }

    /** Writes the Chrome trace of everything recorded so far. */
    public void writeTrace(Path file) throws IOException {
        List<KernelRecord> k = kernels();
        ChromeTrace.write(file, originNs, backend.info().name(), spans(), k);
    }

    private void flush() {
        if (!stopped) {
            backend.finish();
        }
    }

    /** Stops recording (the records stay readable); idempotent, never throws. */
    @Override
    public void close() {
        if (!stopped) {
            try {
                backend.profile(null);
            } catch (RuntimeException e) {
                Diagnostics.logger(Profiler.class).log(System.Logger.Level.WARNING, "stopping the profiler: " + e);
            }
            stopped = true;
        }
    }
}
