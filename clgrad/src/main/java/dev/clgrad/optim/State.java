package dev.clgrad.optim;

import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** A zero-initialised optimizer state tensor shaped like the parameters it follows. */
final class State {
    private State() {
    }

    /** Allocates zeros the size of params, or checks that an existing state still matches. */
    static Tensor matching(Tensor state, Tensor params, String name) {
        if (state != null) {
            if (state.shape().size() != params.shape().size() || state.memory() != params.memory()) {
                throw new IllegalArgumentException(name + ": optimizer state is " + state.shape() + " on "
                        + state.memory().id() + " but params are " + params.shape() + " on "
                        + params.memory().id() + "; one optimizer serves one model");
            }
            return state;
        }
        Tensor t = Tensor.empty(params.memory(), Shape.of(Math.toIntExact(params.shape().size())), name);
        t.zero();
        return t;
    }

    /**
     * Checks saved state against what an optimizer keeps: exactly the names {@code expected} (none
     * when {@code iterations} is 0), each of params' size, and a step count >= 0.
     */
    static void checkRestore(String optimizer, Tensor params, Map<String, float[]> values, long iterations,
                             Set<String> expected) {
        if (iterations < 0) {
            throw new IllegalArgumentException(optimizer + ": step count must be >= 0, got " + iterations);
        }
        Set<String> want = iterations == 0 && values.isEmpty() ? Set.of() : expected;
        if (!values.keySet().equals(want)) {
            throw new IllegalArgumentException(optimizer + ": saved state holds " + new TreeSet<>(values.keySet())
                    + ", expected " + new TreeSet<>(want) + " after " + iterations + " steps");
        }
        for (Map.Entry<String, float[]> e : values.entrySet()) {
            if (e.getValue().length != params.shape().size()) {
                throw new IllegalArgumentException(optimizer + ": saved state " + e.getKey() + " has "
                        + e.getValue().length + " values, the parameters have " + params.shape().size());
            }
        }
    }

    /**
     * Writes saved values (or zeros when {@code values} is null) into the state tensor, allocating
     * it when needed. Modified: the returned tensor.
     */
    static Tensor restored(Tensor state, Tensor params, String name, float[] values) {
        Tensor t = matching(state, params, name);
        if (values != null) {
            t.copyFrom(values);
        } else {
            t.zero();
        }
        return t;
    }
}
