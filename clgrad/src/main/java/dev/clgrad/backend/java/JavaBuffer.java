package dev.clgrad.backend.java;

import dev.clgrad.tensor.DeviceBuffer;

/** A Java backend buffer: a host {@code float[]} of exactly {@link #floats()} elements. */
final class JavaBuffer extends DeviceBuffer {
    final float[] data;
    final JavaBackend owner;
    boolean released;

    JavaBuffer(JavaBackend owner, float[] data) {
        super(data.length);
        this.owner = owner;
        this.data = data;
    }
}
