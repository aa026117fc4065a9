package dev.clgrad.tensor;

import dev.clgrad.Config;
import dev.clgrad.Diagnostics;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicLong;
import static java.lang.System.Logger.Level.WARNING;

/**
 * A float32 tensor resident on one backend's device. Data moves to the host only when asked
 * ({@link #toArray}, {@link #item}). The tensor that allocated its buffer owns it and gives it
 * back to the backend's pool on {@link #close}; a {@link #view} shares its parent's buffer and
 * owns nothing. {@code close()} is idempotent; any other use after close is an
 * {@link IllegalStateException} naming the tensor.
 *
 * <p>An owning tensor that becomes unreachable without being closed is reported (never freed) by a
 * {@link Cleaner}, with the allocation site when {@code -Dclgrad.debug.allocations=true}.
 */
public final class Tensor implements AutoCloseable {
    private static final AtomicLong SEQUENCE = new AtomicLong();
    private static final Cleaner CLEANER = Cleaner.create();
    private static final System.Logger LOG = Diagnostics.logger(Tensor.class);
    /** What {@link #zero} uploads at a time; never written. */
    private static final float[] ZEROS = new float[1 << 16];

    /** Reports the tensor if it is collected while still open. Holds no reference to the tensor. */
    private static final class LeakReport implements Runnable {
        private final String what;
        private final Throwable site;
        private volatile boolean closed;

        LeakReport(String what, Throwable site) {
            this.what = what;
            this.site = site;
        }

        @Override
        public void run() {
            if (!closed) {
                LOG.log(WARNING, "tensor " + what + " was never closed: its device buffer stays allocated"
                        + (site == null ? " (run with -Dclgrad.debug.allocations=true to see where it was allocated)"
                        : "; allocated at:\n" + stackTrace(site)));
            }
        }

        private static String stackTrace(Throwable t) {
            StringBuilder sb = new StringBuilder();
            for (StackTraceElement e : t.getStackTrace()) {
                sb.append("    at ").append(e).append('\n');
            }
            return sb.toString();
        }
    }

    private final DeviceMemory backend;
    private final DeviceBuffer buffer;
    private final long offset;
    private final Shape shape;
    private final String name;
    private final Tensor parent;
    private final LeakReport leakReport;
    private final Cleaner.Cleanable cleanable;
    private boolean closed;

    private Tensor(DeviceMemory backend, DeviceBuffer buffer, long offset, Shape shape, String name, Tensor parent) {
        this.backend = backend;
        this.buffer = buffer;
        this.offset = offset;
        this.shape = shape;
        this.name = name;
        this.parent = parent;
        if (parent == null) {
            leakReport = new LeakReport(name + " " + shape + " on " + backend.id(),
                    Config.debugAllocations() ? new Throwable("allocation site") : null);
            cleanable = CLEANER.register(this, leakReport);
        } else {
            leakReport = null;
            cleanable = null;
        }
    }

    /** An uninitialised tensor on {@code backend}. */
    public static Tensor empty(DeviceMemory backend, Shape shape, String name) {
        long n = Math.max(shape.size(), 1);
        return new Tensor(backend, backend.allocate(n), 0, shape, name, null);
    }

    public static Tensor empty(DeviceMemory backend, Shape shape) {
        return empty(backend, shape, "tensor#" + SEQUENCE.incrementAndGet());
    }

    /** A tensor of zeros. */
    public static Tensor zeros(DeviceMemory backend, Shape shape) {
        Tensor t = empty(backend, shape);
        t.zero();
        return t;
    }

    /** Uploads {@code data} (row-major, length = product of dims) into a new tensor. Not modified. */
    public static Tensor of(DeviceMemory backend, float[] data, int... dims) {
        Shape shape = Shape.of(dims);
        if (data.length != shape.size()) {
            throw new IllegalArgumentException("Tensor.of: " + data.length + " values do not fill shape " + shape
                    + " (" + shape.size() + " elements)");
        }
        Tensor t = empty(backend, shape);
        t.copyFrom(data);
        return t;
    }

