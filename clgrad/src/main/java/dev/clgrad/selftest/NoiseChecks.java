package dev.clgrad.selftest;

import dev.clgrad.backend.Backend;
import dev.clgrad.ops.ApplyAlphaMask;
import dev.clgrad.ops.ApplyGaussianNoise;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.GaussianNoise;
import dev.clgrad.ops.Mask;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The conformance checks of the dropout variants against {@link RefOps} in float64, part of
 * {@link Conformance#checks}: Gaussian dropout ({@link ApplyGaussianNoise}: the polynomial
 * Box–Muller against {@code Math.log}/{@code Math.cos}) and alpha dropout ({@link ApplyAlphaMask},
 * forward and gradient), at {@link Conformance#SIZES}, outputs poisoned, in place too, at the
 * conformance counter base whose blocks carry past 2^32; and Gaussian dropout replayed with its
 * counter advanced. Names: {@code gaussianDropout n=1000 p=0.5}, {@code alphaDropoutBackward n=7 p=0.1}, ….
 */
final class NoiseChecks {
    private NoiseChecks() {
    }

    static void add(List<Check> all) {
        for (int n : Conformance.SIZES) {
            for (float p : new float[] {0f, 0.1f, 0.5f, 0.9f}) {
                String what = " n=" + n + " p=" + p;
                long seed = 61L + n;
                all.add(new Check("gaussianDropout" + what, ApplyGaussianNoise.class, Conformance.ELEMENTWISE, 1900 + n,
                        (backend, in) -> {
                            double[] x = in.uniform(n, 2);
                            Tensor tx = in.tensor(x, n);
                            Tensor ty = in.poisoned(n);
                            GaussianNoise noise = GaussianNoise.fixed(p, seed, Conformance.DROPOUT_OFFSET);
                            double[] ref = RefOps.gaussianDropout(x, p, seed, Conformance.DROPOUT_OFFSET);
                            backend.run(new ApplyGaussianNoise(tx, noise, ty));
                            Comparison once = Comparison.close("gaussianDropout" + what, ref, ty.toArray(),
                                    Conformance.ELEMENTWISE);
                            backend.run(new ApplyGaussianNoise(tx, noise, tx));
                            return List.of(once, Comparison.close("gaussianDropout in place" + what, ref, tx.toArray(),
                                    Conformance.ELEMENTWISE));
                        }));
                for (boolean gradient : new boolean[] {false, true}) {
                    String name = (gradient ? "alphaDropoutBackward" : "alphaDropout") + what;
                    all.add(new Check(name, ApplyAlphaMask.class, Conformance.ELEMENTWISE, 1950 + n, (backend, in) -> {
                        double[] x = in.uniform(n, 2);
                        Tensor tx = in.tensor(x, n);
                        Tensor ty = in.poisoned(n);
                        Mask mask = Mask.fixed(p, seed, Conformance.DROPOUT_OFFSET);
                        double[] ref = RefOps.alphaDropout(x, p, seed, Conformance.DROPOUT_OFFSET, gradient);
                        backend.run(new ApplyAlphaMask(tx, mask, gradient, ty));
                        Comparison once = Comparison.close(name, ref, ty.toArray(), Conformance.ELEMENTWISE);
                        backend.run(new ApplyAlphaMask(tx, mask, gradient, tx));
                        return List.of(once, Comparison.close(name + " in place", ref, tx.toArray(),
                                Conformance.ELEMENTWISE));
                    }));
                }
            }
        }
        int n = 4099;
        String what = "gaussianDropout replayed with its counter advanced n=" + n + " p=0.3";
        all.add(new Check(what, ApplyGaussianNoise.class, Conformance.ELEMENTWISE, 1999, (backend, in) -> {
            double[] x = in.uniform(n, 2);
            Tensor ty = in.poisoned(n);
            Counter counter = new Counter(Conformance.DROPOUT_OFFSET - GaussianNoise.blocks(n));
            ApplyGaussianNoise op = new ApplyGaussianNoise(in.tensor(x, n), new GaussianNoise(0.3f, 9, counter), ty);
            Backend.Launch launch = backend.prepare(op);
            List<Comparison> out = new ArrayList<>();
            for (String how : new String[] {"run", "prepared", "prepared again"}) {
                long offset = counter.get();
                if (how.startsWith("prepared")) {
                    launch.run();
                } else {
                    backend.run(op);
                }
                out.add(Comparison.close(what + " " + how + " at offset " + Long.toUnsignedString(offset),
                        RefOps.gaussianDropout(x, 0.3f, 9, offset), ty.toArray(), Conformance.ELEMENTWISE));
                counter.getAndAdd(GaussianNoise.blocks(n));
            }
            return out;
        }));
    }
}
