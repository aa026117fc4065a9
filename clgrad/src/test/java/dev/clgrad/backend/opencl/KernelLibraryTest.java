package dev.clgrad.backend.opencl;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When {@link KernelLibrary} builds a program once more (only after losing PoCL's kernel-cache
 * race), and the {@code #line} markers of the sources it builds.
 */
class KernelLibraryTest {
    private static final Pattern LINE = Pattern.compile("#line (\\d+) \"([^\"]+)\"");

    /**
     * Every line of a built source, single files and all of them as one program, is the line of the
     * kernel file that its last {@code #line} marker names, counting from the marker: a build log's
     * file and line point at the source as written. Each include comes once, with the first file
     * that includes it.
     */
    @Test
    void everyLineOfABuiltSourceIsWhereItsMarkerSays() throws IOException {
        List<String> files = KernelFilesBuildTest.files();
        for (String file : files) {
            checkMarkers(KernelLibrary.source(file), file);
        }
        String all = KernelLibrary.source(files);
        checkMarkers(all, "every file");
        assertEquals(1, all.split("#line 1 \"common.cl\"", -1).length - 1, "common.cl is inlined once");
    }

    private static void checkMarkers(String source, String what) throws IOException {
        String file = null;
        int line = 0;
        int checked = 0;
        List<String> raw = new ArrayList<>();
        for (String text : source.split("\n", -1)) {
            Matcher m = LINE.matcher(text);
            if (m.matches()) {
                file = m.group(2);
                line = Integer.parseInt(m.group(1));
                raw = Files.readAllLines(Path.of("opencl-kernels", file));
                continue;
            }
            if (file == null || line > raw.size()) {
                assertEquals("", text, what + ": a line outside every kernel file");
                continue;
            }
            assertEquals(raw.get(line - 1), text, what + ": " + file + ":" + line);
            line++;
            checked++;
        }
        assertTrue(checked > 50, what + ": only " + checked + " lines checked");
    }

    @Test
    void aLostCacheRaceIsRecognisedFromPoclsBuildLog() {
        String raced = "error: <invalid loc>: unable to rename temporary "
                + "'/root/.cache/pocl/kcache/tempfile_d6S3pk.preproc-ae0ad0ae.cl.tmp' to output file "
                + "'/root/.cache/pocl/kcache/tempfile_d6S3pk.preproc.cl': 'No such file or directory'\n"
                + "Device pthread-skylake-avx512-AMD EPYC failed to build the program";
        assertTrue(KernelLibrary.lostCacheRace(raced));
        assertFalse(KernelLibrary.lostCacheRace("<source>:12:5: error: use of undeclared identifier 'x'"));
        assertFalse(KernelLibrary.lostCacheRace(""));
        assertFalse(KernelLibrary.lostCacheRace(null));
    }
}
