package dev.clgrad.backend;

import dev.clgrad.backend.java.JavaBackend;
import dev.clgrad.backend.opencl.OpenClBackend;

import java.util.ArrayList;
import java.util.List;

/**
 * The backends every op test runs on, opened once per test JVM: Java, then the first OpenCL
 * device through JOCL and through LWJGL. With {@code CI=true} and no OpenCL device this throws, so
 * CI fails instead of silently testing only Java. Tests must not close these backends;
 * {@link LeakCheck} asserts after each test class that none holds a live buffer.
 */
public final class TestBackends {
    private static List<Backend> all;

    private TestBackends() {
    }

    public static synchronized List<Backend> all() {
        if (all == null) {
            List<Backend> list = new ArrayList<>();
            list.add(new JavaBackend());
            for (String binding : List.of("jocl", "lwjgl")) {
                List<DeviceInfo> devices = OpenClBackend.devices(binding);
                if (devices.isEmpty()) {
                    String why = "no OpenCL device through " + binding + ": " + OpenClBackend.discoveryProblem(binding);
                    if ("true".equals(System.getenv("CI"))) {
                        throw new IllegalStateException("CI=true requires an OpenCL device; " + why);
                    }
                    System.err.println("TestBackends: " + why + "; testing the Java backend only");
                    continue;
                }
                list.add(OpenClBackend.open(devices.get(0).id(), binding));
            }
            all = List.copyOf(list);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> all.forEach(Backend::close)));
        }
        return all;
    }

    /** The OpenCL backends of {@link #all()}: one per binding, or none outside CI without OpenCL. */
    public static List<OpenClBackend> openCl() {
        return all().stream().filter(b -> b instanceof OpenClBackend).map(b -> (OpenClBackend) b).toList();
    }

    public static Backend java() {
        return all().get(0);
    }

    /** A display name: {@code java}, {@code opencl:0:0/jocl}. */
    public static String label(Backend b) {
        return b instanceof OpenClBackend cl ? cl.id() + "/" + cl.binding() : b.id();
    }

    static synchronized boolean opened() {
        return all != null;
    }
}
