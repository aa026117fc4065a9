package dev.clgrad.backend.opencl;

import dev.clgrad.backend.DeviceInfo;

import java.util.ArrayList;
import java.util.List;

/**
 * Every OpenCL platform and device one binding can see, numbered {@code opencl:P:D} in the order
 * the ICD loader reports them, each device followed by its halves where it can be split
 * ({@code clCreateSubDevices}, {@code CL_DEVICE_PARTITION_EQUALLY}: device fission), numbered
 * {@code opencl:P:D/2:0} and {@code opencl:P:D/2:1}. A spec {@code opencl:P:D/K:i} names sub-device
 * i of device D split into K parts of {@code computeUnits / K} compute units each ({@link #find}).
 */
final class ClDiscovery {
    private ClDiscovery() {
    }

    /**
     * One device found, with the handles needed to open it; for a sub-device, {@code device} is
     * its parent, split into {@code parts} (0 for a whole device) of which it is number {@code index}.
     */
    record Found(DeviceInfo info, ClApi.Platform platform, ClApi.Device device, String platformName,
                 long maxWorkGroupSize, long localMemBytes, int parts, int index) {
        /** Sub-device {@code index} of this whole device split into {@code parts}: made, opened by the caller. */
        ClApi.Device open(ClApi api) {
            if (parts == 0) {
                return device;
            }
            List<ClApi.Device> subs = api.subDevices(device, info.computeUnits());
            for (int i = 0; i < subs.size(); i++) {
                if (i != index) {
                    api.release(subs.get(i));
                }
            }
            if (index >= subs.size()) {
                throw new IllegalStateException(info.id() + ": the device split into " + subs.size()
                        + " sub-devices, not " + parts);
            }
            return subs.get(index);
        }
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
                Found whole = new Found(info, platforms.get(p), devices.get(d), platformName,
                        props.maxWorkGroupSize(), props.localMemBytes(), 0, 0);
                out.add(whole);
                out.addAll(split(api, whole, 2));
            }
        }
        return new Result(out, out.isEmpty() ? "OpenCL platforms exist but report no device" : null);
    }

    /**
     * The device spec {@code id} among {@code found}: a listed one, or {@code opencl:P:D/K:i} for
     * a split the listing does not show (K ≥ 2 dividing the compute units, 0 ≤ i < K); null when
     * there is no such device.
     */
    static Found find(ClApi api, List<Found> found, String id) {
        for (Found f : found) {
            if (f.info().id().equals(id)) {
                return f;
            }
        }
        int slash = id.indexOf('/');
        String[] split = slash < 0 ? new String[0] : id.substring(slash + 1).split(":");
        if (split.length != 2) {
            return null;
        }
        int parts;
        int index;
        try {
            parts = Integer.parseInt(split[0]);
            index = Integer.parseInt(split[1]);
        } catch (NumberFormatException e) {
            return null;
        }
        for (Found f : found) {
            if (f.parts() == 0 && f.info().id().equals(id.substring(0, slash))) {
                if (index < 0 || index >= parts) {
                    throw new IllegalArgumentException("device '" + id + "': sub-device " + index
                            + " of " + parts + "; the index must be in [0, " + parts + ")");
                }
                List<Found> subs = split(api, f, parts);
                if (subs.isEmpty()) {
                    throw new IllegalArgumentException("device '" + id + "': " + f.info().id() + " ("
                            + f.info().computeUnits() + " compute units) cannot be split into " + parts
                            + " equal sub-devices");
                }
                return subs.get(index);
            }
        }
        return null;
    }

    /**
     * The {@code parts} sub-devices of {@code computeUnits / parts} compute units each that
     * {@code whole} splits into, probed (made, read, released); empty when it cannot be split so.
     */
    private static List<Found> split(ClApi api, Found whole, int parts) {
        int units = whole.info().computeUnits();
        if (parts < 2 || units < parts || units % parts != 0) {
            return List.of();
        }
        List<ClApi.Device> subs;
        try {
            subs = api.subDevices(whole.device(), units / parts);
        } catch (RuntimeException e) {
            return List.of();
        }
        List<Found> out = new ArrayList<>();
        for (int i = 0; i < subs.size(); i++) {
            if (subs.size() == parts) {
                ClApi.DeviceProps props = api.deviceProps(subs.get(i));
                DeviceInfo w = whole.info();
                DeviceInfo info = new DeviceInfo(w.id() + "/" + parts + ":" + i, "opencl", props.name(),
                        props.vendor(), props.type(), props.version(), props.driverVersion(), props.computeUnits(),
                        props.globalMemBytes(), props.maxAllocBytes());
                out.add(new Found(info, whole.platform(), whole.device(), whole.platformName(),
                        props.maxWorkGroupSize(), props.localMemBytes(), parts, i));
            }
            api.release(subs.get(i));
        }
        return out;
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
