package dev.clgrad.backend.opencl;

import dev.clgrad.backend.BackendException;

/** A kernel file that did not compile: the file, the options and the compiler's whole log. */
public class KernelBuildException extends BackendException {
    private final String buildLog;

    KernelBuildException(String file, String device, String options, int status, String buildLog) {
        super("building " + file + " for " + device + " failed: " + ClStatus.name(status) + " (" + status
                + ")\noptions: " + options + "\nbuild log:\n" + buildLog);
        this.buildLog = buildLog;
    }

    /** The compiler's log, verbatim. */
    public String buildLog() {
        return buildLog;
    }
}
