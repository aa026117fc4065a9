package dev.clgrad.backend.opencl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clgrad.Config;
import dev.clgrad.backend.BackendException;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Kernel tunables for one device, from {@code native-config/profiles.json}: a list of profiles,
 * each with a {@code match} ({@code platform} and {@code vendor} substrings, {@code name} regex;
 * an empty match fits every device), extra compiler {@code options}, and {@code defines} passed as
 * {@code -DNAME=value}, and {@code binaryCache} (default true): whether clgrad caches program
 * binaries for the device. Profiles apply in file order, later matches overriding earlier ones, so
 * vendor defaults come first and per-device entries after them. A tuning file written by
 * {@code clgrad tune gemm} ({@link TuningFile}) overrides the profile's defines for its device, and
 * {@link Config#defines()} ({@code -Dclgrad.defines=NAME=value,...}) both.
 * With {@link Config#profile()} ({@code -Dclgrad.profile=NAME}) every device takes the profiles
 * with an empty match, then the one whose {@code name} is NAME, whatever it matches.
 */
final class DeviceProfile {
    static final String RESOURCE = "native-config/profiles.json";

    private final Map<String, String> defines;
    private final String options;
    private final boolean binaryCache;

    private DeviceProfile(Map<String, String> defines, String options, boolean binaryCache) {
        this.defines = defines;
        this.options = options;
        this.binaryCache = binaryCache;
    }

    static JsonNode readConfig() {
        try (InputStream in = DeviceProfile.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new BackendException(RESOURCE + " is missing from the classpath");
            }
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new BackendException(RESOURCE + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** The binding that native-config names, or null. */
    static String configuredBinding() {
        JsonNode b = readConfig().get("binding");
        return b == null ? null : b.asText();
    }

    static DeviceProfile forDevice(String platform, String vendor, String name) {
        return forDevice(platform, vendor, name, Config.profile());
    }

    /** The profile of a device; with {@code forced} non-null, the defaults and the profile named so. */
    static DeviceProfile forDevice(String platform, String vendor, String name, String forced) {
        Map<String, String> defines = new TreeMap<>();
        StringBuilder options = new StringBuilder();
        boolean binaryCache = true;
        JsonNode profiles = readConfig().path("profiles");
        if (forced != null) {
            List<String> names = new ArrayList<>();
            profiles.forEach(p -> names.add(p.path("name").asText("")));
            if (!names.contains(forced)) {
                throw new IllegalArgumentException("clgrad.profile=" + forced + " names no profile in " + RESOURCE
                        + "; its profiles are " + names);
            }
        }
        for (JsonNode profile : profiles) {
            JsonNode match = profile.path("match");
            boolean applies = forced != null
                    ? match.isEmpty() || forced.equals(profile.path("name").asText(""))
                    : contains(platform, match.path("platform")) && contains(vendor, match.path("vendor"))
                            && matches(name, match.path("name"));
            if (!applies) {
                continue;
            }
            binaryCache = profile.path("binaryCache").asBoolean(binaryCache);
            String opts = profile.path("options").asText("");
            if (!opts.isBlank()) {
                options.append(' ').append(opts.trim());
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = profile.path("defines").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                defines.put(e.getKey(), e.getValue().asText());
            }
        }
        return new DeviceProfile(defines, options.toString().trim(), binaryCache);
    }

    /** This profile with {@code overrides} replacing or adding defines. */
    DeviceProfile withDefines(Map<String, String> overrides) {
        Map<String, String> merged = new TreeMap<>(defines);
        merged.putAll(overrides);
        return new DeviceProfile(merged, options, binaryCache);
    }

    /**
     * Whether clgrad should cache this device's program binaries. PoCL's profile says no: PoCL keeps
     * its own kernel cache, and asking it for a binary compiles every kernel once more for a generic
     * work-group size (seconds per tiled GEMM kernel on a CPU).
     */
    boolean binaryCache() {
        return binaryCache;
    }

    /** The defines, sorted by name. */
    Map<String, String> defines() {
        return Map.copyOf(defines);
    }

    private static boolean contains(String value, JsonNode wanted) {
        return wanted.isMissingNode() || value.toLowerCase().contains(wanted.asText().toLowerCase());
    }

    private static boolean matches(String value, JsonNode regex) {
        return regex.isMissingNode() || Pattern.compile(regex.asText()).matcher(value).find();
    }

    /** The value of a tunable for this device, or {@code fallback} when the profile sets none. */
    int define(String name, int fallback) {
        String v = defines.get(name);
        return v == null ? fallback : Integer.parseInt(v);
    }

    /** Compiler options: the profile's options then {@code -DNAME=value} for every define, sorted. */
    String buildOptions() {
        StringBuilder sb = new StringBuilder(options);
        defines.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : " ").append("-D").append(k).append('=').append(v));
        return sb.toString();
    }
}
