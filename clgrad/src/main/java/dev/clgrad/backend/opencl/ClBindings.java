package dev.clgrad.backend.opencl;

import dev.clgrad.Config;

/**
 * The two OpenCL bindings, one instance each per JVM, and which one is the default: JOCL, a
 * dependency of the library; LWJGL is an optional dependency an application adds to use it.
 */
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
                    try {
                        lwjgl = new LwjglApi();
                    } catch (NoClassDefFoundError e) {
                        throw new IllegalStateException("the lwjgl OpenCL binding is not on the classpath ("
                                + e.getMessage() + "): clgrad declares LWJGL optional; add org.lwjgl:lwjgl,"
                                + " org.lwjgl:lwjgl-opencl and org.lwjgl:lwjgl with the natives classifier of"
                                + " the platform (e.g. natives-linux), or use the default binding, jocl", e);
                    }
                }
                return lwjgl;
            default:
                throw new IllegalArgumentException("unknown OpenCL binding '" + n + "'; expected jocl or lwjgl");
        }
    }
}
