package dev.clgrad.backend.opencl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clgrad.Diagnostics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

import static java.lang.System.Logger.Level.WARNING;

/**
 * The kernel defines {@code clgrad tune gemm} found best for one device, as JSON under the cache
 * folder: {@code <cache>/tuning/<sha256(device name, driver version)>.json} holding
 * {@code {"device": …, "driver": …, "defines": {"GEMM_MWG": 64, …}, …}}. A new driver version
 * gets a new file (the old tuning is not trusted). An unreadable file is ignored with a warning:
 * tuning is an optimisation, the profile defaults always work.
 */
public final class TuningFile {
    private static final System.Logger LOG = Diagnostics.logger(TuningFile.class);

    private TuningFile() {
    }

    /** The file of a device; null when {@code cacheDir} is null (caching off). */
    public static Path path(Path cacheDir, String deviceName, String driverVersion) {
        if (cacheDir == null) {
            return null;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((deviceName + "\n" + driverVersion).getBytes(StandardCharsets.UTF_8));
            return cacheDir.resolve("tuning").resolve(HexFormat.of().formatHex(digest, 0, 12) + ".json");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The tuned defines of a device, empty when there is no (readable, matching) file. */
    static Map<String, String> load(Path cacheDir, String deviceName, String driverVersion) {
        Path file = path(cacheDir, deviceName, driverVersion);
        Map<String, String> defines = new TreeMap<>();
        if (file == null || !Files.isRegularFile(file)) {
            return defines;
        }
        try {
            JsonNode root = new ObjectMapper().readTree(file.toFile());
            if (!deviceName.equals(root.path("device").asText()) || !driverVersion.equals(root.path("driver").asText())) {
                LOG.log(WARNING, "tuning file " + file + " is for another device or driver; ignored");
                return defines;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = root.path("defines").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                defines.put(e.getKey(), Integer.toString(e.getValue().asInt()));
            }
        } catch (IOException | RuntimeException e) {
            String why = e instanceof JsonProcessingException j && j.getLocation() != null
                    ? j.getOriginalMessage() + " at line " + j.getLocation().getLineNr() : e.getMessage();
            LOG.log(WARNING, "tuning file " + file + " cannot be read (" + why + "); using the profile defaults");
            defines.clear();
        }
        return defines;
    }

    /**
     * The device's tuning file as it is, so that one tuner keeps what another stored (tune gemm the
     * conv settings, tune conv the GEMM's), or an empty object when there is none or it cannot be read
     * (said through progress).
     */
    static ObjectNode current(Path cacheDir, String deviceName, String driverVersion, Consumer<String> progress) {
        ObjectMapper mapper = new ObjectMapper();
        Path file = path(cacheDir, deviceName, driverVersion);
        try {
            if (file != null && Files.isRegularFile(file) && mapper.readTree(file.toFile()) instanceof ObjectNode o) {
                return o;
            }
        } catch (IOException e) {
            progress.accept("the tuning file " + file + " cannot be read (" + e.getMessage() + "); writing a new one");
        }
        return mapper.createObjectNode();
    }

    /**
     * Writes {@code root} (which must hold "device", "driver" and "defines") to the device's file,
     * atomically; returns the path.
     */
    static Path store(Path cacheDir, ObjectNode root) throws IOException {
        Path file = path(cacheDir, root.path("device").asText(), root.path("driver").asText());
        if (file == null) {
            throw new IOException("the cache is off (clgrad.cache=off): nowhere to store the tuning");
        }
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), "tuning", ".tmp");
        Files.writeString(tmp, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(root));
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return file;
    }
}
