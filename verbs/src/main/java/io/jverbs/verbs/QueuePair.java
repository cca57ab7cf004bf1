package io.jverbs.verbs;

import io.jverbs.core.Errno;
import io.jverbs.core.NativeResource;
import io.jverbs.core.NotSupportedException;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.IbVerbs;
import io.jverbs.verbs.ffi.ibv_qp;
import io.jverbs.verbs.ffi.ibv_qp_attr;
import io.jverbs.verbs.ffi.ibv_qp_cap;
import io.jverbs.verbs.ffi.ibv_qp_init_attr;
import io.jverbs.verbs.ffi.ibv_qp_init_attr_ex;
import io.jverbs.verbs.ffi.verbs_context;
import io.jverbs.verbs.internal.Checks;
import io.jverbs.verbs.spi.ContextOps;
import io.jverbs.verbs.spi.ProviderException;
import io.jverbs.verbs.internal.JfrEvents;
import io.jverbs.verbs.internal.QpFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.util.Objects;

/**
 * A queue pair ({@code struct ibv_qp}). Created from a {@link ProtectionDomain} with a
 * {@link Config}; connected with {@link #connect} (or step by step with {@link #toInit},
 * {@link #toRtr}, {@link #toRts}); then {@link #postSend}/{@link #postReceive} call the provider
 * directly.
 *
 * <p>Threading: posting to the send queue from several threads is safe in libibverbs providers
 * (they lock), but jverbs' {@link SendRequests} are not: give each thread its own.
 */
public final class QueuePair extends NativeResource {
    /** How to create a QP: type, CQs, queue sizes. Fluent and mutable. */
    public static final class Config {
        final QpType type;
        final CompletionQueue sendCq;
        final CompletionQueue recvCq;
        SharedReceiveQueue srq;
        int maxSendWr = 128;
        int maxRecvWr = 128;
        int maxSendSge = 1;
        int maxRecvSge = 1;
        int maxInlineData;
        boolean signalAll;
        long sendOps;
        XrcDomain xrcd;

        public Config(QpType type, CompletionQueue sendCq, CompletionQueue recvCq) {
            this.type = Objects.requireNonNull(type, "type");
            this.sendCq = Objects.requireNonNull(sendCq, "sendCq");
            this.recvCq = Objects.requireNonNull(recvCq, "recvCq");
        }

        private Config(XrcDomain xrcd) {
            this.type = QpType.XRC_RECV;
            this.sendCq = null;
            this.recvCq = null;
            this.xrcd = Objects.requireNonNull(xrcd, "xrcd");
            this.maxSendWr = 0;
            this.maxRecvWr = 0;
            this.maxSendSge = 0;
            this.maxRecvSge = 0;
        }

        /**
         * An XRC target QP in {@code xrcd}: it has no queues of its own; messages sent to it land
         * in the XRC SRQ the initiator names ({@link SendRequests#xrcRemoteSrq}).
         */
        public static Config xrcTarget(XrcDomain xrcd) {
            return new Config(xrcd);
        }

        /** One CQ for both directions. */
        public static Config of(QpType type, CompletionQueue cq) {
            return new Config(type, cq, cq);
        }

        public Config maxSendWr(int n) { this.maxSendWr = n; return this; }
        public Config maxRecvWr(int n) { this.maxRecvWr = n; return this; }
        public Config maxSendSge(int n) { this.maxSendSge = n; return this; }
        public Config maxRecvSge(int n) { this.maxRecvSge = n; return this; }
        /** Bytes that {@link SendFlags#INLINE} may carry; the provider may round it up. */
        public Config maxInlineData(int n) { this.maxInlineData = n; return this; }
        /** Receive from this SRQ instead of the QP's own receive queue. */
        public Config srq(SharedReceiveQueue srq) { this.srq = srq; return this; }
        /** Every send request completes with a CQE (sq_sig_all), not only SIGNALED ones. */
        public Config signalAll(boolean on) { this.signalAll = on; return this; }
        /**
         * Enables the extended post API ({@link QueuePair#extendedPost()}) for these
         * {@link SendOps} opcodes; the QP is created with {@code ibv_create_qp_ex}.
         */
        public Config sendOps(long flags) { this.sendOps = flags; return this; }
    }

