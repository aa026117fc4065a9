package dev.clgrad.backend.opencl;

import dev.clgrad.Config;

/** The two OpenCL bindings, one instance each per JVM, and which one is the default. */
public final class ClBindings {
    private ClBindings() {
    }

    private static ClApi jocl;
    private static ClApi lwjgl;

    /** The binding used when none is named: {@code -Dclgrad.binding}, else native-config, else jocl. */
    public static String defaultName() {
        String b = Config.binding();
        if (b == null || b.isBlank()) {
            b = DeviceProfile.configuredBinding();
        }
        return b == null || b.isBlank() ? "jocl" : b;
    }

    static synchronized ClApi get(String name) {
        String n = name == null ? defaultName() : name;
        switch (n) {
            case "jocl":
                if (jocl == null) {
                    jocl = new JoclApi();
                }
                return jocl;
            case "lwjgl":
                if (lwjgl == null) {
                    lwjgl = new LwjglApi();
                }
                return lwjgl;
            default:
                throw new IllegalArgumentException("unknown OpenCL binding '" + n + "'; expected jocl or lwjgl");
        }
    }
}
