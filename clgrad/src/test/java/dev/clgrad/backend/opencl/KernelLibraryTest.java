package dev.clgrad.backend.opencl;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When {@link KernelLibrary} builds a program once more: only after losing PoCL's kernel-cache race. */
class KernelLibraryTest {
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
