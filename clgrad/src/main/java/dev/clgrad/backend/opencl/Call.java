package dev.clgrad.backend.opencl;

import dev.clgrad.ops.AdamHyper;
import dev.clgrad.ops.Counter;
import dev.clgrad.ops.Scalar;
import dev.clgrad.tensor.Tensor;

import java.util.Arrays;

/**
 * One command an op lowers to on OpenCL, as data: a kernel launch, a buffer copy or a buffer fill. The routines
 * build calls from ops; {@link OpenClBackend} either enqueues them at once ({@code run}) or binds
 * them once for replay ({@code prepare}), so both paths launch the same kernels with the same
 * arguments.
 */
sealed interface Call {

    /**
     * Kernel {@code name} of {@code file} over {@code global} work-items in groups of {@code local}
     * (null: the driver chooses). Arguments in order: a {@link Tensor} fills two kernel parameters,
     * its buffer and its element offset ({@code int}); an Integer is an {@code int}, a Float a
     * {@code float}, a Long a {@code long}/{@code ulong}, an {@link Int2} an {@code int2}, and a
     * {@link Dynamic} (a counter, Adam's corrections, the scratch buffer) is read at each launch.
     */
    record Kernel(String file, String name, long[] global, long[] local, Object[] args) implements Call {
        @Override
        public String toString() {
            return name + " global=" + Arrays.toString(global) + " local=" + Arrays.toString(local);
        }
    }

    /** {@code clEnqueueCopyBuffer} of src's elements into dst (same size, no overlap). */
    record Copy(Tensor src, Tensor dst) implements Call {
    }

    /**
     * {@code clEnqueueFillBuffer} of x's elements with {@code value}: the driver's own command, so
     * no program is built for it (on PoCL a kernel of its own took about 1 s to compile).
     */
    record Fill(Tensor x, float value) implements Call {
    }

    /** An {@code int2} argument: a pair of sizes such as a window's (height, width). */
    record Int2(int x, int y) {
    }

    /**
     * A kernel argument whose value is read when the launch is enqueued, not when it is built: a
     * replayed launch re-reads only these.
     */
    sealed interface Dynamic {
        void set(ClApi api, ClApi.Kernel kernel, int index);
    }

    /**
     * A {@code __global float*} argument: the backend's {@link Scratch} buffer as it is now, of at
     * least {@code floats} floats (reserved when the launch is prepared or run).
     */
    record ScratchBuffer(Scratch scratch, long floats) implements Dynamic {
        @Override
        public void set(ClApi api, ClApi.Kernel kernel, int index) {
            api.setArg(kernel, index, scratch.mem());
        }
    }

    /** A {@code ulong} argument: the counter's value now (a dropout mask's counter base). */
    record CounterValue(Counter counter) implements Dynamic {
        @Override
        public void set(ClApi api, ClApi.Kernel kernel, int index) {
            api.setArg(kernel, index, counter.get());
        }
    }

    /** A {@code float} argument: the scalar's value now (an optimizer's learning rate or momentum). */
    record ScalarValue(Scalar scalar) implements Dynamic {
        @Override
        public void set(ClApi api, ClApi.Kernel kernel, int index) {
            api.setArg(kernel, index, scalar.get());
        }
    }

    /**
     * Adam's step-dependent {@code float} arguments, PyTorch's {@code step_size = lr / (1 - b1^t)} and
     * {@code 1 / sqrt(1 - b2^t)} (bias corrections in double on the host), t read from {@code step} and
     * lr from {@code lr}. Fills two consecutive kernel parameters.
     */
    record AdamCorrections(AdamHyper hyper, Scalar lr, Counter step) implements Dynamic {
        @Override
        public void set(ClApi api, ClApi.Kernel kernel, int index) {
            long t = step.get();
            if (t < 1) {
                throw new IllegalStateException("adamStep: step counts from 1, got " + t);
            }
            double bc1 = 1 - Math.pow(hyper.beta1(), t);
            double bc2 = 1 - Math.pow(hyper.beta2(), t);
            api.setArg(kernel, index, (float) (lr.get() / bc1));
            api.setArg(kernel, index + 1, (float) (1 / Math.sqrt(bc2)));
        }
    }

    /** The number of kernel parameters an argument fills. */
    static int width(Object arg) {
        return arg instanceof Tensor || arg instanceof AdamCorrections ? 2 : 1;
    }
}
