package dev.clgrad.backend;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Registered for every test class (META-INF/services, autodetection on in junit-platform.properties):
 * after a class, no shared test backend may hold a live device buffer.
 */
public final class LeakCheck implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) {
        if (!TestBackends.opened()) {
            return;
        }
        for (Backend b : TestBackends.all()) {
            assertEquals(0, b.liveBuffers(), () -> context.getDisplayName() + " left " + b.liveBuffers()
                    + " live device buffers on " + TestBackends.label(b));
        }
    }
}
