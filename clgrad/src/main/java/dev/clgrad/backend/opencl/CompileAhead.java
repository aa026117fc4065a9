package dev.clgrad.backend.opencl;

import dev.clgrad.Config;
import dev.clgrad.Diagnostics;
import dev.clgrad.tensor.Shape;
import dev.clgrad.tensor.Tensor;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import static java.lang.System.Logger.Level.DEBUG;

/**
 * A step's kernels compiled ahead in a second process, on PoCL with its kernel cache empty. PoCL
 * compiles a kernel's work-group function (for its local size) at the kernel's first launch, one
 * at a time in a process (its compiler holds one lock): the Fashion-MNIST MLP's first step spent
 * over 4 s so, on one core of two. The helper, this class's {@link #main}, is a JVM on the same
 * class path and device with the same {@code clgrad.*} properties: it builds the step's programs
 * (PoCL's cache hits, the parent built them a moment before), then launches the step's kernels in
 * reverse order on zero-filled buffers of the launches' sizes with their global and local sizes,
 * so the two processes compile from opposite ends into PoCL's cache folder and the parent finds
 * the later kernels there when it reaches them. Only the work-group functions matter: argument
 * values and offsets are not part of PoCL's cache key, so a tensor argument becomes a buffer of
 * the tensor's size at offset 0.
 *
 * <p>Started only where it can help: the device is PoCL's, {@code clgrad.compileAhead} is not
 * {@code false}, PoCL's kernel cache is on ({@code POCL_KERNEL_CACHE} not 0) and the step's program
 * build put a new program in its folder (so none of its work-group functions is there yet), and the
 * step has two launches or more. A helper that cannot start, or fails, costs nothing but its time:
 * the parent compiles what it finds missing, as without it.
 */
final class CompileAhead {
    private static final System.Logger LOG = Diagnostics.logger(CompileAhead.class);
    private static final String POCL_PLATFORM = "Portable Computing Language";
    /** The last helper's output, in clgrad's cache folder. */
    static final String LOG_FILE = "compile-ahead.log";
    private static final byte BUFFER = 'B';
    private static final byte INT = 'I';
    private static final byte FLOAT = 'F';
    private static final byte LONG = 'L';
    private static final byte INT2 = 'V';
    private static final byte SCRATCH = 'S';

    private CompileAhead() {
    }

    /**
     * One launch as the helper replays it: kernel {@code name} of the job's program number
     * {@code program}, its arguments as {@link Call.Kernel}'s but a {@link Shape} for each tensor
     * (a new zero-filled tensor of that shape, offset 0, in the helper) and a {@link ScratchFloats}
     * for the scratch buffer.
     */
    record Launch(int program, String name, long[] global, long[] local, Object[] args) {
        @Override
        public String toString() {
            return name + " global=" + Arrays.toString(global) + " local=" + Arrays.toString(local);
        }

        private String key() {
            return program + "#" + name + Arrays.toString(global) + Arrays.toString(local);
        }
    }

    /** A {@link Call.ScratchBuffer} argument in a job: the helper's own scratch buffer, of at least {@code floats}. */
    record ScratchFloats(long floats) {
    }

    /** What the helper does: the device, the programs to build (each as the parent built it), the launches. */
    record Job(String binding, String device, List<KernelLibrary.Source> programs, List<Launch> launches) {
    }

    /** Whether a step on a device of platform {@code platformName} may start a helper. */
    static boolean applies(String platformName) {
        return platformName.contains(POCL_PLATFORM) && Config.compileAhead() && !"0".equals(System.getenv("POCL_KERNEL_CACHE"));
    }

