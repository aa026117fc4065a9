package dev.clgrad.optim;

import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

/** A zero-initialised optimizer state tensor shaped like the parameters it follows. */
final class State {
    private State() {
    }

    /** Allocates zeros the size of params, or checks that an existing state still matches. */
    static Tensor matching(Tensor state, Tensor params, String name) {
        if (state != null) {
            if (state.shape().size() != params.shape().size() || state.backend() != params.backend()) {
                throw new IllegalArgumentException(name + ": optimizer state is " + state.shape() + " on "
                        + state.backend().id() + " but params are " + params.shape() + " on "
                        + params.backend().id() + "; one optimizer serves one model");
            }
            return state;
        }
        Tensor t = Tensor.empty(params.backend(), Shape.of(Math.toIntExact(params.shape().size())), name);
        params.backend().fill(t, 0f);
        return t;
    }
}
