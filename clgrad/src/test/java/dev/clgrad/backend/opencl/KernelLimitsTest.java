package dev.clgrad.backend.opencl;

import dev.clgrad.backend.BackendException;
import dev.clgrad.backend.TestBackends;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The limits of the kernels' index arithmetic and of the device, checked without the memory that
 * reaching them would take.
 *
 * <p>Index width: the kernels take sizes and offsets as {@code int} but a product of two sizes
 * does not fit one once a tensor has more than 2^31 − 1 elements; {@code bench gemm --m 46341
 * --n 46341 --k 1} forms C's last index (M − 1)·N + N − 1 = 2,147,488,280. So every product of a
 * runtime dimension in a kernel file must be taken in 64 bits, checked here on the sources: the
 * left operand cast to {@code size_t}/{@code ulong}/{@code long}, or a variable declared
 * {@code size_t} in that file. Host side, counts and offsets that stay {@code int} arguments are
 * checked ({@link Launch#intArg}), as are a GEMM tile's work-group and local memory and the
 * power-of-two work-groups of the one-group reductions.
 */
class KernelLimitsTest {
    private static final Path DIR = Path.of("opencl-kernels");
    /** The runtime dimensions the kernels take: GEMM's, the Dense layer's, rows and columns, leading dimensions. */
    private static final String DIMS = "M|N|K|B|C|I|O|ld|a_m|a_k|b_k|b_n";
    /** A product with a dimension on either side: {@code left * DIM} or {@code DIM * right}. */
    private static final Pattern PRODUCT = Pattern.compile(
            "(\\(\\s*(?:size_t|ulong|long)\\s*\\)\\s*)?(\\(?[A-Za-z_][A-Za-z0-9_]*(?:\\s*[+-]\\s*[0-9]+\\))?)\\s*\\*\\s*(" + DIMS
                    + ")\\b|\\b(" + DIMS + ")\\s*\\*\\s*([A-Za-z_(])");
    private static final Pattern SIZE_T_DECLARATION = Pattern.compile("\\bsize_t\\s+([a-z_][a-z0-9_]*)\\s*=");

    @Test
    void theLastIndexOfA46341SquaredMatrixOverflowsInt() {
        long m = 46341;
        long n = 46341;
        long last = (m - 1) * n + (n - 1);
        assertEquals(2_147_488_280L, last);
        assertTrue(last > Integer.MAX_VALUE);
        assertTrue((int) last < 0, "as an int the index is negative: the old kernels wrote before C");
    }

    @Test
    void everyProductOfARuntimeDimensionIsTakenIn64Bits() throws IOException {
        List<String> bad = new ArrayList<>();
        try (var files = Files.list(DIR)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".cl")).sorted().toList()) {
                List<String> lines = Files.readAllLines(f);
                Set<String> wide = new HashSet<>();
                for (String line : lines) {
                    Matcher d = SIZE_T_DECLARATION.matcher(line);
                    while (d.find()) {
                        wide.add(d.group(1));
                    }
                }
                for (int i = 0; i < lines.size(); i++) {
                    String code = lines.get(i).replaceAll("//.*", "");
                    if (code.trim().startsWith("#")) {
                        continue;
                    }
                    Matcher p = PRODUCT.matcher(code);
                    while (p.find()) {
                        boolean ok = p.group(3) != null
                                ? p.group(1) != null || wide.contains(p.group(2).replaceAll("[()]", ""))
                                : false;
                        if (!ok) {
                            bad.add(f.getFileName() + ":" + (i + 1) + ": " + lines.get(i).trim());
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), bad, "products of runtime dimensions taken in int (cast the left operand to size_t)");
    }

    @Test
    void theLintSeesAnIntProduct() {
        assertTrue(PRODUCT.matcher("c_g[c_off + m * N + n] = r;").find());
        Matcher m = PRODUCT.matcher("c_g[c_off + (size_t)m * N + n] = r;");
        assertTrue(m.find());
        assertTrue(m.group(1) != null, "a cast left operand is wide");
        assertTrue(PRODUCT.matcher("src_g + (r + 1) * ld + k").find());
    }

    @Test
    void intArgumentsNameTheOpAndTheValue() {
        assertEquals(5, Geometry.intArg("relu_forward", "n", 5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Geometry.intArg("relu_forward", "the element offset of x", 46341L * 46341));
        assertTrue(e.getMessage().contains("relu_forward") && e.getMessage().contains("2147488281")
                && e.getMessage().contains("2147483647"), e.getMessage());
    }

    @Test
    void aGemmTileMustFitTheWorkGroupAndTheLocalMemory() {
        assertNull(GemmRoutine.tileProblem(1024, 48 * 1024, 64, 64, 16, 16, 16));
        String items = GemmRoutine.tileProblem(256, 48 * 1024, 64, 64, 16, 32, 16);
        assertTrue(items.contains("GEMM_MDIMC * GEMM_NDIMC") && items.contains("512") && items.contains("256"), items);
        String local = GemmRoutine.tileProblem(1024, 48 * 1024, 128, 256, 64, 16, 16);
        assertTrue(local.contains("GEMM_KWG * (GEMM_MWG + GEMM_NWG)") && local.contains("98304")
                && local.contains("49152") && local.contains("CL_DEVICE_LOCAL_MEM_SIZE"), local);
    }

    @Test
    void oneGroupReductionsNeedAPowerOfTwo() {
        for (OpenClBackend cl : TestBackends.openCl()) {
            assertEquals(64, Geometry.reductionGroupSize(cl, "NOT_A_DEFINE", 64));
            BackendException e = assertThrows(BackendException.class,
                    () -> Geometry.reductionGroupSize(cl, "NOT_A_DEFINE", 48));
            assertTrue(e.getMessage().contains("NOT_A_DEFINE = 48") && e.getMessage().contains("power of two"),
                    e.getMessage());
            assertTrue(cl.localMemBytes() >= 1024, "CL_DEVICE_LOCAL_MEM_SIZE read: " + cl.localMemBytes());
        }
    }
}
