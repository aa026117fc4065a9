package dev.clgrad.train;

import dev.clgrad.AtomicFile;
import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.entity.LegendItemEntity;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.VerticalAlignment;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Per-epoch curves drawn as a PNG with JFreeChart: panels side by side, each a titled plot of
 * series over epochs 1..n (the longest series) with ticked axes, the y axis spanning the finite
 * values, and its legend to the right of the plot, never over the curves. A series is a named
 * list of values with a colour and a solid or dashed line. Every panel has the same style (fonts,
 * grid, strokes, markers when there are at most 30 epochs). Runs headless (no display needed).
 */
public final class LineChart {
    /** The matplotlib tab10 colours, in order. */
    public static final List<Color> PALETTE = List.of(new Color(31, 119, 180), new Color(255, 127, 14),
            new Color(44, 160, 44), new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75));

    /** Width of a panel without its legend, and the image's height, in pixels. */
    private static final int PLOT_W = 480;
    private static final int H = 400;
    /** The legend's room per panel beyond its longest name: the line sample, gaps and padding. */
    private static final int LEGEND_EXTRA = 60;
    private static final int MARKERS_UP_TO = 30;
    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 14);
    private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Font TICKS = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    private static final Color GRID = new Color(225, 225, 225);
    private static final BasicStroke GRID_LINE = new BasicStroke(1f);
    private static final BasicStroke SOLID = new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND);
    private static final BasicStroke DASHED = new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f,
            new float[]{6f, 4f}, 0f);

    /** One curve: {@code values[e]} at epoch e + 1; non-finite values are left out (a gap in the line). */
    public record Series(String name, List<Double> values, Color color, boolean dashed) {
        public Series {
            values = List.copyOf(values);
        }
    }

    /** A box of curves under a title, its y axis named {@code yLabel}. */
    public record Panel(String title, String yLabel, List<Series> series) {
        public Panel {
            series = List.copyOf(series);
        }
    }

    /** A drawn chart, and per panel where its data area and its legend landed (for tests). */
    record Drawn(BufferedImage image, List<Rectangle2D> dataAreas, List<Rectangle2D> legends) {
    }

    private LineChart() {
    }

    /**
     * Writes the panels side by side as a PNG, atomically ({@link AtomicFile}: a folder at
     * {@code png} is refused, never deleted; a failed write leaves the previous file); an error
     * names the path.
     */
    public static void write(List<Panel> panels, Path png) throws IOException {
        if (panels.isEmpty()) {
            throw new IllegalArgumentException(png + ": a chart needs at least one panel");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        if (!ImageIO.write(draw(panels).image(), "png", bytes)) {
            throw new IOException(png + ": no PNG writer available");
        }
        AtomicFile.write(png, bytes.toByteArray());
    }

    /** Draws the panels side by side, each {@link #PLOT_W} wide plus room for its legend. */
    static Drawn draw(List<Panel> panels) {
        System.setProperty("java.awt.headless", "true");
        int[] widths = new int[panels.size()];
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D m = probe.createGraphics();
        try {
            for (int p = 0; p < panels.size(); p++) {
                int legend = 0;
                for (Series s : panels.get(p).series()) {
                    legend = Math.max(legend, m.getFontMetrics(LABEL).stringWidth(s.name()));
                }
                widths[p] = PLOT_W + legend + LEGEND_EXTRA;
            }
        } finally {
            m.dispose();
        }
        BufferedImage img = new BufferedImage(Arrays.stream(widths).sum(), H, BufferedImage.TYPE_INT_RGB);
        List<Rectangle2D> dataAreas = new ArrayList<>();
        List<Rectangle2D> legends = new ArrayList<>();
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, img.getWidth(), H);
            int x0 = 0;
            for (int p = 0; p < panels.size(); p++) {
                JFreeChart chart = chart(panels.get(p));
                ChartRenderingInfo info = new ChartRenderingInfo();
                chart.draw(g, new Rectangle2D.Double(x0, 0, widths[p], H), info);
                dataAreas.add(info.getPlotInfo().getDataArea().getBounds2D());
                legends.add(legendBounds(info));
                x0 += widths[p];
            }
        } finally {
            g.dispose();
        }
        return new Drawn(img, dataAreas, legends);
    }

    /** The smallest rectangle holding every legend item JFreeChart drew (empty without a legend). */
    private static Rectangle2D legendBounds(ChartRenderingInfo info) {
        Rectangle2D bounds = null;
        for (Object e : info.getEntityCollection().getEntities()) {
            if (e instanceof LegendItemEntity item) {
                Rectangle2D r = item.getArea().getBounds2D();
                bounds = bounds == null ? r : bounds.createUnion(r);
            }
        }
        return bounds == null ? new Rectangle2D.Double() : bounds;
    }

    /** One panel as a chart: epochs on x (integer ticks), the series' values on y, the legend at the right. */
    private static JFreeChart chart(Panel panel) {
        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer lines = new XYLineAndShapeRenderer(true, true);
        lines.setDrawSeriesLineAsPath(true);
        lines.setAutoPopulateSeriesStroke(false);
        int epochs = 1;
        for (int i = 0; i < panel.series().size(); i++) {
            Series s = panel.series().get(i);
            XYSeries xy = new XYSeries(i + ":" + s.name(), false, true);
            for (int e = 0; e < s.values().size(); e++) {
                double v = s.values().get(e);
                xy.add(e + 1, Double.isFinite(v) ? v : null);
            }
            epochs = Math.max(epochs, s.values().size());
            data.addSeries(xy);
            lines.setSeriesPaint(i, s.color());
            lines.setSeriesStroke(i, s.dashed() ? DASHED : SOLID);
            lines.setSeriesShape(i, new Ellipse2D.Double(-3, -3, 6, 6));
        }
        lines.setDefaultShapesVisible(epochs <= MARKERS_UP_TO);
        lines.setLegendItemLabelGenerator((dataset, series) -> panel.series().get(series).name());
        lines.setLegendLine(new Line2D.Double(-12, 0, 12, 0));

        NumberAxis x = new NumberAxis("epoch");
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        x.setRange(epochs == 1 ? 0.5 : 1 - 0.02 * (epochs - 1), epochs == 1 ? 1.5 : epochs + 0.02 * (epochs - 1));
        NumberAxis y = new NumberAxis(panel.yLabel());
        y.setAutoRangeIncludesZero(false);
        y.setAutoRangeMinimumSize(1e-6);
        for (NumberAxis a : List.of(x, y)) {
            a.setLabelFont(LABEL);
            a.setTickLabelFont(TICKS);
        }
        XYPlot plot = new XYPlot(data, x, y, lines);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(GRID);
        plot.setRangeGridlinePaint(GRID);
        plot.setDomainGridlineStroke(GRID_LINE);
        plot.setRangeGridlineStroke(GRID_LINE);
        plot.setOutlinePaint(Color.GRAY);
        plot.setAxisOffset(RectangleInsets.ZERO_INSETS);

        JFreeChart chart = new JFreeChart(null, TITLE, plot, false);
        chart.setTitle(new TextTitle(panel.title(), TITLE));
        chart.setBackgroundPaint(Color.WHITE);
        chart.setPadding(new RectangleInsets(6, 6, 6, 6));
        if (!panel.series().isEmpty()) {
            LegendTitle legend = new LegendTitle(plot);
            legend.setPosition(RectangleEdge.RIGHT);
            legend.setVerticalAlignment(VerticalAlignment.TOP);
            legend.setItemFont(LABEL);
            legend.setFrame(BlockBorder.NONE);
            legend.setMargin(new RectangleInsets(0, 8, 0, 0));
            chart.addLegend(legend);
        }
        return chart;
    }
}
