package dev.clgrad.profile;

import dev.clgrad.backend.ProfileSink.KernelRecord;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-kernel statistics over a set of launches: calls, total / mean / min / max device time, share
 * of all device time, achieved GFLOP/s and GB/s (declared FLOPs and bytes over device time), and
 * the mean queued→start latency (launch overhead).
 */
public record KernelStats(String kernel, long calls, double totalMs, double meanUs, double minUs, double maxUs,
                          double share, double gflops, double gbps, double meanLaunchUs) {

    /** One row per kernel name, sorted by total time, largest first. */
    public static List<KernelStats> of(List<KernelRecord> records) {
        Map<String, List<KernelRecord>> byName = new LinkedHashMap<>();
        long all = 0;
        for (KernelRecord r : records) {
            byName.computeIfAbsent(r.kernel(), k -> new ArrayList<>()).add(r);
            all += r.endNs() - r.startNs();
        }
        List<KernelStats> out = new ArrayList<>();
        for (Map.Entry<String, List<KernelRecord>> e : byName.entrySet()) {
            long total = 0;
            long min = Long.MAX_VALUE;
            long max = 0;
            long launch = 0;
            double flops = 0;
            double bytes = 0;
            for (KernelRecord r : e.getValue()) {
                long d = r.endNs() - r.startNs();
                total += d;
                min = Math.min(min, d);
                max = Math.max(max, d);
                launch += Math.max(0, r.startNs() - r.queuedNs());
                flops += r.flops();
                bytes += r.bytes();
            }
            int n = e.getValue().size();
            double seconds = total / 1e9;
            out.add(new KernelStats(e.getKey(), n, total / 1e6, total / 1e3 / n, min / 1e3, max / 1e3,
                    all == 0 ? 0 : (double) total / all, seconds == 0 ? 0 : flops / seconds / 1e9,
                    seconds == 0 ? 0 : bytes / seconds / 1e9, launch / 1e3 / n));
        }
        out.sort(Comparator.comparingDouble(KernelStats::totalMs).reversed());
        return out;
    }

    /** The table as {@code clgrad profile} prints it. */
    public static String table(List<KernelStats> stats) {
        int width = Math.max(6, stats.stream().mapToInt(s -> s.kernel().length()).max().orElse(0));
        StringBuilder sb = new StringBuilder(String.format("%-" + width + "s %7s %10s %6s %10s %10s %10s %9s %8s %10s%n",
                "kernel", "calls", "total ms", "share", "mean us", "min us", "max us", "GFLOP/s", "GB/s", "launch us"));
        for (KernelStats s : stats) {
            sb.append(String.format("%-" + width + "s %7d %10.2f %5.1f%% %10.1f %10.1f %10.1f %9.2f %8.2f %10.1f%n",
                    s.kernel(), s.calls(), s.totalMs(), 100 * s.share(), s.meanUs(), s.minUs(), s.maxUs(), s.gflops(),
                    s.gbps(), s.meanLaunchUs()));
        }
        return sb.toString();
    }
}
