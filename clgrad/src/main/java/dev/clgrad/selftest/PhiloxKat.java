package dev.clgrad.selftest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The Random123 known-answer vectors of Philox4x32-10, read from the resource
 * {@code selftest/philox4x32_10_kat.txt} (one line: ctr0..3 key0..1 out0..3 in hex; {@code #} comments).
 * Checked on every backend by {@link Conformance} and shared by the Philox tests.
 */
public final class PhiloxKat {
    public static final String RESOURCE = "/selftest/philox4x32_10_kat.txt";

    /** One vector; {@code line} is its line number in the resource. */
    public record Vector(int line, int[] ctr, int[] key, int[] out) {
        @Override
        public String toString() {
            return "KAT line " + line;
        }
    }

    private PhiloxKat() {
    }

    public static List<Vector> load() {
        List<Vector> out = new ArrayList<>();
        try (InputStream in = PhiloxKat.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + RESOURCE + " is missing");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            int lineNo = 0;
            for (String line; (line = r.readLine()) != null; ) {
                lineNo++;
                String s = line.strip();
                if (s.isEmpty() || s.startsWith("#")) {
                    continue;
                }
                String[] w = s.split("\\s+");
                if (w.length != 10) {
                    throw new IllegalStateException(RESOURCE + " line " + lineNo + ": expected 10 hex words, got "
                            + w.length);
                }
                int[] v = new int[10];
                for (int i = 0; i < 10; i++) {
                    v[i] = Integer.parseUnsignedInt(w[i], 16);
                }
                out.add(new Vector(lineNo, new int[] {v[0], v[1], v[2], v[3]}, new int[] {v[4], v[5]},
                        new int[] {v[6], v[7], v[8], v[9]}));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
