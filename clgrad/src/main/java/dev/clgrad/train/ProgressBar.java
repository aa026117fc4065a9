package dev.clgrad.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/**
 * Progress on a stream (stderr by default; stdout stays free for {@code --json}). Live: one line
 * per epoch redrawn in place at most ten times a second — bar, steps done, ETA, running loss,
 * samples/s. Plain (not a terminal): one line per finished epoch.
 */
public final class ProgressBar implements Callback {
    private static final int WIDTH = 30;
    private final PrintStream out;
    private final boolean live;
    private long lastDraw;

    public ProgressBar(PrintStream out, boolean live) {
        this.out = out;
        this.live = live;
    }

    /** On stderr; live when the JVM has a console (a terminal), plain otherwise. */
    public static ProgressBar onStderr() {
        return new ProgressBar(System.err, System.console() != null);
    }

    @Override
    public void onBatchEnd(TrainingState s) {
        if (!live) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastDraw < 100_000_000L && s.step() < s.steps()) {
            return;
        }
        lastDraw = now;
        double secs = s.epochSeconds();
        double eta = s.step() > 0 ? secs / s.step() * (s.steps() - s.step()) : 0;
        int filled = (int) ((long) WIDTH * s.step() / s.steps());
        String bar = "=".repeat(filled) + (filled < WIDTH ? ">" + ".".repeat(WIDTH - filled - 1) : "");
        String loss = Double.isNaN(s.runningLoss()) ? "" : String.format(Locale.ROOT, " - loss: %.4f", s.runningLoss());
        out.print(String.format(Locale.ROOT, "\rEpoch %d/%d [%s] %d/%d - ETA %s%s - %,.0f samples/s   ",
                s.epoch() + 1, s.epochs(), bar, s.step(), s.steps(), clock(eta), loss, s.samples() / Math.max(secs, 1e-9)));
        out.flush();
    }

    @Override
    public void onEpochEnd(TrainingState s, Map<String, Double> logs) {
        double secs = s.epochSeconds();
        StringBuilder sb = new StringBuilder();
        if (live) {
            sb.append('\r');
        }
        sb.append(String.format(Locale.ROOT, "Epoch %d/%d - %d/%d - %.1fs - %,.0f samples/s", s.epoch() + 1,
                s.epochs(), s.step(), s.steps(), secs, s.samples() / Math.max(secs, 1e-9)));
        logs.forEach((k, v) -> sb.append(String.format(Locale.ROOT, " - %s: %.4f", k, v)));
        if (live) {
            sb.append("   ");
        }
        out.println(sb);
        out.flush();
    }

    private static String clock(double seconds) {
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
