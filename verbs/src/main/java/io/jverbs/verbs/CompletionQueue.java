package io.jverbs.verbs;

import io.jverbs.core.NativeResource;
import io.jverbs.core.NotSupportedException;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.IbVerbs;
import io.jverbs.verbs.ffi.ibv_cq;
import io.jverbs.verbs.ffi.ibv_cq_ex;
import io.jverbs.verbs.ffi.ibv_cq_init_attr_ex;
import io.jverbs.verbs.ffi.verbs_context;
import io.jverbs.verbs.internal.Checks;
import io.jverbs.verbs.spi.ContextOps;
import io.jverbs.verbs.spi.ProviderException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;

/**
 * A completion queue ({@code struct ibv_cq}). {@link #poll} is the data path: it calls the
 * provider's {@code poll_cq} directly and fills a reusable {@link WorkCompletions} array, so a
 * poll allocates nothing. Poll from one thread at a time (providers lock, but interleaved
 * polls split completions between threads unpredictably).
 */
public final class CompletionQueue extends NativeResource {
    /**
     * How to create a CQ: {@code CompletionQueue.Config.of(256).channel(ch).extended(CompletionFields.STANDARD)}.
     * Fluent and mutable; {@link Context#createCompletionQueue(Config)} reads it once.
     */
    public static final class Config {
        final int entries;
        CompletionChannel channel;
        int vector;
        long fields = -1;

        private Config(int entries) {
            if (entries < 1) {
                throw new IllegalArgumentException("a CQ needs at least one entry, got " + entries);
            }
            this.entries = entries;
        }

        /** A CQ of at least {@code entries} entries (the provider may round up: {@link CompletionQueue#capacity()}). */
        public static Config of(int entries) {
            return new Config(entries);
        }

        /** Deliver completion events to {@code channel} (null: none, poll only). */
        public Config channel(CompletionChannel channel) {
            this.channel = channel;
            return this;
        }

        /** The completion vector (interrupt line) for events, below {@link Context#completionVectors()}; default 0. */
        public Config vector(int vector) {
            if (vector < 0) {
                throw new IllegalArgumentException("completion vector must be >= 0, got " + vector);
            }
            this.vector = vector;
            return this;
        }

        /**
         * Create the CQ with {@code ibv_create_cq_ex}, producing these {@link CompletionFields},
         * to poll it through {@link CompletionQueue#extended()}. It still works with
         * {@link CompletionQueue#poll} and as any QP's CQ.
         */
        public Config extended(long completionFields) {
            if (completionFields < 0) {
                throw new IllegalArgumentException("completionFields must be a combination of CompletionFields flags");
            }
            this.fields = completionFields;
            return this;
        }
    }

    private final Context context;
    /** False for an adopted CQ ({@link #adopt}), which its creator destroys. */
    private final boolean owned;
    private final MemorySegment cq;
    private final long address;   // cq.address(), for the poll path
    private final MemorySegment pollFn;
    private final MemorySegment notifyFn;
    /** The context's provider, null for libibverbs: the data path's one extra branch. */
    private final ContextOps provider;
    private final CompletionChannel channel;
    private final ExtendedCompletions extended;
    private int unackedEvents;

    /** A classic CQ ({@code ibv_create_cq}), or an extended one ({@code ibv_create_cq_ex}) when the config says so. */
    CompletionQueue(Context context, Config config) {
        super(context, config.channel);
        CompletionChannel channel = config.channel;
        int entries = config.entries, vector = config.vector;
        long wcFlags = config.fields;
        this.context = context;
        this.owned = true;
        this.channel = channel;
        this.provider = context.provider;
        MemorySegment ch = channel == null ? MemorySegment.NULL : channel.segment();
        MemorySegment c;
        if (provider != null) {
            if (wcFlags >= 0 && (wcFlags & ~CompletionFields.STANDARD) != 0) {
                throw context.notOnSoftDevice("extended CQ fields beyond CompletionFields.STANDARD (timestamps, flow tag, CVLAN)",
                        "it produces what a struct ibv_wc holds");
            }
            try {
                c = provider.createCq(entries, ch, vector);
            } catch (ProviderException e) {
                throw context.providerError(VerbsCall.CREATE_CQ, e, null);
            }
        } else {
            c = wcFlags < 0
                    ? IbVerbs.ibv_create_cq(context.segment(), entries, MemorySegment.NULL, ch, vector)
                    : createExtended(context, entries, ch, vector, wcFlags);
        }
        if (Native.isNull(c)) {
            throw Checks.fromErrno(wcFlags < 0 ? VerbsCall.CREATE_CQ : VerbsCall.CREATE_CQ_EX, context.device().name());
        }
        // ibv_cq_ex starts with the fields of ibv_cq: the same pointer serves both (ibv_cq_ex_to_cq).
        // A provider's CQ is a struct ibv_cq whichever way it is polled.
        this.cq = c.reinterpret(wcFlags < 0 || provider != null ? ibv_cq.sizeof() : ibv_cq_ex.sizeof());
        this.address = c.address();
        this.extended = wcFlags < 0 ? null
                : provider != null ? new ExtendedCompletions(this, provider, address, wcFlags)
                : new ExtendedCompletions(this, cq, wcFlags, context.isSoftRoce());
        this.pollFn = context.pollCq;
        this.notifyFn = context.reqNotifyCq;
        if (channel != null) {
            channel.register(this, cq.address());
        }
        attach();
    }

