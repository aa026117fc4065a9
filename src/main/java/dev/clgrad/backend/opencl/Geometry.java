package dev.clgrad.backend.opencl;

import dev.clgrad.backend.BackendException;

/**
 * Launch geometry shared by the routines: a work-group size read from the device profile, checked
 * against the device, and the global size that covers a count of work-items with whole groups.
 */
final class Geometry {
    private Geometry() {
    }

    /**
     * The value of the work-group size define {@code name} for this device (else {@code fallback},
     * the kernel file's default).
     *
     * @throws BackendException when the profile asks for more work-items than the device allows
     */
    static int groupSize(OpenClBackend cl, String name, int fallback) {
        int wg = cl.define(name, fallback);
        if (wg < 1 || wg > cl.maxWorkGroupSize()) {
            throw new BackendException(name + " = " + wg + " is not a valid work-group size on " + cl.info().name()
                    + " (1 to " + cl.maxWorkGroupSize() + "); fix its entry in native-config/profiles.json");
        }
        return wg;
    }

    /** {@code ceil(n / group) * group}: the global size covering n work-items. */
    static long cover(long n, int group) {
        return (n + group - 1) / group * group;
    }

    /** A 1-D global size covering n work-items. */
    static long[] global(long n, int group) {
        return new long[] {cover(n, group)};
    }

    /** The global size of a launch that is one work-group of {@code group} work-items. */
    static long[] oneGroup(int group) {
        return new long[] {group};
    }

    /** A 1-D local size. */
    static long[] local(int group) {
        return new long[] {group};
    }
}
