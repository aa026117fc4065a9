package dev.clgrad;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every system property clgrad reads, in one place.
 *
 * <ul>
 *   <li>{@code clgrad.binding} — OpenCL binding, {@code jocl} (default) or {@code lwjgl}; when unset,
 *       the {@code binding} named in {@code native-config/profiles.json}.</li>
 *   <li>{@code clgrad.kernels} — a folder to load {@code .cl} sources from instead of the classpath
 *       (kernel development).</li>
 *   <li>{@code clgrad.cache} — where compiled program binaries are cached; default
 *       {@code ~/.cache/clgrad}. The value {@code off} disables the cache.</li>
 *   <li>{@code clgrad.binaryCache} — {@code true} or {@code false}: whether OpenCL program binaries
 *       are cached, overriding the device profile's {@code binaryCache} (false for PoCL, which keeps
 *       its own kernel cache).</li>
 *   <li>{@code clgrad.device} — the device spec used when a command or API call gives none;
 *       default {@code auto}.</li>
 *   <li>{@code clgrad.debug.allocations} — {@code true} records where each device buffer was
 *       allocated, for leak reports.</li>
 *   <li>{@code clgrad.profile} — the {@code name} of a profile in
 *       {@code native-config/profiles.json} (such as {@code nvidia} or {@code pocl}) to apply to
 *       every OpenCL device instead of the ones its platform, vendor and name match: the defaults
 *       first, then the named profile. For running one device's kernels on another, such as the
 *       NVIDIA defines under the Oclgrind simulator.</li>
 *   <li>{@code clgrad.defines} — kernel defines for every OpenCL device, {@code NAME=value} pairs
 *       separated by commas (such as {@code GEMM_PACK_K=40,GEMM_PACK_M=129}), over both the device
 *       profile's and the tuning file's: for measuring one setting against another, and for the
 *       Oclgrind CI step, which lowers the GEMM packing thresholds to reach the packed kernels with
 *       products small enough for a simulator. Default: none.</li>
 *   <li>{@code clgrad.memory} — a cap, in bytes (with an optional {@code k}, {@code m} or {@code g}
 *       suffix, as {@code -Xmx} takes), on what every backend lets a model take: at most this much
 *       in all of its buffers and in any one. For leaving room to other processes on a shared
 *       device, and for testing models too large for the device at hand. Default: no cap.</li>
 *   <li>{@code clgrad.conv} — {@code im2col} or {@code implicit}: how every backend runs a
 *       convolution's forward, in training and inference alike, overriding what
 *       {@code clgrad tune conv} measured (for measuring one against the other). Default: the
 *       measured choice.</li>
 *   <li>{@code clgrad.spinMicros} — how long, in microseconds, the Java backend's idle worker
 *       threads (and a thread waiting for them) spin before they sleep: a whole number from 0
 *       (sleep at once) to 1,000,000. Spinning spares the microseconds a sleeping thread takes to
 *       wake, dozens on a virtual machine, at the price of a busy core for that long after each
 *       parallel op. Default: 1000.</li>
 * </ul>
 */
public final class Config {
    private Config() {
    }

    /** The binding property, or null when unset. */
    public static String binding() {
        return System.getProperty("clgrad.binding");
    }

    /** The kernel source folder, or null for the classpath. */
    public static Path kernelsDir() {
        String dir = System.getProperty("clgrad.kernels");
        return dir == null || dir.isBlank() ? null : Path.of(dir);
    }

    /** The binaryCache property: true or false, or null when unset (the device profile decides). */
    public static Boolean binaryCache() {
        return flag("clgrad.binaryCache");
    }

