package dev.clgrad.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 16, item 4: the charts JFreeChart draws for {@code train --plot} (a {@link HistoryPlot})
 * and {@code study dropout} (one panel, test error solid and train error dashed per method):
 * each panel has curves in its data area, its legend beside the data area rather than over it,
 * and dashed series are drawn with gaps.
 */
class LineChartTest {

    @Test
    void aHistoryPlotHasTwoPanelsWithCurvesAndLegendsBesideThem(@TempDir Path dir) throws IOException {
        History h = new History();
        for (int e = 0; e < 12; e++) {
            Map<String, Double> logs = new LinkedHashMap<>();
            logs.put("loss", 1.0 / (e + 1));
            logs.put("accuracy", 1 - 0.5 / (e + 1));
            logs.put("val_loss", 1.2 / (e + 1) + 0.05);
            logs.put("val_accuracy", 1 - 0.6 / (e + 1));
            h.record(logs);
        }
        Path png = dir.resolve("h.png");
        HistoryPlot.write(h, png);
        BufferedImage img = ImageIO.read(Files.newInputStream(png));
        assertTrue(img.getWidth() > 2 * 480 && img.getWidth() < 2 * 480 + 400, "width " + img.getWidth());
        assertEquals(400, img.getHeight());

        List<LineChart.Panel> panels = HistoryPlot.panels(h);
        assertEquals(List.of("loss", "val_loss"), panels.get(0).series().stream().map(LineChart.Series::name).toList());
        assertEquals(List.of(false, true), panels.get(0).series().stream().map(LineChart.Series::dashed).toList(),
                "the validation curve is dashed");
        assertEquals(panels.get(0).series().get(0).color(), panels.get(0).series().get(1).color(), "in the same colour");
        LineChart.Drawn d = LineChart.draw(panels);
        assertEquals(img.getWidth(), d.image().getWidth(), "HistoryPlot draws these panels");
        for (int p = 0; p < 2; p++) {
            Rectangle2D area = d.dataAreas().get(p);
            Rectangle2D legend = d.legends().get(p);
            assertTrue(area.getWidth() > 300 && area.getHeight() > 250, "panel " + p + " data area " + area);
            assertFalse(legend.isEmpty(), "panel " + p + " has a legend");
            assertFalse(legend.intersects(area), "panel " + p + ": legend " + legend + " overlaps the data " + area);
            assertTrue(legend.getMinX() >= area.getMaxX(), "the legend is right of the curves");
            Color c = panels.get(p).series().get(0).color();
            assertTrue(count(d.image(), area, c) > 200, "panel " + p + " has its curves");
            assertTrue(count(d.image(), legend, c) > 10, "panel " + p + "'s legend shows the lines");
        }
        assertTrue(d.legends().get(0).getMaxX() <= d.dataAreas().get(1).getMinX(), "panels side by side");
    }

    @Test
    void aStudyChartDrawsTestSolidAndTrainDashedWithTheLegendOutside() {
        List<LineChart.Series> series = new ArrayList<>();
        String[] methods = {"no dropout", "dropout p=0.5", "Gaussian dropout", "alpha dropout", "DropConnect",
                "input dropout 0.2 + dropout 0.5"};
        for (int m = 0; m < methods.length; m++) {
            int k = m;
            series.add(series(methods[m] + " (test)",
                    IntStream.range(0, 40).mapToObj(e -> 12.0 + k - 4 * Math.log1p(e) / 4).toList(), m, false));
            series.add(series(methods[m] + " (train)",
                    IntStream.range(0, 40).mapToObj(e -> 10.0 + k - 6 * Math.log1p(e) / 4).toList(), m, true));
        }
        LineChart.Drawn d = LineChart.draw(List.of(new LineChart.Panel("Fashion-MNIST", "error %", series)));
        Rectangle2D area = d.dataAreas().get(0);
        Rectangle2D legend = d.legends().get(0);
        assertFalse(legend.intersects(area), "legend " + legend + " overlaps the data " + area);
        assertTrue(legend.getHeight() > 12 * 12, "twelve legend entries: " + legend);
        for (int m = 0; m < methods.length; m++) {
            assertTrue(count(d.image(), area, LineChart.PALETTE.get(m)) > 300, "method " + m + " has curves");
        }

        LineChart.Drawn flat = LineChart.draw(List.of(new LineChart.Panel("flat", "", List.of(
                series("solid", IntStream.range(0, 40).mapToObj(e -> 1.0).toList(), 3, false),
                series("dashed", IntStream.range(0, 40).mapToObj(e -> 2.0).toList(), 0, true)))));
        Rectangle2D a = flat.dataAreas().get(0);
        assertEquals(0, gaps(flat.image(), a, LineChart.PALETTE.get(3)), "a solid line has no gaps");
        assertTrue(gaps(flat.image(), a, LineChart.PALETTE.get(0)) > 20, "a dashed line has gaps");
    }

    /** One epoch, a NaN, an infinity and an all-NaN series still draw (the non-finite values are gaps). */
    @Test
    void oddSeriesStillDraw() {
        LineChart.Drawn d = LineChart.draw(List.of(
                new LineChart.Panel("one", "", List.of(series("one epoch", List.of(0.5), 0, false))),
                new LineChart.Panel("gaps", "", List.of(series("gaps", List.of(1.0, Double.NaN, 3.0,
                        Double.POSITIVE_INFINITY, 2.0), 1, false), series("nothing", List.of(Double.NaN), 2, true)))));
        assertEquals(2, d.dataAreas().size());
        assertTrue(count(d.image(), d.dataAreas().get(0), LineChart.PALETTE.get(0)) > 10, "the one point's marker");
        assertTrue(count(d.image(), d.dataAreas().get(1), LineChart.PALETTE.get(1)) > 10, "the finite points");
    }

    private static LineChart.Series series(String name, List<Double> values, int colour, boolean dashed) {
        return new LineChart.Series(name, values, LineChart.PALETTE.get(colour), dashed);
    }

    /** Pixels of exactly {@code c} inside {@code r}. */
    private static int count(BufferedImage img, Rectangle2D r, Color c) {
        int n = 0;
        for (int y = (int) r.getMinY(); y < (int) r.getMaxY(); y++) {
            for (int x = (int) r.getMinX(); x < (int) r.getMaxX(); x++) {
                n += (img.getRGB(x, y) & 0xFFFFFF) == (c.getRGB() & 0xFFFFFF) ? 1 : 0;
            }
        }
        return n;
    }

    /** Columns of the middle 80 % of {@code r} without a pixel of {@code c}, where the line runs across. */
    private static int gaps(BufferedImage img, Rectangle2D r, Color c) {
        int n = 0;
        int from = (int) (r.getMinX() + 0.1 * r.getWidth());
        int to = (int) (r.getMaxX() - 0.1 * r.getWidth());
        for (int x = from; x < to; x++) {
            boolean hit = false;
            for (int y = (int) r.getMinY(); y < (int) r.getMaxY() && !hit; y++) {
                hit = (img.getRGB(x, y) & 0xFFFFFF) == (c.getRGB() & 0xFFFFFF);
            }
            n += hit ? 0 : 1;
        }
        return n;
    }
}
