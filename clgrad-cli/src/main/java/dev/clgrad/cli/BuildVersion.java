package dev.clgrad.cli;

import picocli.CommandLine.IVersionProvider;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * {@code clgrad --version} (and {@code --version} on every subcommand): which build this is. The
 * build writes {@code dev/clgrad/build.properties} (see pom.xml, execution {@code build-info}):
 * {@code version} from the pom, {@code commit} from {@code git describe --always --dirty} (empty
 * when the sources are not a git checkout) and {@code built}, the UTC build time. Two lines:
 * {@code clgrad 0.1.0-SNAPSHOT (commit b5a698cad0ad, built 2026-12-02T08:40:11Z)} and the Java
 * runtime and OS it runs on.
 */
final class BuildVersion implements IVersionProvider {
    static final String RESOURCE = "/dev/clgrad/build.properties";

    @Override
    public String[] getVersion() {
        return new String[] {describe(read()), "Java " + System.getProperty("java.runtime.version") + " ("
                + System.getProperty("java.vendor") + "), " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch")};
    }

    /** The build's properties; empty when the resource is missing (classes compiled outside Maven). */
    static Properties read() {
        Properties p = new Properties();
        try (InputStream in = BuildVersion.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(RESOURCE + ": " + e.getMessage(), e);
        }
        return p;
    }

    /** The first line of {@link #getVersion()} for these properties. */
    static String describe(Properties p) {
        String version = p.getProperty("version", "").strip();
        if (version.isEmpty()) {
            return "clgrad (version unknown: no " + RESOURCE.substring(1) + " on the class path; build with Maven)";
        }
        String commit = p.getProperty("commit", "").strip();
        String built = p.getProperty("built", "").strip();
        StringBuilder sb = new StringBuilder("clgrad ").append(version);
        if (!commit.isEmpty() || !built.isEmpty()) {
            sb.append(" (");
            if (!commit.isEmpty()) {
                sb.append("commit ").append(commit).append(built.isEmpty() ? "" : ", ");
            }
            if (!built.isEmpty()) {
                sb.append("built ").append(built);
            }
            sb.append(')');
        }
        return sb.toString();
    }
}
