package dev.clgrad.nn;

import dev.clgrad.tensor.DeviceBuffer;
import dev.clgrad.tensor.DeviceMemory;
import dev.clgrad.tensor.Placeholders;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every parameter of a model, in two groups, each one flat device tensor so that an optimizer
 * updates a whole group in one launch: the trainable parameters params: (P) with their gradients
 * grads: (P), and the buffers (non-trainable state such as moving statistics) buffers: (Q). Each
 * parameter is a view by offset; offsets are multiples of {@link #ALIGN} floats (128 bytes).
 * {@link #close} frees the group tensors.
 */
public final class ParameterStore implements AutoCloseable {
    /** Parameter offsets in a group are multiples of this many floats. */
    public static final int ALIGN = 32;

    private final List<Parameter> parameters;
    private final Map<String, Parameter> byName = new HashMap<>();
    private final Tensor params;
    private final Tensor grads;
    private final Tensor buffers;

    private ParameterStore(List<Parameter> parameters, Tensor params, Tensor grads, Tensor buffers) {
        this.parameters = Collections.unmodifiableList(parameters);
        for (Parameter p : parameters) {
            byName.put(p.name(), p);
        }
        this.params = params;
        this.grads = grads;
        this.buffers = buffers;
    }

    /** The layers' parameters laid out in their groups, and the size of each group in floats. */
    private record Groups(List<Parameter> parameters, long trainable, long buffer) {
    }

    private static Groups layout(List<Layer> layers) {
        List<Parameter> ps = new ArrayList<>();
        long trainable = 0;
        long buffer = 0;
        for (Layer layer : layers) {
            for (ParamSpec s : layer.parameters()) {
                long aligned = (s.shape().size() + ALIGN - 1) / ALIGN * ALIGN;
                if (s.trainable()) {
                    ps.add(new Parameter(layer.name() + "." + s.name(), s.shape(), trainable, true, s.constraint(),
                            s.regularizer()));
                    trainable += aligned;
                } else {
                    ps.add(new Parameter(layer.name() + "." + s.name(), s.shape(), buffer, false, null, null));
                    buffer += aligned;
                }
            }
        }
        return new Groups(ps, trainable, buffer);
    }

    /**
     * The store {@link #create} would make, holding no memory: each group a placeholder tensor of
     * the same size (shaped (n/ALIGN, ALIGN) where n is beyond int indexing, so that any model can
     * be planned), its views named and placed as in the real store; the layers are not initialised.
     * For planning a model's memory before it is allocated; close it afterwards.
     */
    public static ParameterStore planned(List<Layer> layers) {
        Groups g = layout(layers);
        Placeholders none = new Placeholders();
        return new ParameterStore(g.parameters(), placeholder(none, g.trainable(), "params"),
                placeholder(none, g.trainable(), "grads"), g.buffer() > 0 ? placeholder(none, g.buffer(), "buffers") : null);
    }

    private static Tensor placeholder(Placeholders none, long floats, String name) {
        long n = Math.max(floats, 1);
        Shape shape = n <= DeviceBuffer.MAX_FLOATS ? Shape.of((int) n) : Shape.of((int) (n / ALIGN), ALIGN);
        return Tensor.empty(none, shape, name);
    }

    /**
     * Lays out the layers' declared parameters (names {@code layer.param}), allocates the groups on
     * {@code memory} and writes the layers' initial values (trainable parameters and buffers);
     * gradients start at zero.
     *
     * @throws IllegalArgumentException when a group would exceed {@link DeviceBuffer#MAX_FLOATS}, naming the sizes
     */
    public static ParameterStore create(DeviceMemory memory, List<Layer> layers) {
        Groups g = layout(layers);
        List<Parameter> ps = g.parameters();
        long trainable = g.trainable();
        long buffer = g.buffer();
        if (trainable > DeviceBuffer.MAX_FLOATS || buffer > DeviceBuffer.MAX_FLOATS) {
            throw new IllegalArgumentException("the model's parameters need " + Math.max(trainable, buffer)
                    + " floats in one group; at most " + DeviceBuffer.MAX_FLOATS + " fit");
        }
        float[] init = new float[(int) Math.max(trainable, 1)];
        float[] bufferInit = new float[(int) buffer];
        int p = 0;
        for (Layer layer : layers) {
            List<ParamSpec> specs = layer.parameters();
            int[] offsets = new int[specs.size()];
            for (int i = 0; i < specs.size(); i++) {
                offsets[i] = (int) ps.get(p++).offset();
            }
            if (!specs.isEmpty()) {
                layer.initialize(init, offsets);
                layer.initializeBuffers(bufferInit, offsets);
            }
        }
        Tensor params = null;
        Tensor grads = null;
        Tensor buffers = null;
        try {
            params = Tensor.empty(memory, Shape.of((int) Math.max(trainable, 1)), "params");
            grads = Tensor.empty(memory, Shape.of((int) Math.max(trainable, 1)), "grads");
            grads.zero();
            if (buffer > 0) {
                buffers = Tensor.empty(memory, Shape.of((int) buffer), "buffers");
                buffers.copyFrom(bufferInit);
            }
            params.copyFrom(init);
        } catch (RuntimeException e) {
            for (Tensor t : new Tensor[]{buffers, grads, params}) {
                if (t != null) {
                    t.close();
                }
            }
            throw e;
        }
        return new ParameterStore(ps, params, grads, buffers);
    }

    /** Every parameter, trainable ones and buffers, in layer order. */
    public List<Parameter> list() {
        return parameters;
    }

    /** The trainable parameters, in flat order. */
    public List<Parameter> trainable() {
        return parameters.stream().filter(Parameter::trainable).toList();
    }

    /** The flat trainable group (P). */
    public Tensor params() {
        return params;
    }

    /** The flat gradient group (P), written by each training step. */
    public Tensor grads() {
        return grads;
    }

    /** Floats of the trainable group, and of its gradients alike: the parameters with their alignment padding. */
    public long trainableFloats() {
        return params.shape().size();
    }

    /** Floats of the buffer group (0 when there are no buffers). */
    public long bufferFloats() {
        return buffers == null ? 0 : buffers.shape().size();
    }

    /** Whether there are trainable parameters at all. */
    public boolean hasTrainable() {
        return parameters.stream().anyMatch(Parameter::trainable);
    }

    /** The view of parameter {@code name} ({@code layer.param}). */
    public Tensor value(String name) {
        Parameter p = find(name);
        return (p.trainable() ? params : buffers).view(p.offset(), p.shape(), p.name());
    }

    /** The gradient view of trainable parameter {@code name}. */
    public Tensor gradient(String name) {
        Parameter p = find(name);
        if (!p.trainable()) {
            throw new IllegalArgumentException(name + " is a buffer; it has no gradient");
        }
        return grads.view(p.offset(), p.shape(), "d" + p.name());
    }

    private Parameter find(String name) {
        Parameter p = byName.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no parameter " + name + "; the model has " + byName.keySet());
        }
        return p;
    }

    /**
     * The state a model saves without knowing its layers: each parameter and buffer by name, as
     * views (read them; do not close them).
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Parameter p : parameters) {
            out.put(p.name(), value(p.name()));
        }
        return out;
    }

    /** Values in trainable parameters (alignment padding excluded). */
    public long trainableCount() {
        return parameters.stream().filter(Parameter::trainable).mapToLong(p -> p.shape().size()).sum();
    }

    /** Values in buffers. */
    public long bufferCount() {
        return parameters.stream().filter(p -> !p.trainable()).mapToLong(p -> p.shape().size()).sum();
    }

    @Override
    public void close() {
        for (Tensor t : new Tensor[]{buffers, grads, params}) {
            if (t != null) {
                t.close();
            }
        }
    }
}
