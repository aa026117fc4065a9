package dev.clgrad.exec;

import dev.clgrad.backend.Backend;
import dev.clgrad.backend.DeviceInfo;
import dev.clgrad.backend.ProfileSink;
import dev.clgrad.backend.Span;
import dev.clgrad.ops.Activation;
import dev.clgrad.ops.AdamUpdate;
import dev.clgrad.ops.Composite;
import dev.clgrad.ops.Epilogue;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.Op;
import dev.clgrad.tensor.DeviceBuffer;
import dev.clgrad.tensor.Tensor;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A {@link Backend} that computes nothing and needs no device: buffers have no storage (uploads are
 * dropped, downloads read zeros), {@link #run} validates the op, checks that every operand is an
 * open buffer of this backend (so an unbound workspace value or a closed tensor fails here), and
 * records it with the layers of the launch (the name of the enclosing {@link #span}) and the
 * counters it reads at that moment (a mask's Philox base, Adam's step). {@link #prepare} counts the
 * ops it binds; the launch it returns records at each replay. What it {@link #fuses} is a
 * predicate: by default {@link #likeOpenClNaive}, the OpenCL backend's answer at naive shapes.
 *
 * <p>For plan tests only: a step on it shows which launches a model plans, in order, and what each
 * reads and writes, without OpenCL and without arithmetic.
 */
final class RecordingBackend implements Backend {

    /** One launch as it ran: the op, the layers it belongs to, the dynamic values it read. */
    record Run(Op op, String label, List<Long> maskOffsets, long adamStep) {
    }

    /** A buffer with no storage. */
    private static final class Fake extends DeviceBuffer {
        final RecordingBackend owner;
        boolean released;

        Fake(RecordingBackend owner, long floats) {
            super(floats);
            this.owner = owner;
        }
    }

    private final DeviceInfo info = new DeviceInfo("recording", "java", "recording backend (no arithmetic)",
            "clgrad tests", "CPU", "none", "none", 1, 1L << 40, 1L << 40);
    private final List<Run> runs = new ArrayList<>();
    private final Map<Op, Integer> prepared = new IdentityHashMap<>();
    private final Predicate<Op> fuses;
    private String launchLabel;
    private int live;
    private int prepares;
    private boolean closed;

    /** A backend whose {@link #fuses} is {@link #likeOpenClNaive}. */
    RecordingBackend() {
        this(RecordingBackend::likeOpenClNaive);
    }

    RecordingBackend(Predicate<Op> fuses) {
        this.fuses = fuses;
    }

    /**
     * The OpenCL backend's capabilities at naive shapes: every plain op; a MatMul with no epilogue,
     * with a forward epilogue that has a bias (NN), or with a ReLU gate (NT); every Composite.
     */
    static boolean likeOpenClNaive(Op op) {
        if (op instanceof MatMul m) {
            Epilogue e = m.epilogue();
            if (e.isNone() || e.isGate() && e.activation() == Activation.LINEAR) {
                return true;
            }
            if (e.isGate()) {
                return e.activation() == Activation.RELU && !m.transA() && m.transB() && m.beta() == 0f;
            }
            return e.bias() != null && !m.transA() && !m.transB() && m.beta() == 0f;
        }
        return true;
    }

    /** The launches run so far, in order. */
    List<Run> runs() {
        return List.copyOf(runs);
    }

    /** The ops run so far, in order. */
    List<Op> ops() {
        return runs.stream().map(Run::op).toList();
    }

    /** Forgets the launches run so far (not the prepare count). */
    void clearRuns() {
        runs.clear();
    }

    /** Calls of {@link #prepare} so far. */
    int prepares() {
        return prepares;
    }

    /** Distinct ops prepared so far. */
    int distinctPrepared() {
        return prepared.size();
    }

    @Override
    public DeviceInfo info() {
        return info;
    }

    @Override
    public void run(Op op) {
        checkOpen();
        op.validate();
        for (List<Tensor> ts : List.of(op.inputs(), op.outputs())) {
            for (Tensor t : ts) {
                own(t.buffer(), op.name() + " operand " + t.name());
            }
        }
        List<Long> offsets = new ArrayList<>();
        long step = -1;
        for (Op part : op instanceof Composite c ? c.parts() : List.of(op)) {
            if (part instanceof MatMul m && m.epilogue().mask() != null) {
                offsets.add(m.epilogue().mask().offset().get());
            }
            if (part instanceof AdamUpdate a) {
                step = a.step().get();
            }
        }
        runs.add(new Run(op, launchLabel, List.copyOf(offsets), step));
    }

    @Override
    public boolean fuses(Op op) {
        op.validate();
        return fuses.test(op);
    }

    /** One kernel named by the op where {@link #fuses}, else one per part of its decomposition. */
    @Override
    public List<String> kernels(Op op) {
        if (fuses(op)) {
            return List.of(op.name());
        }
        List<Op> parts = op instanceof Composite c ? c.parts() : op instanceof MatMul m ? m.decompose() : List.of(op);
        return parts.stream().map(Op::name).toList();
    }

    @Override
    public Launch prepare(Op op) {
        checkOpen();
        op.validate();
        prepares++;
        prepared.merge(op, 1, Integer::sum);
        return () -> run(op);
    }

    @Override
    public void profile(ProfileSink sink) {
    }

    /** Remembers the span's name as the layers of the next launch (the program opens one per launch). */
    @Override
    public Span span(String name) {
        launchLabel = name;
        return Span.NONE;
    }

    @Override
    public DeviceBuffer allocate(long floats) {
        checkOpen();
        if (floats < 1) {
            throw new IllegalArgumentException("allocate: at least one float, asked for " + floats);
        }
        live++;
        return new Fake(this, floats);
    }

    @Override
    public void release(DeviceBuffer buffer) {
        Fake f = own(buffer, "release");
        f.released = true;
        live--;
    }

    @Override
    public void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
        Fake f = own(dst, "upload");
        range("upload", src.length, srcOffset, f, dstOffset, count);
    }

    @Override
    public void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count) {
        Fake f = own(src, "download");
        range("download", dst.length, dstOffset, f, srcOffset, count);
        java.util.Arrays.fill(dst, dstOffset, dstOffset + count, 0f);
    }

    private static void range(String what, int hostLength, int hostOffset, Fake f, long deviceOffset, int count) {
        if (count < 0 || hostOffset < 0 || hostOffset + count > hostLength || deviceOffset < 0
                || deviceOffset + count > f.floats()) {
            throw new IllegalArgumentException(what + ": " + count + " floats at host " + hostOffset + " of "
                    + hostLength + ", device " + deviceOffset + " of " + f.floats());
        }
    }

    private Fake own(DeviceBuffer b, String what) {
        if (!(b instanceof Fake f) || f.owner != this) {
            throw new IllegalArgumentException(what + ": the buffer is not this recording backend's (" + b + ")");
        }
        if (f.released) {
            throw new IllegalStateException(what + ": the buffer was released");
        }
        return f;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("recording backend is closed");
        }
    }

    @Override
    public int liveBuffers() {
        return live;
    }

    @Override
    public Transfers transfers() {
        return new Transfers(0, 0);
    }

    @Override
    public void finish() {
    }

    @Override
    public void close() {
        closed = true;
    }
}
