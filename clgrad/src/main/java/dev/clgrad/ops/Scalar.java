package dev.clgrad.ops;

/**
 * A float an op reads when it runs rather than when it is built: an optimizer's learning rate or
 * momentum. A replayed step program keeps its ops; a schedule or a callback sets the value between
 * steps, so changing it rebuilds nothing (on OpenCL it is a kernel argument set at each launch).
 * Not thread-safe: one step program owns it.
 */
public final class Scalar {
    private float value;

    public Scalar(float value) {
        this.value = value;
    }

    /** A scalar fixed at {@code value} (tests, benchmarks, single launches). */
    public static Scalar of(float value) {
        return new Scalar(value);
    }

    public float get() {
        return value;
    }

    public void set(float v) {
        value = v;
    }

    @Override
    public String toString() {
        return Float.toString(value);
    }
}
