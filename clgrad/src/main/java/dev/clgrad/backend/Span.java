package dev.clgrad.backend;

/**
 * A host span opened by {@link Backend#span}; closing it reports it to the profile sink. When
 * profiling is off, {@link #NONE} is returned and closing it does nothing.
 */
public final class Span implements AutoCloseable {
    /** The span returned while profiling is off. */
    public static final Span NONE = new Span(null, null, 0);

    private final ProfileSink sink;
    private final String name;
    private final long startNs;

    private Span(ProfileSink sink, String name, long startNs) {
        this.sink = sink;
        this.name = name;
        this.startNs = startNs;
    }

    /** A span starting now that reports to {@code sink} (null: {@link #NONE}). */
    public static Span open(ProfileSink sink, String name) {
        return sink == null ? NONE : new Span(sink, name, System.nanoTime());
    }

    /** Reports the span; never throws. */
    @Override
    public void close() {
        if (sink != null) {
            sink.span(new ProfileSink.HostSpan(name, Thread.currentThread().getName(), startNs, System.nanoTime()));
        }
    }
}
