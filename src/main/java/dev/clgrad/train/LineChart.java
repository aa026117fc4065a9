package dev.clgrad.train;

import dev.clgrad.AtomicFile;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Per-epoch curves drawn as a PNG: panels side by side, each a titled box of series over epochs
 * 1..n (the longest series), the y axis spanning the finite values, the legend to its right. A
 * series is a named list of values with a colour and a solid or dashed line. Uses java.awt in
 * headless mode (no display needed).
 */
public final class LineChart {
    /** The matplotlib tab10 colours, in order. */
    public static final List<Color> PALETTE = List.of(new Color(31, 119, 180), new Color(255, 127, 14),
            new Color(44, 160, 44), new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75));

    private static final int PLOT_W = 480;
    private static final int H = 360;
    private static final int MARGIN = 50;
    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 14);
    private static final Font TEXT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);

    /** One curve: {@code values[e]} at epoch e + 1; non-finite values are left out. */
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
        System.setProperty("java.awt.headless", "true");
        int[] legend = new int[panels.size()];
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D m = probe.createGraphics();
        int width = 0;
        try {
            for (int p = 0; p < panels.size(); p++) {
                for (Series s : panels.get(p).series()) {
                    legend[p] = Math.max(legend[p], m.getFontMetrics(TEXT).stringWidth(s.name()) + 45);
                }
                width += PLOT_W + legend[p];
            }
        } finally {
            m.dispose();
        }
        BufferedImage img = new BufferedImage(width, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, img.getWidth(), H);
            int x0 = 0;
            for (int p = 0; p < panels.size(); p++) {
                panel(g, x0, panels.get(p));
                x0 += PLOT_W + legend[p];
            }
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        if (!ImageIO.write(img, "png", bytes)) {
            throw new IOException(png + ": no PNG writer available");
        }
        AtomicFile.write(png, bytes.toByteArray());
    }

    private static void panel(Graphics2D g, int x0, Panel panel) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        int n = 0;
        for (Series s : panel.series()) {
            for (double v : s.values()) {
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
            n = Math.max(n, s.values().size());
        }
        if (!(hi >= lo)) {
            lo = 0;
            hi = 1;
        }
        if (hi - lo < 1e-12) {
            hi = lo + 1;
        }
        int left = x0 + MARGIN + 10;
        int right = x0 + PLOT_W - 20;
        int top = 30;
        int bottom = H - MARGIN;
        g.setColor(Color.BLACK);
        g.setFont(TITLE);
        g.drawString(panel.title(), left, 20);
        g.setFont(TEXT);
        g.drawRect(left, top, right - left, bottom - top);
        for (int i = 0; i <= 4; i++) {
            double v = lo + (hi - lo) * i / 4;
            int y = bottom - (bottom - top) * i / 4;
            g.drawString(String.format(Locale.ROOT, "%.3g", v), x0 + 5, y + 4);
        }
        g.drawString(panel.yLabel(), x0 + 5, top - 6);
        g.drawString("epoch", (left + right) / 2 - 15, H - 15);
        int every = Math.max(1, (n + 9) / 10);
        for (int e = 1; e <= n; e += every) {
            g.drawString(Integer.toString(e), xAt(e - 1, n, left, right) - 3, bottom + 15);
        }
        Stroke solid = new BasicStroke(2f);
        Stroke dashed = new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {6f, 4f}, 0f);
        for (int c = 0; c < panel.series().size(); c++) {
            Series s = panel.series().get(c);
            g.setColor(s.color());
            g.setStroke(s.dashed() ? dashed : solid);
            int px = -1;
            int py = -1;
            for (int e = 0; e < s.values().size(); e++) {
                double v = s.values().get(e);
                if (!Double.isFinite(v)) {
                    px = -1;
                    continue;
                }
                int x = xAt(e, n, left, right);
                int y = (int) Math.round(bottom - (bottom - top) * (v - lo) / (hi - lo));
                if (n <= 30) {
                    g.fillOval(x - 3, y - 3, 6, 6);
                }
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                px = x;
                py = y;
            }
            int ly = top + 12 + 16 * c;
            g.drawLine(right + 12, ly - 4, right + 34, ly - 4);
            g.setColor(Color.BLACK);
            g.drawString(s.name(), right + 40, ly);
        }
        g.setStroke(solid);
    }

    private static int xAt(int e, int n, int left, int right) {
        return n == 1 ? (left + right) / 2 : left + (right - left) * e / (n - 1);
    }
}
