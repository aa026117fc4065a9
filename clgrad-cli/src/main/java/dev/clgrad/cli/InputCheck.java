package dev.clgrad.cli;

import dev.clgrad.data.Dataset;
import dev.clgrad.data.Origin;
import dev.clgrad.model.Sequential;

/**
 * Checks a data set against a built, compiled model before the first training step, so that a
 * validation or test set of the wrong shape or a bad label costs nothing: the input width and
 * shape (the model was built from the training set's), the target columns the loss expects, class
 * labels in range, and with {@code --check-finite} every value finite. Errors are {@link IllegalArgumentException}s naming
 * the file and the 1-based line or row.
 */
final class InputCheck {
    private InputCheck() {
    }

    /**
     * @param role  what {@code d} is: {@code training set}, {@code validation set}, {@code test set}
     * @param built the training set, from which the model's input width came
     */
    static void check(String command, Sequential model, Dataset d, String role, Dataset built, boolean checkFinite) {
        Origin src = d.origin();
        int in = model.inFeatures();
        if (d.features() != in) {
            throw new IllegalArgumentException(command + ": " + describe(role, d) + " has " + d.features()
                    + " input values per row" + shape(src, d.features()) + " but the model takes " + in
                    + shape(built.origin(), in) + ", as " + describe("training set", built) + " has");
        }
        if (!model.accepts(d.sampleShape())) {
            throw new IllegalArgumentException(command + ": " + describe(role, d) + " has samples of shape "
                    + d.sampleShape() + " but the model takes " + model.inputShape() + ", as " + describe("training set",
                    built) + " has");
        }
        int outputs = model.outFeatures();
        int expected = model.loss().targetColumns(outputs);
        if (d.targets() != expected) {
            throw new IllegalArgumentException(command + ": " + describe(role, d) + " has " + d.targets() + " target "
                    + (d.targets() == 1 ? "value" : "values") + " per row but loss " + model.loss().name() + " expects "
                    + expected + " for a model with " + outputs + " outputs");
        }
        float[] y = d.y();
        int t = d.targets();
        if (model.loss().classification()) {
            for (int i = 0; i < y.length; i++) {
                if (!(y[i] >= 0 && y[i] < outputs && y[i] == Math.rint(y[i]))) {
                    throw new IllegalArgumentException(src.targetAt(i / t, i % t) + ": label " + y[i]
                            + " is not a class index in [0, " + outputs + ") (the model has " + outputs + " outputs)");
                }
            }
        }
        if (checkFinite) {
            float[] x = d.x();
            int f = d.features();
            for (int i = 0; i < x.length; i++) {
                if (!Float.isFinite(x[i])) {
                    throw new IllegalArgumentException(src.inputAt(i / f, i % f) + ": " + x[i]
                            + " (--check-finite rejects NaN and infinity)");
                }
            }
            for (int i = 0; i < y.length; i++) {
                if (!Float.isFinite(y[i])) {
                    throw new IllegalArgumentException(src.targetAt(i / t, i % t) + ": target " + y[i]
                            + " (--check-finite rejects NaN and infinity)");
                }
            }
        }
    }

    /** {@code the training set d.csv}, {@code the test set t10k-images… and t10k-labels…}, {@code the generated test set}. */
    private static String describe(String role, Dataset d) {
        return d.origin().fromFiles() ? "the " + role + " " + d.origin().files() : "the generated " + role;
    }

    /** {@code  (14×14)} when the file stores rows with more than one dimension. */
    private static String shape(Origin s, int width) {
        return s.sampleShape().length > 1 && product(s.sampleShape()) == width ? " (" + s.shapeText() + ")" : "";
    }

    private static long product(int[] dims) {
        long p = 1;
        for (int d : dims) {
            p *= d;
        }
        return p;
    }
}