    /** The capacities the provider granted, which may exceed what was asked. */
    public record Capabilities(int maxSendWr, int maxRecvWr, int maxSendSge, int maxRecvSge, int maxInlineData) {}

    private final Context context;
    /** Null for an adopted QP ({@link #adopt}). */
    private final ProtectionDomain pd;
    /** False for an adopted QP, which its creator destroys. */
    private final boolean owned;
    private final QpType type;
    private final MemorySegment qp;
    private final long address;   // qp.address(), for the post path
    private final MemorySegment postSendFn;
    private final MemorySegment postRecvFn;
    /** The context's provider, null for libibverbs: the data path's one extra branch. */
    private final ContextOps provider;
    /** Read again after a DC target's move to RTR, where mlx5 gives it its number (see {@link #qpNumber()}). */
    private int qpNumber;
    private final Capabilities capabilities;
    private final boolean hasSrq;
    private final ExtendedPost extendedPost;
    /** What made the native QP when not ibv_create_qp (rdma_cm's rdma_create_qp), or null. */
    private final QpFactory factory;
    /** {@link #DC_TARGET} or {@link #DC_INITIATOR} for an mlx5 DC QP (type DRIVER), else 0. */
    private final int dcType;
    static final int DC_TARGET = 1, DC_INITIATOR = 2; // enum mlx5dv_dc_type

    /** The {@link SendOps} a soft device's extended post API takes: those its transport implements. */
    private static final long SOFT_SEND_OPS = SendOps.SEND | SendOps.SEND_WITH_IMM | SendOps.RDMA_WRITE | SendOps.RDMA_WRITE_WITH_IMM
            | SendOps.RDMA_READ | SendOps.ATOMIC_CMP_AND_SWP | SendOps.ATOMIC_FETCH_AND_ADD | SendOps.BIND_MW | SendOps.LOCAL_INV
            | SendOps.SEND_WITH_INV;

    // enum ibv_qp_init_attr_mask
    private static final int INIT_ATTR_PD = 1, INIT_ATTR_XRCD = 1 << 1, INIT_ATTR_SEND_OPS_FLAGS = 1 << 6;

