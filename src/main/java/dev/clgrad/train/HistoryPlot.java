package dev.clgrad.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Draws a {@link History} as a PNG ({@link LineChart}): the loss curves (loss, val_loss) on the
 * left, the accuracy curves on the right when tracked, per epoch.
 */
public final class HistoryPlot {
    private HistoryPlot() {
    }

    /**
     * Writes the PNG atomically (a folder at {@code png} is refused, never deleted; a failed write
     * leaves the previous file); an error names the path.
     */
    public static void write(History history, Path png) throws IOException {
        List<LineChart.Series> loss = new ArrayList<>();
        List<LineChart.Series> acc = new ArrayList<>();
        for (Map.Entry<String, List<Double>> e : history.all().entrySet()) {
            List<LineChart.Series> to = e.getKey().contains("acc") ? acc : loss;
            to.add(new LineChart.Series(e.getKey(), e.getValue(),
                    LineChart.PALETTE.get((loss.size() + acc.size()) % LineChart.PALETTE.size()), false));
        }
        List<LineChart.Panel> panels = new ArrayList<>();
        panels.add(new LineChart.Panel("loss", "", loss));
        if (!acc.isEmpty()) {
            panels.add(new LineChart.Panel("accuracy", "", acc));
        }
        LineChart.write(panels, png);
    }
}
