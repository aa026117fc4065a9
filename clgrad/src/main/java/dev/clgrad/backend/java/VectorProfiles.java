package dev.clgrad.backend.java;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Settles a type profile inside the Vector API before HotSpot's C2 compiles the Java backend's
 * kernels: {@link #settle()} runs once per JVM, from the first {@link JavaBackend} that uses the
 * Vector API.
 *
 * <p>Every lanewise operation (add, fma, max, ...) goes through {@code VectorOperators.opKind},
 * which casts its operator, and that cast's profile is shared by the whole program. Profiled while
 * only one operator class had passed, C2 compiles the cast speculatively, and each later operator
 * class records a class-check trap there (4 in the runs logged). C2 adds the recorded traps of
 * every method it inlines into one count per compilation, so a method with about 25 lanewise
 * operations (the GEMM micro-kernel has 32) passes {@code PerMethodTrapLimit} half-way through its
 * compilation; from there C2 no longer trusts type guards, the vectors lose their exact class, and
 * the rest of the kernel's stores compile to the boxed Java fallback, which in some runs and not
 * others slows the whole training step down to about half (docs/BENCHMARKS.md). Running the operator
 * classes through the cast first, while the methods are still interpreted or profiled by C1, leaves
 * C2 nothing to speculate on there.
 *
 * <p>Vectors: one of {@link FloatVector#SPECIES_PREFERRED}, the only float species the backend uses;
 * it runs once, before the first step.
 */
final class VectorProfiles {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Rounds of the five operations: enough for C1's profiling tier to see them. */
    private static final int ROUNDS = 6000;

    private VectorProfiles() {
    }

    /** Runs the operator classes once per JVM (later calls return at once). */
    static void settle() {
        Holder.touch();
    }

    private static final class Holder {
        static {
            float[] in = new float[F.length()];
            float[] out = new float[F.length()];
            for (int i = 0; i < ROUNDS; i++) {
                FloatVector v = FloatVector.fromArray(F, in, 0);
                v.add(v).sub(v).fma(v, v).neg().lanewise(VectorOperators.MAX, v).intoArray(out, 0);
            }
        }

        static void touch() {
        }
    }
}
