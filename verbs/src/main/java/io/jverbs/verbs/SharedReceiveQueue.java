package io.jverbs.verbs;

import io.jverbs.core.NativeResource;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.IbVerbs;
import io.jverbs.verbs.ffi.ibv_srq;
import io.jverbs.verbs.ffi.ibv_srq_attr;
import io.jverbs.verbs.ffi.ibv_srq_init_attr;
import io.jverbs.verbs.ffi.ibv_srq_init_attr_ex;
import io.jverbs.verbs.ffi.verbs_context;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;

/**
 * A shared receive queue ({@code struct ibv_srq}): one pool of receive buffers for many QPs.
 * Completions report the QP a message arrived on ({@link WorkCompletions#qpNumber}).
 */
public final class SharedReceiveQueue extends NativeResource {
    private static final int SRQ_MAX_WR = 1, SRQ_LIMIT = 2;

    // enum ibv_srq_init_attr_mask, enum ibv_srq_type
    private static final int ATTR_TYPE = 1, ATTR_PD = 1 << 1, ATTR_XRCD = 1 << 2, ATTR_CQ = 1 << 3, SRQT_XRC = 1;

    private final MemorySegment srq;
    private final long address;   // srq.address(), for the post path
    private final MemorySegment postFn;
    private final Context context;
    private final boolean xrc;

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
            this.address = s.address();
        }
        this.postFn = pd.context().postSrqRecv;
        this.context = pd.context();
        this.xrc = false;
        attach();
    }

    /** An XRC SRQ in {@code xrcd} whose completions go to {@code cq} ({@code ibv_create_srq_ex}). */
    SharedReceiveQueue(ProtectionDomain pd, XrcDomain xrcd, CompletionQueue cq, int maxWr, int maxSge) {
        super(pd, xrcd, cq);
        Context ctx = pd.context();
        MemorySegment fn = ctx.extendedOp(verbs_context.create_srq_ex$offset());
        if (Native.isNull(fn)) {
            throw new UnsupportedOperationException(ctx.device().name() + " does not support ibv_create_srq_ex (XRC SRQs)");
        }
        MemorySegment s;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ibv_srq_init_attr_ex.layout());
            MemorySegment a = ibv_srq_init_attr_ex.attr(attr);
            ibv_srq_attr.max_wr(a, maxWr);
            ibv_srq_attr.max_sge(a, maxSge);
            ibv_srq_init_attr_ex.comp_mask(attr, ATTR_TYPE | ATTR_PD | ATTR_XRCD | ATTR_CQ);
            ibv_srq_init_attr_ex.srq_type(attr, SRQT_XRC);
            ibv_srq_init_attr_ex.pd(attr, pd.segment());
            ibv_srq_init_attr_ex.xrcd(attr, xrcd.segment());
            ibv_srq_init_attr_ex.cq(attr, cq.segment());
            s = (MemorySegment) Ops.CREATE_WITH_ATTR.invokeExact(fn, Native.errnoState(), ctx.segment(), attr);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        if (Native.isNull(s)) {
            throw VerbsException.fromErrno("ibv_create_srq_ex");
        }
        this.srq = s.reinterpret(ibv_srq.sizeof());
        this.address = s.address();
        this.postFn = ctx.postSrqRecv;
        this.context = ctx;
        this.xrc = true;
        attach();
    }

    /** The SRQ number an XRC initiator addresses ({@code ibv_get_srq_num}); XRC SRQs only. */
    public int srqNumber() {
        checkOpen();
        if (!xrc) {
            throw new IllegalStateException("only XRC SRQs have an SRQ number");
        }
        MemorySegment fn = context.extendedOp(verbs_context.get_srq_num$offset());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(java.lang.foreign.ValueLayout.JAVA_INT);
            int rc = (int) Ops.GET_SRQ_NUM.invokeExact(fn, srq, out);
            VerbsException.check("ibv_get_srq_num", rc);
            return out.get(java.lang.foreign.ValueLayout.JAVA_INT, 0);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
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
            rc = (int) Ops.POST.invokeExact(postFn, address, wrs.address, wrs.badAddress);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        } finally {
            Reference.reachabilityFence(wrs);
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
