package io.jverbs.verbs;

import io.jverbs.core.NativeResource;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.IbVerbs;
import io.jverbs.verbs.ffi.ibv_cq;

import java.lang.foreign.MemorySegment;

/**
 * A completion queue ({@code struct ibv_cq}). {@link #poll} is the data path: it calls the
 * provider's {@code poll_cq} directly and fills a reusable {@link WorkCompletions} array, so a
 * poll allocates nothing. Poll from one thread at a time (providers lock, but interleaved
 * polls split completions between threads unpredictably).
 */
public final class CompletionQueue extends NativeResource {
    private final Context context;
    private final MemorySegment cq;
    private final MemorySegment pollFn;
    private final MemorySegment notifyFn;
    private final CompletionChannel channel;
    private int unackedEvents;

    CompletionQueue(Context context, int entries, CompletionChannel channel, int vector) {
        super(context, channel);
        if (entries < 1) {
            throw new IllegalArgumentException("a CQ needs at least one entry, got " + entries);
        }
        this.context = context;
        this.channel = channel;
        MemorySegment c = IbVerbs.ibv_create_cq(context.segment(), entries, MemorySegment.NULL,
                channel == null ? MemorySegment.NULL : channel.segment(), vector);
        if (Native.isNull(c)) {
            throw VerbsException.fromErrno("ibv_create_cq");
        }
        this.cq = c.reinterpret(ibv_cq.sizeof());
        this.pollFn = context.pollCq;
        this.notifyFn = context.reqNotifyCq;
        if (channel != null) {
            channel.register(this, cq.address());
        }
        attach();
    }

    public Context context() {
        return context;
    }

    /** The {@code struct ibv_cq *}. */
    public MemorySegment segment() {
        checkOpen();
        return cq;
    }

    /** Entries the CQ really has (the provider may round up). */
    public int capacity() {
        checkOpen();
        return ibv_cq.cqe(cq);
    }

    /** Polls up to {@code wc.capacity()} completions; returns how many were written. */
    public int poll(WorkCompletions wc) {
        return poll(wc, wc.capacity());
    }

    /** Polls up to {@code max} completions into {@code wc} starting at index 0. */
    public int poll(WorkCompletions wc, int max) {
        checkOpen();
        if (max > wc.capacity()) {
            throw new IllegalArgumentException("max " + max + " exceeds the WorkCompletions capacity " + wc.capacity());
        }
        int n;
        try {
            n = (int) Ops.POLL_CQ.invokeExact(pollFn, cq, max, wc.segment());
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        if (n < 0) {
            throw new VerbsException("ibv_poll_cq", -n, "The CQ overran or the device failed: size the CQ for all outstanding work");
        }
        return n;
    }

    /**
     * Arms the CQ: the next completion (only a solicited one, if {@code solicitedOnly}) raises
     * one event on the completion channel.
     */
    public void requestNotify(boolean solicitedOnly) {
        checkOpen();
        if (channel == null) {
            throw new IllegalStateException("this CQ was created without a completion channel");
        }
        int rc;
        try {
            rc = (int) Ops.REQ_NOTIFY_CQ.invokeExact(notifyFn, cq, solicitedOnly ? 1 : 0);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        VerbsException.check("ibv_req_notify_cq", rc);
    }

    /** The channel this CQ reports events to, or null. */
    public CompletionChannel channel() {
        return channel;
    }

    synchronized void eventReceived() {
        unackedEvents++;
    }

    /** Events received by {@link CompletionChannel#awaitEvent} and not yet acknowledged. */
    public synchronized int unackedEvents() {
        return unackedEvents;
    }

    /**
     * Acknowledges the events received so far ({@code ibv_ack_cq_events}); acking is a mutex
     * operation in libibverbs, so batch it. Destroying a CQ waits for all its events to be
     * acked: {@link #close()} does it.
     */
    public synchronized void ackEvents() {
        checkOpen();
        ackPending();
    }

    private void ackPending() {
        if (unackedEvents > 0) {
            IbVerbs.ibv_ack_cq_events(cq, unackedEvents);
            unackedEvents = 0;
        }
    }

    @Override
    protected void destroy() {
        synchronized (this) {
            ackPending();
        }
        if (channel != null) {
            channel.unregister(cq.address());
        }
        VerbsException.check("ibv_destroy_cq", IbVerbs.ibv_destroy_cq(cq));
    }
}