    /** With {@code factory}: created and destroyed by it (rdma_cm), closed before its owner. */
    QueuePair(ProtectionDomain pd, Config c, QpFactory factory) {
        super(pd, c.sendCq, c.recvCq, c.srq, c.xrcd, factory == null ? null : factory.owner());
        this.context = pd.context();
        this.pd = pd;
        this.owned = true;
        this.factory = factory;
        this.type = c.type;
        this.dcType = factory == null ? 0 : factory.dcType();
        this.hasSrq = c.srq != null;
        this.provider = context.provider;
        boolean ex = c.sendOps != 0 || c.xrcd != null || c.type == QpType.XRC_SEND;
        if (provider != null && (c.xrcd != null || c.type == QpType.XRC_SEND)) {
            throw context.notOnSoftDevice("XRC QPs", "it implements RC, UC and UD only (no IBV_DEVICE_XRC)");
        }
        if (provider != null && (c.sendOps & ~SOFT_SEND_OPS) != 0) {
            throw context.notOnSoftDevice("send op TSO", "it has no TSO; the other SendOps work");
        }
        try (Arena arena = Arena.ofConfined()) {
            // ibv_qp_init_attr_ex begins with the fields of ibv_qp_init_attr: one buffer serves both calls.
            MemorySegment init = arena.allocate(ibv_qp_init_attr_ex.layout());
            if (c.sendCq != null) {
                ibv_qp_init_attr.send_cq(init, c.sendCq.segment());
                ibv_qp_init_attr.recv_cq(init, c.recvCq.segment());
            }
            if (c.srq != null) {
                ibv_qp_init_attr.srq(init, c.srq.segment());
            }
            MemorySegment cap = ibv_qp_init_attr.cap(init);
            ibv_qp_cap.max_send_wr(cap, c.maxSendWr);
            ibv_qp_cap.max_recv_wr(cap, c.srq != null ? 0 : c.maxRecvWr);
            ibv_qp_cap.max_send_sge(cap, c.maxSendSge);
            ibv_qp_cap.max_recv_sge(cap, c.srq != null ? 0 : c.maxRecvSge);
            ibv_qp_cap.max_inline_data(cap, c.maxInlineData);
            ibv_qp_init_attr.qp_type(init, c.type.code());
            ibv_qp_init_attr.sq_sig_all(init, c.signalAll ? 1 : 0);
            boolean factoryEx = factory != null && factory.extendedAttributes();
            if (factory != null && ex && !factoryEx) {
                throw new IllegalArgumentException("rdma_cm QPs are created with rdma_create_qp: no XRC or Config.sendOps");
            }
            if (factoryEx) {
                fillExtended(pd, c, init);
            }
            ex &= provider == null; // a provider's QP is created by createQp, its extended post API built here
            MemorySegment q;
            if (provider != null) {
                try {
                    q = provider.createQp(pd.segment(), init);
                } catch (ProviderException e) {
                    throw context.providerError(VerbsCall.CREATE_QP, e, c.type + " QPs");
                }
            } else {
                q = factory != null ? factory.create(pd.segment(), init)
                        : ex ? createExtended(pd, c, init) : IbVerbs.ibv_create_qp(pd.segment(), init);
            }
            if (Native.isNull(q)) {
                int errno = Native.lastErrno();
                String device = pd.context().device().name();
                // rxe answers EINVAL, not EOPNOTSUPP, for QP types it lacks.
                boolean refused = NotSupportedException.isNotSupported(errno) || errno == Errno.EINVAL;
                if ((c.type == QpType.XRC_SEND || c.type == QpType.XRC_RECV) && refused) {
                    throw new NotSupportedException("XRC QPs", device, "they need a device with IBV_DEVICE_XRC, e.g. mlx5",
                            VerbsCall.CREATE_QP_EX, errno);
                }
                if (c.type == QpType.DRIVER && NotSupportedException.isNotSupported(errno)) {
                    String what = factory == null || factory.dcType() == 0 ? "DRIVER QPs"
                            : factory.dcType() == DC_TARGET ? "DC target QPs" : "DC initiator QPs";
                    throw new NotSupportedException(what, device, "the device's firmware or provider refused them",
                            factory == null ? null : factory.call(), errno);
                }
                if (c.type == QpType.RAW_PACKET && refused) {
                    throw new NotSupportedException("RAW_PACKET QPs", device,
                            "they need an mlx5 (ConnectX) device; Soft-RoCE (rxe) has none", VerbsCall.CREATE_QP, errno);
                }
                throw Checks.error(factory != null ? factory.call() : ex ? VerbsCall.CREATE_QP_EX : VerbsCall.CREATE_QP, errno, device,
                        factory != null && factory.dcType() != 0 ? (factory.dcType() == DC_TARGET ? "DCT QPs" : "DCI QPs") : c.type + " QPs");
            }
            this.qp = q.reinterpret(ibv_qp.sizeof());
            this.address = q.address();
            this.capabilities = new Capabilities(ibv_qp_cap.max_send_wr(cap), ibv_qp_cap.max_recv_wr(cap),
                    ibv_qp_cap.max_send_sge(cap), ibv_qp_cap.max_recv_sge(cap), ibv_qp_cap.max_inline_data(cap));
        }
        this.qpNumber = ibv_qp.qp_num(qp);
        this.postSendFn = context.postSend;
        this.postRecvFn = context.postRecv;
        this.extendedPost = c.sendOps == 0 ? null
                : provider != null ? new ExtendedPost(this, capabilities)
                : new ExtendedPost(this, IbVerbs.ibv_qp_to_qp_ex(qp));
        attach();
    }

