package dev.clgrad.profile;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.clgrad.backend.ProfileSink.HostSpan;
import dev.clgrad.backend.ProfileSink.KernelRecord;
import dev.clgrad.AtomicFile;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a Chrome trace ({@code {"traceEvents":[…]}}, opened by Perfetto and chrome://tracing):
 * complete events ({@code ph: "X"}, {@code ts}/{@code dur} in microseconds from the profile's
 * start). Process 1 is the host, one track per thread; process 2 is the device, one track for its
 * queue. Metadata events name the processes and threads. The file is written atomically
 * ({@link AtomicFile}); an error names its path.
 */
final class ChromeTrace {
    static final int HOST_PID = 1;
    static final int DEVICE_PID = 2;

    private ChromeTrace() {
    }

    static void write(Path file, long originNs, String deviceName, List<HostSpan> spans, List<KernelRecord> kernels)
            throws IOException {
        Map<String, Integer> threads = new LinkedHashMap<>();
        for (HostSpan s : spans) {
            threads.computeIfAbsent(s.thread(), t -> threads.size() + 1);
        }
        AtomicFile.write(file, out -> writeEvents(out, originNs, deviceName, spans, kernels, threads));
    }

    private static void writeEvents(OutputStream out, long originNs, String deviceName, List<HostSpan> spans,
                                    List<KernelRecord> kernels, Map<String, Integer> threads) throws IOException {
        try (JsonGenerator g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("displayTimeUnit", "ms");
            g.writeArrayFieldStart("traceEvents");
            metadata(g, "process_name", HOST_PID, 0, "host");
            metadata(g, "process_name", DEVICE_PID, 0, "device: " + deviceName);
            metadata(g, "thread_name", DEVICE_PID, 1, "queue");
            threads.forEach((name, tid) -> {
                try {
                    metadata(g, "thread_name", HOST_PID, tid, name);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            for (HostSpan s : spans) {
                event(g, s.name(), "host", HOST_PID, threads.get(s.thread()), s.startNs() - originNs,
                        s.endNs() - s.startNs(), null);
            }
            for (KernelRecord k : kernels) {
                event(g, k.kernel(), "kernel", DEVICE_PID, 1, k.startNs() - originNs, k.endNs() - k.startNs(), k);
            }
            g.writeEndArray();
            g.writeEndObject();
        }
    }

    private static void metadata(JsonGenerator g, String what, int pid, int tid, String name) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", what);
        g.writeStringField("ph", "M");
        g.writeNumberField("pid", pid);
        g.writeNumberField("tid", tid);
        g.writeObjectFieldStart("args");
        g.writeStringField("name", name);
        g.writeEndObject();
        g.writeEndObject();
    }

    private static void event(JsonGenerator g, String name, String category, int pid, int tid, long startNs,
                              long durNs, KernelRecord kernel) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", name);
        g.writeStringField("cat", category);
        g.writeStringField("ph", "X");
        g.writeNumberField("ts", startNs / 1e3);
        g.writeNumberField("dur", Math.max(durNs, 0) / 1e3);
        g.writeNumberField("pid", pid);
        g.writeNumberField("tid", tid);
        if (kernel != null) {
            g.writeObjectFieldStart("args");
            g.writeStringField("op", kernel.op());
            g.writeNumberField("flops", kernel.flops());
            g.writeNumberField("bytes", kernel.bytes());
            g.writeNumberField("queuedToStartUs", (kernel.startNs() - kernel.queuedNs()) / 1e3);
            g.writeEndObject();
        }
        g.writeEndObject();
    }
}
