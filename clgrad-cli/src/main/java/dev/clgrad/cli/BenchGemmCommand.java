package dev.clgrad.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendException;
import dev.clgrad.ops.MatMul;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Arrays;

/**
 * {@code clgrad bench gemm --m M --n N --k K [--transA] [--transB]}: {@code C = op(A)·op(B)} on random
 * inputs. First checks the result against a float64 product on the host (every row, or 64 evenly
 * spaced rows when M·N·K > 2^28): {@code maxRelError = max |c − ref| / max |ref|}; above 1e-3 it
 * stops without timing. Then reports the median time and {@code gflops = 2·M·N·K / time}.
 */
@Command(name = "gemm", description = "Time C = op(A)·op(B) after checking it against a float64 host reference.")
final class BenchGemmCommand extends Benchmark {
    static final double MAX_ERROR = 1e-3;
    static final int SAMPLED_ROWS = 64;

    @Option(names = "--m", defaultValue = "1024", description = "Rows of C (default: ${DEFAULT-VALUE}).")
    int m;

    @Option(names = "--n", defaultValue = "1024", description = "Columns of C (default: ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--k", defaultValue = "1024", description = "Inner dimension (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--transA", description = "A is stored (K, M).")
    boolean transA;

    @Option(names = "--transB", description = "B is stored (N, K).")
    boolean transB;

    @Override
    ObjectNode measure(Backend backend, ObjectNode result) {
        requirePositive("--m", m);
        requirePositive("--n", n);
        requirePositive("--k", k);
        float[] a = random(1, Math.multiplyExact(m, k));
        float[] b = random(2, Math.multiplyExact(k, n));
        try (Tensor ta = transA ? Tensor.of(backend, a, k, m) : Tensor.of(backend, a, m, k);
             Tensor tb = transB ? Tensor.of(backend, b, n, k) : Tensor.of(backend, b, k, n);
             Tensor tc = Tensor.empty(backend, Shape.of(m, n))) {
            MatMul op = MatMul.of(transA, transB, 1f, ta, tb, 0f, tc);
            Backend.Launch launch = backend.prepare(op);
            progress("checking " + m + "x" + n + "x" + k + " on " + backend.id() + " against float64");
            launch.run();
            double error = maxRelError(a, b, tc.toArray());
            if (!(error <= MAX_ERROR)) {
                throw new BackendException("bench gemm: result differs from the float64 reference on " + backend.id()
                        + ": maxRelError " + error + " > " + MAX_ERROR + "; not timing a wrong kernel");
            }
            progress("timing " + repeats + " runs");
            double ms = medianMs(backend, launch::run);
            return result.put("op", "gemm").put("device", backend.id()).put("deviceName", backend.info().name())
                    .put("m", m).put("n", n).put("k", k).put("transA", transA).put("transB", transB)
                    .put("repeats", repeats).put("medianMs", ms).put("gflops", op.cost().flops() / (ms * 1e6))
                    .put("maxRelError", error);
        }
    }

    /** max |c − ref| / max |ref| over the checked rows. */
    private double maxRelError(float[] a, float[] b, float[] c) {
        boolean all = (double) m * n * k <= (1 << 28);
        int rows = all ? m : Math.min(m, SAMPLED_ROWS);
        double maxErr = 0;
        double maxRef = 0;
        double[] ref = new double[n];
        for (int r = 0; r < rows; r++) {
            int i = all ? r : (int) ((long) r * (m - 1) / Math.max(1, rows - 1));
            Arrays.fill(ref, 0);
            for (int q = 0; q < k; q++) {
                double aiq = transA ? a[q * m + i] : a[i * k + q];
                for (int j = 0; j < n; j++) {
                    ref[j] += aiq * (transB ? b[j * k + q] : b[q * n + j]);
                }
            }
            for (int j = 0; j < n; j++) {
                maxErr = Math.max(maxErr, Math.abs(c[i * n + j] - ref[j]));
                maxRef = Math.max(maxRef, Math.abs(ref[j]));
            }
        }
        return maxRef == 0 ? maxErr : maxErr / maxRef;
    }
}