    /** {@code ibv_create_qp_ex} through the provider's verbs_context slot (an inline function in verbs.h). */
    private static MemorySegment createExtended(ProtectionDomain pd, Config c, MemorySegment init) {
        Context ctx = pd.context();
        MemorySegment fn = ctx.extendedOp(verbs_context.create_qp_ex$offset());
        if (Native.isNull(fn)) {
            throw new NotSupportedException("extended QPs (ibv_create_qp_ex)", ctx.device().name(), "the provider has no create_qp_ex", null, 0);
        }
        fillExtended(pd, c, init);
        try {
            return (MemorySegment) Ops.CREATE_WITH_ATTR.invokeExact(fn, Native.errnoState(), ctx.segment(), init);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
    }

    /** The fields of {@code struct ibv_qp_init_attr_ex} beyond the plain attributes: PD, XRC domain, send ops, and their comp_mask. */
    private static void fillExtended(ProtectionDomain pd, Config c, MemorySegment init) {
        int mask = 0;
        if (c.type != QpType.XRC_RECV) {
            ibv_qp_init_attr_ex.pd(init, pd.segment());
            mask |= INIT_ATTR_PD;
        }
        if (c.xrcd != null) {
            ibv_qp_init_attr_ex.xrcd(init, c.xrcd.segment());
            mask |= INIT_ATTR_XRCD;
        }
        if (c.sendOps != 0) {
            ibv_qp_init_attr_ex.send_ops_flags(init, c.sendOps);
            mask |= INIT_ATTR_SEND_OPS_FLAGS;
        }
        ibv_qp_init_attr_ex.comp_mask(init, mask);
    }

    /** The extended post API; the QP must have been created with {@link Config#sendOps}. */
    public ExtendedPost extendedPost() {
        checkOpen();
        if (extendedPost == null) {
            throw new IllegalStateException("create the QP with Config.sendOps(...) to use the extended post API");
        }
        return extendedPost;
    }

    void checkUsable() {
        checkOpen();
    }

    /**
     * Wraps a {@code struct ibv_qp *} that other code created on {@code context} (see
     * {@link Context#adopt}). {@link #close()} does not destroy it: the code that created it
     * does, after closing this wrapper. Posting calls the context's {@code ops.post_send} and
     * {@code ops.post_recv}, as for a QP jverbs created; state changes go through
     * {@code ibv_modify_qp}. jverbs does not know the QP's PD ({@link #protectionDomain()} is
     * null) nor the capacities it was created with ({@link #capabilities()} is all zero).
     *
     * @throws IllegalArgumentException if the QP belongs to another context
     */
    public static QueuePair adopt(Context context, MemorySegment ibvQp) {
        return new QueuePair(context, context.adoptable(ibvQp, ibv_qp.sizeof(), ibv_qp::context, "QP"));
    }

    /** An adopted QP: same data-path fields, not owned. */
    private QueuePair(Context context, MemorySegment qp) {
        super(context);
        this.context = context;
        this.pd = null;
        this.owned = false;
        this.type = QpType.of(ibv_qp.qp_type(qp));
        this.hasSrq = !Native.isNull(ibv_qp.srq(qp));
        this.qp = qp;
        this.address = qp.address();
        this.qpNumber = ibv_qp.qp_num(qp);
        this.capabilities = new Capabilities(0, 0, 0, 0, 0);
        this.postSendFn = context.postSend;
        this.postRecvFn = context.postRecv;
        this.extendedPost = null;
        this.provider = null; // adopt() only accepts libibverbs contexts
        this.factory = null;
        this.dcType = 0;
        attach();
    }

    public QpType type() {
        return type;
    }

    /**
     * The QP number ({@code qp_num}). A DC target gets its number (the DCT number initiators
     * address) only when it moves to RTR: mlx5 creates the DCT in the device then and writes the
     * number into {@code qp_num}, so before RTR this is whatever the provider left there.
     */
    public int qpNumber() {
        return qpNumber;
    }

    /** The device context this QP lives on. */
    public Context context() {
        return context;
    }

    /** The PD the QP was created in; null for an {@linkplain #adopt adopted} QP. */
    public ProtectionDomain protectionDomain() {
        return pd;
    }

    public Capabilities capabilities() {
        return capabilities;
    }

    /** The {@code struct ibv_qp *}. */
    public MemorySegment segment() {
        checkOpen();
        return qp;
    }

    /**
     * This QP's endpoint on {@code port} for the peer, with the GID at {@code gidIndex} (-1: no
     * GID, InfiniBand only) and a starting PSN.
     */
    public Endpoint endpoint(int port, int gidIndex, int psn) {
        checkOpen();
        Gid gid = gidIndex < 0 ? Gid.ZERO : context.queryGid(port, gidIndex).gid();
        return new Endpoint(context.queryPort(port).lid(), qpNumber, psn & 0xffffff, gid);
    }

    /** Posts the send chain ({@code ibv_post_send}); throws naming the first request not posted. */
    public void postSend(SendRequests wrs) {
        checkOpen();
        int rc;
        try {
            ContextOps p = provider;
            rc = p == null ? (int) Ops.POST.invokeExact(postSendFn, address, wrs.address, wrs.badAddress)
                    : p.postSend(address, wrs.address, wrs.badAddress);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        } finally {
            Reference.reachabilityFence(wrs);
        }
        if (rc != 0) {
            throw postFailure(VerbsCall.POST_SEND, rc, wrs.failedIndex(), wrs.size());
        }
    }

    /** Posts the receive chain ({@code ibv_post_recv}). */
    public void postReceive(ReceiveRequests wrs) {
        checkOpen();
        if (hasSrq) {
            throw new IllegalStateException("this QP receives from its SRQ: post receives to the SharedReceiveQueue");
        }
        int rc;
        try {
            ContextOps p = provider;
            rc = p == null ? (int) Ops.POST.invokeExact(postRecvFn, address, wrs.address, wrs.badAddress)
                    : p.postRecv(address, wrs.address, wrs.badAddress);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        } finally {
            Reference.reachabilityFence(wrs);
        }
        if (rc != 0) {
            throw postFailure(VerbsCall.POST_RECV, rc, wrs.failedIndex(), wrs.size());
        }
    }

    static VerbsException postFailure(VerbsCall call, int rc, int failed, int size) {
        int errno = rc > 0 ? rc : -rc;
        String where = failed < 0 ? "" : "Request " + failed + " of " + size + " and those after it were not posted. ";
        String why = switch (errno) {
            case Errno.ENOMEM -> "The queue is full: poll completions before posting more, or create the QP with larger queues";
            case Errno.EINVAL -> "A request is invalid for this QP's type or state (a QP must be in RTS to send, INIT or later to receive),"
                    + " or has more SGEs or inline bytes than the QP allows";
            default -> null;
        };
        return new VerbsException(call, errno, why == null ? where.strip() : where + why);
    }

    /** RESET → INIT: port, pkey index 0, and remote access flags (RC/UC) or qkey (UD). */
    public void toInit(PathSettings o) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(ibv_qp_attr.layout());
            ibv_qp_attr.qp_state(a, QpState.INIT.code());
            ibv_qp_attr.pkey_index(a, (short) 0);
            ibv_qp_attr.port_num(a, (byte) o.port);
            int mask = QpAttrMask.STATE | QpAttrMask.PKEY_INDEX | QpAttrMask.PORT;
            switch (type) {
                case UD -> {
                    ibv_qp_attr.qkey(a, o.qkey);
                    mask |= QpAttrMask.QKEY;
                }
                case RAW_PACKET -> mask = QpAttrMask.STATE | QpAttrMask.PORT;
                // A DCI initiates only: no remote access flags (perftest's ctx_modify_qp_to_init).
                case DRIVER -> {
                    if (dcType != DC_INITIATOR) {
                        ibv_qp_attr.qp_access_flags(a, o.access);
                        mask |= QpAttrMask.ACCESS_FLAGS;
                    }
                }
                default -> {
                    ibv_qp_attr.qp_access_flags(a, o.access);
                    mask |= QpAttrMask.ACCESS_FLAGS;
                }
            }
            modify(a, mask);
        }
    }

    /**
     * INIT → RTR: the path to {@code remote} (RC/UC), or just the state (UD, RAW_PACKET); for a DC
     * QP the path only (port and GID of {@code remote}, no QP number: DC addresses per request).
     */
    public void toRtr(Endpoint remote, PathSettings o) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(ibv_qp_attr.layout());
            ibv_qp_attr.qp_state(a, QpState.RTR.code());
            int mask = QpAttrMask.STATE;
            if (type == QpType.RC || type == QpType.UC || type == QpType.XRC_SEND || type == QpType.XRC_RECV) {
                Mtu mtu = o.mtu != null ? o.mtu : context.queryPort(o.port).activeMtu();
                ibv_qp_attr.path_mtu(a, mtu.code());
                ibv_qp_attr.dest_qp_num(a, remote.qpn());
                ibv_qp_attr.rq_psn(a, remote.psn());
                AddressHandle.fill(ibv_qp_attr.ah_attr(a), remote, o);
                mask |= QpAttrMask.AV | QpAttrMask.PATH_MTU | QpAttrMask.DEST_QPN | QpAttrMask.RQ_PSN;
                if (type != QpType.UC) {
                    ibv_qp_attr.max_dest_rd_atomic(a, (byte) o.maxDestReadAtomic);
                    ibv_qp_attr.min_rnr_timer(a, (byte) o.minRnrTimer);
                    mask |= QpAttrMask.MAX_DEST_RD_ATOMIC | QpAttrMask.MIN_RNR_TIMER;
                }
            } else if (type == QpType.DRIVER && dcType != 0) {
                // DC: the path (port, GID index) without a peer QP; the DCT also gets its RNR timer.
                Mtu mtu = o.mtu != null ? o.mtu : context.queryPort(o.port).activeMtu();
                ibv_qp_attr.path_mtu(a, mtu.code());
                AddressHandle.fill(ibv_qp_attr.ah_attr(a), remote, o);
                mask |= QpAttrMask.AV | QpAttrMask.PATH_MTU;
                if (dcType == DC_TARGET) {
                    ibv_qp_attr.min_rnr_timer(a, (byte) o.minRnrTimer);
                    mask |= QpAttrMask.MIN_RNR_TIMER;
                }
            }
            modify(a, mask);
        }
    }

    /** RTR → RTS with our starting send PSN (and, for RC, the retry and read/atomic settings). */
    public void toRts(int sqPsn, PathSettings o) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(ibv_qp_attr.layout());
            ibv_qp_attr.qp_state(a, QpState.RTS.code());
            int mask = QpAttrMask.STATE;
            if (type != QpType.RAW_PACKET) {
                ibv_qp_attr.sq_psn(a, sqPsn & 0xffffff);
                mask |= QpAttrMask.SQ_PSN;
            }
            if (type == QpType.XRC_RECV) { // the kernel's qp_state_table requires both for an XRC target
                ibv_qp_attr.timeout(a, (byte) o.timeout);
                mask |= QpAttrMask.TIMEOUT;
            }
            if (type == QpType.RC || type == QpType.XRC_SEND || dcType == DC_INITIATOR) {
                ibv_qp_attr.timeout(a, (byte) o.timeout);
                ibv_qp_attr.retry_cnt(a, (byte) o.retryCount);
                ibv_qp_attr.rnr_retry(a, (byte) o.rnrRetry);
                ibv_qp_attr.max_rd_atomic(a, (byte) o.maxReadAtomic);
                mask |= QpAttrMask.TIMEOUT | QpAttrMask.RETRY_CNT | QpAttrMask.RNR_RETRY | QpAttrMask.MAX_QP_RD_ATOMIC;
            }
            modify(a, mask);
        }
    }

    /**
     * RESET → INIT → RTR → RTS (RTR for an XRC target and a DC target) in one call: {@code local}
     * gives our send PSN. A DC QP has no peer: {@code remote} only gives its path (GID, LID).
     */
    public void connect(Endpoint local, Endpoint remote, PathSettings o) {
        if (state() == QpState.RESET) {
            toInit(o);
        }
        toRtr(remote, o);
        // An XRC target and a DCT only receive: RTR is their working state.
        if (type != QpType.XRC_RECV && dcType != DC_TARGET) {
            toRts(local.psn(), o);
        }
    }

    /** Moves the QP to ERR: outstanding requests complete with {@link WcStatus#WR_FLUSH_ERR}. */
    public void toError() {
        setState(QpState.ERR);
    }

    /** Moves the QP back to RESET (queues emptied, ready for {@link #toInit} again). */
    public void reset() {
        setState(QpState.RESET);
    }

    private void setState(QpState s) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(ibv_qp_attr.layout());
            ibv_qp_attr.qp_state(a, s.code());
            modify(a, QpAttrMask.STATE);
        }
    }

    /**
     * {@code ibv_modify_qp} with a caller-built {@code struct ibv_qp_attr} and mask, for
     * transitions the helpers above do not cover.
     */
    public void modify(MemorySegment attr, int mask) {
        checkOpen();
        JfrEvents.QpStateChange jfr = (mask & QpAttrMask.STATE) != 0 && JfrEvents.QpStateChange.enabled()
                ? JfrEvents.QpStateChange.start(pd == null ? null : pd.context().device().name(), qpNumber, type.name(),
                        state().name(), QpState.of(ibv_qp_attr.qp_state(attr)).name())
                : null;
        Checks.check(VerbsCall.MODIFY_QP, provider != null ? provider.modifyQp(qp, attr, mask) : IbVerbs.ibv_modify_qp(qp, attr, mask),
                context.device().name());
        if (dcType == DC_TARGET && (mask & QpAttrMask.STATE) != 0) {
            qpNumber = ibv_qp.qp_num(qp); // mlx5_modify_qp sets the DCT number at RTR
        }
        if (jfr != null) jfr.commit();
    }

    /** The current state ({@code ibv_query_qp}). */
    public QpState state() {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(ibv_qp_attr.layout());
            MemorySegment init = arena.allocate(ibv_qp_init_attr.layout());
            Checks.check(VerbsCall.QUERY_QP, provider != null ? provider.queryQp(qp, a, QpAttrMask.STATE, init)
                    : IbVerbs.ibv_query_qp(qp, a, QpAttrMask.STATE, init), context.device().name());
            return QpState.of(ibv_qp_attr.qp_state(a));
        }
    }

    @Override
    protected void destroy() {
        if (!owned) {
            return;
        }
        if (factory != null) {
            factory.destroy();
            return;
        }
        Checks.check(VerbsCall.DESTROY_QP, provider != null ? provider.destroyQp(qp) : IbVerbs.ibv_destroy_qp(qp), context.device().name());
    }

    @Override
    protected String describe() {
        return "QueuePair(" + type + ", qpn 0x" + Integer.toHexString(qpNumber) + ")";
    }
}
