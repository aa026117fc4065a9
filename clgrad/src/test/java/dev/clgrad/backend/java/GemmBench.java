package dev.clgrad.backend.java;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Random;

/**
 * A benchmark command, not a test (docs/BENCHMARKS.md, issue 15): times {@code C(M, N) = alpha·op(A)·op(B)}
 * (beta 0) through {@link JavaGemm#gemm} on the Vector API path, or {@link VectorGemm}'s packed micro-kernel
 * alone, and prints medians over the repeats: GFLOP/s per CPU second of the JVM's threads times the
 * thread count (what a loaded machine disturbs least), and per wall second.
 *
 * <p>{@code java --add-modules jdk.incubator.vector -cp clgrad/target/classes:clgrad/target/test-classes
 * dev.clgrad.backend.java.GemmBench THREADS REPEATS M N K [transA transB [alpha]]}, or
 * {@code ... GemmBench kernel REPEATS MC NC [KC]}.
 */
public final class GemmBench {
    private GemmBench() {
    }

    /**
     * The packed micro-kernel alone, on one thread and thread CPU time: an A block of mc rows
     * (micro-panels of MR) and a B panel of nc columns (micro-panels of NR), both kc deep, swept as
     * {@link VectorGemm#block} sweeps them, each tile added to C(mc, nc).
     */
    private static void kernel(int repeats, int mc, int nc, int kc) throws Throwable {
        MethodHandle k8 = MethodHandles.privateLookupIn(VectorGemm.class, MethodHandles.lookup()).findStatic(
                VectorGemm.class, "kernel" + VectorGemm.MR, MethodType.methodType(void.class, int.class,
                        float[].class, int.class, float[].class, int.class, float[].class, int.class,
                        int.class));
        int mr = VectorGemm.MR;
        int nr = VectorGemm.NR;
        float[] ap = new float[mc * kc];
        float[] bp = new float[nc * kc];
        float[] c = new float[mc * nc];
        Arrays.fill(ap, 0.001f);
        Arrays.fill(bp, 0.001f);
        double flops = 2.0 * mc * nc * kc;
        int inner = (int) (1e10 / flops);
        double[] cpu = new double[repeats];
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (int rep = -3; rep < repeats; rep++) {
            long c0 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < inner; i++) {
                for (int jr = 0; jr < nc; jr += nr) {
                    for (int ir = 0; ir < mc; ir += mr) {
                        k8.invokeExact(kc, ap, ir * kc, bp, jr * kc, c, ir * nc + jr, nc);
                    }
                }
            }
            if (rep >= 0) {
                cpu[rep] = flops * inner / (mx.getCurrentThreadCpuTime() - c0);
            }
        }
        Arrays.sort(cpu);
        System.out.printf("kernel%d x %d, mc %d nc %d kc %d: cpu-GFLOP/s median %.1f [%.1f..%.1f]%n", mr, nr, mc, nc,
                kc, cpu[repeats / 2], cpu[0], cpu[repeats - 1]);
    }

    /** CPU time of all live threads of this JVM, in nanoseconds. */
    private static long cpuNanos() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long id : mx.getAllThreadIds()) {
            sum += Math.max(0, mx.getThreadCpuTime(id));
        }
        return sum;
    }

    public static void main(String[] args) throws Throwable {
        if (args[0].equals("kernel")) {
            kernel(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                    args.length > 4 ? Integer.parseInt(args[4]) : VectorGemm.KC);
            return;
        }
        int threads = Integer.parseInt(args[0]);
        int repeats = Integer.parseInt(args[1]);
        int m = Integer.parseInt(args[2]);
        int n = Integer.parseInt(args[3]);
        int k = Integer.parseInt(args[4]);
        boolean ta = args.length > 5 && Boolean.parseBoolean(args[5]);
        boolean tb = args.length > 6 && Boolean.parseBoolean(args[6]);
        float alpha = args.length > 7 ? Float.parseFloat(args[7]) : 1f;
        Random r = new Random(1);
        float[] a = new float[m * k];
        float[] b = new float[k * n];
        float[] c = new float[m * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextFloat() - 0.5f;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = r.nextFloat() - 0.5f;
        }
        double flops = 2.0 * m * n * k;
        int inner = (int) Math.max(1, Math.min(100000, 1e10 / flops));
        try (ParallelLoop loop = new ParallelLoop(threads)) {
            for (int w = 0; w < Math.max(3, 3e10 / flops / inner); w++) {
                for (int i = 0; i < inner; i++) {
                    JavaGemm.gemm(loop, true, ta, tb, m, n, k, alpha, a, 0, b, 0, 0f, c, 0);
                }
            }
            double[] cpu = new double[repeats];
            double[] wall = new double[repeats];
            for (int rep = 0; rep < repeats; rep++) {
                long c0 = cpuNanos();
                long w0 = System.nanoTime();
                for (int i = 0; i < inner; i++) {
                    JavaGemm.gemm(loop, true, ta, tb, m, n, k, alpha, a, 0, b, 0, 0f, c, 0);
                }
                wall[rep] = flops * inner / (System.nanoTime() - w0);
                cpu[rep] = flops * inner * threads / (cpuNanos() - c0);
            }
            Arrays.sort(cpu);
            Arrays.sort(wall);
            double sum = 0;
            for (float v : c) {
                sum += v;
            }
            System.out.printf("%dx%dx%d tA=%b tB=%b alpha=%s threads=%d inner=%d: cpu-GFLOP/s(x threads) median %.1f"
                            + " [%.1f..%.1f], wall %.1f [%.1f..%.1f] (checksum %.6e)%n", m, n, k, ta, tb, alpha,
                    threads, inner, cpu[repeats / 2], cpu[0], cpu[repeats - 1], wall[repeats / 2], wall[0],
                    wall[repeats - 1], sum);
        }
    }
}
