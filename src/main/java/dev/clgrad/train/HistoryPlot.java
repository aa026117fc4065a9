package dev.clgrad.train;

import dev.clgrad.AtomicFile;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Draws a {@link History} as a PNG: the loss curves (loss, val_loss) on the left, the accuracy
 * curves on the right when tracked, per epoch. Uses java.awt in headless mode (no display needed).
 */
public final class HistoryPlot {
    private static final int PANEL_W = 480;
    private static final int H = 360;
    private static final int MARGIN = 50;
    private static final Color[] COLORS = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
            new Color(214, 39, 40)};

    private HistoryPlot() {
    }

    /**
     * Writes the PNG atomically ({@link AtomicFile}: a folder at {@code png} is refused, never
     * deleted; a failed write leaves the previous file); an error names the path.
     */
    public static void write(History history, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Map<String, List<Double>> all = history.all();
        List<String> loss = new ArrayList<>();
        List<String> acc = new ArrayList<>();
        for (String k : all.keySet()) {
            (k.contains("acc") ? acc : loss).add(k);
        }
        int panels = acc.isEmpty() ? 1 : 2;
        BufferedImage img = new BufferedImage(PANEL_W * panels, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, img.getWidth(), H);
            panel(g, 0, "loss", loss, all);
            if (panels == 2) {
                panel(g, PANEL_W, "accuracy", acc, all);
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

    private static void panel(Graphics2D g, int x0, String title, List<String> keys, Map<String, List<Double>> all) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        int n = 0;
        for (String k : keys) {
            for (double v : all.get(k)) {
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
            n = Math.max(n, all.get(k).size());
        }
        if (!(hi >= lo)) {
            lo = 0;
            hi = 1;
        }
        if (hi - lo < 1e-12) {
            hi = lo + 1;
        }
        int left = x0 + MARGIN + 10;
        int right = x0 + PANEL_W - 20;
        int top = 30;
        int bottom = H - MARGIN;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, left, 20);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawRect(left, top, right - left, bottom - top);
        for (int i = 0; i <= 4; i++) {
            double v = lo + (hi - lo) * i / 4;
            int y = bottom - (bottom - top) * i / 4;
            g.drawString(String.format(Locale.ROOT, "%.3g", v), x0 + 5, y + 4);
        }
        g.drawString("epoch", (left + right) / 2 - 15, H - 15);
        for (int e = 1; e <= n; e++) {
            int x = n == 1 ? (left + right) / 2 : left + (right - left) * (e - 1) / (n - 1);
            g.drawString(Integer.toString(e), x - 3, bottom + 15);
        }
        g.setStroke(new BasicStroke(2f));
        for (int c = 0; c < keys.size(); c++) {
            List<Double> vs = all.get(keys.get(c));
            g.setColor(COLORS[c % COLORS.length]);
            int px = -1;
            int py = -1;
            for (int e = 0; e < vs.size(); e++) {
                int x = n == 1 ? (left + right) / 2 : left + (right - left) * e / (n - 1);
                int y = (int) (bottom - (bottom - top) * (vs.get(e) - lo) / (hi - lo));
                g.fillOval(x - 3, y - 3, 6, 6);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                px = x;
                py = y;
            }
            g.drawString(keys.get(c), right - 90, top + 18 + 15 * c);
        }
    }
}
