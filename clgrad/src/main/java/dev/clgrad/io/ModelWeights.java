package dev.clgrad.io;

import dev.clgrad.data.HostArray;
import dev.clgrad.nn.Parameter;
import dev.clgrad.nn.ParameterStore;
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

    /** Downloads every parameter and buffer ({@link ParameterStore#stateDict()}) and writes the file. */
    public static void save(ParameterStore store, Path file) throws IOException {
        Map<String, HostArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : store.stateDict().entrySet()) {
            out.put(e.getKey(), new HostArray(e.getValue().shape().dims(), e.getValue().toArray()));
        }
        Safetensors.write(file, out);
    }

    /**
     * Loads every parameter and buffer of {@code store} from the file. Names and shapes must match
     * exactly; all are checked before any is copied, so a bad file leaves the store as it was.
     * Modified: store's values.
     */
    public static void load(ParameterStore store, Path file) throws IOException {
        Map<String, HostArray> in = Safetensors.read(file);
        check(store, in, file.toString());
        upload(store, in);
    }

    /**
     * Checks that {@code tensors} are exactly the store's parameters and buffers, names and shapes;
     * {@code source} names the file in errors. Not modified: store, tensors.
     */
    static void check(ParameterStore store, Map<String, HostArray> tensors, String source) throws IOException {
        Map<String, Tensor> params = store.stateDict();
        for (String name : tensors.keySet()) {
            if (!params.containsKey(name)) {
                throw new IOException(source + ": tensor " + name + " is not a parameter of the model; expected "
                        + params.keySet());
            }
        }
        for (Parameter p : store.list()) {
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

    /** Copies checked tensors into the store. Modified: store's values. */
    static void upload(ParameterStore store, Map<String, HostArray> tensors) {
        Map<String, Tensor> params = store.stateDict();
        for (Parameter p : store.list()) {
            params.get(p.name()).copyFrom(tensors.get(p.name()).data());
        }
    }
}
