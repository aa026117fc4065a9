package dev.clgrad.backend.opencl;

/** How one program was obtained: its binary from the program cache, or compiled; and in how long. */
public record ProgramBuild(String file, boolean fromCache, double millis) {
}
