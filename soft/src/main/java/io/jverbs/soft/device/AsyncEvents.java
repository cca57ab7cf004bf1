package io.jverbs.soft.device;

import io.jverbs.verbs.ffi.ibv_async_event;

import java.lang.foreign.MemorySegment;

/**
 * A context's asynchronous events ({@code ibv_get_async_event}): a queue of (type, element) and
 * the eventfd that is the context's {@code async_fd}, readable while an event is pending. Events
 * come from the thread that noticed them (the progress thread for an SRQ limit, a poster for a CQ
 * overrun), under whatever lock it holds; this queue has its own monitor, taken last.
 */
final class AsyncEvents implements AutoCloseable {
    /** {@code enum ibv_event_type} values the soft device raises. */
    static final int CQ_ERR = 0, SRQ_LIMIT_REACHED = 15, QP_LAST_WQE_REACHED = 16;

    private final EventFd fd = new EventFd("the asynchronous events");
    private int[] types = new int[8];
    /** The element's {@code struct ibv_cq/ibv_qp/ibv_srq *}. */
    private long[] elements = new long[8];
    private int head, count;
    private boolean closed;

    int fd() {
        return fd.fd();
    }

    /** Queues an event of {@code type} for the object whose struct is at {@code element}. */
    synchronized void post(int type, long element) {
        if (closed) return;
        if (count == types.length) {
            int n = types.length;
            int[] t = new int[2 * n];
            long[] e = new long[2 * n];
            for (int i = 0; i < count; i++) {
                t[i] = types[(head + i) % n];
                e[i] = elements[(head + i) % n];
            }
            types = t;
            elements = e;
            head = 0;
        }
        int at = (head + count++) % types.length;
        types[at] = type;
        elements[at] = element;
        fd.signal();
    }

    /** Fills {@code event} ({@code struct ibv_async_event}) with the oldest event: 0, or EAGAIN when none. */
    synchronized int take(MemorySegment event) {
        if (count == 0) return io.jverbs.core.Errno.EAGAIN;
        ibv_async_event.element_cq(event, MemorySegment.ofAddress(elements[head])); // a union: cq, qp, srq share it
        ibv_async_event.event_type(event, types[head]);
        head = (head + 1) % types.length;
        count--;
        fd.consume();
        return 0;
    }

    /**
     * Drops the pending events of the object at {@code element}, which is being destroyed: a
     * reader would otherwise get the address of a freed struct (libibverbs' destroy waits for
     * its events to be acknowledged instead).
     */
    synchronized void purge(long element) {
        int n = types.length, kept = 0;
        for (int i = 0; i < count; i++) {
            int from = (head + i) % n;
            if (elements[from] == element) {
                fd.consume();
                continue;
            }
            int to = (head + kept++) % n;
            types[to] = types[from];
            elements[to] = elements[from];
        }
        count = kept;
    }

    @Override
    public synchronized void close() {
        closed = true;
        fd.close();
    }
}
