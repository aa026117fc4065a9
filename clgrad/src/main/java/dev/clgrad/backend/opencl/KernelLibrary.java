package dev.clgrad.backend.opencl;

import dev.clgrad.Config;
import dev.clgrad.backend.BackendException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The compiled kernels of one device. A kernel file is read from the classpath
 * ({@code opencl-kernels/NAME.cl}) or from {@link Config#kernelsDir()}, its {@code #include "x.cl"}
 * lines inlined (each file once, between {@code #line} markers), built with the device profile's
 * options, and its binary cached on disk by {@link ProgramCache}. Programs and kernels are built
 * once per library.
 *
 * <p>A file whose source tests {@value #ONE_KERNEL} (gemm.cl, whose many unrolled variants take
 * seconds to compile on a CPU driver) is built one entry point at a time: the program for kernel
 * {@code k} gets {@code -DONE_KERNEL -DKERNEL_k}, so a model compiles only the kernels it launches;
 * a step's files and entry points are built together, as one program ({@link #prebuild}).
 *
 * <p>A file whose source names {@value #EXACT_DIVIDE_SQRT} (dropout.cl, whose Gaussian noise must
 * give the Java backend's bits) is built with {@code -cl-fp32-correctly-rounded-divide-sqrt}: OpenCL
 * allows 2.5 ulp for a float divide and 3 ulp for sqrt otherwise.
 */
final class KernelLibrary implements AutoCloseable {
    static final String ONE_KERNEL = "ONE_KERNEL";
    static final String EXACT_DIVIDE_SQRT = "CLGRAD_EXACT_DIVIDE_SQRT";
    private static final Pattern INCLUDE = Pattern.compile("^[ \\t]*#include[ \\t]+\"([^\"]+)\"[ \\t]*$", Pattern.MULTILINE);

    private final ClApi api;
    private final ClApi.Context context;
    private final ClApi.Device device;
    private final String deviceName;
    private final String driverVersion;
    private final DeviceProfile profile;
    private final ProgramCache cache;
    private final Map<String, ClApi.Program> programs = new HashMap<>();
    private final Map<String, ClApi.Kernel> kernels = new HashMap<>();
    private final Map<String, String> sources = new HashMap<>();
    private final List<ProgramBuild> builds = new ArrayList<>();
    private final Map<ClApi.Program, Source> built = new IdentityHashMap<>();

    /** What a program was built from: its name in build logs, its whole source and its options. */
    record Source(String name, String text, String options) {
    }

    KernelLibrary(ClApi api, ClApi.Context context, ClApi.Device device, String deviceName, String driverVersion,
                  DeviceProfile profile, ProgramCache cache) {
        this.api = api;
        this.context = context;
        this.device = device;
        this.deviceName = deviceName;
        this.driverVersion = driverVersion;
        this.profile = profile;
        this.cache = cache;
    }

    DeviceProfile profile() {
        return profile;
    }

    /** The kernel {@code name} of {@code file}, building the program on first use. */
    synchronized ClApi.Kernel kernel(String file, String name) {
        String key = file + "#" + name;
        ClApi.Kernel k = kernels.get(key);
        if (k == null) {
            k = api.createKernel(cachedSource(file).contains(ONE_KERNEL) ? program(file, name) : program(file), name);
            kernels.put(key, k);
        }
        return k;
    }

    /**
     * A new kernel object for {@code name} of {@code file}, owned by the caller (who releases it):
     * a prepared launch keeps its arguments set on its own object, which no other launch touches.
     */
    synchronized ClApi.Kernel newKernel(String file, String name) {
        return api.createKernel(cachedSource(file).contains(ONE_KERNEL) ? program(file, name) : program(file), name);
    }

    /** Builds {@code file} with every entry point (from the cache when possible). */
    synchronized ClApi.Program program(String file) {
        ClApi.Program p = programs.get(file);
        if (p == null) {
            p = kept(file, cachedSource(file), options(file));
            programs.put(file, p);
        }
        return p;
    }

    /**
     * Builds what {@code kernels} (file → entry points, a step's) needs and is not built yet as one
     * program: each whole file, and the named entry points of each {@value #ONE_KERNEL} file
     * ({@code -DKERNEL_a -DKERNEL_b ...}, in name order), the files concatenated in name order with
     * every include once ({@link #source(List)}), so the same set is the same cache entry; {@link
     * #kernel} and {@link #newKernel} then use it. A driver's cost is mostly per program: on PoCL 3.1
     * the eight entry points of the Fashion-MNIST MLP's step built in 2.5 s as eight programs and
     * 0.3 s as one with its kernel cache empty, and loss.cl, reduce.cl and adam.cl in 0.67 s as three
     * and 0.3 s as one. Files that need their own options ({@value #EXACT_DIVIDE_SQRT}) and a single
     * missing file or entry point are left to their first use.
     */
    synchronized void prebuild(Map<String, ? extends Collection<String>> kernels) {
        List<String> files = new ArrayList<>();
        List<String> entryPoints = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        new TreeMap<>(kernels).forEach((file, names) -> {
            String source = cachedSource(file);
            if (source.contains(EXACT_DIVIDE_SQRT)) {
                return;
            }
            if (!source.contains(ONE_KERNEL)) {
                if (!programs.containsKey(file)) {
                    files.add(file);
                    keys.add(file);
                }
                return;
            }
            List<String> missing = names.stream().distinct().filter(n -> !programs.containsKey(file + "#" + n))
                    .sorted().toList();
            if (!missing.isEmpty()) {
                files.add(file);
                entryPoints.addAll(missing);
                missing.forEach(n -> keys.add(file + "#" + n));
            }
        });
        if (keys.size() < 2) {
            return;
        }
        String options = entryPoints.isEmpty() ? profile.buildOptions()
                : oneKernelOptions(profile.buildOptions(), entryPoints.toArray(String[]::new));
        ClApi.Program p = kept(String.join(" + ", keys), source(files), options);
        for (String key : keys) {
            programs.put(key, p);
        }
    }

    /** Builds only the entry point {@code kernel} of a {@value #ONE_KERNEL} file. */
    private ClApi.Program program(String file, String kernel) {
        String key = file + "#" + kernel;
        ClApi.Program p = programs.get(key);
        if (p == null) {
            p = kept(key, cachedSource(file), oneKernelOptions(options(file), kernel));
            programs.put(key, p);
        }
        return p;
    }

    /** The profile's options, with correctly rounded divide and sqrt where the file asks for them. */
    private String options(String file) {
        String options = profile.buildOptions();
        if (!cachedSource(file).contains(EXACT_DIVIDE_SQRT)) {
            return options;
        }
        return options.isEmpty() ? "-cl-fp32-correctly-rounded-divide-sqrt"
                : options + " -cl-fp32-correctly-rounded-divide-sqrt";
    }

    /** {@code options} plus the defines that select the entry points {@code kernels} of a {@value #ONE_KERNEL} file. */
    static String oneKernelOptions(String options, String... kernels) {
        StringBuilder sb = new StringBuilder(options);
        sb.append(sb.length() == 0 ? "" : " ").append("-D").append(ONE_KERNEL);
        for (String k : kernels) {
            sb.append(" -DKERNEL_").append(k);
        }
        return sb.toString();
    }

    private String cachedSource(String file) {
        return sources.computeIfAbsent(file, KernelLibrary::source);
    }

    /** Whether program binaries are loaded from and stored in the cache. */
    boolean cachesBinaries() {
        return cache.enabled();
    }

    /**
     * The source of the program that kernel {@code name} of {@code file} comes from, building it as
     * {@link #kernel} would when it is not built yet.
     */
    synchronized Source sourceOf(String file, String name) {
        return built.get(cachedSource(file).contains(ONE_KERNEL) ? program(file, name) : program(file));
    }

    /** Every program built so far, in order, with its timing. */
    synchronized List<ProgramBuild> builds() {
        return List.copyOf(builds);
    }

    /** {@link #build}, for a program this library keeps (and releases at {@link #close}), its source remembered. */
    private ClApi.Program kept(String name, String source, String options) {
        ClApi.Program p = build(name, source, options);
        built.put(p, new Source(name, source, options));
        return p;
    }

    /**
     * Compiles {@code source} (named {@code file} in errors) with {@code options}: the cached binary
     * when one verifies and the driver accepts it, else the source, whose binary is then cached (the
     * binary is only fetched when the cache is on: on some drivers fetching it costs a compile).
     *
     * @throws KernelBuildException with the whole build log when the source does not compile
     */
    ClApi.Program build(String file, String source, String options) {
        long t0 = System.nanoTime();
        String key = ProgramCache.key(deviceName, driverVersion, source, options);
        byte[] binary = cache.load(key);
        if (binary != null) {
            ClApi.Program cached = null;
            try {
                cached = api.programFromBinary(context, device, binary);
                if (api.build(cached, device, options) == 0) {
                    builds.add(new ProgramBuild(file, true, (System.nanoTime() - t0) / 1e6));
                    return cached;
                }
                cache.evict(key, "the driver could not build it");
            } catch (OpenClException e) {
                cache.evict(key, e.getMessage());
            }
            if (cached != null) {
                api.release(cached);
            }
        }
        ClApi.Program program = null;
        for (int attempt = 1; program == null; attempt++) {
            ClApi.Program built = api.programFromSource(context, source);
            int status = api.build(built, device, options);
            if (status == 0) {
                program = built;
            } else {
                String log = api.buildLog(built, device);
                api.release(built);
                if (attempt > 1 || !lostCacheRace(log)) {
                    throw new KernelBuildException(file, deviceName, options, status, log);
                }
            }
        }
        if (cache.enabled()) {
            cache.store(key, api.binary(program));
        }
        builds.add(new ProgramBuild(file, false, (System.nanoTime() - t0) / 1e6));
        return program;
    }

    /**
     * Whether a failed build lost PoCL's kernel-cache race: two processes compiling the same program
     * into the same cache folder at once, one of them finds its temporary file renamed away
     * ("unable to rename temporary ... to output file ..."). The other process has written the
     * file by then, so one more build succeeds.
     */
    static boolean lostCacheRace(String buildLog) {
        return buildLog != null && buildLog.contains("unable to rename temporary") && buildLog.contains("kcache");
    }

    /**
     * The text of a kernel file with its includes inlined, each once, and {@code #line} markers
     * around every inlined file, so that a build log names the file and line of an error.
     */
    static String source(String file) {
        return source(List.of(file));
    }

    /**
     * The files' texts, in order, as one program: each include inlined once across all of them (so
     * common.cl comes with the first file that includes it). Every file of opencl-kernels/ builds
     * beside every other (KernelFilesBuildTest): no two of them define the same name differently.
     */
    static String source(List<String> files) {
        Set<String> seen = new HashSet<>();
        StringBuilder out = new StringBuilder();
        for (String file : files) {
            out.append(inline(file, seen));
        }
        return out.toString();
    }

    private static String inline(String file, Set<String> seen) {
        if (!seen.add(file)) {
            return "";
        }
        String text = read(file);
        Matcher m = INCLUDE.matcher(text);
        StringBuilder out = new StringBuilder("#line 1 \"").append(file).append("\"\n");
        int line = 1;
        int at = 0;
        while (m.find()) {
            line += newlines(text, at, m.end());
            at = m.end();
            m.appendReplacement(out, Matcher.quoteReplacement(inline(m.group(1), seen) + "#line " + (line + 1)
                    + " \"" + file + "\""));
        }
        m.appendTail(out);
        return text.endsWith("\n") ? out.toString() : out.append('\n').toString();
    }

    private static int newlines(String text, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            if (text.charAt(i) == '\n') {
                n++;
            }
        }
        return n;
    }

    private static String read(String file) {
        Path dir = Config.kernelsDir();
        try {
            if (dir != null) {
                return Files.readString(dir.resolve(file));
            }
            try (InputStream in = KernelLibrary.class.getClassLoader().getResourceAsStream("opencl-kernels/" + file)) {
                if (in == null) {
                    throw new NoSuchFileException("opencl-kernels/" + file + " (classpath)");
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new BackendException("kernel source " + file + " cannot be read: " + e, e);
        }
    }

    /** Releases kernels then programs; never throws. */
    @Override
    public synchronized void close() {
        kernels.values().forEach(api::release);
        kernels.clear();
        Set<ClApi.Program> distinct = Collections.newSetFromMap(new IdentityHashMap<>());
        distinct.addAll(programs.values());
        distinct.forEach(api::release);
        programs.clear();
        built.clear();
    }
}
