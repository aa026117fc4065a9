package dev.clgrad.train;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendTest;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.cli.Main;
import dev.clgrad.data.Dataset;
import dev.clgrad.data.HostArray;
import dev.clgrad.io.Checkpoint;
import dev.clgrad.io.Safetensors;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Dropout;
import dev.clgrad.nn.MSE;
import dev.clgrad.model.Sequential;
import dev.clgrad.optim.Adam;
import dev.clgrad.optim.ExponentialDecay;
import dev.clgrad.optim.LinearRamp;
import dev.clgrad.optim.Sgd;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exact resume: training straight through and training interrupted, then resumed from the last
 * checkpoint, give bit-identical weights on the same backend — in process (a simulated crash
 * mid-epoch) and with a real child JVM killed by SIGKILL at a random moment.
 */
class ResumeTest {
    @TempDir
    Path dir;

    private static Sequential model(Backend b) {
        Sequential m = new Sequential(b, 21);
        m.add(new Dense(12, "relu")).add(new Dropout(0.3)).add(new Dense(3));
        return m.compile(new Adam(0.01), new MSE());
    }

    private static Dataset data() {
        Random rng = new Random(2);
        float[] x = new float[60 * 5];
        float[] y = new float[60 * 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) rng.nextGaussian();
        }
        return new Dataset(x, y, 60, 5, 3);
    }

    /** Stops training by throwing after a given number of steps, as a crash would. */
    private record CrashAt(long step) implements Callback {
        @Override
        public void onBatchEnd(TrainingState state) {
            if (state.globalStep() == step) {
                throw new IllegalStateException("simulated crash at step " + step);
            }
        }
    }

    @BackendTest
    void resumingMidEpochGivesTheWeightsOfARunStraightThrough(Backend backend) throws IOException {
        Fit fit = Fit.epochs(3).batchSize(7).withSeed(11).withQuiet(true).withLossEvery(4);
        float[] straight;
        List<Double> straightLoss;
        try (Sequential m = model(backend)) {
            straightLoss = m.fit(data(), fit).loss();
            straight = m.parameters().toArray();
        }
        try (Sequential m = model(backend)) {
            Fit crashing = fit.withCallbacks(ModelCheckpoint.everySteps(dir, 5), new CrashAt(23));
            assertThrows(IllegalStateException.class, () -> m.fit(data(), crashing));
        }
        try (Sequential m = model(backend)) {
            Position at = m.restoreCheckpoint(dir);
            assertEquals(new Position(2, 2, 11, 7, true, at.lossSum(), List.of()), at, "9 steps an epoch: step 20 is epoch 2, step 2");
            History rest = m.fit(data(), fit.resumeFrom(at));
            assertArrayEquals(straight, m.parameters().toArray());
            assertEquals(List.of(straightLoss.get(2)), rest.loss(), "the resumed epoch reports the same loss");
        }
    }

    /**
     * The same with the learning rate changing during training: SGD with an exponential-decay
     * schedule and the momentum ramp (functions of the restored step count), and Adam at a constant
     * learning rate that ReduceLROnPlateau cuts every epoch (its best, wait and cooldown and the cut
     * learning rate come back from the checkpoint).
     */
    @BackendTest
    void resumingWithSchedulesAndReduceLROnPlateauIsExact(Backend backend) throws IOException {
        for (boolean plateau : new boolean[] {false, true}) {
            Path ck = dir.resolve(plateau ? "plateau" : "schedule");
            Fit fit = Fit.epochs(4).batchSize(7).withSeed(5).withQuiet(true).withLossEvery(4);
            float[] straight;
            double straightLr;
            try (Sequential m = scheduled(backend, plateau)) {
                m.fit(data(), fit.withCallbacks(callbacks(plateau)));
                straight = m.parameters().toArray();
                straightLr = m.optimizer().learningRate();
            }
            try (Sequential m = scheduled(backend, plateau)) {
                Fit crashing = fit.withCallbacks(callbacks(plateau)).withCallbacks(ModelCheckpoint.everySteps(ck, 4),
                        new CrashAt(30));
                assertThrows(IllegalStateException.class, () -> m.fit(data(), crashing));
            }
            try (Sequential m = scheduled(backend, plateau)) {
                Position at = m.restoreCheckpoint(ck);
                assertEquals(plateau ? 3 : 0, at.callbacks().size(), at.callbacks().toString());
                m.fit(data(), fit.withCallbacks(callbacks(plateau)).resumeFrom(at));
                assertArrayEquals(straight, m.parameters().toArray(), plateau ? "plateau" : "schedule");
                assertEquals(straightLr, m.optimizer().learningRate());
            }
            if (plateau) {
                assertTrue(straightLr < 0.01 * 0.5 * 0.5, "the plateau cut the learning rate: " + straightLr);
            }
        }
    }

    private static Sequential scheduled(Backend b, boolean plateau) {
        Sequential m = new Sequential(b, 21);
        m.add(new Dense(12, "relu")).add(new Dropout(0.3)).add(new Dense(3));
        return m.compile(plateau ? new Adam(0.01) : new Sgd(0.05, 0.5, 0).withMomentum(new LinearRamp(0.5, 0.99, 20))
                .withLearningRate(new ExponentialDecay(0.05, 10, 0.5, false)), new MSE());
    }

    private static Callback[] callbacks(boolean plateau) {
        return plateau ? new Callback[] {new ReduceLROnPlateau("loss", 0.5, 1, "min", 100, 0, 0)} : new Callback[0];
    }

    static List<String> devices() {
        List<String> out = new ArrayList<>(List.of("java"));
        TestBackends.openCl().stream().limit(1).forEach(cl -> out.add(cl.id()));
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("devices")
    void killedChildJvmResumesToTheSameWeights(String device) throws Exception {
        Path config = Files.writeString(dir.resolve("c.json"), "{\"seed\": 7, \"layers\": ["
                + "{\"type\": \"dense\", \"units\": 32, \"activation\": \"relu\"}, {\"type\": \"dropout\", \"rate\": 0.2},"
                + "{\"type\": \"dense\", \"units\": 4}], \"optimizer\": {\"type\": \"adam\", \"lr\": 0.01},"
                + "\"loss\": \"mse\", \"epochs\": 4, \"batchSize\": 16, \"data\": {\"type\": \"random-normal\","
                + " \"train\": 1600, \"features\": 24, \"targets\": 4, \"seed\": 3}}");
        Path ck = dir.resolve("ck");
        Path straight = dir.resolve("straight.safetensors");
        Path resumed = dir.resolve("resumed.safetensors");
        assertEquals(0, Main.run("train", config.toString(), "--device", device, "--json", "--save", straight.toString()));

        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path")));
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        }
        if (System.getProperty("clgrad.cache") != null) {
            cmd.add("-Dclgrad.cache=" + System.getProperty("clgrad.cache"));
        }
        cmd.addAll(List.of(Main.class.getName(), "train", config.toString(), "--device", device, "--json",
                "--checkpoint", ck.toString(), "--checkpoint-every", "1"));
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("child.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Checkpoint.exists(ck) && child.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(Checkpoint.exists(ck), () -> "no checkpoint appeared; child log:\n" + log(dir));
        Thread.sleep(new Random().nextInt(200));
        assertTrue(child.isAlive(), () -> "the child finished before it could be killed; child log:\n" + log(dir));
        child.destroyForcibly();
        assertEquals(137, child.waitFor(), "killed by SIGKILL");
        Map<String, String> meta = Safetensors.readContents(Checkpoint.file(ck)).metadata();
        System.err.println("ResumeTest " + device + ": killed at epoch " + meta.get("epoch") + ", step " + meta.get("step"));

        assertEquals(0, Main.run("train", config.toString(), "--device", device, "--json", "--resume", ck.toString(),
                "--checkpoint", ck.toString(), "--save", resumed.toString()));
        Map<String, HostArray> a = Safetensors.read(straight);
        Map<String, HostArray> b = Safetensors.read(resumed);
        assertEquals(a.keySet(), b.keySet());
        for (String name : a.keySet()) {
            assertArrayEquals(a.get(name).data(), b.get(name).data(), name + " after resume");
        }
    }

    private static String log(Path dir) {
        try {
            return Files.readString(dir.resolve("child.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
