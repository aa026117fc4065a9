package dev.clgrad.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.backend.Backend;
import dev.clgrad.backend.BackendException;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.Col2Im;
import dev.clgrad.ops.Composite;
import dev.clgrad.ops.ConvGemm;
import dev.clgrad.ops.Epilogue;
import dev.clgrad.ops.Im2Col;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.Op;
import dev.clgrad.ops.Window;
import dev.clgrad.selftest.RefOps;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;

import static dev.clgrad.selftest.OpInputs.doubles;

/**
 * {@code clgrad bench conv --batch B --h H --w W --cin C --cout F --kernel K --stride S --padding P
 * [--algorithm im2col|implicit|both]}: the three passes of a {@code Conv2D(F, K, strides=S, padding=P)} layer on (B, H, W, C) images, each
 * as the launches its planned training step runs on the backend:
 * <ul>
 *   <li>forward: {@code cols = im2col(x)}, then {@code y = cols·W + bias} (the bias in the GEMM's
 *       epilogue);</li>
 *   <li>backward-data: {@code dCols = dY·Wᵀ}, then {@code dX = col2im(dCols)};</li>
 *   <li>backward-filter: {@code dW = colsᵀ·dY} and {@code dBias = Σ dY}, one denseWeightGrads launch
 *       (over the forward's cols, which the step keeps; with {@code --algorithm implicit} an untimed
 *       im2col fills them first, as the training step runs it).</li>
 * </ul>
 * A 1x1 kernel with stride 1 and no padding multiplies x itself (no im2col, no col2im), as the layer
 * does. Each pass is first checked against the float64 definition of the convolution
 * ({@link RefOps#conv2d} and its gradients; all images, or {@value #SAMPLED_IMAGES} evenly spaced
 * ones of forward and backward-data when a pass exceeds 2^28 FLOPs):
 * {@code maxRelError = max |out − ref| / max |ref|}; above 1e-3 it stops without timing. Then each is
 * timed: median milliseconds and {@code GFLOP/s = 2·B·OH·OW·KH·KW·C·F / time}.
 */
@Command(name = "conv", description = "Time a Conv2D layer's forward, backward-data and backward-filter passes (im2col"
        + " + GEMM) after checking each against a float64 reference.")
final class BenchConvCommand extends Benchmark {
    static final int SAMPLED_IMAGES = 8;

    @Option(names = "--batch", defaultValue = "128", description = "Images B (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--h", defaultValue = "28", description = "Image height H (default: ${DEFAULT-VALUE}).")
    int h;

    @Option(names = "--w", defaultValue = "28", description = "Image width W (default: ${DEFAULT-VALUE}).")
    int w;

    @Option(names = "--cin", defaultValue = "1", description = "Input channels C (default: ${DEFAULT-VALUE}).")
    int cin;

    @Option(names = "--cout", defaultValue = "32", description = "Filters F (default: ${DEFAULT-VALUE}).")
    int cout;

    @Option(names = "--kernel", defaultValue = "3", description = "Square kernel size K (default: ${DEFAULT-VALUE}).")
    int kernel;

    @Option(names = "--stride", defaultValue = "1", description = "Stride along both axes (default: ${DEFAULT-VALUE}).")
    int stride;

    @Option(names = "--padding", defaultValue = "valid", description = "valid or same (default: ${DEFAULT-VALUE}).")
    String padding;

    @Option(names = "--algorithm", defaultValue = "both",
            description = "The forward's algorithm: im2col, implicit or both (default: ${DEFAULT-VALUE}).")
    String algorithm;

    /** One pass: its name, its prepared launches in order, and its error against the reference. */
    private record Pass(String name, List<Backend.Launch> launches, double maxRelError) {
        void run() {
            launches.forEach(Backend.Launch::run);
        }
    }

