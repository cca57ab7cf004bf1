package io.jverbs.verbs;

import io.jverbs.core.NativeResource;
import io.jverbs.core.NotSupportedException;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.IbVerbs;
import io.jverbs.verbs.ffi.ibv_srq;
import io.jverbs.verbs.ffi.ibv_srq_attr;
import io.jverbs.verbs.ffi.ibv_srq_init_attr;
import io.jverbs.verbs.ffi.ibv_srq_init_attr_ex;
import io.jverbs.verbs.ffi.verbs_context;
import io.jverbs.verbs.internal.Checks;
import io.jverbs.verbs.spi.ContextOps;
import io.jverbs.verbs.spi.ProviderException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;

/**
 * A shared receive queue ({@code struct ibv_srq}): one pool of receive buffers for many QPs.
 * Completions report the QP a message arrived on ({@link WorkCompletions#qpNumber}).
 */
public final class SharedReceiveQueue extends NativeResource {
    /**
     * How to create an SRQ: {@code SharedReceiveQueue.Config.of(1024, 1)}, or an XRC SRQ
     * with {@link #xrc}. Fluent and mutable.
     */
    public static final class Config {
        final int maxWr;
        final int maxSge;
        XrcDomain xrcd;
        CompletionQueue cq;

        private Config(int maxWr, int maxSge) {
            if (maxWr < 1 || maxSge < 1) {
                throw new IllegalArgumentException("an SRQ needs maxWr >= 1 and maxSge >= 1, got " + maxWr + ", " + maxSge);
            }
            this.maxWr = maxWr;
            this.maxSge = maxSge;
        }

        /** Room for {@code maxWr} receives of up to {@code maxSge} entries each. */
        public static Config of(int maxWr, int maxSge) {
            return new Config(maxWr, maxSge);
        }

        /** An XRC SRQ in {@code xrcd} whose completions go to {@code cq} ({@code ibv_create_srq_ex}). */
        public Config xrc(XrcDomain xrcd, CompletionQueue cq) {
            this.xrcd = java.util.Objects.requireNonNull(xrcd, "xrcd");
            this.cq = java.util.Objects.requireNonNull(cq, "cq");
            return this;
        }
    }

    /** What {@link #query()} reports: current capacity, entries per receive, and the armed limit. */
    public record Attributes(int maxWr, int maxSge, int limit) {}

    private static final int SRQ_MAX_WR = 1, SRQ_LIMIT = 2;

    // enum ibv_srq_init_attr_mask, enum ibv_srq_type
    private static final int ATTR_TYPE = 1, ATTR_PD = 1 << 1, ATTR_XRCD = 1 << 2, ATTR_CQ = 1 << 3, SRQT_XRC = 1;

    private final MemorySegment srq;
    private final long address;   // srq.address(), for the post path
    private final MemorySegment postFn;
    private final Context context;
    private final boolean xrc;
    /** The context's provider, null for libibverbs: the data path's one extra branch. */
    private final ContextOps provider;

    static SharedReceiveQueue create(ProtectionDomain pd, Config c) {
        return c.xrcd == null ? new SharedReceiveQueue(pd, c.maxWr, c.maxSge, 0) : new SharedReceiveQueue(pd, c.xrcd, c.cq, c.maxWr, c.maxSge);
    }

    private SharedReceiveQueue(ProtectionDomain pd, int maxWr, int maxSge, int limit) {
        super(pd);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ibv_srq_init_attr.layout());
            MemorySegment a = ibv_srq_init_attr.attr(attr);
            ibv_srq_attr.max_wr(a, maxWr);
            ibv_srq_attr.max_sge(a, maxSge);
            ibv_srq_attr.srq_limit(a, limit);
            MemorySegment s;
            if (pd.provider != null) {
                try {
                    s = pd.provider.createSrq(pd.segment(), attr);
                } catch (ProviderException e) {
                    throw pd.context().providerError(VerbsCall.CREATE_SRQ, e, "shared receive queues");
                }
            } else {
                s = IbVerbs.ibv_create_srq(pd.segment(), attr);
                if (Native.isNull(s)) {
                    throw Checks.fromErrno(VerbsCall.CREATE_SRQ, pd.context().device().name());
                }
            }
            this.srq = s.reinterpret(ibv_srq.sizeof());
            this.address = s.address();
        }
        this.postFn = pd.context().postSrqRecv;
        this.context = pd.context();
        this.provider = pd.provider;
        this.xrc = false;
        attach();
    }

    /** An XRC SRQ in {@code xrcd} whose completions go to {@code cq} ({@code ibv_create_srq_ex}). */
    private SharedReceiveQueue(ProtectionDomain pd, XrcDomain xrcd, CompletionQueue cq, int maxWr, int maxSge) {
        super(pd, xrcd, cq);
        Context ctx = pd.context();
        if (pd.provider != null) {
            throw ctx.notOnSoftDevice("XRC SRQs", "it implements RC, UC and UD only (no IBV_DEVICE_XRC)");
        }
        this.provider = null;
        MemorySegment fn = ctx.extendedOp(verbs_context.create_srq_ex$offset());
        if (Native.isNull(fn)) {
            throw new NotSupportedException("XRC SRQs (ibv_create_srq_ex)", ctx.device().name(), "the provider has no create_srq_ex", null, 0);
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
            throw Checks.fromErrno(VerbsCall.CREATE_SRQ_EX, ctx.device().name());
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
            Checks.check(VerbsCall.GET_SRQ_NUM, rc);
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
            ContextOps p = provider;
            rc = p == null ? (int) Ops.POST.invokeExact(postFn, address, wrs.address, wrs.badAddress)
                    : p.postSrqRecv(address, wrs.address, wrs.badAddress);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        } finally {
            Reference.reachabilityFence(wrs);
        }
        if (rc != 0) {
            throw QueuePair.postFailure(VerbsCall.POST_SRQ_RECV, rc, wrs.failedIndex(), wrs.size());
        }
    }

    /** Current capacity, SGEs per receive and limit ({@code ibv_query_srq}). */
    public Attributes query() {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(ibv_srq_attr.layout());
            Checks.check(VerbsCall.QUERY_SRQ, provider != null ? provider.querySrq(srq, a) : IbVerbs.ibv_query_srq(srq, a), context.device().name());
            return new Attributes(ibv_srq_attr.max_wr(a), ibv_srq_attr.max_sge(a), ibv_srq_attr.srq_limit(a));
        }
    }

    /** Arms the SRQ limit event: an async event fires when fewer than {@code limit} receives remain. */
    public void armLimit(int limit) {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(ibv_srq_attr.layout());
            ibv_srq_attr.srq_limit(a, limit);
            Checks.check(VerbsCall.MODIFY_SRQ, provider != null ? provider.modifySrq(srq, a, SRQ_LIMIT) : IbVerbs.ibv_modify_srq(srq, a, SRQ_LIMIT),
                    context.device().name());
        }
    }

    /** Grows the SRQ (where the device supports resizing). */
    public void resize(int maxWr) {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(ibv_srq_attr.layout());
            ibv_srq_attr.max_wr(a, maxWr);
            Checks.check(VerbsCall.MODIFY_SRQ, provider != null ? provider.modifySrq(srq, a, SRQ_MAX_WR) : IbVerbs.ibv_modify_srq(srq, a, SRQ_MAX_WR),
                    context.device().name());
        }
    }

    @Override
    protected void destroy() {
        Checks.check(VerbsCall.DESTROY_SRQ, provider != null ? provider.destroySrq(srq) : IbVerbs.ibv_destroy_srq(srq), context.device().name());
    }
}
