package io.jverbs.core;

import java.util.LinkedHashSet;

/**
 * Base of every wrapper that owns a native object.
 *
 * <p>Lifetime rules (the same for verbs and DPDK objects):
 * <ul>
 *   <li>A resource registers with its parent when created; the parent closes its live children,
 *       newest first, before releasing its own native object (QP before CQ and PD, MR before PD,
 *       PD before the device context). A parent that is already closed refuses new children.</li>
 *   <li>{@link #close()} is idempotent and thread-safe.</li>
 *   <li>Every operation on a closed resource throws {@link IllegalStateException} before native
 *       memory is touched, so a use after close never crashes the JVM.</li>
 * </ul>
 * Closing a resource while another thread is still inside one of its data-path calls is not
 * supported: close after the threads that post and poll have stopped.
 */
public abstract class NativeResource implements AutoCloseable {
    private final NativeResource parent;
    private final LinkedHashSet<NativeResource> children = new LinkedHashSet<>();
    private volatile boolean closed;

    /** A resource under {@code parent}, or a root when {@code parent} is null. */
    protected NativeResource(NativeResource parent) {
        this.parent = parent;
    }

    /**
     * Registers this resource with its parent. Call it once the native object exists; if the
     * parent was closed meanwhile, this releases the new native object and throws.
     */
    protected final void attach() {
        if (parent == null) {
            return;
        }
        boolean accepted;
        synchronized (parent.children) {
            accepted = !parent.closed;
            if (accepted) {
                parent.children.add(this);
            }
        }
        if (!accepted) {
            closed = true;
            destroy();
            throw new IllegalStateException(parent.describe() + " was closed while creating " + describe());
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
            if (parent != null) {
                synchronized (parent.children) {
                    parent.children.remove(this);
                }
            }
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
