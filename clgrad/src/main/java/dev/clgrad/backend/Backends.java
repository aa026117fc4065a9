package dev.clgrad.backend;

import dev.clgrad.Config;
import dev.clgrad.Diagnostics;
import dev.clgrad.backend.java.JavaBackend;
import dev.clgrad.backend.opencl.ClBindings;
import dev.clgrad.backend.opencl.OpenClBackend;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.INFO;

/**
 * Chooses a backend from a device spec:
 * <ul>
 *   <li>{@code auto} — the first OpenCL GPU; else, where an OpenCL CPU device exists, whichever of it and
 *       Java runs a training step of the model's {@link StepClass} faster on this machine
 *       ({@link CpuChoice}: alternating rounds, OpenCL only when more than 10 % faster, cached per
 *       step class and measured again when old or when the JDK, driver or clgrad changed); else
 *       Java. It says which, what was measured and why, in one line;</li>
 *   <li>{@code opencl} — the first OpenCL device, GPUs first;</li>
 *   <li>{@code opencl:gpu}, {@code opencl:cpu} — the first OpenCL device of that type;</li>
 *   <li>{@code opencl:P:D} — device D of platform P, as {@code clgrad devices} numbers them;</li>
 *   <li>{@code opencl:P:D/K:i} — sub-device i of that device split into K equal parts (device
 *       fission, {@code clCreateSubDevices}); {@code clgrad devices} lists the halves, {@code /2:0}
 *       and {@code /2:1}, of each device that can be split;</li>
 *   <li>{@code java} — the pure-Java backend.</li>
 * </ul>
 * A spec that names nothing available is an {@link IllegalArgumentException} listing the ids that exist.
 * {@link #prefetch} opens an OpenCL device ahead of its {@code select}, while the caller reads its data.
 * Before the first OpenCL call of a process, {@link DriverCrashCheck} looks for an earlier OpenCL run
 * that ended without an orderly exit (a driver abort can leave PoCL's kernel cache damaged).
 */
public final class Backends {
    private static final System.Logger LOG = Diagnostics.logger(Backends.class);
    /** Devices being opened by {@link #prefetch}, by normalised spec and binding. */
    private static final Map<String, CompletableFuture<Backend>> PREFETCHED = new ConcurrentHashMap<>();

    private Backends() {
    }

    /** Every device: the OpenCL devices the default binding sees, then {@code java}. */
    public static List<DeviceInfo> available() {
        DriverCrashCheck.beforeFirstOpenClCall();
        List<DeviceInfo> out = new ArrayList<>(OpenClBackend.devices(ClBindings.defaultName()));
        try (Backend java = new JavaBackend()) {
            out.add(java.info());
        }
        return out;
    }

