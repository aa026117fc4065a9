package dev.clgrad.nn;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.TestBackends;
import dev.clgrad.ops.Act;
import dev.clgrad.ops.ActBackward;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.Erf;
import dev.clgrad.ops.Softmax;
import dev.clgrad.ops.SoftmaxBackward;
import dev.clgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * PyTorch 1.13 parity: every activation's forward and backward, and softmax's, on each backend of
 * {@link TestBackends#all()}, against {@code torch.nn.functional} (float64 autograd) on the same
 * random inputs (x ~ 3·N(0, 1), rows of 37 for softmax): {@code leaky_relu} (slopes 0.2 and 0.3),
 * {@code elu} (α 1 and 0.5), {@code selu}, {@code gelu(approximate='none')},
 * {@code gelu(approximate='tanh')}, {@code silu}, relu, tanh, sigmoid, {@code softmax(dim=-1)}, and
 * {@code torch.erf} against {@link Erf#erf}. Each element within 1e-5 relative to torch's value, or
 * 1e-5 absolute where |value| < 1; and the whole vector within 1e-5 (‖out − ref‖ / ‖ref‖).
 * Under {@code CI=true} a missing torch is a failure, not a skip.
 */
class TorchActivationParityTest {
    private static final String PYTHON = "/usr/bin/python3";
    private static final int N = 1998;
    private static final int COLS = 37;
    private static final double TOL = 1e-5;

    /** The activations and the torch expression of each, of x (float64, requires grad). */
    private static final Map<Activation, String> TORCH = new LinkedHashMap<>();

    static {
        TORCH.put(Activation.RELU, "F.relu(x)");
        TORCH.put(Activation.TANH, "torch.tanh(x)");
        TORCH.put(Activation.SIGMOID, "torch.sigmoid(x)");
        TORCH.put(Activation.LEAKY_RELU, "F.leaky_relu(x, 0.2)");
        TORCH.put(Activation.leakyRelu(0.3), "F.leaky_relu(x, 0.3)");
        TORCH.put(Activation.ELU, "F.elu(x, 1.0)");
        TORCH.put(Activation.elu(0.5), "F.elu(x, 0.5)");
        TORCH.put(Activation.SELU, "F.selu(x)");
        TORCH.put(Activation.GELU, "F.gelu(x, approximate='none')");
        TORCH.put(Activation.GELU_TANH, "F.gelu(x, approximate='tanh')");
        TORCH.put(Activation.SILU, "F.silu(x)");
    }

    @TempDir
    Path dir;

    @Test
    void activationsAndSoftmaxMatchPyTorch() throws Exception {
        boolean torch = hasTorch();
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(torch, PYTHON + " cannot import torch; CI installs python3-torch");
        }
        assumeTrue(torch, PYTHON + " with torch is not installed");
        Random rng = new Random(14);
        float[] x = new float[N];
        float[] dy = new float[N];
        for (int i = 0; i < N; i++) {
            x[i] = (float) (3 * rng.nextGaussian());
            dy[i] = (float) rng.nextGaussian();
        }
        Map<String, double[]> ref = torch(x, dy);
        float[] erf = new float[N];
        for (int i = 0; i < N; i++) {
            erf[i] = Erf.erf(x[i]);
        }
        assertClose("Erf.erf vs torch.erf", ref.get("erf"), erf);
        for (Backend backend : TestBackends.all()) {
            String on = " on " + TestBackends.label(backend);
            for (Activation a : TORCH.keySet()) {
                try (Tensor tx = Tensor.of(backend, x, N); Tensor tdy = Tensor.of(backend, dy, N);
                     Tensor y = Tensor.empty(backend, dev.clgrad.tensor.Shape.of(N));
                     Tensor dx = Tensor.empty(backend, dev.clgrad.tensor.Shape.of(N))) {
                    backend.run(new Act(a, tx, y));
                    backend.run(new ActBackward(a, a.savesInput() ? tx : y, tdy, dx));
                    assertClose(a + " forward" + on, ref.get(a + " y"), y.toArray());
                    assertClose(a + " backward" + on, ref.get(a + " dx"), dx.toArray());
                }
            }
            try (Tensor tx = Tensor.of(backend, x, N / COLS, COLS); Tensor tdy = Tensor.of(backend, dy, N / COLS, COLS);
                 Tensor y = Tensor.empty(backend, dev.clgrad.tensor.Shape.of(N / COLS, COLS));
                 Tensor dx = Tensor.empty(backend, dev.clgrad.tensor.Shape.of(N / COLS, COLS))) {
                backend.run(new Softmax(tx, y));
                backend.run(new SoftmaxBackward(y, tdy, dx));
                assertClose("softmax forward" + on, ref.get("softmax y"), y.toArray());
                assertClose("softmax backward" + on, ref.get("softmax dx"), dx.toArray());
            }
        }
    }

    /** Element-wise and whole-vector closeness to torch's float64 values. */
    private static void assertClose(String what, double[] ref, float[] got) {
        assertEquals(ref.length, got.length, what);
        double num = 0;
        double den = 0;
        double worst = 0;
        int at = -1;
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs(got[i] - ref[i]) / Math.max(1, Math.abs(ref[i]));
            if (!(err <= worst)) {
                worst = err;
                at = i;
            }
            num += (got[i] - ref[i]) * (got[i] - ref[i]);
            den += ref[i] * ref[i];
        }
        String first = at < 0 ? "" : "; worst at " + at + ": " + got[at] + " vs torch " + ref[at];
        assertTrue(worst <= TOL, what + ": element error " + worst + first);
        assertTrue(Math.sqrt(num / den) <= TOL, what + ": relative error " + Math.sqrt(num / den) + first);
    }

    /** torch's outputs by name ("gelu y", "gelu dx", "softmax y", …, "erf"), float64 autograd. */
    private Map<String, double[]> torch(float[] x, float[] dy) throws IOException, InterruptedException {
        Path in = dir.resolve("in.txt");
        Files.writeString(in, join(x) + "\n" + join(dy) + "\n");
        StringBuilder py = new StringBuilder("""
                import sys, torch
                import torch.nn.functional as F
                torch.set_printoptions(precision=17)
                lines = open(sys.argv[1]).read().split('\\n')
                x0 = torch.tensor([float(v) for v in lines[0].split()], dtype=torch.float64)
                dy = torch.tensor([float(v) for v in lines[1].split()], dtype=torch.float64)
                def out(name, t):
                    print(name + ':' + ' '.join(repr(v) for v in t.detach().reshape(-1).tolist()))
                def run(name, f, shape):
                    x = x0.clone().reshape(shape).requires_grad_(True)
                    y = f(x)
                    y.backward(dy.reshape(shape))
                    out(name + ' y', y)
                    out(name + ' dx', x.grad)
                out('erf', torch.erf(x0))
                run('softmax', lambda x: F.softmax(x, dim=-1), (-1, %d))
                """.formatted(COLS));
        for (Map.Entry<Activation, String> e : TORCH.entrySet()) {
            py.append("run('").append(e.getKey()).append("', lambda x: ").append(e.getValue()).append(", (-1,))\n");
        }
        Process p = new ProcessBuilder(PYTHON, "-c", py.toString(), in.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python timed out");
        assertEquals(0, p.exitValue(), log);
        Map<String, double[]> ref = new LinkedHashMap<>();
        for (String line : log.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                String[] parts = line.substring(colon + 1).trim().split(" ");
                double[] v = new double[parts.length];
                for (int i = 0; i < v.length; i++) {
                    v[i] = Double.parseDouble(parts[i]);
                }
                ref.put(line.substring(0, colon), v);
            }
        }
        return ref;
    }

    private static String join(float[] v) {
        List<String> s = new ArrayList<>();
        for (float f : v) {
            s.add(String.format(Locale.ROOT, "%.9g", f));
        }
        return String.join(" ", s);
    }

    private static boolean hasTorch() {
        if (!Files.isExecutable(Path.of(PYTHON))) {
            return false;
        }
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
