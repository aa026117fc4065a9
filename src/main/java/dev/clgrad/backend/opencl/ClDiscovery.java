package dev.clgrad.backend.opencl;

import dev.clgrad.backend.DeviceInfo;

import java.util.ArrayList;
import java.util.List;

/**
 * Every OpenCL platform and device one binding can see, numbered {@code opencl:P:D} in the order
 * the ICD loader reports them.
 */
final class ClDiscovery {
    private ClDiscovery() {
    }

    /** One device found, with the handles needed to open it. */
    record Found(DeviceInfo info, ClApi.Platform platform, ClApi.Device device, String platformName,
                 long maxWorkGroupSize, long localMemBytes) {
    }

    /** What a binding found, or why it found nothing (no ICD loader, no platform). */
    record Result(List<Found> devices, String problem) {
    }

    static Result discover(ClApi api) {
        List<ClApi.Platform> platforms;
        try {
            platforms = api.platforms();
        } catch (LinkageError | RuntimeException e) {
            return new Result(List.of(), "OpenCL could not be loaded through " + api.name() + ": " + e);
        }
        if (platforms.isEmpty()) {
            return new Result(List.of(), "no OpenCL platform is installed (install an ICD such as pocl-opencl-icd)");
        }
        List<Found> out = new ArrayList<>();
        for (int p = 0; p < platforms.size(); p++) {
            String platformName = api.platformName(platforms.get(p));
            List<ClApi.Device> devices = api.devices(platforms.get(p));
            for (int d = 0; d < devices.size(); d++) {
                ClApi.DeviceProps props = api.deviceProps(devices.get(d));
                DeviceInfo info = new DeviceInfo("opencl:" + p + ":" + d, "opencl", props.name(), props.vendor(),
                        props.type(), props.version(), props.driverVersion(), props.computeUnits(),
                        props.globalMemBytes(), props.maxAllocBytes());
                out.add(new Found(info, platforms.get(p), devices.get(d), platformName, props.maxWorkGroupSize(),
                        props.localMemBytes()));
            }
        }
        return new Result(out, out.isEmpty() ? "OpenCL platforms exist but report no device" : null);
    }

    /** {@code GPU}, {@code CPU} or {@code ACCELERATOR} from a {@code CL_DEVICE_TYPE} bit field. */
    static String typeName(long type) {
        if ((type & 4) != 0) {
            return "GPU";
        }
        if ((type & 2) != 0) {
            return "CPU";
        }
        if ((type & 8) != 0) {
            return "ACCELERATOR";
        }
        return "DEFAULT";
    }
}
