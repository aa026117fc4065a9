package dev.clgrad.io;

import dev.clgrad.nn.Layer;
import dev.clgrad.nn.Loss;
import dev.clgrad.nn.Metric;
import dev.clgrad.nn.ParameterStore;
import dev.clgrad.optim.Optimizer;
import dev.clgrad.tensor.Shape;

import java.util.List;

/**
 * What the formats read and write of a built model, without knowing the class that holds it: the
 * seed, the per-sample input shape, the layers (each writes its own config and names its counters),
 * the parameters and buffers ({@link ParameterStore#stateDict()}), and the training setup
 * (optimizer, loss and metrics; null, null and empty when the model was never compiled).
 */
public record ModelParts(long seed, Shape inputShape, List<Layer> layers, ParameterStore store, Optimizer optimizer,
                         Loss loss, List<Metric> metrics) {
    public ModelParts {
        layers = List.copyOf(layers);
        metrics = List.copyOf(metrics);
    }
}