    /**
     * Starts opening the OpenCL device that {@code spec} names explicitly ({@code opencl},
     * {@code opencl:gpu}, {@code opencl:cpu}, {@code opencl:P:D}) through {@code binding} on a
     * background thread, and setting up its compiler ({@link OpenClBackend#warmUpCompiler}), so that
     * the next {@link #select} of the same spec and binding finds the driver and its compiler
     * started: a caller starts it, reads its data, then selects.
     * With PoCL's cache empty, its first program build in a process costs about 0.9 s, most of it
     * one-time set-up of its compiler; warm, opening the driver costs tens of milliseconds. {@code java},
     * {@code auto} (whose choice may depend on the model) and sub-devices are left to select, as
     * is any failure here: select opens the device again and reports what is wrong.
     */
    public static void prefetch(String spec, String binding) {
        String s = normalized(spec);
        if (!(s.equals("opencl") || s.startsWith("opencl:")) || s.contains("/")) {
            return;
        }
        PREFETCHED.computeIfAbsent(s + " " + binding, k -> {
            CompletableFuture<Backend> f = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    Backend b = open(s, binding, StepClass.LARGE);
                    try {
                        if (b instanceof OpenClBackend cl) {
                            cl.warmUpCompiler();
                        }
                    } catch (RuntimeException | Error e) {
                        b.close();
                        throw e;
                    }
                    f.complete(b);
                } catch (Throwable e) {
                    f.completeExceptionally(e);
                }
            }, "clgrad-prefetch");
            t.setDaemon(true);
            t.start();
            return f;
        });
    }

    /** {@link #prefetch(String, String)} with the default binding. */
    public static void prefetch(String spec) {
        prefetch(spec, ClBindings.defaultName());
    }

    /** {@link #select(String, String)} with the default binding. */
    public static Backend select(String spec) {
        return select(spec, ClBindings.defaultName());
    }

    /**
     * {@link #select(String, String, StepClass)} for a caller that does not know its model:
     * {@code auto} decides as for a {@link StepClass#LARGE} step.
     */
    public static Backend select(String spec, String binding) {
        return select(spec, binding, StepClass.LARGE);
    }

    /** {@link #select(String, String, StepClass)} with the default binding. */
    public static Backend select(String spec, StepClass step) {
        return select(spec, ClBindings.defaultName(), step);
    }

    /**
     * Opens the backend {@code spec} names (null: {@link Config#device()}), OpenCL through
     * {@code binding}; {@code auto} without a GPU picks the faster CPU path for steps of class
     * {@code step}.
     */
    public static Backend select(String spec, String binding, StepClass step) {
        String s = normalized(spec);
        CompletableFuture<Backend> prefetched = PREFETCHED.remove(s + " " + binding);
        if (prefetched != null) {
            try {
                return prefetched.get();
            } catch (ExecutionException e) {
                LOG.log(DEBUG, "the prefetch of " + s + " failed (" + e.getCause() + "); opening it again");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while opening " + s, e);
            }
        }
        return open(s, binding, step);
    }

    private static Backend open(String s, String binding, StepClass step) {
        if (s.equals("java")) {
            return java();
        }
        DriverCrashCheck.beforeFirstOpenClCall();
        List<DeviceInfo> cl = OpenClBackend.devices(binding);
        if (s.equals("auto")) {
            Optional<DeviceInfo> gpu = first(cl, "GPU");
            if (gpu.isPresent()) {
                DeviceInfo d = gpu.get();
                LOG.log(INFO, "auto: using " + d.id() + " (" + d.name() + "): the first OpenCL GPU");
                return OpenClBackend.open(d.id(), binding);
            }
            Optional<DeviceInfo> cpu = first(cl, "CPU");
            if (cpu.isPresent()) {
                DeviceInfo d = cpu.get();
                CpuChoice.Verdict v = CpuChoice.decide(d, binding, step);
                LOG.log(INFO, "auto: no OpenCL GPU; using " + (v.openClFaster() ? d.id() + " (" + d.name() + ")" : "java")
                        + " for " + step.label() + " steps: " + v.reason(d));
                return v.openClFaster() ? OpenClBackend.open(d.id(), binding) : java();
            }
            LOG.log(INFO, "auto: using java: " + OpenClBackend.discoveryProblem(binding));
            return java();
        }
        Optional<DeviceInfo> match = switch (s) {
            case "opencl" -> first(cl, "GPU").or(() -> cl.stream().findFirst());
            case "opencl:gpu" -> first(cl, "GPU");
            case "opencl:cpu" -> first(cl, "CPU");
            default -> cl.stream().filter(d -> d.id().equals(s)).findFirst();
        };
        if (match.isEmpty() && s.startsWith("opencl:") && s.contains("/")) {
            OpenClBackend sub = OpenClBackend.open(s, binding);
            if (sub != null) {
                return sub;
            }
        }
        if (match.isEmpty()) {
            List<String> ids = new ArrayList<>(cl.stream().map(DeviceInfo::id).toList());
            ids.add("java");
            throw new IllegalArgumentException("unknown or unavailable device '" + s + "'; available: "
                    + String.join(", ", ids) + " (and auto, opencl, opencl:gpu, opencl:cpu, opencl:P:D/K:i)");
        }
        return OpenClBackend.open(match.get().id(), binding);
    }

    private static String normalized(String spec) {
        return spec == null || spec.isBlank() ? Config.device().trim().toLowerCase() : spec.trim().toLowerCase();
    }

    /** A Java backend, saying once per selection when it lacks the Vector API kernels. */
    private static Backend java() {
        String missing = JavaBackend.missingVectorApi();
        if (missing != null) {
            LOG.log(INFO, missing);
        }
        return new JavaBackend();
    }

    private static Optional<DeviceInfo> first(List<DeviceInfo> devices, String type) {
        return devices.stream().filter(d -> d.type().equals(type)).findFirst();
    }
}
