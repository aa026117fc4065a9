package dev.clgrad.cli;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A data set read on a thread of its own while the command opens the backend and builds the
 * model: Fashion-MNIST's read (gunzip and conversion, about 0.4 s) then overlaps the kernel builds
 * instead of coming before them. {@link #get} gives the data, or throws what the read threw.
 */
final class Loading<T> {
    /** A read that may fail with an {@link IOException}. */
    interface Read<T> {
        T read() throws IOException;
    }

    private final CompletableFuture<T> result = new CompletableFuture<>();

    private Loading() {
    }

    /** Starts {@code read} on a daemon thread named {@code clgrad-data}. */
    static <T> Loading<T> start(Read<T> read) {
        Loading<T> l = new Loading<>();
        Thread t = new Thread(() -> {
            try {
                l.result.complete(read.read());
            } catch (Throwable e) {
                l.result.completeExceptionally(e);
            }
        }, "clgrad-data");
        t.setDaemon(true);
        t.start();
        return l;
    }

    /** Waits for the read: its value, or its exception as it was thrown. */
    T get() throws IOException {
        try {
            return result.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException r) {
                throw r;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IOException(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while the data loaded");
        }
    }
}
