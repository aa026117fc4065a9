package dev.clgrad.io;

import dev.clgrad.data.HostArray;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Layer;
import dev.clgrad.nn.Parameter;
import dev.clgrad.nn.Sequential;
import dev.clgrad.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model's weights as a safetensors file, one F32 tensor per parameter, named as in the model
 * ({@code dense_1.kernel} (I, O), {@code dense_1.bias} (O), …).
 */
public final class ModelWeights {
    private ModelWeights() {
    }

    /** Downloads every parameter and writes the file. Not modified: model. */
    public static void save(Sequential model, Path file) throws IOException {
        Map<String, HostArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
            out.put(e.getKey(), new HostArray(e.getValue().shape().dims(), e.getValue().toArray()));
        }
        Safetensors.write(file, out);
    }

    /**
     * Loads every parameter of the model from the file. An unbuilt model is built first, with the
     * input width taken from the first Dense kernel's rows. Names and shapes must match exactly.
     * Modified: model's parameters.
     */
    public static void load(Sequential model, Path file) throws IOException {
        Map<String, HostArray> in = Safetensors.read(file);
        if (!model.isBuilt()) {
            Layer first = model.layers().stream().filter(l -> l instanceof Dense).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("load: the model has no Dense layer to take weights"));
            HostArray kernel = in.get(first.name() + ".kernel");
            if (kernel == null || kernel.shape().length != 2) {
                throw new IOException(file + ": no 2-D tensor " + first.name() + ".kernel to infer the input width from; "
                        + "tensors are " + in.keySet());
            }
            model.build(kernel.shape()[0]);
        }
        Map<String, Tensor> params = model.namedParameters();
        for (String name : in.keySet()) {
            if (!params.containsKey(name)) {
                throw new IOException(file + ": tensor " + name + " is not a parameter of the model; expected "
                        + params.keySet());
            }
        }
        for (Parameter p : model.parameterList()) {
            HostArray a = in.get(p.name());
            if (a == null) {
                throw new IOException(file + ": parameter " + p.name() + " is missing; the file has " + in.keySet());
            }
            if (!Arrays.equals(a.shape(), p.shape().dims())) {
                throw new IOException(file + ": tensor " + p.name() + " has shape " + Arrays.toString(a.shape())
                        + ", the model expects " + p.shape());
            }
            params.get(p.name()).copyFrom(a.data());
        }
    }
}
