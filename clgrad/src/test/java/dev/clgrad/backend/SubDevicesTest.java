package dev.clgrad.backend;

import dev.clgrad.backend.opencl.OpenClBackend;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Device fission: {@code opencl:P:D/K:i} specs, listed halves, and refusals that say why. */
class SubDevicesTest {
    /** The first OpenCL device with at least two compute units that can be split; skips where there is none, fails under CI=true. */
    private static DeviceInfo splittable() {
        assumeTrue(!TestBackends.openCl().isEmpty(), "no OpenCL device");
        List<DeviceInfo> all = OpenClBackend.devices("jocl");
        DeviceInfo half = all.stream().filter(d -> d.id().endsWith("/2:1")).findFirst().orElse(null);
        String none = "no OpenCL device splits in two: " + all.stream().map(DeviceInfo::id).toList();
        if ("true".equals(System.getenv("CI"))) {
            org.junit.jupiter.api.Assertions.assertNotNull(half, none + "; CI's PoCL on 2 cores must");
        }
        assumeTrue(half != null, none);
        return half;
    }

    @Test
    void theHalvesAreListedAndOpenAndRun() {
        DeviceInfo half = splittable();
        String parent = half.id().substring(0, half.id().indexOf('/'));
        DeviceInfo whole = OpenClBackend.devices("jocl").stream().filter(d -> d.id().equals(parent)).findFirst()
                .orElseThrow();
        assertEquals(whole.computeUnits() / 2, half.computeUnits());
        for (String binding : List.of("jocl", "lwjgl")) {
            try (Backend b = Backends.select(half.id(), binding); Tensor t = Tensor.of(b, new float[]{1, 2, 3}, 3)) {
                assertEquals(half.id(), b.id());
                assertArrayEquals(new float[]{1, 2, 3}, t.toArray());
            }
        }
    }

    @Test
    void anIndexBeyondThePartsOrAnUnevenSplitIsRefused() {
        DeviceInfo half = splittable();
        String parent = half.id().substring(0, half.id().indexOf('/'));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Backends.select(parent + "/2:2"));
        assertTrue(e.getMessage().contains("must be in [0, 2)"), e.getMessage());
        int units = OpenClBackend.devices("jocl").stream().filter(d -> d.id().equals(parent)).findFirst()
                .orElseThrow().computeUnits();
        IllegalArgumentException uneven = assertThrows(IllegalArgumentException.class,
                () -> Backends.select(parent + "/" + (units + 1) + ":0"));
        assertTrue(uneven.getMessage().contains("cannot be split into " + (units + 1)), uneven.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Backends.select(parent + "/x:0"));
    }
}
