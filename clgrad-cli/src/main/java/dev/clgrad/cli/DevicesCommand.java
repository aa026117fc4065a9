package dev.clgrad.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.Backends;
import dev.clgrad.backend.DeviceInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code clgrad devices [--json] [--device SPEC]}: every OpenCL device and the Java backend. */
@Command(name = "devices", description = "List the OpenCL devices and the Java backend.")
final class DevicesCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Option(names = "--device", paramLabel = "SPEC",
            description = "Only check that SPEC selects a device and list that one.")
    String device;

    @Override
    public Integer call() throws Exception {
        List<DeviceInfo> devices;
        if (device != null) {
            try (Backend b = Backends.select(device)) {
                devices = List.of(b.info());
            }
        } else {
            devices = Backends.available();
        }
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode root = mapper.createObjectNode();
            ArrayNode list = root.putArray("devices");
            for (DeviceInfo d : devices) {
                list.addObject().put("id", d.id()).put("backend", d.backend()).put("name", d.name())
                        .put("vendor", d.vendor()).put("type", d.type()).put("version", d.version())
                        .put("driverVersion", d.driverVersion()).put("computeUnits", d.computeUnits())
                        .put("globalMemBytes", d.globalMemBytes());
            }
            System.out.println(mapper.writeValueAsString(root));
        } else {
            System.out.printf("%-12s %-7s %-5s %5s %10s  %s%n", "ID", "BACKEND", "TYPE", "UNITS", "MEMORY", "NAME (VENDOR, VERSION)");
            for (DeviceInfo d : devices) {
                System.out.printf("%-12s %-7s %-5s %5d %7d MiB  %s (%s, %s)%n", d.id(), d.backend(), d.type(),
                        d.computeUnits(), d.globalMemBytes() >> 20, d.name(), d.vendor(), d.version());
            }
        }
        return 0;
    }
}
