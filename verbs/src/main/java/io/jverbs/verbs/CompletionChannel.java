package io.jverbs.verbs;

import io.jverbs.core.Errno;
import io.jverbs.core.NativeResource;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.IbVerbs;
import io.jverbs.verbs.ffi.ibv_comp_channel;
import io.jverbs.verbs.internal.Checks;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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
    private final Map<Long, CompletionQueue> queues = new ConcurrentHashMap<>();

    CompletionChannel(Context context) {
        super(context);
        this.context = context;
        MemorySegment c = IbVerbs.ibv_create_comp_channel(context.segment());
        if (Native.isNull(c)) {
            throw Checks.fromErrno(VerbsCall.CREATE_COMP_CHANNEL, context.device().name());
        }
        this.channel = c.reinterpret(ibv_comp_channel.sizeof());
        attach();
    }

    public Context context() {
        return context;
    }

    /** The channel's file descriptor, readable when an event is pending (for epoll/select). */
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
        return takeEvent();
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
        CompletionQueue cq = queues.get(out[0].get(ValueLayout.ADDRESS, 0).address());
        if (cq == null) {
            throw new IllegalStateException("completion event for a CQ this channel does not know");
        }
        cq.eventReceived();
        return cq;
    }

    void register(CompletionQueue cq, long address) {
        queues.put(address, cq);
    }

    void unregister(long address) {
        queues.remove(address);
    }

    @Override
    protected void destroy() {
        Checks.check(VerbsCall.DESTROY_COMP_CHANNEL, IbVerbs.ibv_destroy_comp_channel(channel));
    }
}
