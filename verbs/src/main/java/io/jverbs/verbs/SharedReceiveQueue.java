package io.jverbs.verbs;

import io.jverbs.core.NativeResource;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.IbVerbs;
import io.jverbs.verbs.ffi.ibv_srq;
import io.jverbs.verbs.ffi.ibv_srq_attr;
import io.jverbs.verbs.ffi.ibv_srq_init_attr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A shared receive queue ({@code struct ibv_srq}): one pool of receive buffers for many QPs.
 * Completions report the QP a message arrived on ({@link WorkCompletions#qpNumber}).
 */
public final class SharedReceiveQueue extends NativeResource {
    private static final int SRQ_MAX_WR = 1, SRQ_LIMIT = 2;

    private final MemorySegment srq;
    private final MemorySegment postFn;

    SharedReceiveQueue(ProtectionDomain pd, int maxWr, int maxSge, int limit) {
        super(pd);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ibv_srq_init_attr.layout());
            MemorySegment a = ibv_srq_init_attr.attr(attr);
            ibv_srq_attr.max_wr(a, maxWr);
            ibv_srq_attr.max_sge(a, maxSge);
            ibv_srq_attr.srq_limit(a, limit);
            MemorySegment s = IbVerbs.ibv_create_srq(pd.segment(), attr);
            if (Native.isNull(s)) {
                throw VerbsException.fromErrno("ibv_create_srq");
            }
            this.srq = s.reinterpret(ibv_srq.sizeof());
        }
        this.postFn = pd.context().postSrqRecv;
        attach();
    }

    /** The {@code struct ibv_srq *}. */
    public MemorySegment segment() {
        checkOpen();
        return srq;
    }

    /** Posts the receive chain ({@code ibv_post_srq_recv}). */
    public void postReceive(ReceiveRequests wrs) {
        checkOpen();
        int rc;
        try {
            rc = (int) Ops.POST.invokeExact(postFn, srq, wrs.segment(), wrs.badSlot());
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        if (rc != 0) {
            throw QueuePair.postFailure("ibv_post_srq_recv", rc, wrs.failedIndex(), wrs.size());
        }
    }

    /** Current max_wr, max_sge and limit ({@code ibv_query_srq}): {@code [maxWr, maxSge, limit]}. */
    public int[] query() {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(ibv_srq_attr.layout());
            VerbsException.check("ibv_query_srq", IbVerbs.ibv_query_srq(srq, a));
            return new int[] {ibv_srq_attr.max_wr(a), ibv_srq_attr.max_sge(a), ibv_srq_attr.srq_limit(a)};
        }
    }

    /** Arms the SRQ limit event: an async event fires when fewer than {@code limit} receives remain. */
    public void armLimit(int limit) {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(ibv_srq_attr.layout());
            ibv_srq_attr.srq_limit(a, limit);
            VerbsException.check("ibv_modify_srq", IbVerbs.ibv_modify_srq(srq, a, SRQ_LIMIT));
        }
    }

    /** Grows the SRQ (where the device supports resizing). */
    public void resize(int maxWr) {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(ibv_srq_attr.layout());
            ibv_srq_attr.max_wr(a, maxWr);
            VerbsException.check("ibv_modify_srq", IbVerbs.ibv_modify_srq(srq, a, SRQ_MAX_WR));
        }
    }

    @Override
    protected void destroy() {
        VerbsException.check("ibv_destroy_srq", IbVerbs.ibv_destroy_srq(srq));
    }
}
