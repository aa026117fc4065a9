package dev.clgrad.backend;

/**
 * One device that a backend can run on, as {@code clgrad devices} lists it.
 *
 * @param id             the spec that selects it: {@code opencl:P:D} or {@code java}
 * @param backend        {@code opencl} or {@code java}
 * @param type           {@code GPU}, {@code CPU} or {@code ACCELERATOR}
 * @param driverVersion  driver version string (part of the program-cache key)
 */
public record DeviceInfo(String id, String backend, String name, String vendor, String type,
                         String version, String driverVersion, int computeUnits, long globalMemBytes,
                         long maxAllocBytes) {
}
