package dev.clgrad.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Optional;

/**
 * The checkpoints of one Spark fit under a Hadoop path (any {@link FileSystem}: {@code file:},
 * {@code hdfs:}, {@code s3a:}, …):
 * <pre>
 * dir/LATEST                                    the name of the newest complete checkpoint
 * dir/step-0000000150/task-0/checkpoint.safetensors   clgrad's checkpoint (dev.clgrad.io.Checkpoint)
 * dir/step-0000000150/task-1/…                  one per task with model averaging (their optimizer
 *                                               states differ); task 0's only with gradient exchange
 * dir/step-0000000150/history.tsv               the epochs finished so far (written by task 0)
 * </pre>
 * A checkpoint is complete once every task has written its part (they meet at a barrier) and
 * task 0 has replaced LATEST; a stage that fails while writing leaves LATEST at the previous one.
 * LATEST is replaced by writing LATEST.tmp, deleting LATEST and renaming (a store without atomic
 * rename-over); a reader that finds only LATEST.tmp takes it. The checkpoint before the newest is
 * deleted once the newest is complete.
 */
final class CheckpointStore {
    static final String LATEST = "LATEST";

    private final Path root;
    private final FileSystem fs;

    CheckpointStore(String uri, Configuration conf) throws IOException {
        root = new Path(uri);
        fs = root.getFileSystem(conf);
    }

    static String name(long globalStep) {
        return String.format("step-%010d", globalStep);
    }

    /** The newest complete checkpoint's name, if any. */
    Optional<String> latest() throws IOException {
        for (String f : new String[]{LATEST, LATEST + ".tmp"}) {
            Path p = new Path(root, f);
            if (fs.exists(p)) {
                String name = readText(p).trim();
                if (!name.isEmpty()) {
                    return Optional.of(name);
                }
            }
        }
        return Optional.empty();
    }

    /** Copies the local file to dir/checkpoint/part/file's name, replacing it. */
    void upload(java.nio.file.Path local, String checkpoint, String part) throws IOException {
        fs.copyFromLocalFile(false, true, new Path(local.toUri()),
                new Path(new Path(new Path(root, checkpoint), part), local.getFileName().toString()));
    }

    /** Copies dir/checkpoint/part/name to the local file. */
    void download(String checkpoint, String part, String name, java.nio.file.Path local) throws IOException {
        Path src = new Path(new Path(new Path(root, checkpoint), part), name);
        if (!fs.exists(src)) {
            throw new IOException(src + ": missing from checkpoint " + checkpoint + " (LATEST names it)");
        }
        Files.createDirectories(local.getParent());
        try (FSDataInputStream in = fs.open(src)) {
            Files.copy(in, local, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    void writeText(String checkpoint, String name, String text) throws IOException {
        writeText(new Path(new Path(root, checkpoint), name), text);
    }

    String readText(String checkpoint, String name) throws IOException {
        return readText(new Path(new Path(root, checkpoint), name));
    }

    /** Makes {@code checkpoint} the newest and deletes the other step directories. */
    void commit(String checkpoint) throws IOException {
        Path tmp = new Path(root, LATEST + ".tmp");
        Path latest = new Path(root, LATEST);
        writeText(tmp, checkpoint + "\n");
        fs.delete(latest, false);
        if (!fs.rename(tmp, latest)) {
            throw new IOException("could not rename " + tmp + " to " + latest);
        }
        for (FileStatus s : fs.listStatus(root)) {
            String n = s.getPath().getName();
            if (s.isDirectory() && n.startsWith("step-") && !n.equals(checkpoint)) {
                fs.delete(s.getPath(), true);
            }
        }
    }

    private void writeText(Path p, String text) throws IOException {
        try (FSDataOutputStream out = fs.create(p, true)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    private String readText(Path p) throws IOException {
        try (FSDataInputStream in = fs.open(p)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Override
    public String toString() {
        return root.toString();
    }
}
