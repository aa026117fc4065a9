package dev.clgrad.io;

import dev.clgrad.data.HostArray;
import dev.clgrad.nn.Dense;
import dev.clgrad.nn.Layer;
import dev.clgrad.nn.Parameter;
import dev.clgrad.model.Sequential;
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
     * input width taken from the first Dense kernel's rows. Names and shapes must match exactly;
     * all are checked before any is copied, so a bad file leaves the model as it was.
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
        check(model, in, file.toString());
        upload(model, in);
    }

    /**
     * Checks that {@code tensors} are exactly the model's parameters, names and shapes; {@code source}
     * names the file in errors. Not modified: model, tensors.
     */
    static void check(Sequential model, Map<String, HostArray> tensors, String source) throws IOException {
        Map<String, Tensor> params = model.namedParameters();
        for (String name : tensors.keySet()) {
            if (!params.containsKey(name)) {
                throw new IOException(source + ": tensor " + name + " is not a parameter of the model; expected "
                        + params.keySet());
            }
        }
        for (Parameter p : model.parameterList()) {
            HostArray a = tensors.get(p.name());
            if (a == null) {
                throw new IOException(source + ": parameter " + p.name() + " is missing; the file has " + tensors.keySet());
            }
            if (!Arrays.equals(a.shape(), p.shape().dims())) {
                throw new IOException(source + ": tensor " + p.name() + " has shape " + Arrays.toString(a.shape())
                        + ", the model expects " + p.shape());
            }
        }
    }

    /** Copies checked tensors into the model's parameters. Modified: model's parameters. */
    static void upload(Sequential model, Map<String, HostArray> tensors) {
        Map<String, Tensor> params = model.namedParameters();
        for (Parameter p : model.parameterList()) {
            params.get(p.name()).copyFrom(tensors.get(p.name()).data());
        }
    }
}
