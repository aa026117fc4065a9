package dev.clgrad.selftest;

/**
 * The verdict of one {@link Check} on one backend: the largest relative error over its comparisons
 * (NaN when an output was not finite or the check threw), its tolerance, and for a failure the
 * first failing comparison's detail (null when passed).
 */
public record CheckResult(String name, double maxRelError, double tolerance, boolean passed, String detail) {
}
