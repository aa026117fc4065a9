package dev.clgrad.selftest;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.backend.ProfileSink;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The fewest-cost subset of {@link Conformance#checks()} that launches every kernel entry point of
 * {@code opencl-kernels/*.cl}, run on one device: for a simulator such as Oclgrind, which checks
 * every memory access for races, bounds and uninitialised values but runs kernels thousands of
 * times slower than a CPU driver.
 *
 * <p>The plan is made on a fast device with the same kernel defines (PoCL with the same
 * {@code -Dclgrad.profile}): the {@link #preferred} checks run there with the profiler on, which
 * records the kernels each launches and the FLOPs and bytes its ops declare (the cost); then,
 * entry point by entry point in name order, the cheapest check that launches one not yet covered
 * joins the plan; the other checks are considered only for entry points the preferred ones miss.
 * The plan's checks then run on the target device, in conformance order. An entry point that no
 * check launches is an error, so a new kernel without a check fails the sweep.
 *
 * <p>{@code java -cp clgrad.jar dev.clgrad.selftest.KernelSweep --plan SPEC --run SPEC}; exit
 * code 0 when every entry point is covered and every planned check passes on the target, 1
 * otherwise, 2 for bad arguments.
 */
public final class KernelSweep {
    /** {@code __kernel [attributes] void name(}, {@code TILED void name(} and {@code GEMM_ENTRY(name, ...)}. */
    private static final Pattern ENTRY = Pattern.compile(
            "(?:__kernel\\b[^;{]*?|\\bTILED\\s+)void\\s+([a-z_][a-z0-9_]*)\\s*\\(|^GEMM_ENTRY\\(([a-z_][a-z0-9_]*),",
            Pattern.MULTILINE);

    private KernelSweep() {
    }

    /** One check of the plan: its name, the kernels it launches, the FLOPs + bytes its ops declare. */
    public record Planned(Check check, Set<String> kernels, double cost) {
    }

    /** The plan: the checks to run, and the entry points no check launches. */
    public record Plan(List<Planned> checks, Set<String> uncovered) {
    }

    public static void main(String[] args) {
        String plan = null;
        String run = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--plan" -> plan = args[i + 1];
                case "--run" -> run = args[i + 1];
                default -> plan = null;
            }
        }
        if (plan == null || run == null || args.length != 4) {
            System.err.println("usage: KernelSweep --plan SPEC --run SPEC (SPEC: a device, e.g. opencl:cpu, opencl:gpu)");
            System.exit(2);
        }
        System.exit(sweep(plan, run) ? 0 : 1);
    }

    /** Plans on {@code planSpec}, runs on {@code runSpec}; reports on stdout; true when all is well. */
    static boolean sweep(String planSpec, String runSpec) {
        Set<String> entries = entryPoints();
        Plan plan;
        long t0 = System.nanoTime();
        try (Backend planner = Backends.select(planSpec)) {
            plan = plan(planner, Conformance.checks(), entries);
            System.out.printf(Locale.ROOT, "kernel sweep: %d entry points; %d of %d checks reach them all"
                            + " (planned on %s, %s, in %.0f s)%n", entries.size(), plan.checks().size(),
                    Conformance.checks().size(), planner.id(), planner.info().name(), (System.nanoTime() - t0) / 1e9);
        }
        boolean ok = plan.uncovered().isEmpty();
        if (!ok) {
            System.out.println("kernel sweep: FAIL no check launches " + plan.uncovered());
        }
        try (Backend target = Backends.select(runSpec)) {
            System.out.println("kernel sweep: running on " + target.id() + " (" + target.info().name() + ")");
            for (Planned p : plan.checks()) {
                long c0 = System.nanoTime();
                CheckResult r = p.check().run(target);
                double s = (System.nanoTime() - c0) / 1e9;
                ok &= r.passed();
                System.out.printf(Locale.ROOT, "%-4s %6.1f s  %-60s %s%n", r.passed() ? "ok" : "FAIL", s, p.check().name(),
                        p.kernels());
                if (!r.passed()) {
                    System.out.println("      " + r.detail());
                }
                System.out.flush();
            }
        }
        System.out.printf(Locale.ROOT, "kernel sweep: %s in %.0f s%n", ok ? "PASSED" : "FAILED",
                (System.nanoTime() - t0) / 1e9);
        return ok;
    }

    /**
     * The checks that a sweep considers first: the special-value checks, sized to fill the tiles of
     * the CPU and GPU profiles with several K steps and to take dropout's p > 0 and ReLU paths
     * first, and the Philox known answers (the only launcher of {@code philox_kat}).
     */
    public static boolean preferred(Check c) {
        return c.name().startsWith("special values: ") || c.name().startsWith("philox4x32-10 ");
    }

    /**
     * Runs the {@link #preferred} checks on {@code planner} with the profiler on and picks, for each
     * entry point in name order not yet covered, the cheapest that launches it (the first among
     * equals); entry points they miss are then planned the same way over the other checks (run only
     * then). Check results are ignored here (the selftest judges them); a check that throws
     * launches what it launched.
     */
    public static Plan plan(Backend planner, List<Check> checks, Set<String> entries) {
        Map<Check, Planned> chosen = new LinkedHashMap<>();
        Set<String> left = new TreeSet<>(entries);
        for (boolean first : new boolean[] {true, false}) {
            if (left.isEmpty()) {
                break;
            }
            List<Planned> measured = new ArrayList<>();
            for (Check c : checks) {
                if (preferred(c) == first) {
                    measured.add(measure(planner, c));
                }
            }
            for (String entry : entries) {
                if (!left.contains(entry)) {
                    continue;
                }
                Planned best = null;
                for (Planned p : measured) {
                    if (p.kernels().contains(entry) && (best == null || p.cost() < best.cost())) {
                        best = p;
                    }
                }
                if (best != null) {
                    chosen.put(best.check(), best);
                    left.removeAll(best.kernels());
                }
            }
        }
        List<Planned> ordered = new ArrayList<>();
        for (Check c : checks) {
            if (chosen.containsKey(c)) {
                ordered.add(chosen.get(c));
            }
        }
        return new Plan(List.copyOf(ordered), Collections.unmodifiableSet(left));
    }

    /** Runs {@code c} on {@code planner} with the profiler on: the kernels it launches and its cost. */
    private static Planned measure(Backend planner, Check c) {
        Set<String> kernels = new TreeSet<>();
        double[] cost = {0};
        ProfileSink sink = new ProfileSink() {
            @Override
            public void kernel(KernelRecord record) {
                kernels.add(record.kernel());
                cost[0] += record.flops() + record.bytes();
            }

            @Override
            public void span(HostSpan span) {
            }
        };
        planner.profile(sink);
        try {
            c.run(planner);
        } finally {
            planner.profile(null);
        }
        return new Planned(c, kernels, cost[0]);
    }

    /** Every kernel entry point of the kernel files on the classpath, by name. */
    public static Set<String> entryPoints() {
        Set<String> out = new TreeSet<>();
        for (Map.Entry<String, String> f : kernelFiles().entrySet()) {
            Matcher m = ENTRY.matcher(f.getValue().replaceAll("(?m)//.*$", ""));
            while (m.find()) {
                String name = m.group(1) != null ? m.group(1) : m.group(2);
                if (!name.equals("NAME")) {
                    out.add(name);
                }
            }
        }
        return out;
    }

    /**
     * The text of every kernel file of the engine, by file name: the {@code .cl} files in the
     * classpath folder that holds {@code opencl-kernels/common.cl} (not the test kernels that a
     * test classpath adds in another {@code opencl-kernels/} folder).
     */
    static Map<String, String> kernelFiles() {
        URL common = KernelSweep.class.getClassLoader().getResource("opencl-kernels/common.cl");
        if (common == null) {
            throw new IllegalStateException("opencl-kernels/common.cl is not on the classpath");
        }
        try {
            if (common.getProtocol().equals("jar")) {
                try (FileSystem fs = FileSystems.newFileSystem(common.toURI(), Map.of())) {
                    return read(fs.getPath("opencl-kernels"));
                }
            }
            return read(Path.of(common.toURI()).getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> read(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(p -> p.toString().endsWith(".cl")).toList()) {
                try (InputStream in = Files.newInputStream(p)) {
                    out.put(p.getFileName().toString(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
        }
        return out;
    }
}