    @Override
    ObjectNode measure(Backend backend, ObjectNode result) {
        for (String[] o : new String[][] {{"--batch", "" + batch}, {"--h", "" + h}, {"--w", "" + w},
                {"--cin", "" + cin}, {"--cout", "" + cout}, {"--kernel", "" + kernel}, {"--stride", "" + stride}}) {
            requirePositive(o[0], Long.parseLong(o[1]));
        }
        if (!List.of("im2col", "implicit", "both").contains(algorithm)) {
            throw new IllegalArgumentException("bench conv: --algorithm must be im2col, implicit or both, got \""
                    + algorithm + "\"");
        }
        boolean timeIm2col = !algorithm.equals("implicit");
        boolean timeImplicit = !algorithm.equals("im2col");
        Window win;
        try {
            win = Window.keras(h, w, kernel, kernel, stride, stride, 1, 1, padding);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bench conv: " + e.getMessage(), e);
        }
        int rows = Math.multiplyExact(Math.multiplyExact(batch, win.oh()), win.ow());
        int taps = Math.multiplyExact(win.taps(), cin);
        boolean pointwise = win.taps() == 1 && stride == 1 && win.padTop() == 0 && win.padLeft() == 0;
        double flops = 2.0 * rows * taps * cout;
        float[] xs = random(1, Math.multiplyExact(Math.multiplyExact(batch, h * w), cin));
        float[] ws = random(2, Math.multiplyExact(taps, cout));
        float[] bs = random(3, cout);
        float[] dys = random(4, Math.multiplyExact(rows, cout));
        progress("conv " + batch + "x" + h + "x" + w + "x" + cin + " -> " + win.oh() + "x" + win.ow() + "x" + cout
                + ", kernel " + kernel + "x" + kernel + ", stride " + stride + ", " + padding + " on " + backend.id());
        try (Tensor x = Tensor.of(backend, xs, batch, h, w, cin);
             Tensor cols = pointwise ? null : Tensor.empty(backend, Shape.of(rows, taps), "cols");
             Tensor k = Tensor.of(backend, ws, taps, cout);
             Tensor bias = Tensor.of(backend, bs, cout);
             Tensor y = Tensor.empty(backend, Shape.of(rows, cout), "y");
             Tensor dy = Tensor.of(backend, dys, rows, cout);
             Tensor dCols = pointwise ? null : Tensor.empty(backend, Shape.of(rows, taps), "dCols");
             Tensor dx = Tensor.empty(backend, Shape.of(batch, h, w, cin), "dX");
             Tensor dk = Tensor.empty(backend, Shape.of(taps, cout), "dW");
             Tensor dBias = Tensor.empty(backend, Shape.of(cout), "dBias")) {
            Tensor matrix = pointwise ? x.reshape(rows, cin) : cols;
            List<Op> forward = new ArrayList<>();
            if (!pointwise) {
                forward.add(new Im2Col(x, win, cols));
            }
            Epilogue epilogue = Epilogue.forward(bias, Activation.LINEAR, null);
            forward.add(new MatMul(false, false, 1f, matrix, k, 0f, y, epilogue));
            List<Op> implicit = List.of(new ConvGemm(x, win, k, y, epilogue));
            List<Op> backwardData = new ArrayList<>();
            backwardData.add(MatMul.of(false, true, 1f, dy, k, 0f, pointwise ? dx.reshape(rows, cin) : dCols));
            if (!pointwise) {
                backwardData.add(new Col2Im(dCols, win, dx));
            }
            List<Op> backwardFilter = List.of(Composite.denseWeightGrads(matrix, dy, dk, dBias));

            progress("checking each pass against float64");
            boolean sampled = flops > (1 << 28);
            int[] images = images(sampled);
            double[] forwardRef = RefOps.conv2d(pick(xs, images, h * w * cin), images.length, cin, doubles(ws), cout,
                    doubles(bs), win);
            List<Pass> passes = new ArrayList<>();
            if (timeIm2col) {
                passes.add(check("forward", backend, forward, () -> maxRelError(forwardRef,
                        pick(y.toArray(), images, win.oh() * win.ow() * cout))));
            }
            if (timeImplicit) {
                float[] nans = new float[rows * cout];
                java.util.Arrays.fill(nans, Float.NaN);
                y.copyFrom(nans);
                passes.add(check("forwardImplicit", backend, implicit, () -> maxRelError(forwardRef,
                        pick(y.toArray(), images, win.oh() * win.ow() * cout))));
            }
            if (!timeIm2col && !pointwise) {
                backend.run(new Im2Col(x, win, cols));
            }
            Pass filter = check("backwardFilter", backend, backwardFilter, () -> Math.max(
                    maxRelError(RefOps.conv2dBackwardFilter(doubles(xs), batch, cin, doubles(dys), cout, win),
                            doubles(dk.toArray())),
                    maxRelError(RefOps.columnSum(doubles(dys), cout), doubles(dBias.toArray()))));
            Pass data = check("backwardData", backend, backwardData, () -> maxRelError(
                    RefOps.conv2dBackwardData(pick(dys, images, win.oh() * win.ow() * cout), images.length, cin,
                            doubles(ws), cout, win), pick(dx.toArray(), images, h * w * cin)));
            result.put("op", "conv").put("device", backend.id()).put("deviceName", backend.info().name())
                    .put("batch", batch).put("h", h).put("w", w).put("cin", cin).put("cout", cout).put("kernel", kernel)
                    .put("stride", stride).put("padding", padding).put("algorithm", algorithm)
                    .put("oh", win.oh()).put("ow", win.ow())
                    .put("flops", flops).put("repeats", repeats).put("sampledImages", sampled ? images.length : batch);
            double worst = 0;
            passes.add(data);
            passes.add(filter);
            for (Pass p : passes) {
                progress("timing " + p.name() + ", " + repeats + " runs");
                double ms = medianMs(backend, p::run);
                result.put(p.name() + "MedianMs", ms).put(p.name() + "Gflops", flops / (ms * 1e6))
                        .put(p.name() + "MaxRelError", p.maxRelError());
                worst = Math.max(worst, p.maxRelError());
            }
            return result.put("maxRelError", worst);
        }
    }

