package dev.clgrad.backend;

import dev.clgrad.backend.opencl.OpenClBackend;
import dev.clgrad.backend.opencl.ProgramBuild;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Backends#prefetch}: the next select of the same spec and binding gets the device it opened. */
class BackendsTest {
    /**
     * The prefetched backend comes back from select with its compiler warmed up, the one-kernel
     * program built (nothing has run on it since); a second select opens a new one.
     */
    @OpenClTest
    void selectReturnsThePrefetchedDeviceWithItsCompilerWarmedUp(OpenClBackend shared) {
        Backends.prefetch(shared.id(), shared.binding());
        try (Backend b = Backends.select(shared.id(), shared.binding());
             Backend again = Backends.select(shared.id(), shared.binding())) {
            OpenClBackend cl = assertInstanceOf(OpenClBackend.class, b);
            assertEquals(shared.id(), cl.id());
            assertEquals(List.of("compiler warm-up"), cl.builds().stream().map(ProgramBuild::file).toList());
            assertNotSame(b, again);
            assertEquals(List.of(), ((OpenClBackend) again).builds(), "a select without a prefetch opens afresh");
        }
    }

    /** A spec that names nothing is reported by select, as without the prefetch; a prefetch of java is a no-op. */
    @Test
    void aBadSpecFailsAtSelectAsWithoutThePrefetch() {
        Backends.prefetch("opencl:9:9");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.select("opencl:9:9"));
        assertTrue(e.getMessage().startsWith("unknown or unavailable device 'opencl:9:9'; available: "), e.getMessage());
        Backends.prefetch("java");
        try (Backend b = Backends.select("java")) {
            assertEquals("java", b.id());
        }
    }
}
