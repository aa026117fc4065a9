package dev.clgrad.exec;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendTest;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.data.Dataset;
import dev.clgrad.model.Sequential;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Dropout;
import dev.clgrad.nn.Flatten;
import dev.clgrad.nn.MSE;
import dev.clgrad.nn.SoftmaxCrossEntropy;
import dev.clgrad.optim.Adam;
import dev.clgrad.optim.Sgd;
import dev.clgrad.tensor.Shape;
import dev.clgrad.train.Fit;
import dev.clgrad.train.History;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19, item 3: a model whose parameters, optimizer state or workspace exceed what the backend
 * can hold is refused before anything is allocated, in one message naming the sizes and the limit,
 * and can then be built for a smaller batch; the plan is what is then allocated. Limits that would
 * take gigabytes to reach are set small with {@code clgrad.memory}; the 2,000,000-unit model of the
 * issue runs against the real ones.
 */
class MemoryPlanTest {

    private static String refused(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    /** Runs {@code body} with {@code -Dclgrad.memory=cap}. */
    private static <T> T withCap(String cap, Supplier<T> body) {
        System.setProperty("clgrad.memory", cap);
        try {
            return body.get();
        } finally {
            System.clearProperty("clgrad.memory");
        }
    }

    /** The issue's Fashion-MNIST MLP with {@code units} in its first Dense layer. */
    private static Sequential fashionMlp(Backend backend, int units) {
        Sequential m = new Sequential(backend, 42);
        m.add(new Flatten()).add(new Dense(units, "relu")).add(new Dropout(0.5)).add(new Dense(512, "relu"))
                .add(new Dropout(0.5)).add(new Dense(10));
        return m.compile(new Adam(), new SoftmaxCrossEntropy(), "accuracy");
    }

    private static long floats(MemoryPlan plan, String what) {
        return plan.parts().stream().filter(p -> p.what().equals(what)).mapToLong(p -> p.buffers() * p.floats())
                .sum();
    }

    private static Dataset normal(int rows, int features, int targets) {
        Random rng = new Random(rows);
        float[] x = new float[rows * features];
        float[] y = new float[rows * targets];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) rng.nextGaussian();
        }
        return new Dataset(x, y, rows, features, targets);
    }

    @BackendTest
    void whatIsAllocatedIsWhatWasPlanned(Backend backend) {
        try (Sequential m = fashionMlp(backend, 96)) {
            m.build(Shape.of(28, 28, 1), 100);
            MemoryPlan plan = Planner.memoryPlan(backend.id(), m.layers(), m.inputShape(), m.loss(), m.metrics(),
                    m.optimizer(), 100);
            long params = m.parameters().shape().size();
            assertEquals(params, floats(plan, "parameters"));
            assertEquals(params, floats(plan, "gradients"));
            assertEquals(2 * params, floats(plan, "adam state"), "m and v");
            assertEquals(100 * (784 + 1), floats(plan, "batch"));
            assertEquals(m.plan(100).peakWorkspaceBytes(), floats(plan, "workspace") * Float.BYTES);
            assertEquals(m.parameterCount(), plan.parameters());
        }
    }

    /**
     * The issue's {@code units: 2000000}: 2.6 billion parameters are one buffer beyond what the
     * backend indexes (or the device allocates), refused before a single buffer is allocated; the
     * model can be asked again and says the same.
     */
    @BackendTest
    void parametersBeyondOneBufferAreRefusedBeforeAnythingIsAllocated(Backend backend) {
        int before = backend.liveBuffers();
        try (Sequential m = fashionMlp(backend, 2_000_000)) {
            String msg = refused(() -> m.build(Shape.of(28, 28, 1), 128));
            assertTrue(msg.startsWith("the model of 2,594,005,642 parameters does not fit on " + backend.id()
                    + " at batch size 128: a buffer of 2,594,005,664 floats (9.66 GiB) for the parameters is more "
                    + "than the "), msg);
            assertTrue(msg.matches(".* one buffer can hold \\((the longest Java array|CL_DEVICE_MAX_MEM_ALLOC_SIZE of "
                    + "opencl:\\d+:\\d+|clgrad indexes a buffer with int offsets)\\); in all it needs 40.56 GiB at its "
                    + "peak \\(parameters 9.66 GiB, gradients 9.66 GiB, .*adam state 19.33 GiB, workspace 1.91 GiB, batch "
                    + "392.50 KiB.*\\) of the [0-9.]+ [KMGT]?i?B free in .*"), msg);
            assertEquals(before, backend.liveBuffers(), "nothing allocated");
            String again = refused(() -> m.build(Shape.of(28, 28, 1), 128));
            assertTrue(again.startsWith(msg.substring(0, msg.indexOf("; in all"))), "refused again, not 'already "
                    + "built': " + again);
        }
    }

    /** The optimizer's state counts: Adam's m and v do not fit under the cap where SGD without momentum does. */
    @BackendTest
    void theOptimizerStateCountsAndAModelThatFitsTrains(Backend backend) {
        Dataset d = normal(64, 1024, 512);
        String msg = withCap("7m", () -> {
            try (Sequential m = new Sequential(backend, 1)) {
                m.add(new Dense(512)).compile(new Adam(), new MSE());
                return refused(() -> m.fit(d, Fit.epochs(1).batchSize(32).withQuiet(true)));
            }
        });
        assertTrue(msg.matches("the model of 524,800 parameters does not fit on " + backend.id() + " at batch size 32: "
                + "it needs [0-9.]+ MiB at its peak \\(parameters 2.00 MiB, gradients 2.00 MiB, .*adam state 4.00 MiB, "
                + "workspace [0-9.]+ KiB, batch [0-9.]+ KiB.*\\), more than the 7.00 MiB free in the clgrad.memory cap "
                + "of 7.00 MiB on .*; raise the clgrad.memory cap, or use a smaller batch or model"), msg);
        History h = withCap("7m", () -> {
            try (Sequential m = new Sequential(backend, 1)) {
                m.add(new Dense(512)).compile(new Sgd(0.01), new MSE());
                return m.fit(d, Fit.epochs(1).batchSize(32).withQuiet(true));
            }
        });
        assertTrue(Double.isFinite(h.loss().get(0)));
    }

    /** A batch whose workspace exceeds the memory is refused naming it; the same model then trains at a smaller batch. */
    @BackendTest
    void aWorkspaceBeyondTheMemoryIsRefusedAndASmallerBatchTrains(Backend backend) {
        Dataset d = normal(4096, 256, 16);
        try (Sequential m = new Sequential(backend, 1)) {
            m.add(new Dense(64, "relu")).add(new Dense(16)).compile(new Adam(), new MSE());
            String msg = withCap("5m", () -> refused(() -> m.fit(d, Fit.epochs(1).batchSize(4096).withQuiet(true))));
            assertTrue(msg.matches("the model of 17,488 parameters does not fit on " + backend.id() + " at batch size "
                    + "4096: .*workspace [0-9.]+ MiB, batch 4.25 MiB.*"), msg);
            History h = withCap("5m", () -> m.fit(d, Fit.epochs(1).batchSize(64).withQuiet(true)));
            assertTrue(Double.isFinite(h.loss().get(0)));
            String grown = withCap("5m", () -> refused(() -> m.reserve(4096)));
            assertTrue(grown.startsWith("the model of 17,488 parameters does not fit on " + backend.id()
                    + " at batch size 4096: it needs "), "growing the workspace later is checked too: " + grown);
            assertTrue(Double.isFinite(m.fit(d, Fit.epochs(1).batchSize(64).withQuiet(true)).loss().get(0)),
                    "the model kept its workspace");
        }
    }

    /**
     * On the Java backend the limit is the heap: a model twice the heap is refused, and the message
     * says how to give the JVM more through the launcher.
     */
    @Test
    void theJavaHeapNamesXmxAndTheLauncherVariable() {
        Backend java = TestBackends.java();
        int units = (int) (Runtime.getRuntime().maxMemory() / (4L * Float.BYTES * 785) * 2);
        try (Sequential m = new Sequential(java, 1)) {
            m.add(new Dense(units)).compile(new Adam(), new MSE());
            String msg = refused(() -> m.build(Shape.of(784), 32));
            assertTrue(msg.matches("the model of [0-9,]+ parameters does not fit on java at batch size 32: it needs "
                    + "[0-9.]+ GiB at its peak \\(.*\\), more than the [0-9.]+ [KMG]iB free in the Java heap \\(-Xmx "
                    + "[0-9.]+ GiB\\); give the JVM more heap, such as -Xmx(\\d+)g \\(the clgrad launcher takes JVM "
                    + "options from CLGRAD_JAVA_OPTS: CLGRAD_JAVA_OPTS=-Xmx\\1g clgrad \\.\\.\\.\\), or use a smaller "
                    + "batch or model"), msg);
        }
    }

    @Test
    void aCapThatIsNotASizeIsNamed() {
        assertEquals("clgrad.memory must be a size in bytes such as 512m or 8g, got '12x'",
                withCap("12x", () -> refused(() -> TestBackends.java().memoryLimits())));
        assertEquals(3L << 30, withCap("3G", dev.clgrad.Config::memoryCap));
    }
}