    /**
     * A view of {@code shape.size()} elements starting {@code elementOffset} elements into this
     * tensor's storage. It shares the storage and owns nothing: closing it frees nothing.
     */
    public Tensor view(long elementOffset, Shape viewShape, String viewName) {
        checkOpen();
        if (elementOffset < 0 || elementOffset + viewShape.size() > shape.size()) {
            throw new IllegalArgumentException("view " + viewName + ": offset " + elementOffset + " and shape "
                    + viewShape + " fall outside " + name + " " + shape);
        }
        return new Tensor(backend, buffer, offset + elementOffset, viewShape, viewName, this);
    }

    /** The same storage seen with another shape of the same size. */
    public Tensor reshape(int... dims) {
        Shape s = Shape.of(dims);
        if (s.size() != shape.size()) {
            throw new IllegalArgumentException("reshape " + name + ": " + shape + " has " + shape.size()
                    + " elements, " + s + " has " + s.size());
        }
        return view(0, s, name);
    }

    /** The first {@code n} rows, as a view. */
    public Tensor rows(int n) {
        int[] d = shape.dims();
        if (n < 0 || n > d[0]) {
            throw new IllegalArgumentException("rows: " + name + " " + shape + " has no " + n + " rows");
        }
        d[0] = n;
        return view(0, Shape.of(d), name);
    }

    /** Overwrites the contents from the host; {@code data.length} must equal the size. Not modified. */
    public void copyFrom(float[] data) {
        checkOpen();
        if (data.length != shape.size()) {
            throw new IllegalArgumentException("copyFrom " + name + ": " + data.length + " values for shape " + shape);
        }
        backend.upload(data, 0, buffer, offset, data.length);
    }

    /**
     * Sets every element to 0, uploading a small block of zeros at a time, so that zeroing a large
     * tensor takes no host array of its size. Modified: this.
     */
    public void zero() {
        checkOpen();
        long n = shape.size();
        for (long done = 0; done < n; done += ZEROS.length) {
            backend.upload(ZEROS, 0, buffer, offset + done, (int) Math.min(ZEROS.length, n - done));
        }
    }

    /** Waits for pending work, then copies the contents to a new host array. */
    public float[] toArray() {
        checkOpen();
        float[] out = new float[Math.toIntExact(shape.size())];
        backend.download(buffer, offset, out, 0, out.length);
        return out;
    }

    /** The single element of a one-element tensor. */
    public float item() {
        checkOpen();
        if (shape.size() != 1) {
            throw new IllegalStateException("item: " + name + " has shape " + shape + ", expected one element");
        }
        float[] out = new float[1];
        backend.download(buffer, offset, out, 0, 1);
        return out[0];
    }

    public Shape shape() {
        return shape;
    }

    public String name() {
        return name;
    }

    /** The device memory holding this tensor. */
    public DeviceMemory memory() {
        return backend;
    }

    /** The storage; for backends. */
    public DeviceBuffer buffer() {
        checkOpen();
        return buffer;
    }

    /** Element offset of this view into {@link #buffer()}. */
    public long offset() {
        return offset;
    }

    /** Whether the two tensors' element ranges overlap in one buffer. */
    public boolean sharesStorageWith(Tensor other) {
        return buffer == other.buffer && offset < other.offset + other.shape.size()
                && other.offset < offset + shape.size();
    }

    public boolean isClosed() {
        return closed || (parent != null && parent.isClosed());
    }

    private void checkOpen() {
        if (isClosed()) {
            throw new IllegalStateException("tensor " + name + " " + shape + " is closed");
        }
    }

    /** Gives an owned buffer back to the backend; idempotent. A view frees nothing. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (parent == null) {
            leakReport.closed = true;
            cleanable.clean();
            backend.release(buffer);
        }
    }

    @Override
    public String toString() {
        return "Tensor " + name + " " + shape + " on " + backend.id();
    }
}
