package io.jverbs.core;

import java.util.LinkedHashSet;

/**
 * Base of every wrapper that owns a native object.
 *
 * <p>Lifetime rules (the same for verbs and DPDK objects):
 * <ul>
 *   <li>A resource registers with its parent, and with every other resource it uses, when created;
 *       each of them closes its live children, newest first, before releasing its own native
 *       object. So a QP is closed before its PD, its CQs and its SRQ, an MR before its PD, a PD
 *       before the device context, whatever order they were created in. A resource that is
 *       already closed refuses new children.</li>
 *   <li>{@link #close()} is idempotent and thread-safe.</li>
 *   <li>Every operation on a closed resource throws {@link IllegalStateException} before native
 *       memory is touched, so a use after close never crashes the JVM.</li>
 * </ul>
 * Closing a resource while another thread is still inside one of its data-path calls is not
 * supported: close after the threads that post and poll have stopped.
 */
public abstract class NativeResource implements AutoCloseable {
    private final NativeResource parent;
    private final NativeResource[] owners;
    private final LinkedHashSet<NativeResource> children = new LinkedHashSet<>();
    private volatile boolean closed;

    /**
     * A resource under {@code parent} (a root when null) that also uses {@code uses} (null
     * entries are ignored): it will be closed before any of them.
     */
    protected NativeResource(NativeResource parent, NativeResource... uses) {
        this.parent = parent;
        java.util.ArrayList<NativeResource> all = new java.util.ArrayList<>();
        if (parent != null) all.add(parent);
        for (NativeResource u : uses) {
            if (u != null && !all.contains(u)) all.add(u);
        }
        this.owners = all.toArray(new NativeResource[0]);
    }

    /**
     * Registers this resource with its parent and the resources it uses. Call it once the native
     * object exists; if one of them was closed meanwhile, this releases the new native object and
     * throws.
     */
    protected final void attach() {
        for (int i = 0; i < owners.length; i++) {
            NativeResource owner = owners[i];
            boolean accepted;
            synchronized (owner.children) {
                accepted = !owner.closed;
                if (accepted) {
                    owner.children.add(this);
                }
            }
            if (!accepted) {
                detach(i);
                closed = true;
                destroy();
                throw new IllegalStateException(owner.describe() + " was closed while creating " + describe());
            }
        }
    }

    private void detach(int count) {
        for (int i = 0; i < count; i++) {
            synchronized (owners[i].children) {
                owners[i].children.remove(this);
            }
        }
    }

    /** Throws {@link IllegalStateException} when this resource is closed. */
    protected final void checkOpen() {
        if (closed) {
            throw closedException();
        }
    }

    protected final IllegalStateException closedException() {
        return new IllegalStateException(describe() + " is closed");
    }

    public final boolean isClosed() {
        return closed;
    }

    /** The parent this resource was created under, or null. */
    protected final NativeResource parent() {
        return parent;
    }

    /** Closes live children (newest first), then releases the native object. */
    @Override
    public final void close() {
        NativeResource[] snapshot;
        synchronized (children) {
            if (closed) {
                return;
            }
            closed = true;
            snapshot = children.toArray(new NativeResource[0]);
        }
        RuntimeException failure = null;
        for (int i = snapshot.length - 1; i >= 0; i--) {
            try {
                snapshot[i].close();
            } catch (RuntimeException e) {
                if (failure == null) failure = e; else failure.addSuppressed(e);
            }
        }
        try {
            destroy();
        } catch (RuntimeException e) {
            if (failure == null) failure = e; else failure.addSuppressed(e);
        } finally {
            detach(owners.length);
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Number of live children, for tests and diagnostics. */
    public final int liveChildren() {
        synchronized (children) {
            return children.size();
        }
    }

    /** Releases the native object. Called exactly once, after all children are closed. */
    protected abstract void destroy();

    /** Names this resource in error messages. */
    protected String describe() {
        return getClass().getSimpleName();
    }
}