    /** The boolean property {@code name}, null when unset or blank; any value but true or false is an error naming it. */
    private static Boolean flag(String name) {
        String v = System.getProperty(name);
        if (v == null || v.isBlank()) {
            return null;
        }
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException(name + " must be true or false, got '" + v + "'");
        }
        return Boolean.valueOf(v);
    }

    /** The program-binary cache folder, or null when caching is off. */
    public static Path cacheDir() {
        String dir = System.getProperty("clgrad.cache");
        if (dir == null || dir.isBlank()) {
            String xdg = System.getenv("XDG_CACHE_HOME");
            Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
            return base.resolve("clgrad");
        }
        return dir.equals("off") ? null : Path.of(dir);
    }

    /** The default device spec. */
    public static String device() {
        return System.getProperty("clgrad.device", "auto");
    }

    /** The forced device profile's name, or null when each device takes the profiles it matches. */
    public static String profile() {
        String v = System.getProperty("clgrad.profile");
        return v == null || v.isBlank() ? null : v.trim();
    }

    /**
     * The {@code clgrad.defines} overrides, by name (empty when unset).
     *
     * @throws IllegalArgumentException for anything but comma-separated {@code NAME=integer} pairs
     */
    public static Map<String, String> defines() {
        String v = System.getProperty("clgrad.defines");
        Map<String, String> out = new TreeMap<>();
        if (v == null || v.isBlank()) {
            return out;
        }
        for (String pair : v.split(",")) {
            String[] nv = pair.trim().split("=", -1);
            if (nv.length != 2 || !nv[0].matches("[A-Z_][A-Z0-9_]*") || !nv[1].matches("-?[0-9]{1,10}")) {
                throw new IllegalArgumentException("clgrad.defines must be NAME=integer pairs separated by commas,"
                        + " got '" + pair.trim() + "' in '" + v + "'");
            }
            out.put(nv[0], nv[1]);
        }
        return out;
    }

    /**
     * The forced convolution algorithm, {@code im2col} or {@code implicit}, or null when each
     * backend takes its measured choice.
     *
     * @throws IllegalArgumentException for any other value
     */
    public static String convAlgorithm() {
        String v = System.getProperty("clgrad.conv");
        if (v == null || v.isBlank()) {
            return null;
        }
        String t = v.trim().toLowerCase(java.util.Locale.ROOT);
        if (!t.equals("im2col") && !t.equals("implicit")) {
            throw new IllegalArgumentException("clgrad.conv must be im2col or implicit, got \"" + v + "\"");
        }
        return t;
    }

    /** Whether allocation sites are recorded. */
    public static boolean debugAllocations() {
        return Boolean.getBoolean("clgrad.debug.allocations");
    }

    /**
     * The {@code clgrad.memory} cap in bytes, or {@link Long#MAX_VALUE} when unset.
     *
     * @throws IllegalArgumentException for a value that is not a positive size
     */
    public static long memoryCap() {
        String v = System.getProperty("clgrad.memory");
        if (v == null || v.isBlank()) {
            return Long.MAX_VALUE;
        }
        String t = v.trim().toLowerCase(java.util.Locale.ROOT);
        int shift = switch (t.charAt(t.length() - 1)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        String digits = shift == 0 ? t : t.substring(0, t.length() - 1);
        if (digits.matches("[0-9]{1,15}")) {
            long n = Long.parseLong(digits);
            if (n >= 1 && n <= Long.MAX_VALUE >> shift) {
                return n << shift;
            }
        }
        throw new IllegalArgumentException("clgrad.memory must be a size in bytes such as 512m or 8g, got '" + v + "'");
    }

    /**
     * The {@code clgrad.spinMicros} value: microseconds the Java backend's idle threads spin before
     * sleeping; 1000 when unset.
     *
     * @throws IllegalArgumentException for anything but a whole number from 0 to 1,000,000
     */
    public static long spinMicros() {
        String v = System.getProperty("clgrad.spinMicros");
        if (v == null || v.isBlank()) {
            return 1000;
        }
        String t = v.trim();
        long micros = t.matches("[0-9]{1,7}") ? Long.parseLong(t) : -1;
        if (micros >= 0 && micros <= 1_000_000) {
            return micros;
        }
        throw new IllegalArgumentException("clgrad.spinMicros must be a whole number of microseconds from 0 to"
                + " 1000000, got '" + v + "'");
    }

    /**
     * Whether an OpenCL backend on PoCL may compile a step's kernels ahead in a second process when
     * PoCL's kernel cache lacks them ({@code clgrad.compileAhead}, default true).
     */
    public static boolean compileAhead() {
        return !Boolean.FALSE.equals(flag("clgrad.compileAhead"));
    }
}
