package dev.clgrad.spark;

import java.io.Serializable;

/**
 * One training row of an RDD for {@link SparkTrainer}: features: (I) values of one sample, in the
 * model's input layout (row-major, e.g. 28·28·1 pixels); target: (T) values, the class index as one
 * value for sparse categorical crossentropy, else the target vector.
 */
public record LabeledSample(float[] features, float[] target) implements Serializable {
    public LabeledSample {
        if (features == null || features.length == 0 || target == null || target.length == 0) {
            throw new IllegalArgumentException("a labeled sample needs at least one feature and one target value, got "
                    + (features == null ? "null" : features.length) + " features and "
                    + (target == null ? "null" : target.length) + " targets");
        }
    }
}
