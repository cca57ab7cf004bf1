package io.jverbs.verbs;

import io.jverbs.core.Errno;
import io.jverbs.core.NativeResource;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.IbVerbs;
import io.jverbs.verbs.ffi.ibv_comp_channel;
import io.jverbs.verbs.internal.Checks;
import io.jverbs.verbs.spi.ContextOps;
import io.jverbs.verbs.spi.ProviderException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;

/**
 * A completion channel ({@code struct ibv_comp_channel}): lets a thread sleep until a CQ armed
 * with {@link CompletionQueue#requestNotify} gets a completion, instead of busy-polling.
 *
 * <p>The usual loop: arm, poll until empty, wait, ack, arm again, poll — re-polling after arming
 * catches completions that arrived before the arm (ibv_get_cq_event(3)).
 */
public final class CompletionChannel extends NativeResource {
    /**
     * Per thread, the {@code struct ibv_cq *} and {@code void *} that ibv_get_cq_event fills:
     * waiting for an event allocates nothing.
     */
    private static final ThreadLocal<MemorySegment[]> EVENT_OUT = ThreadLocal.withInitial(() -> {
        Arena arena = Arena.ofAuto();
        return new MemorySegment[] {arena.allocate(ValueLayout.ADDRESS), arena.allocate(ValueLayout.ADDRESS)};
    });

    private final Context context;
    private final MemorySegment channel;
    /** The context's provider, null for libibverbs. */
    private final ContextOps provider;
    /**
     * The CQs reporting here, by {@code struct ibv_cq *}: a copy-on-write pair of arrays scanned
     * per event, which is short (a channel serves a few CQs) and, unlike a map keyed by a boxed
     * {@code Long}, allocates nothing.
     */
    private volatile Registered registered = new Registered(new long[0], new CompletionQueue[0]);

    private record Registered(long[] addresses, CompletionQueue[] queues) {}

    CompletionChannel(Context context) {
        super(context);
        this.context = context;
        this.provider = context.provider;
        MemorySegment c;
        if (provider != null) {
            try {
                c = provider.createCompChannel();
            } catch (ProviderException e) {
                throw context.providerError(VerbsCall.CREATE_COMP_CHANNEL, e, null);
            }
        } else {
            c = IbVerbs.ibv_create_comp_channel(context.segment());
            if (Native.isNull(c)) {
                throw Checks.fromErrno(VerbsCall.CREATE_COMP_CHANNEL, context.device().name());
            }
        }
        this.channel = c.reinterpret(ibv_comp_channel.sizeof());
        attach();
    }

    public Context context() {
        return context;
    }

    /**
     * The channel's file descriptor, readable when an event is pending (for epoll/select); the
     * soft device's is an eventfd with the same contract.
     */
    public int fd() {
        checkOpen();
        return ibv_comp_channel.fd(channel);
    }

    /** The {@code struct ibv_comp_channel *}. */
    public MemorySegment segment() {
        checkOpen();
        return channel;
    }

    /**
     * Waits up to {@code timeout} for the next completion event and returns the CQ it is for, or
     * null on timeout. The event is counted on that CQ and acknowledged by
     * {@link CompletionQueue#ackEvents()} (or when the CQ is closed). Costs a {@code poll(2)} on
     * the channel's fd before the read; {@link #awaitEvent()} saves it when no timeout is needed.
     */
    public CompletionQueue awaitEvent(Duration timeout) {
        checkOpen();
        if (provider != null) {
            return providerEvent(Math.max(0, timeout.toNanos()));
        }
        if (!LibC.awaitReadable(ibv_comp_channel.fd(channel), timeout.toMillis())) {
            return null;
        }
        checkOpen();
        return takeEvent();
    }

    /**
     * Blocks until the next completion event and returns the CQ it is for: one
     * {@code ibv_get_cq_event}, one system call, as the C programs wait. Only an event releases
     * the thread (not {@link Thread#interrupt()}, not {@link #close()}), so use it on threads that
     * stop by themselves once the traffic ends, and stop them before closing the channel; a waiter
     * that must be stoppable uses {@link #awaitEvent(Duration)} in a loop.
     */
    public CompletionQueue awaitEvent() {
        checkOpen();
        return provider != null ? providerEvent(-1) : takeEvent();
    }

    /** The provider's {@code get_cq_event}: null after {@code timeoutNanos} (negative: none). */
    private CompletionQueue providerEvent(long timeoutNanos) {
        MemorySegment cq;
        try {
            cq = provider.getCqEvent(channel, timeoutNanos);
        } catch (ProviderException e) {
            throw context.providerError(VerbsCall.GET_CQ_EVENT, e, null);
        }
        return Native.isNull(cq) ? null : received(cq.address());
    }

    private CompletionQueue takeEvent() {
        MemorySegment[] out = EVENT_OUT.get();
        while (IbVerbs.ibv_get_cq_event(channel, out[0], out[1]) != 0) {
            int errno = Native.lastErrno();
            if (errno != Errno.EINTR) {           // a signal interrupted read(2): wait again
                throw Checks.error(VerbsCall.GET_CQ_EVENT, errno);
            }
            checkOpen();
        }
        return received(out[0].get(ValueLayout.JAVA_LONG, 0));
    }

    /** The CQ at {@code address}, with the event counted on it. */
    private CompletionQueue received(long address) {
        Registered r = registered;
        CompletionQueue cq = null;
        for (int i = 0; i < r.addresses.length; i++) {
            if (r.addresses[i] == address) {
                cq = r.queues[i];
                break;
            }
        }
        if (cq == null) {
            throw new IllegalStateException("completion event for a CQ this channel does not know");
        }
        cq.eventReceived();
        return cq;
    }

    synchronized void register(CompletionQueue cq, long address) {
        Registered r = registered;
        int n = r.addresses.length;
        long[] addresses = java.util.Arrays.copyOf(r.addresses, n + 1);
        CompletionQueue[] queues = java.util.Arrays.copyOf(r.queues, n + 1);
        addresses[n] = address;
        queues[n] = cq;
        registered = new Registered(addresses, queues);
    }

    synchronized void unregister(long address) {
        Registered r = registered;
        int n = r.addresses.length, k = 0;
        long[] addresses = new long[n];
        CompletionQueue[] queues = new CompletionQueue[n];
        for (int i = 0; i < n; i++) {
            if (r.addresses[i] != address) {
                addresses[k] = r.addresses[i];
                queues[k++] = r.queues[i];
            }
        }
        registered = new Registered(java.util.Arrays.copyOf(addresses, k), java.util.Arrays.copyOf(queues, k));
    }

    @Override
    protected void destroy() {
        Checks.check(VerbsCall.DESTROY_COMP_CHANNEL,
                provider != null ? provider.destroyCompChannel(channel) : IbVerbs.ibv_destroy_comp_channel(channel), context.device().name());
    }
}