    /** Prepares the ops, runs them once and checks the result; refuses to time a wrong pass. */
    private Pass check(String name, Backend backend, List<Op> ops, DoubleSupplier error) {
        List<Backend.Launch> launches = ops.stream().map(backend::prepare).toList();
        launches.forEach(Backend.Launch::run);
        double e = error.getAsDouble();
        if (!(e <= BenchGemmCommand.MAX_ERROR)) {
            throw new BackendException("bench conv: " + name + " differs from the float64 reference on " + backend.id()
                    + ": maxRelError " + e + " > " + BenchGemmCommand.MAX_ERROR + "; not timing a wrong kernel");
        }
        return new Pass(name, launches, e);
    }

    /** The images checked: all, or {@value #SAMPLED_IMAGES} evenly spaced ones (the first and the last among them). */
    private int[] images(boolean sampled) {
        int n = sampled ? Math.min(batch, SAMPLED_IMAGES) : batch;
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = n == 1 ? 0 : (int) ((long) i * (batch - 1) / (n - 1));
        }
        return out;
    }

    /** The images {@code images} of a batch of {@code per}-value images, as doubles. */
    private static double[] pick(float[] all, int[] images, int per) {
        double[] out = new double[images.length * per];
        for (int i = 0; i < images.length; i++) {
            for (int j = 0; j < per; j++) {
                out[i * per + j] = all[images[i] * per + j];
            }
        }
        return out;
    }

    /** max |out − ref| / max |ref|. */
    private static double maxRelError(double[] ref, double[] out) {
        double maxErr = 0;
        double maxRef = 0;
        for (int i = 0; i < ref.length; i++) {
            maxErr = Math.max(maxErr, Math.abs(out[i] - ref[i]));
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
        }
        return maxRef == 0 ? maxErr : maxErr / maxRef;
    }
}
