package dev.clgrad.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Draws a {@link History} as a PNG ({@link LineChart}): the loss curves (loss, val_loss) on the
 * left, the accuracy curves on the right when tracked, per epoch. A metric and its validation
 * counterpart share a colour; the validation curve is dashed.
 */
public final class HistoryPlot {
    /** Keras's prefix of a metric on the validation set ({@code val_loss}). */
    private static final String VALIDATION = "val_";

    private HistoryPlot() {
    }

    /**
     * Writes the PNG atomically (a folder at {@code png} is refused, never deleted; a failed write
     * leaves the previous file); an error names the path.
     */
    public static void write(History history, Path png) throws IOException {
        LineChart.write(panels(history), png);
    }

    /** The loss panel, and the accuracy panel when accuracy was tracked. */
    static List<LineChart.Panel> panels(History history) {
        List<LineChart.Series> loss = new ArrayList<>();
        List<LineChart.Series> acc = new ArrayList<>();
        List<String> metrics = new ArrayList<>();
        for (Map.Entry<String, List<Double>> e : history.all().entrySet()) {
            String name = e.getKey();
            boolean validation = name.startsWith(VALIDATION);
            String metric = validation ? name.substring(VALIDATION.length()) : name;
            if (!metrics.contains(metric)) {
                metrics.add(metric);
            }
            List<LineChart.Series> to = metric.contains("acc") ? acc : loss;
            to.add(new LineChart.Series(name, e.getValue(),
                    LineChart.PALETTE.get(metrics.indexOf(metric) % LineChart.PALETTE.size()), validation));
        }
        List<LineChart.Panel> panels = new ArrayList<>();
        panels.add(new LineChart.Panel("loss", "", loss));
        if (!acc.isEmpty()) {
            panels.add(new LineChart.Panel("accuracy", "", acc));
        }
        return panels;
    }
}