    /**
     * PoCL's kernel-cache folder as PoCL 3.1 chooses it: {@code POCL_CACHE_DIR}, else
     * {@code $XDG_CACHE_HOME/pocl/kcache}, else {@code ~/.cache/pocl/kcache}.
     */
    static Path poclCacheDir() {
        String dir = System.getenv("POCL_CACHE_DIR");
        if (dir != null && !dir.isBlank()) {
            return Path.of(dir);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("pocl").resolve("kcache");
    }

    /** The programs in PoCL's cache folder ({@code XX/HASH} folders), none when it does not exist or cannot be read. */
    static Set<String> cachedPrograms(Path dir) {
        Set<String> out = new HashSet<>();
        try (Stream<Path> first = Files.list(dir)) {
            for (Path p : (Iterable<Path>) first::iterator) {
                if (Files.isDirectory(p)) {
                    try (Stream<Path> second = Files.list(p)) {
                        second.forEach(q -> out.add(p.getFileName() + "/" + q.getFileName()));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return out;
        }
        return out;
    }

    /**
     * The helper's job for {@code calls}, a step's kernel launches in order, on the library that
     * built their programs: tensors become their shapes, a value read at each launch its value now.
     */
    static Job job(String binding, String device, KernelLibrary library, List<Call.Kernel> calls) {
        List<KernelLibrary.Source> programs = new ArrayList<>();
        List<Launch> launches = new ArrayList<>(calls.size());
        for (Call.Kernel k : calls) {
            KernelLibrary.Source source = library.sourceOf(k.file(), k.name());
            int program = programs.indexOf(source);
            if (program < 0) {
                program = programs.size();
                programs.add(source);
            }
            List<Object> args = new ArrayList<>(k.args().length * 2);
            for (Object a : k.args()) {
                if (a instanceof Tensor t) {
                    args.add(t.shape().size() == 0 ? Shape.of(1) : t.shape());
                } else if (a instanceof Call.ScratchBuffer b) {
                    args.add(new ScratchFloats(b.floats()));
                } else if (a instanceof Call.CounterValue c) {
                    args.add(c.counter().get());
                } else if (a instanceof Call.ScalarValue v) {
                    args.add(v.scalar().get());
                } else if (a instanceof Call.AdamCorrections) {
                    args.add(0f);
                    args.add(1f);
                } else {
                    args.add(a);
                }
            }
            launches.add(new Launch(program, k.name(), k.global(), k.local(), args.toArray()));
        }
        return new Job(binding, device, programs, launches);
    }

    /**
     * Starts the helper on {@code job}, with {@code environment} added to this process's, and hands
     * it the job; its output goes to {@value #LOG_FILE} in clgrad's cache folder (discarded when that
     * is off). Empty when the process cannot be started (the reason at DEBUG).
     */
    static Optional<Process> start(Job job, Map<String, String> environment) {
        String java = ProcessHandle.current().info().command().orElse(null);
        if (java == null) {
            LOG.log(DEBUG, "compile-ahead: the path of this JVM is unknown; not started");
            return Optional.empty();
        }
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto"));
        System.getProperties().stringPropertyNames().stream().sorted()
                .filter(k -> k.startsWith("clgrad.") && !k.equals("clgrad.compileAhead"))
                .forEach(k -> cmd.add("-D" + k + "=" + System.getProperty(k)));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), CompileAhead.class.getName()));
        Process p = null;
        try {
            Path cache = Config.cacheDir();
            ProcessBuilder.Redirect log = ProcessBuilder.Redirect.DISCARD;
            if (cache != null) {
                Files.createDirectories(cache);
                log = ProcessBuilder.Redirect.to(cache.resolve(LOG_FILE).toFile());
            }
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(log).redirectErrorStream(true);
            pb.environment().putAll(environment);
            p = pb.start();
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(p.getOutputStream()))) {
                write(job, out);
            }
            LOG.log(DEBUG, "compile-ahead: helper " + p.pid() + " started for " + job.launches().size() + " launches");
            return Optional.of(p);
        } catch (IOException | RuntimeException e) {
            if (p != null) {
                p.destroy();
            }
            LOG.log(DEBUG, "compile-ahead: not started: " + e);
            return Optional.empty();
        }
    }

    /** The helper: reads a {@link Job} on stdin, then builds and launches it; exit code 0 when every launch ran. */
    public static void main(String[] args) throws IOException {
        Job job = read(new DataInputStream(new BufferedInputStream(System.in)));
        try (OpenClBackend cl = OpenClBackend.open(job.device(), job.binding())) {
            if (cl == null) {
                System.err.println("compile-ahead: no device " + job.device() + " on " + job.binding());
                System.exit(2);
            }
            run(cl, job);
        }
    }

    /** Builds the job's programs on {@code cl}, then runs each distinct launch, last first, on zero-filled buffers. */
    static void run(OpenClBackend cl, Job job) {
        KernelLibrary library = cl.library();
        List<ClApi.Program> programs = new ArrayList<>();
        try {
            for (KernelLibrary.Source s : job.programs()) {
                programs.add(library.build(s.name(), s.text(), s.options()));
            }
            List<Launch> order = new ArrayList<>(job.launches());
            Collections.reverse(order);
            Map<String, Launch> distinct = new LinkedHashMap<>();
            order.forEach(l -> distinct.putIfAbsent(l.key(), l));
            for (Launch l : distinct.values()) {
                run(cl, programs.get(l.program()), l);
            }
        } finally {
            programs.forEach(cl.api()::release);
        }
    }

    private static void run(OpenClBackend cl, ClApi.Program program, Launch l) {
        List<Tensor> buffers = new ArrayList<>();
        ClApi.Kernel kernel = cl.api().createKernel(program, l.name());
        try {
            Object[] args = new Object[l.args().length];
            for (int i = 0; i < args.length; i++) {
                if (l.args()[i] instanceof Shape s) {
                    Tensor t = Tensor.zeros(cl, s);
                    buffers.add(t);
                    args[i] = t;
                } else if (l.args()[i] instanceof ScratchFloats f) {
                    cl.scratch().reserve(l.name(), f.floats());
                    args[i] = new Call.ScratchBuffer(cl.scratch(), f.floats());
                } else {
                    args[i] = l.args()[i];
                }
            }
            cl.launch(kernel, l.name(), l.global(), l.local(), args);
            cl.finish();
        } catch (RuntimeException e) {
            throw new IllegalStateException("compile-ahead: " + l + " with " + Arrays.toString(l.args()) + ": " + e, e);
        } finally {
            cl.api().release(kernel);
            buffers.forEach(Tensor::close);
        }
    }

    static void write(Job job, DataOutputStream out) throws IOException {
        out.writeUTF(job.binding());
        out.writeUTF(job.device());
        out.writeInt(job.programs().size());
        for (KernelLibrary.Source p : job.programs()) {
            writeText(out, p.name());
            writeText(out, p.text());
            writeText(out, p.options());
        }
        out.writeInt(job.launches().size());
        for (Launch l : job.launches()) {
            out.writeInt(l.program());
            out.writeUTF(l.name());
            writeSizes(out, l.global());
            writeSizes(out, l.local());
            out.writeInt(l.args().length);
            for (Object a : l.args()) {
                if (a instanceof Shape s) {
                    out.writeByte(BUFFER);
                    out.writeInt(s.rank());
                    for (int d : s.dims()) {
                        out.writeInt(d);
                    }
                } else if (a instanceof ScratchFloats f) {
                    out.writeByte(SCRATCH);
                    out.writeLong(f.floats());
                } else if (a instanceof Integer i) {
                    out.writeByte(INT);
                    out.writeInt(i);
                } else if (a instanceof Float f) {
                    out.writeByte(FLOAT);
                    out.writeFloat(f);
                } else if (a instanceof Long v) {
                    out.writeByte(LONG);
                    out.writeLong(v);
                } else if (a instanceof Call.Int2 p) {
                    out.writeByte(INT2);
                    out.writeInt(p.x());
                    out.writeInt(p.y());
                } else {
                    throw new IllegalArgumentException(l + ": argument of unsupported type "
                            + (a == null ? "null" : a.getClass().getName()));
                }
            }
        }
    }

    static Job read(DataInputStream in) throws IOException {
        String binding = in.readUTF();
        String device = in.readUTF();
        List<KernelLibrary.Source> programs = new ArrayList<>();
        for (int n = in.readInt(); n > 0; n--) {
            programs.add(new KernelLibrary.Source(readText(in), readText(in), readText(in)));
        }
        List<Launch> launches = new ArrayList<>();
        for (int n = in.readInt(); n > 0; n--) {
            int program = in.readInt();
            if (program < 0 || program >= programs.size()) {
                throw new IOException("compile-ahead job: program " + program + " of " + programs.size());
            }
            String name = in.readUTF();
            long[] global = readSizes(in);
            long[] local = readSizes(in);
            Object[] args = new Object[in.readInt()];
            for (int i = 0; i < args.length; i++) {
                byte tag = in.readByte();
                args[i] = switch (tag) {
                    case BUFFER -> {
                        int[] dims = new int[in.readInt()];
                        for (int d = 0; d < dims.length; d++) {
                            dims[d] = in.readInt();
                        }
                        yield Shape.of(dims);
                    }
                    case SCRATCH -> new ScratchFloats(in.readLong());
                    case INT -> in.readInt();
                    case FLOAT -> in.readFloat();
                    case LONG -> in.readLong();
                    case INT2 -> new Call.Int2(in.readInt(), in.readInt());
                    default -> throw new IOException("compile-ahead job: unknown argument tag " + tag + " in " + name);
                };
            }
            launches.add(new Launch(program, name, global, local, args));
        }
        return new Job(binding, device, programs, launches);
    }

    /** A string of any length (writeUTF stops at 64 KiB; a program's source may not). */
    private static void writeText(DataOutputStream out, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static String readText(DataInputStream in) throws IOException {
        return new String(in.readNBytes(in.readInt()), StandardCharsets.UTF_8);
    }

    private static void writeSizes(DataOutputStream out, long[] sizes) throws IOException {
        out.writeInt(sizes == null ? -1 : sizes.length);
        if (sizes != null) {
            for (long s : sizes) {
                out.writeLong(s);
            }
        }
    }

    private static long[] readSizes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        long[] sizes = new long[n];
        for (int i = 0; i < n; i++) {
            sizes[i] = in.readLong();
        }
        return sizes;
    }
}
