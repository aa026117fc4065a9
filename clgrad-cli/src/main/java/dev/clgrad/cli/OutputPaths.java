package dev.clgrad.cli;

import dev.clgrad.AtomicFile;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The checks a command makes on its input and output paths before any work starts, so that a
 * typo costs nothing and no trained model is lost to an output that could never be written:
 * <ul>
 *   <li>an input config that is a folder, or missing;</li>
 *   <li>an output file ({@code --plot}, {@code --save}, {@code --profile}, {@code --trace}) that
 *       is an existing folder, whose folder does not exist or is not writable (tried by creating
 *       and deleting a file there), or that two options name;</li>
 *   <li>an output folder ({@code --checkpoint}) that is a file, is not writable, or whose parent
 *       folder does not exist;</li>
 *   <li>and, once the sizes are known, a file system with less free space than the outputs need.</li>
 * </ul>
 * Each failure is an {@link IllegalArgumentException} that names the option and the path.
 */
final class OutputPaths {
    private final String command;
    private final Map<Path, String> claimed = new LinkedHashMap<>();
    private final Map<String, Path> targets = new LinkedHashMap<>();

    OutputPaths(String command) {
        this.command = command;
    }

    /** A config file argument: exists and is a file. */
    static void checkConfig(String command, Path config) {
        if (Files.isDirectory(config)) {
            throw new IllegalArgumentException(command + ": " + config + " is a folder; expected a model config JSON "
                    + "file (such as samples/seed-simplenet.json)");
        }
        if (!Files.exists(config)) {
            throw new IllegalArgumentException(command + ": " + config + ": no such file; expected a model config "
                    + "JSON file (such as samples/seed-simplenet.json)");
        }
    }

    /** An output file the command writes when it is done (null: the option was not given). */
    OutputPaths file(String option, Path file) {
        if (file == null) {
            return this;
        }
        String what = command + ": " + option + " " + file;
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(what + ": is a folder; expected a file name (such as "
                    + file.resolve(example(option)) + ")");
        }
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw new IllegalArgumentException(what + ": exists and is not a regular file");
        }
        writableFolder(what, file.toAbsolutePath().getParent(), "its folder");
        claim(option, file);
        return this;
    }

    /** An output folder the command writes into while it runs ({@code --checkpoint}). */
    OutputPaths folder(String option, Path dir) {
        if (dir == null) {
            return this;
        }
        String what = command + ": " + option + " " + dir;
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException(what + ": is a file; expected a folder");
        }
        if (Files.isDirectory(dir)) {
            writableFolder(what, dir.toAbsolutePath(), "the folder");
        } else {
            writableFolder(what, dir.toAbsolutePath().getParent(), "its parent folder");
        }
        claim(option, dir);
        return this;
    }

    private void claim(String option, Path p) {
        Path key = p.toAbsolutePath().normalize();
        String other = claimed.putIfAbsent(key, option);
        if (other != null) {
            throw new IllegalArgumentException(command + ": " + other + " and " + option + " both name " + p
                    + "; give each output its own path");
        }
        targets.put(option, p);
    }

    private static String example(String option) {
        return switch (option) {
            case "--plot" -> "curves.png";
            case "--save" -> "model.safetensors";
            case "--out" -> "predictions.csv";
            default -> "trace.json";
        };
    }

    /** The folder exists, is a folder, and a file can be created and deleted in it. */
    private static void writableFolder(String what, Path folder, String which) {
        if (folder == null) {
            return;
        }
        if (!Files.exists(folder)) {
            throw new IllegalArgumentException(what + ": " + which + " " + folder + " does not exist");
        }
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException(what + ": " + which + " " + folder + " is not a folder");
        }
        try {
            Path probe = Files.createTempFile(folder, ".clgrad-write-check-", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            String why = e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
                    : e instanceof java.nio.file.AccessDeniedException ? "Permission denied" : AtomicFile.reason(e);
            throw new IllegalArgumentException(what + ": cannot write in " + which + " " + folder + ": " + why, e);
        }
    }

    /**
     * Free space against the bytes each output will need (by option; an option not checked above
     * is ignored). A file system holding several outputs must hold them all; an atomic replace
     * needs room for the old and the new file at once, which the estimates include.
     */
    void checkSpace(Map<String, Long> bytesByOption) {
        Map<FileStore, Long> need = new LinkedHashMap<>();
        Map<FileStore, List<String>> who = new LinkedHashMap<>();
        for (Map.Entry<String, Long> e : bytesByOption.entrySet()) {
            Path p = targets.get(e.getKey());
            if (p == null) {
                continue;
            }
            Path existing = p.toAbsolutePath();
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            try {
                FileStore store = Files.getFileStore(existing);
                need.merge(store, e.getValue(), Long::sum);
                who.computeIfAbsent(store, s -> new ArrayList<>()).add(e.getKey() + " " + p);
            } catch (IOException | RuntimeException ex) {
                // No file store to ask; the write itself will say what went wrong.
            }
        }
        for (Map.Entry<FileStore, Long> e : need.entrySet()) {
            long free;
            try {
                free = e.getKey().getUsableSpace();
            } catch (IOException ex) {
                continue;
            }
            if (free < e.getValue()) {
                throw new IllegalArgumentException(command + ": " + String.join(", ", who.get(e.getKey()))
                        + ": about " + bytes(e.getValue()) + " needed but only " + bytes(free) + " free there");
            }
        }
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        if (n < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        }
        if (n < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
        }
        return String.format(Locale.ROOT, "%.1f GiB", n / (1024.0 * 1024 * 1024));
    }
}
