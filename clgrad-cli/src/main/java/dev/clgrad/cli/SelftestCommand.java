package dev.clgrad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.selftest.Check;
import dev.clgrad.selftest.CheckResult;
import dev.clgrad.selftest.Conformance;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code clgrad selftest [--device SPEC] [--json]}: runs every {@link Conformance} check (each op
 * forward and backward against the float64 reference at awkward sizes, the Philox known answers)
 * on one device, to validate an OpenCL driver. Exit code 0 only when every check passes, 1
 * otherwise. With {@code --json} stdout holds
 * {@code {"device", "deviceName", "passed", "checks": [{"name", "maxRelError", "tolerance", "passed"}],
 * "checksPerOp": {"MatMul": n, …}, "uncheckedOps": […]}} (a failed check adds {@code "detail"}; a
 * non-finite error is null); else one line per check and a summary line. The coverage line (how
 * many checks run each op record of the sealed family, {@link Conformance#coverageLine()}) and the
 * details of failures go to stderr.
 */
@Command(name = "selftest", description = "Check every op on a device against the float64 reference; exit 0 when all pass.")
final class SelftestCommand implements Callable<Integer> {
    @Option(names = "--device", paramLabel = "SPEC", defaultValue = "auto",
            description = "auto, java, opencl, opencl:gpu, opencl:cpu, opencl:P:D (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        List<Check> checks = Conformance.checks();
        List<CheckResult> results = new ArrayList<>();
        try (Backend backend = Backends.select(device)) {
            System.err.println("clgrad selftest: " + checks.size() + " checks on " + backend.id() + " ("
                    + backend.info().name() + ")");
            System.err.println("clgrad selftest: coverage: " + Conformance.coverageLine());
            for (Check check : checks) {
                CheckResult r = check.run(backend);
                results.add(r);
                if (!r.passed()) {
                    System.err.println("clgrad selftest: FAIL " + r.detail());
                }
            }
            boolean passed = results.stream().allMatch(CheckResult::passed);
            if (json) {
                printJson(backend, passed, results);
            } else {
                for (CheckResult r : results) {
                    System.out.printf(Locale.ROOT, "%-4s  %-58s  maxRelError %-10s  tolerance %s%n",
                            r.passed() ? "ok" : "FAIL", r.name(), number(r.maxRelError()), number(r.tolerance()));
                }
                long ok = results.stream().filter(CheckResult::passed).count();
                System.out.printf(Locale.ROOT, "%s: %d of %d checks passed on %s (%s)%n", passed ? "PASSED" : "FAILED",
                        ok, results.size(), backend.id(), backend.info().name());
            }
            return passed ? 0 : 1;
        }
    }

    private static void printJson(Backend backend, boolean passed, List<CheckResult> results) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("device", backend.id()).put("deviceName", backend.info().name()).put("passed", passed);
        ArrayNode list = root.putArray("checks");
        for (CheckResult r : results) {
            ObjectNode c = list.addObject().put("name", r.name());
            finite(c, "maxRelError", r.maxRelError());
            finite(c, "tolerance", r.tolerance());
            c.put("passed", r.passed());
            if (!r.passed()) {
                c.put("detail", r.detail());
            }
        }
        ObjectNode perOp = root.putObject("checksPerOp");
        Conformance.checksPerOp().forEach((op, n) -> perOp.put(op.getSimpleName(), n));
        ArrayNode unchecked = root.putArray("uncheckedOps");
        Conformance.uncheckedOps().forEach(op -> unchecked.add(op.getSimpleName()));
        System.out.println(mapper.writeValueAsString(root));
    }

    /** JSON has no NaN: a non-finite value is written as null. */
    private static void finite(ObjectNode node, String field, double value) {
        if (Double.isFinite(value)) {
            node.put(field, value);
        } else {
            node.putNull(field);
        }
    }

    private static String number(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2e", v) : String.valueOf(v);
    }
}
