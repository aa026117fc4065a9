package dev.clgrad.selftest;

import dev.clgrad.backend.Backend;
import dev.clgrad.ops.Op;

import java.util.List;

/**
 * One named conformance check: fresh operands from {@code seed} on a backend (outputs poisoned,
 * every operand a view at an offset, see {@link OpInputs}), the op run ({@code Backend.run}), its
 * outputs compared with {@link RefOps} at {@code tolerance} (0 for bit-exact checks).
 *
 * @param op the op record the check runs, counted by {@link Conformance#uncheckedOps()}; null only
 *           for a check of no op (the Philox known answers run the generator itself)
 */
public record Check(String name, Class<? extends Op> op, double tolerance, long seed, Body body) {

    /** What a check does on one backend. */
    @FunctionalInterface
    public interface Body {
        /** Runs the op on {@code backend} with operands from {@code in}; returns every comparison made. */
        List<Comparison> run(Backend backend, OpInputs in);
    }

    /** Runs the check and returns its comparisons; what the backend throws is thrown. Frees its operands. */
    public List<Comparison> evaluate(Backend backend) {
        try (OpInputs in = new OpInputs(backend, seed)) {
            return body.run(backend, in);
        }
    }

    /** Runs the check and folds it into one verdict; a runtime exception is a failed check naming it. */
    public CheckResult run(Backend backend) {
        List<Comparison> comparisons;
        try {
            comparisons = evaluate(backend);
        } catch (RuntimeException e) {
            return new CheckResult(name, Double.NaN, tolerance, false, name + ": " + e);
        }
        double max = 0;
        String firstFailure = null;
        for (Comparison c : comparisons) {
            max = Double.isNaN(c.relError()) || Double.isNaN(max) ? Double.NaN : Math.max(max, c.relError());
            if (!c.passed() && firstFailure == null) {
                firstFailure = c.detail();
            }
        }
        if (comparisons.isEmpty()) {
            return new CheckResult(name, Double.NaN, tolerance, false, name + ": made no comparison");
        }
        return new CheckResult(name, max, tolerance, firstFailure == null, firstFailure);
    }
}
