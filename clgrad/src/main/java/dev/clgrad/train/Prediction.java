package dev.clgrad.train;

/**
 * What {@code predict} with {@link Predict} returns: per row and output the mean over the passes and
 * their standard deviation (zeros for weight scaling, one deterministic pass), row-major.
 *
 * @param rows    N predicted rows
 * @param outputs O outputs per row
 * @param passes  T Monte-Carlo passes, 0 for weight scaling
 * @param mean    (N·O) means (the outputs themselves for weight scaling)
 * @param std     (N·O) population standard deviations over the passes
 */
public record Prediction(int rows, int outputs, int passes, float[] mean, float[] std) {
    public Prediction {
        if (mean.length != (long) rows * outputs || std.length != mean.length) {
            throw new IllegalArgumentException("Prediction: " + rows + " rows of " + outputs + " outputs need "
                    + (long) rows * outputs + " means and stds, got " + mean.length + " and " + std.length);
        }
    }

    /** The means as (N, O). */
    public float[][] meanRows() {
        return rowsOf(mean);
    }

    /** The standard deviations as (N, O). */
    public float[][] stdRows() {
        return rowsOf(std);
    }

    private float[][] rowsOf(float[] flat) {
        float[][] out = new float[rows][outputs];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(flat, r * outputs, out[r], 0, outputs);
        }
        return out;
    }
}
