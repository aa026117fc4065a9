package dev.clgrad.tensor;

import dev.clgrad.backend.java.JavaBackend;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tensor dropped without close() is reported, with its allocation site when asked for. The report is a
 * warning on the Tensor class's logger, which this test enables (the library is quiet by default).
 */
class LeakReportTest {

    @Test
    void anUnclosedTensorIsReportedWithItsAllocationSite() throws InterruptedException {
        List<String> messages = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                messages.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger log = Logger.getLogger(Tensor.class.getName());
        log.addHandler(handler);
        Level level = log.getLevel();
        log.setLevel(Level.WARNING);
        System.setProperty("clgrad.debug.allocations", "true");
        try (JavaBackend backend = new JavaBackend(1)) {
            forget(backend);
            try (Tensor closed = Tensor.zeros(backend, Shape.of(3))) {
                assertEquals(3, closed.shape().size());
            }
            for (int i = 0; i < 50 && messages.isEmpty(); i++) {
                System.gc();
                Thread.sleep(20);
            }
            assertEquals(1, messages.size(), messages.toString());
            String m = messages.get(0);
            assertTrue(m.contains("forgotten (7, 5)") && m.contains("never closed"), m);
            assertTrue(m.contains("LeakReportTest.forget"), "the allocation site: " + m);
            assertEquals(1, backend.liveBuffers(), "a leak is reported, not freed");
        } finally {
            System.clearProperty("clgrad.debug.allocations");
            log.removeHandler(handler);
            log.setLevel(level);
        }
    }

    private static void forget(JavaBackend backend) {
        Tensor.empty(backend, Shape.of(7, 5), "forgotten");
    }
}