    private static MemorySegment createExtended(Context context, int entries, MemorySegment channel, int vector, long wcFlags) {
        MemorySegment fn = context.extendedOp(verbs_context.create_cq_ex$offset());
        if (Native.isNull(fn)) {
            throw new NotSupportedException("extended CQs", context.device().name(), "the provider has no create_cq_ex", null, 0);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ibv_cq_init_attr_ex.layout());
            ibv_cq_init_attr_ex.cqe(attr, entries);
            ibv_cq_init_attr_ex.channel(attr, channel);
            ibv_cq_init_attr_ex.comp_vector(attr, vector);
            ibv_cq_init_attr_ex.wc_flags(attr, wcFlags);
            return (MemorySegment) Ops.CREATE_WITH_ATTR.invokeExact(fn, Native.errnoState(), context.segment(), attr);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
    }

    /**
     * The extended polling interface of a CQ made by {@link Config#extended(long)};
     * throws for a classic CQ.
     */
    public ExtendedCompletions extended() {
        checkOpen();
        if (extended == null) {
            throw new IllegalStateException("this CQ was created without Config.extended(...): it has no ibv_start_poll interface");
        }
        return extended;
    }

    void checkUsable() {
        checkOpen();
    }

    /**
     * Wraps a {@code struct ibv_cq *} that other code created on {@code context} (see
     * {@link Context#adopt}). {@link #close()} does not destroy it: the code that created it
     * does, after closing this wrapper. Polling calls the context's {@code ops.poll_cq}, as for a
     * CQ jverbs created; the wrapper has no completion channel and no extended polling.
     *
     * @throws IllegalArgumentException if the CQ belongs to another context
     */
    public static CompletionQueue adopt(Context context, MemorySegment ibvCq) {
        return new CompletionQueue(context, context.adoptable(ibvCq, ibv_cq.sizeof(), ibv_cq::context, "CQ"));
    }

    /** An adopted CQ: same data-path fields, not owned. */
    private CompletionQueue(Context context, MemorySegment cq) {
        super(context);
        this.context = context;
        this.owned = false;
        this.channel = null;
        this.extended = null;
        this.provider = null; // adopt() only accepts libibverbs contexts
        this.cq = cq;
        this.address = cq.address();
        this.pollFn = context.pollCq;
        this.notifyFn = context.reqNotifyCq;
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
        ContextOps p = provider;
        try {
            n = p == null ? (int) Ops.POLL_CQ.invokeExact(pollFn, address, max, wc.address) : p.pollCq(address, max, wc.address);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        } finally {
            Reference.reachabilityFence(wc);
        }
        if (n < 0) {
            throw new VerbsException(VerbsCall.POLL_CQ, -n, "The CQ overran or the device failed: size the CQ for all outstanding work");
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
            rc = provider == null ? (int) Ops.REQ_NOTIFY_CQ.invokeExact(notifyFn, cq, solicitedOnly ? 1 : 0)
                    : provider.reqNotifyCq(address, solicitedOnly ? 1 : 0);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        Checks.check(VerbsCall.REQ_NOTIFY_CQ, rc);
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
            if (provider != null) {
                provider.ackCqEvents(cq, unackedEvents);
            } else {
                IbVerbs.ibv_ack_cq_events(cq, unackedEvents);
            }
            unackedEvents = 0;
        }
    }

    @Override
    protected void destroy() {
        if (!owned) {
            return;
        }
        synchronized (this) {
            ackPending();
        }
        if (channel != null) {
            channel.unregister(cq.address());
        }
        Checks.check(VerbsCall.DESTROY_CQ, provider != null ? provider.destroyCq(cq) : IbVerbs.ibv_destroy_cq(cq), context.device().name());
    }
}
