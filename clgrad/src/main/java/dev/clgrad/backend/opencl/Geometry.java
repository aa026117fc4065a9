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

    /**
     * {@link #groupSize} of a kernel that reduces over its work-group with a tree in local memory
     * ({@code group_sum} of common.cl: {@code s_l[i] += s_l[i + h]} for h = L/2, L/4, …, 1), which
     * adds every element only when the group size L is a power of two, and holds L floats of local
     * memory.
     *
     * @throws BackendException when the size is not a power of two or its L floats exceed the
     *         device's local memory
     */
    static int reductionGroupSize(OpenClBackend cl, String name, int fallback) {
        int wg = groupSize(cl, name, fallback);
        if (Integer.bitCount(wg) != 1) {
            throw new BackendException(name + " = " + wg + " is not a power of two; the one-group reductions of "
                    + "common.cl (group_sum) need one. Fix its entry in native-config/profiles.json");
        }
        if ((long) wg * Float.BYTES > cl.localMemBytes()) {
            throw new BackendException(name + " = " + wg + " needs " + (long) wg * Float.BYTES + " bytes of local "
                    + "memory; " + cl.info().name() + " has " + cl.localMemBytes()
                    + " (CL_DEVICE_LOCAL_MEM_SIZE). Fix its entry in native-config/profiles.json");
        }
        return wg;
    }

    /**
     * A count (elements, rows, columns) passed to a kernel as an {@code int}, checked to fit.
     *
     * @throws IllegalArgumentException naming the op and the count when it exceeds 2^31 − 1
     */
    static int intArg(String op, String what, long value) {
        if (value < 0 || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": " + what + " = " + value + " does not fit the OpenCL kernels' "
                    + "int arguments (at most " + Integer.MAX_VALUE + ")");
        }
        return (int) value;
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
