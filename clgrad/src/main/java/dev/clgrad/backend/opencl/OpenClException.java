package dev.clgrad.backend.opencl;

import dev.clgrad.backend.BackendException;

/**
 * An OpenCL call that returned an error status:
 * {@code clEnqueueNDRangeKernel(gemm_nn) failed: CL_INVALID_WORK_GROUP_SIZE (-54); global=[128, 130] local=[16, 16]}.
 */
public class OpenClException extends BackendException {
    private final int status;

    OpenClException(String call, int status, String context) {
        super(call + " failed: " + ClStatus.name(status) + " (" + status + ")"
                + (context == null || context.isEmpty() ? "" : "; " + context));
        this.status = status;
    }

    /** The OpenCL status code. */
    public int status() {
        return status;
    }

    static void check(int status, String call) {
        if (status != 0) {
            throw new OpenClException(call, status, null);
        }
    }

    static void check(int status, String call, String context) {
        if (status != 0) {
            throw new OpenClException(call, status, context);
        }
    }
}
