package io.jverbs.soft.device;

import io.jverbs.core.Errno;
import io.jverbs.verbs.ffi.ibv_comp_channel;
import io.jverbs.verbs.ffi.ibv_context;
import io.jverbs.verbs.ffi.ibv_cq;
import io.jverbs.verbs.ffi.ibv_device_attr;
import io.jverbs.verbs.ffi.ibv_device_attr_ex;
import io.jverbs.verbs.ffi.ibv_gid_entry;
import io.jverbs.verbs.ffi.ibv_mr;
import io.jverbs.verbs.ffi.ibv_mw;
import io.jverbs.verbs.ffi.ibv_mw_bind;
import io.jverbs.verbs.ffi.ibv_mw_bind_info;
import io.jverbs.soft.transport.MemoryKeys;
import io.jverbs.verbs.ffi.ibv_pd;
import io.jverbs.verbs.ffi.ibv_port_attr;
import io.jverbs.verbs.ffi.ibv_ah;
import io.jverbs.verbs.ffi.ibv_ah_attr;
import io.jverbs.verbs.ffi.ibv_global_route;
import io.jverbs.verbs.ffi.ibv_qp;
import io.jverbs.verbs.ffi.ibv_qp_attr;
import io.jverbs.verbs.ffi.ibv_qp_cap;
import io.jverbs.verbs.ffi.ibv_qp_init_attr;
import io.jverbs.verbs.ffi.ibv_recv_wr;
import io.jverbs.verbs.ffi.ibv_send_wr;
import io.jverbs.verbs.ffi.ibv_sge;
import io.jverbs.verbs.QpAttrMask;
import io.jverbs.verbs.QpState;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.WrOpcode;
import io.jverbs.core.ffi.Native;
import io.jverbs.soft.transport.QpAttributes;
import io.jverbs.soft.transport.ReceivePosting;
import io.jverbs.soft.transport.ReceiveQueue;
import io.jverbs.verbs.ffi.ibv_async_event;
import io.jverbs.verbs.ffi.ibv_srq;
import io.jverbs.verbs.ffi.ibv_srq_attr;
import io.jverbs.verbs.ffi.ibv_srq_init_attr;
import io.jverbs.soft.transport.RecvWqe;
import io.jverbs.soft.transport.SendWqe;
import io.jverbs.soft.transport.SoftQp;
import java.lang.foreign.ValueLayout;
import io.jverbs.verbs.spi.ContextOps;
import io.jverbs.verbs.spi.ProviderException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One open context of a soft device: the {@link ContextOps} behind {@code Context.open("jsoft0")}.
 * Objects live in the device's handle table; each has its own arena, freed when it is destroyed.
 */
final class SoftContext implements ContextOps {
    // enum ibv_port_state, ibv_port_phys_state, ibv_gid_type, ibv_atomic_cap; IBV_LINK_LAYER_ETHERNET
    private static final int PORT_ACTIVE = 4, PHYS_LINK_UP = 5, GID_ROCE_V2 = 2, ATOMIC_HCA = 1, LINK_ETHERNET = 2;
    /** Two GIDs, as rxe has on an interface with one IPv4 address: 0 link-local, 1 IPv4-mapped. */
    private static final int GIDS = 2;
    private static final long CQ_HANDLE_STRUCT = ibv_cq.sizeof();
    private static final int MAX_CQE = 1 << 16, MAX_SRQ_WR = 1 << 14;
    /**
     * IBV_DEVICE_SRQ_RESIZE | IBV_DEVICE_SYS_IMAGE_GUID | IBV_DEVICE_RC_RNR_NAK_GEN |
     * IBV_DEVICE_MEM_WINDOW | IBV_DEVICE_MEM_WINDOW_TYPE_2B: what is implemented of rxe's flags.
     */
    private static final int DEVICE_CAPS = (1 << 13) | (1 << 11) | (1 << 12) | (1 << 17) | (1 << 24);

    private final SoftDevice device;
    private final SoftDeviceConfig config;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment context;
    private final AsyncEvents asyncEvents = new AsyncEvents();

    SoftContext(SoftDevice device) {
        this.device = device;
        this.config = device.config();
        this.context = arena.allocate(ibv_context.layout());
        // device stays NULL: there is no struct ibv_device (mlx5dv_is_supported and friends see "not theirs").
        ibv_context.cmd_fd(context, -1);
        ibv_context.async_fd(context, asyncEvents.fd());
        ibv_context.num_comp_vectors(context, 1);
    }

    @Override
    public MemorySegment context() {
        return context;
    }

    @Override
    public int getAsyncEvent(MemorySegment event) {
        return asyncEvents.take(event.reinterpret(ibv_async_event.sizeof()));
    }

    @Override
    public int queryDevice(MemorySegment attrEx) {
        attrEx.fill((byte) 0);
        MemorySegment a = ibv_device_attr_ex.orig_attr(attrEx);
        ibv_device_attr.fw_ver(a).setString(0, "jverbs-soft 0.1");
        long guid = SoftDevice.guid(config);
        ibv_device_attr.node_guid(a, Long.reverseBytes(guid));  // big-endian, as __be64 node_guid
        ibv_device_attr.sys_image_guid(a, Long.reverseBytes(guid));
        ibv_device_attr.max_mr_size(a, -1L);
        ibv_device_attr.page_size_cap(a, 4096);
        ibv_device_attr.max_qp(a, 1 << 16);
        ibv_device_attr.max_qp_wr(a, 1 << 14);
        ibv_device_attr.max_sge(a, 32);
        ibv_device_attr.max_sge_rd(a, 32);
        ibv_device_attr.max_cq(a, 1 << 16);
        ibv_device_attr.max_cqe(a, MAX_CQE);
        ibv_device_attr.max_mr(a, 1 << 16);
        ibv_device_attr.max_mw(a, 1 << 16);
        ibv_device_attr.max_pd(a, 1 << 16);
        ibv_device_attr.max_qp_rd_atom(a, 128);
        ibv_device_attr.max_qp_init_rd_atom(a, 128);
        ibv_device_attr.max_res_rd_atom(a, 1 << 16);
        ibv_device_attr.atomic_cap(a, ATOMIC_HCA);
        ibv_device_attr.max_ah(a, 1 << 16);
        ibv_device_attr.max_srq(a, 1 << 16);
        ibv_device_attr.max_srq_wr(a, MAX_SRQ_WR);
        ibv_device_attr.max_srq_sge(a, 32);
        ibv_device_attr.device_cap_flags(a, DEVICE_CAPS);
        ibv_device_attr.max_pkeys(a, (short) 1);
        ibv_device_attr.local_ca_ack_delay(a, (byte) 15);
        ibv_device_attr.phys_port_cnt(a, (byte) 1);
        ibv_device_attr_ex.phys_port_cnt_ex(attrEx, 1);
        return 0;
    }

    @Override
    public int queryPort(int port, MemorySegment attr) {
        if (port != 1) return Errnos.EINVAL;
        attr.fill((byte) 0);
        ibv_port_attr.state(attr, PORT_ACTIVE);
        ibv_port_attr.max_mtu(attr, 5);
        ibv_port_attr.active_mtu(attr, config.mtuCode());
        ibv_port_attr.gid_tbl_len(attr, GIDS);
        ibv_port_attr.max_msg_sz(attr, 1 << 31);
        ibv_port_attr.pkey_tbl_len(attr, (short) 1);
        ibv_port_attr.active_width(attr, (byte) 1);
        ibv_port_attr.active_speed(attr, (byte) 1);
        ibv_port_attr.phys_state(attr, (byte) PHYS_LINK_UP);
        ibv_port_attr.link_layer(attr, (byte) LINK_ETHERNET);
        return 0;
    }

    @Override
    public int queryGid(int port, int index, MemorySegment entry) {
        if (port != 1 || index < 0 || index >= GIDS) return Errnos.EINVAL;
        writeGid(entry, index);
        return 0;
    }

    @Override
    public long queryGidTable(MemorySegment entries, long max) {
        if (max < GIDS) return -Errnos.EINVAL;
        for (int i = 0; i < GIDS; i++) {
            writeGid(entries.asSlice(i * ibv_gid_entry.sizeof(), ibv_gid_entry.sizeof()), i);
        }
        return GIDS;
    }

    /** Index 0: fe80::/64 with the node GUID as interface id; index 1: ::ffff:a.b.c.d of the bind address. */
    private void writeGid(MemorySegment e, int index) {
        e.fill((byte) 0);
        MemorySegment gid = ibv_gid_entry.gid(e);
        if (index == 0) {
            gid.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 0xfe);
            gid.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 1, (byte) 0x80);
            long guid = SoftDevice.guid(config);
            for (int i = 0; i < 8; i++) gid.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 8 + i, (byte) (guid >>> (56 - 8 * i)));
        } else {
            gid.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 10, (byte) 0xff);
            gid.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 11, (byte) 0xff);
            byte[] a = config.address().getAddress();
            for (int i = 0; i < 4; i++) gid.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 12 + i, a[i]);
        }
        ibv_gid_entry.gid_index(e, index);
        ibv_gid_entry.port_num(e, 1);
        ibv_gid_entry.gid_type(e, GID_ROCE_V2);
    }

    /** A protection domain: its struct and arena. */
    record SoftPd(Arena arena, MemorySegment struct) implements Owned {}

    /** A memory region: its struct and its key in the transport's {@link io.jverbs.soft.transport.MemoryKeys}. */
    record SoftMr(Arena arena, MemorySegment struct, int key) implements Owned {}

    @Override
    public MemorySegment allocPd() {
        Arena a = Arena.ofShared();
        MemorySegment pd = Structs.allocate(a, ibv_pd.sizeof());
        ibv_pd.context(pd, context);
        int h = device.register(new SoftPd(a, pd));
        ibv_pd.handle(pd, h);
        Structs.setHandle(pd, h);
        return pd;
    }

    @Override
    public int deallocPd(MemorySegment pd) {
        return destroy(pd, ibv_pd.sizeof(), SoftPd.class, false, null);
    }

    @Override
    public MemorySegment regMr(MemorySegment pd, long address, long length, long iova, int access) {
        int pdHandle = Structs.handle(pd.address(), ibv_pd.sizeof());
        MemoryKeys keys = device.engine().keys;
        int key = allocateUnderLock(() -> keys.register(MemorySegment.ofAddress(address).reinterpret(length), iova, access,
                pdHandle), "every memory key of the device is in use");
        Arena a = Arena.ofShared();
        MemorySegment mr = Structs.allocate(a, ibv_mr.sizeof());
        int h = device.register(new SoftMr(a, mr, key));
        ibv_mr.context(mr, context);
        ibv_mr.pd(mr, pd);
        ibv_mr.addr(mr, MemorySegment.ofAddress(address));
        ibv_mr.length(mr, length);
        ibv_mr.handle(mr, h);
        ibv_mr.lkey(mr, key);
        ibv_mr.rkey(mr, key);
        Structs.setHandle(mr, h);
        return mr;
    }

    /**
     * A memory key or window from the transport's table, taken under the engine lock; a full table
     * (the transport's IllegalStateException) is ENOMEM with {@code whenFull}.
     */
    private <T> T allocateUnderLock(java.util.function.Supplier<T> take, String whenFull) {
        SoftEngine engine = device.engine();
        engine.acquire();
        try {
            return take.get();
        } catch (IllegalStateException e) {
            throw new ProviderException(Errnos.ENOMEM, whenFull);
        } finally {
            engine.release();
        }
    }

    @Override
    public int deregMr(MemorySegment mr) {
        return destroy(mr, ibv_mr.sizeof(), SoftMr.class, false, m -> device.engine().keys.deregister(m.key()));
    }

    /** A memory window: its struct and its state in the transport's {@link MemoryKeys}. */
    record SoftMw(Arena arena, MemorySegment struct, MemoryKeys.Window window) implements Owned {}

    @Override
    public MemorySegment allocMw(MemorySegment pd, int type) {
        if (type != 1 && type != 2) {
            throw new ProviderException(Errnos.EINVAL, "memory windows are of type 1 or 2, not " + type);
        }
        int pdHandle = Structs.handle(pd.address(), ibv_pd.sizeof());
        MemoryKeys keys = device.engine().keys;
        MemoryKeys.Window w = allocateUnderLock(() -> keys.allocateWindow(type, pdHandle),
                "every memory window of the device is allocated");
        Arena a = Arena.ofShared();
        MemorySegment mw = Structs.allocate(a, ibv_mw.sizeof());
        int h = device.register(new SoftMw(a, mw, w));
        ibv_mw.context(mw, context);
        ibv_mw.pd(mw, pd);
        ibv_mw.rkey(mw, w.key());
        ibv_mw.handle(mw, h);
        ibv_mw.type(mw, type);
        Structs.setHandle(mw, h);
        return mw;
    }

    @Override
    public int deallocMw(MemorySegment mw) {
        return destroy(mw, ibv_mw.sizeof(), SoftMw.class, false, m -> device.engine().keys.deallocateWindow(m.window()));
    }

    @Override
    public int bindMw(MemorySegment qp, MemorySegment mw, MemorySegment bind) {
        if (!(device.object(Structs.handle(mw.address(), ibv_mw.sizeof())) instanceof SoftMw m) || m.window().type() != 1) {
            return Errnos.EINVAL; // ibv_bind_mw binds type 1 windows; type 2 bind through BIND_MW requests
        }
        MemorySegment b = bind.reinterpret(ibv_mw_bind.sizeof());
        MemorySegment info = ibv_mw_bind.bind_info(b);
        long mr = ibv_mw_bind_info.mr(info).address();
        long addr = ibv_mw_bind_info.addr(info), length = ibv_mw_bind_info.length(info);
        int access = ibv_mw_bind_info.mw_access_flags(info);
        // The checks rdma-core's rxe provider makes before it posts the bind.
        if ((mr == 0 && (addr != 0 || length != 0)) || (access & io.jverbs.verbs.Access.ZERO_BASED) != 0) {
            return Errnos.EINVAL;
        }
        int mrKey = 0;
        if (mr != 0) {
            if (!(device.object(Structs.handle(mr, ibv_mr.sizeof())) instanceof SoftMr r)) return Errnos.EINVAL;
            if (ibv_mr.pd(r.struct()).address() != ibv_mw.pd(m.struct()).address()) return Errno.EPERM;
            mrKey = r.key();
        }
        int oldKey = ibv_mw.rkey(m.struct());
        int newKey = (oldKey & ~0xFF) | ((oldKey + 1) & 0xFF); // ibv_inc_rkey
        SoftQp q = queuePair(qp.address()).qp();
        SoftEngine engine = device.engine();
        int rc;
        engine.acquire();
        try {
            long now = System.nanoTime();
            SendWqe w = q.nextSend();
            if (w == null) {
                rc = Errnos.ENOMEM;
            } else {
                w.wrId = ibv_mw_bind.wr_id(b);
                w.opcode = WrOpcode.BIND_MW.code();
                w.flags = ibv_mw_bind.send_flags(b);
                fillBind(w, oldKey, newKey, mrKey, addr, length, access);
                rc = q.postSend(now);
                q.poll(now);
            }
        } finally {
            engine.release();
        }
        if (rc == 0) {
            ibv_mw.rkey(m.struct(), newKey); // as rdma-core: the key is the new one once the bind is posted
        }
        return rc;
    }

    private static void fillBind(SendWqe w, int mwKey, int newKey, int mrKey, long addr, long length, int access) {
        w.mwKey = mwKey;
        w.rkey = newKey;
        w.mrKey = mrKey;
        w.remoteAddress = addr;
        w.bindLength = length;
        w.bindAccess = access;
    }

    @Override
    public MemorySegment createCompChannel() {
        Arena a = Arena.ofShared();
        MemorySegment ch = Structs.allocate(a, ibv_comp_channel.sizeof());
        ibv_comp_channel.context(ch, context);
        SoftChannel c;
        try {
            c = new SoftChannel(a, ch);
        } catch (RuntimeException e) {
            a.close();
            throw e;
        }
        ibv_comp_channel.fd(ch, c.fd());
        int h = device.register(c);
        Structs.setHandle(ch, h);
        return ch;
    }

    @Override
    public int destroyCompChannel(MemorySegment channel) {
        int h = Structs.handle(channel.address(), ibv_comp_channel.sizeof());
        if (!(device.object(h) instanceof SoftChannel c)) return Errnos.EINVAL;
        device.unregister(h);
        c.destroy();
        c.arena.close();
        return 0;
    }

    @Override
    public MemorySegment getCqEvent(MemorySegment channel, long timeoutNanos) {
        SoftChannel c = (SoftChannel) device.object(Structs.handle(channel.address(), ibv_comp_channel.sizeof()));
        SoftCq cq;
        try {
            cq = c.take(timeoutNanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProviderException(Errno.EINTR, "interrupted while waiting for a completion event");
        }
        return cq == null ? MemorySegment.NULL : cq.struct;
    }

    @Override
    public void ackCqEvents(MemorySegment cq, int events) {
        // libibverbs counts acknowledged events in the CQ; destroy does not wait here (no kernel object).
        ibv_cq.comp_events_completed(cq, ibv_cq.comp_events_completed(cq) + events);
    }

    @Override
    public MemorySegment createCq(int cqe, MemorySegment channel, int vector) {
        if (cqe < 1 || cqe > MAX_CQE) {
            throw new ProviderException(Errnos.EINVAL, "a CQ has 1 to " + MAX_CQE + " entries, asked " + cqe);
        }
        if (vector != 0) {
            throw new ProviderException(Errnos.EINVAL, "the soft device has one completion vector (0), asked " + vector);
        }
        SoftChannel ch = null;
        if (channel != null && channel.address() != 0) {
            if (ibv_comp_channel.context(channel.reinterpret(ibv_comp_channel.sizeof())).address() != context.address()
                    || !(device.object(Structs.handle(channel.address(), ibv_comp_channel.sizeof())) instanceof SoftChannel c)) {
                throw new ProviderException(Errnos.EINVAL, "a CQ's completion channel must come from the same context");
            }
            ch = c;
        }
        Arena a = Arena.ofShared();
        MemorySegment cq = Structs.allocate(a, ibv_cq.sizeof());
        ibv_cq.context(cq, context);
        ibv_cq.channel(cq, ch == null ? MemorySegment.NULL : channel);
        ibv_cq.cqe(cq, cqe);
        SoftCq q = new SoftCq(cq, cqe, ch, a, device.engine(), asyncEvents);
        int h = device.register(q);
        ibv_cq.handle(cq, h);
        Structs.setHandle(cq, h);
        return cq;
    }

    /** The CQ behind a {@code struct ibv_cq *}. */
    SoftCq cq(long address) {
        return (SoftCq) device.object(Structs.handle(address, CQ_HANDLE_STRUCT));
    }

    @Override
    public int destroyCq(MemorySegment cq) {
        return destroy(cq, ibv_cq.sizeof(), SoftCq.class, true, null);
    }

    @Override
    public int pollCq(long cq, int max, long wc) {
        return cq(cq).poll(wc, max);
    }

    @Override
    public int reqNotifyCq(long cq, int solicitedOnly) {
        return cq(cq).arm(solicitedOnly != 0);
    }

    // ---------------------------------------------------------------- queue pairs

    private static final long QP_SIZE = ibv_qp.sizeof(), AH_SIZE = ibv_ah.sizeof(), QP_SRQ = ibv_qp.srq$offset();
    /** The most inline bytes a request may carry: rxe allows more, but each send slot keeps a copy. */
    private static final int MAX_INLINE = 256;
    /** rxe numbers its first QP 17 (0x11), after QP0 and QP1 and a reserved range; so do we. */
    private static final long WR_ID = ibv_send_wr.wr_id$offset(), NEXT = ibv_send_wr.next$offset(),
            SG_LIST = ibv_send_wr.sg_list$offset(), NUM_SGE = ibv_send_wr.num_sge$offset(),
            OPCODE = ibv_send_wr.opcode$offset(), SEND_FLAGS = ibv_send_wr.send_flags$offset(),
            IMM = ibv_send_wr.imm_data$offset(), REMOTE_ADDR = ibv_send_wr.wr_rdma_remote_addr$offset(),
            RDMA_RKEY = ibv_send_wr.wr_rdma_rkey$offset(), COMPARE_ADD = ibv_send_wr.wr_atomic_compare_add$offset(),
            SWAP = ibv_send_wr.wr_atomic_swap$offset(), ATOMIC_RKEY = ibv_send_wr.wr_atomic_rkey$offset(),
            UD_AH = ibv_send_wr.wr_ud_ah$offset(), UD_QPN = ibv_send_wr.wr_ud_remote_qpn$offset(),
            UD_QKEY = ibv_send_wr.wr_ud_remote_qkey$offset(), INVALIDATE_RKEY = ibv_send_wr.invalidate_rkey$offset(),
            BIND_MW_MW = ibv_send_wr.bind_mw_mw$offset(), BIND_MW_RKEY = ibv_send_wr.bind_mw_rkey$offset(),
            BIND_INFO = ibv_send_wr.bind_mw_bind_info$offset(), BIND_MR = BIND_INFO + ibv_mw_bind_info.mr$offset(),
            BIND_ADDR = BIND_INFO + ibv_mw_bind_info.addr$offset(), BIND_LENGTH = BIND_INFO + ibv_mw_bind_info.length$offset(),
            BIND_ACCESS = BIND_INFO + ibv_mw_bind_info.mw_access_flags$offset(), MW_RKEY = ibv_mw.rkey$offset(),
            MW_SIZE = ibv_mw.sizeof(), MR_SIZE = ibv_mr.sizeof();
    private static final long RWR_ID = ibv_recv_wr.wr_id$offset(), RNEXT = ibv_recv_wr.next$offset(),
            RSG_LIST = ibv_recv_wr.sg_list$offset(), RNUM_SGE = ibv_recv_wr.num_sge$offset();
    private static final long SGE = ibv_sge.sizeof(), SGE_ADDR = ibv_sge.addr$offset(), SGE_LENGTH = ibv_sge.length$offset(),
            SGE_LKEY = ibv_sge.lkey$offset();
    private static final int CMP_AND_SWP = WrOpcode.ATOMIC_CMP_AND_SWP.code(), FETCH_AND_ADD = WrOpcode.ATOMIC_FETCH_AND_ADD.code(),
            BIND_MW = WrOpcode.BIND_MW.code(), LOCAL_INV = WrOpcode.LOCAL_INV.code(), SEND_WITH_INV = WrOpcode.SEND_WITH_INV.code();

    /** A queue pair: its struct, the transport's QP, its type. */
    record SoftQueuePair(Arena arena, MemorySegment struct, SoftQp qp, QpType type) implements Owned {}

    /** An address handle: where UD sends go (the peer's IPv4 address). */
    record SoftAh(Arena arena, MemorySegment struct, int ip) implements Owned {}

    @Override
    public MemorySegment createQp(MemorySegment pd, MemorySegment init) {
        init = init.reinterpret(ibv_qp_init_attr.sizeof());
        QpType type = qpType(ibv_qp_init_attr.qp_type(init));
        if (type != QpType.RC && type != QpType.UC && type != QpType.UD) {
            throw new ProviderException(Errnos.EOPNOTSUPP, type == QpType.RAW_PACKET
                    ? "they need an mlx5 (ConnectX) device; the soft device runs RC, UC and UD queue pairs"
                    : "the soft device runs RC, UC and UD queue pairs");
        }
        SoftSrq srq = null;
        MemorySegment srqStruct = ibv_qp_init_attr.srq(init);
        if (!Native.isNull(srqStruct)) {
            if (ibv_srq.context(srqStruct.reinterpret(SRQ_SIZE)).address() != context.address()
                    || !(device.object(Structs.handle(srqStruct.address(), SRQ_SIZE)) instanceof SoftSrq s)) {
                throw new ProviderException(Errnos.EINVAL, "a QP's SRQ must come from the same context");
            }
            srq = s;
        }
        MemorySegment cap = ibv_qp_init_attr.cap(init);
        int sendWr = Math.max(1, ibv_qp_cap.max_send_wr(cap)), recvWr = Math.max(1, ibv_qp_cap.max_recv_wr(cap));
        int maxSge = Math.max(1, Math.max(ibv_qp_cap.max_send_sge(cap), ibv_qp_cap.max_recv_sge(cap)));
        if (sendWr > 1 << 14 || recvWr > 1 << 14 || maxSge > 32) {
            throw new ProviderException(Errnos.EINVAL, "at most 16384 requests per queue and 32 SGEs per request");
        }
        int maxInline = ibv_qp_cap.max_inline_data(cap);
        if (maxInline < 0 || maxInline > MAX_INLINE) {
            throw new ProviderException(Errnos.EINVAL, "at most " + MAX_INLINE + " bytes of inline data per request");
        }
        // As rxe: a send slot holds max(SGEs, inline bytes), and the SGEs granted fill the slot.
        maxSge = Math.max(maxSge, (maxInline + (int) SGE - 1) / (int) SGE);
        SoftCq sendCq = ownCq(ibv_qp_init_attr.send_cq(init)), recvCq = ownCq(ibv_qp_init_attr.recv_cq(init));
        int pdHandle = Structs.handle(pd.address(), ibv_pd.sizeof());
        Arena a = Arena.ofShared();
        MemorySegment q = Structs.allocate(a, QP_SIZE);
        int h = device.register(q);
        SoftEngine engine = device.engine();
        SoftQp qp = null;
        int qpn;
        engine.acquire();
        try {
            qpn = engine.nextQpn();
            if (qpn >= 0) {
                qp = new SoftQp(qpn, type, pdHandle, engine.keys, engine.sender(qpn), sendCq, recvCq,
                        ibv_qp_init_attr.sq_sig_all(init) != 0,
                        sendWr, recvWr, maxSge, maxInline, srq == null ? null : srq.rq());
                if (srq != null) {
                    long address = q.address();
                    qp.onLastWqeReached(() -> asyncEvents.post(AsyncEvents.QP_LAST_WQE_REACHED, address));
                }
                engine.add(qp);
            }
        } finally {
            engine.release();
        }
        if (qp == null) {
            device.unregister(h);
            a.close();
            throw new ProviderException(Errnos.ENOMEM, "all 65,519 QP numbers of " + device.config().name() + " are in use");
        }
        ibv_qp.context(q, context);
        ibv_qp.qp_context(q, ibv_qp_init_attr.qp_context(init));
        ibv_qp.pd(q, pd);
        ibv_qp.send_cq(q, ibv_qp_init_attr.send_cq(init));
        ibv_qp.recv_cq(q, ibv_qp_init_attr.recv_cq(init));
        ibv_qp.srq(q, srqStruct);
        ibv_qp.handle(q, h);
        ibv_qp.qp_num(q, qpn);
        ibv_qp.state(q, QpState.RESET.code());
        ibv_qp.qp_type(q, type.code());
        Structs.setHandle(q, h);
        device.replace(h, new SoftQueuePair(a, q, qp, type));
        // What the QP really has: the caller reads the capabilities back from the init attributes.
        ibv_qp_cap.max_send_wr(cap, sendWr);
        ibv_qp_cap.max_recv_wr(cap, recvWr);
        ibv_qp_cap.max_send_sge(cap, maxSge);
        ibv_qp_cap.max_recv_sge(cap, maxSge);
        ibv_qp_cap.max_inline_data(cap, maxInline);
        return q;
    }

    /** The CQ of a {@code struct ibv_cq *} from this context; EINVAL for another context's (or a native device's). */
    private SoftCq ownCq(MemorySegment cq) {
        if (Native.isNull(cq) || ibv_cq.context(cq.reinterpret(ibv_cq.sizeof())).address() != context.address()
                || !(device.object(Structs.handle(cq.address(), CQ_HANDLE_STRUCT)) instanceof SoftCq q)) {
            throw new ProviderException(Errnos.EINVAL, "a QP's CQs must come from the same context");
        }
        return q;
    }

    private static QpType qpType(int code) {
        for (QpType t : QpType.values()) {
            if (t.code() == code) return t;
        }
        throw new ProviderException(Errnos.EINVAL, "unknown QP type " + code);
    }

    private SoftQueuePair queuePair(long address) {
        return (SoftQueuePair) device.object(Structs.handle(address, QP_SIZE));
    }

    @Override
    public int modifyQp(MemorySegment qp, MemorySegment attr, int mask) {
        SoftQueuePair q = queuePair(qp.address());
        attr = attr.reinterpret(ibv_qp_attr.sizeof());
        QpAttributes a = new QpAttributes();
        if ((mask & QpAttrMask.STATE) != 0) {
            QpState to = null;
            for (QpState st : QpState.values()) {
                if (st.code() == ibv_qp_attr.qp_state(attr)) to = st;
            }
            if (to == null) return Errnos.EINVAL;
            a.state = to;
        }
        a.accessFlags = ibv_qp_attr.qp_access_flags(attr);
        a.qkey = ibv_qp_attr.qkey(attr);
        if ((mask & QpAttrMask.PATH_MTU) != 0) {
            int code = ibv_qp_attr.path_mtu(attr);
            if (code < 1 || code > config.mtuCode()) return Errnos.EINVAL; // beyond the port's active MTU, as rxe
            a.pathMtu = 128 << code;
        }
        a.destQpn = ibv_qp_attr.dest_qp_num(attr);
        a.rqPsn = ibv_qp_attr.rq_psn(attr);
        a.sqPsn = ibv_qp_attr.sq_psn(attr);
        a.timeout = Byte.toUnsignedInt(ibv_qp_attr.timeout(attr));
        a.retryCnt = Byte.toUnsignedInt(ibv_qp_attr.retry_cnt(attr));
        a.rnrRetry = Byte.toUnsignedInt(ibv_qp_attr.rnr_retry(attr));
        a.minRnrTimer = Byte.toUnsignedInt(ibv_qp_attr.min_rnr_timer(attr));
        a.maxRdAtomic = Byte.toUnsignedInt(ibv_qp_attr.max_rd_atomic(attr));
        a.maxDestRdAtomic = Byte.toUnsignedInt(ibv_qp_attr.max_dest_rd_atomic(attr));
        if ((mask & QpAttrMask.PORT) != 0 && Byte.toUnsignedInt(ibv_qp_attr.port_num(attr)) != 1) return Errnos.EINVAL;
        if ((mask & QpAttrMask.AV) != 0) {
            int ip = destination(ibv_qp_attr.ah_attr(attr));
            if (ip == 0) return Errnos.EINVAL;
            a.destAddress = ip & 0xFFFFFFFFL;
        }
        SoftEngine engine = device.engine();
        engine.acquire();
        try {
            q.qp().modify(a, mask);
            if ((mask & QpAttrMask.AV) != 0 && q.type() != QpType.UD) {
                // rxe's source port for the QP pair (soft-perf: per-QP send sockets, SoftEngine.route)
                engine.route(q.qp().qpNum(), ibv_global_route.flow_label(ibv_ah_attr.grh(ibv_qp_attr.ah_attr(attr))), q.qp().destQpn());
            }
            ibv_qp.state(q.struct(), q.qp().state().code());
        } catch (IllegalArgumentException | IllegalStateException e) {
            return Errnos.EINVAL;
        } finally {
            engine.release();
        }
        return 0;
    }

    /**
     * The IPv4 address a {@code struct ibv_ah_attr} leads to: its destination GID, IPv4-mapped
     * (the only kind a RoCEv2 device on IPv4 reaches), with a valid source GID index; 0 if not.
     */
    private static int destination(MemorySegment ah) {
        if (ibv_ah_attr.is_global(ah) == 0) return 0;
        MemorySegment grh = ibv_ah_attr.grh(ah);
        if (Byte.toUnsignedInt(ibv_global_route.sgid_index(grh)) >= GIDS) return 0;
        MemorySegment dgid = ibv_global_route.dgid(grh);
        for (int i = 0; i < 10; i++) {
            if (dgid.get(ValueLayout.JAVA_BYTE, i) != 0) return 0;
        }
        if (dgid.get(ValueLayout.JAVA_BYTE, 10) != (byte) 0xff || dgid.get(ValueLayout.JAVA_BYTE, 11) != (byte) 0xff) return 0;
        return dgid.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 12);
    }

    @Override
    public int queryQp(MemorySegment qp, MemorySegment attr, int mask, MemorySegment initAttr) {
        SoftQueuePair q = queuePair(qp.address());
        SoftEngine engine = device.engine();
        engine.acquire();
        try {
            attr.reinterpret(ibv_qp_attr.sizeof()).fill((byte) 0);
            ibv_qp_attr.qp_state(attr.reinterpret(ibv_qp_attr.sizeof()), q.qp().state().code());
        } finally {
            engine.release();
        }
        MemorySegment init = initAttr.reinterpret(ibv_qp_init_attr.sizeof());
        init.fill((byte) 0);
        ibv_qp_init_attr.qp_type(init, q.type().code());
        ibv_qp_init_attr.send_cq(init, ibv_qp.send_cq(q.struct()));
        ibv_qp_init_attr.recv_cq(init, ibv_qp.recv_cq(q.struct()));
        return 0;
    }

    @Override
    public int destroyQp(MemorySegment qp) {
        return destroy(qp, QP_SIZE, SoftQueuePair.class, true, q -> device.engine().remove(q.qp().qpNum()));
    }

    @Override
    public int postSend(long qpAddress, long wr, long badWr) {
        SoftQueuePair q = queuePair(qpAddress);
        SoftQp qp = q.qp();
        boolean ud = q.type() == QpType.UD;
        SoftEngine engine = device.engine();
        MemorySegment all = Structs.ALL;
        int rc = 0;
        engine.acquire();
        try {
            long now = System.nanoTime();
            for (; wr != 0; wr = all.get(ValueLayout.JAVA_LONG, wr + NEXT)) {
                SendWqe w = qp.nextSend();
                if (w == null) {
                    rc = Errnos.ENOMEM;
                    break;
                }
                int n = all.get(ValueLayout.JAVA_INT, wr + NUM_SGE);
                if (n < 0 || n > w.sges.address.length) {
                    rc = Errnos.EINVAL;
                    break;
                }
                w.wrId = all.get(ValueLayout.JAVA_LONG, wr + WR_ID);
                w.opcode = all.get(ValueLayout.JAVA_INT, wr + OPCODE);
                w.flags = all.get(ValueLayout.JAVA_INT, wr + SEND_FLAGS);
                // imm_data is __be32 in memory: the value the wire carries is its big-endian reading.
                w.imm = Integer.reverseBytes(all.get(ValueLayout.JAVA_INT, wr + IMM));
                w.remoteAddress = all.get(ValueLayout.JAVA_LONG, wr + REMOTE_ADDR);
                if (w.opcode == BIND_MW) {
                    if (!readBind(all, wr, w)) {
                        rc = Errnos.EINVAL;
                        break;
                    }
                    n = 0;
                } else if (w.opcode == LOCAL_INV) {
                    w.rkey = all.get(ValueLayout.JAVA_INT, wr + INVALIDATE_RKEY);
                    n = 0;
                } else if (w.opcode == SEND_WITH_INV) {
                    w.rkey = all.get(ValueLayout.JAVA_INT, wr + INVALIDATE_RKEY); // host order, unlike imm_data
                } else if (w.opcode == CMP_AND_SWP || w.opcode == FETCH_AND_ADD) {
                    w.compareAdd = all.get(ValueLayout.JAVA_LONG, wr + COMPARE_ADD);
                    w.swap = all.get(ValueLayout.JAVA_LONG, wr + SWAP);
                    w.rkey = all.get(ValueLayout.JAVA_INT, wr + ATOMIC_RKEY);
                } else {
                    w.rkey = all.get(ValueLayout.JAVA_INT, wr + RDMA_RKEY);
                }
                if (ud) {
                    long ah = all.get(ValueLayout.JAVA_LONG, wr + UD_AH);
                    if (ah == 0 || !(device.object(Structs.handle(ah, AH_SIZE)) instanceof SoftAh a)) {
                        rc = Errnos.EINVAL;
                        break;
                    }
                    w.udAddress = a.ip() & 0xFFFFFFFFL;
                    w.udRemoteQpn = all.get(ValueLayout.JAVA_INT, wr + UD_QPN);
                    w.udRemoteQkey = all.get(ValueLayout.JAVA_INT, wr + UD_QKEY);
                }
                long sg = all.get(ValueLayout.JAVA_LONG, wr + SG_LIST);
                if ((w.flags & SendFlags.INLINE) != 0) {
                    // Inline: the bytes are copied now (the caller may reuse its buffer at once); no lkey needed.
                    long total = 0;
                    for (int i = 0; i < n; i++) total += Integer.toUnsignedLong(all.get(ValueLayout.JAVA_INT, sg + i * SGE + SGE_LENGTH));
                    if (total > w.inlineData.byteSize()) {
                        rc = Errnos.EINVAL;
                        break;
                    }
                    long at = 0;
                    for (int i = 0; i < n; i++, sg += SGE) {
                        int len = all.get(ValueLayout.JAVA_INT, sg + SGE_LENGTH);
                        MemorySegment.copy(all, all.get(ValueLayout.JAVA_LONG, sg + SGE_ADDR), w.inlineData, at, len);
                        at += len;
                    }
                    w.inlineLength = (int) total;
                } else {
                    for (int i = 0; i < n; i++, sg += SGE) {
                        w.sges.set(i, all.get(ValueLayout.JAVA_LONG, sg + SGE_ADDR), all.get(ValueLayout.JAVA_INT, sg + SGE_LENGTH),
                                all.get(ValueLayout.JAVA_INT, sg + SGE_LKEY));
                    }
                }
                rc = qp.postSend(now);
                if (rc != 0) break;
            }
            // Transmit from this thread now: no hand-off to the progress thread on the way out.
            qp.poll(System.nanoTime());
        } finally {
            engine.release();
        }
        if (rc != 0) {
            all.set(ValueLayout.JAVA_LONG, badWr, wr);
        }
        return rc;
    }

    /**
     * The {@code bind_mw} of a BIND_MW request: the window by its struct (named by the key in
     * {@code ibv_mw.rkey}, as rxe's kernel checks it), the region by its struct; false if either
     * pointer is not one of this device's objects.
     */
    private boolean readBind(MemorySegment all, long wr, SendWqe w) {
        long mw = all.get(ValueLayout.JAVA_LONG, wr + BIND_MW_MW);
        if (mw == 0 || !(device.object(Structs.handle(mw, MW_SIZE)) instanceof SoftMw)) {
            return false;
        }
        long length = all.get(ValueLayout.JAVA_LONG, wr + BIND_LENGTH);
        long mr = all.get(ValueLayout.JAVA_LONG, wr + BIND_MR);
        int mrKey = 0;
        if (mr != 0) {
            if (!(device.object(Structs.handle(mr, MR_SIZE)) instanceof SoftMr r)) {
                return false;
            }
            mrKey = r.key();
        } else if (length != 0) {
            return false;
        }
        fillBind(w, all.get(ValueLayout.JAVA_INT, mw + MW_RKEY), all.get(ValueLayout.JAVA_INT, wr + BIND_MW_RKEY), mrKey,
                all.get(ValueLayout.JAVA_LONG, wr + BIND_ADDR), length, all.get(ValueLayout.JAVA_INT, wr + BIND_ACCESS));
        return true;
    }

    @Override
    public int postRecv(long qpAddress, long wr, long badWr) {
        SoftQueuePair q = queuePair(qpAddress);
        if (q.struct().get(ValueLayout.JAVA_LONG, QP_SRQ) != 0) {
            // As rxe: a QP with an SRQ takes no receives of its own.
            Structs.ALL.set(ValueLayout.JAVA_LONG, badWr, wr);
            return Errnos.EINVAL;
        }
        return postReceives(q.qp(), wr, badWr);
    }

    /**
     * {@code ibv_post_recv} and {@code ibv_post_srq_recv}: copies the {@code ibv_recv_wr} chain at
     * {@code wr} into {@code queue} under the device lock; on failure stores the first request not
     * posted at {@code badWr}.
     */
    private int postReceives(ReceivePosting queue, long wr, long badWr) {
        SoftEngine engine = device.engine();
        MemorySegment all = Structs.ALL;
        int rc = 0;
        engine.acquire();
        try {
            for (; wr != 0; wr = all.get(ValueLayout.JAVA_LONG, wr + RNEXT)) {
                RecvWqe r = queue.nextRecv();
                rc = r == null ? Errnos.ENOMEM : fillReceive(r, wr);
                if (rc == 0) rc = queue.postRecv();
                if (rc != 0) break;
            }
        } finally {
            engine.release();
        }
        if (rc != 0) {
            all.set(ValueLayout.JAVA_LONG, badWr, wr);
        }
        return rc;
    }

    private static final long SRQ_SIZE = ibv_srq.sizeof();

    /** A shared receive queue: its struct and the transport's receive ring several QPs take from. */
    record SoftSrq(Arena arena, MemorySegment struct, ReceiveQueue rq, int maxSge, Runnable limitReached) implements Owned {}

    @Override
    public MemorySegment createSrq(MemorySegment pd, MemorySegment initAttr) {
        MemorySegment init = initAttr.reinterpret(ibv_srq_init_attr.sizeof());
        MemorySegment attr = ibv_srq_init_attr.attr(init);
        int maxWr = ibv_srq_attr.max_wr(attr), maxSge = ibv_srq_attr.max_sge(attr);
        int limit = ibv_srq_attr.srq_limit(attr);
        if (maxWr < 1 || maxWr > MAX_SRQ_WR || maxSge < 1 || maxSge > 32 || limit < 0 || limit > maxWr) {
            throw new ProviderException(Errnos.EINVAL, "an SRQ has 1 to " + MAX_SRQ_WR + " requests of 1 to 32 SGEs, a limit of 0 to its requests");
        }
        Arena a = Arena.ofShared();
        MemorySegment srq = Structs.allocate(a, SRQ_SIZE);
        ibv_srq.context(srq, context);
        ibv_srq.srq_context(srq, ibv_srq_init_attr.srq_context(init));
        ibv_srq.pd(srq, pd);
        long address = srq.address();
        ReceiveQueue rq = new ReceiveQueue(maxWr, maxSge);
        // The event for the limit: made once here, run by the progress thread when a receive takes the SRQ below it.
        Runnable reached = () -> asyncEvents.post(AsyncEvents.SRQ_LIMIT_REACHED, address);
        rq.armLimit(limit, reached);
        int h = device.register(new SoftSrq(a, srq, rq, maxSge, reached));
        ibv_srq.handle(srq, h);
        Structs.setHandle(srq, h);
        return srq;
    }

    private SoftSrq sharedReceiveQueue(long address) {
        return (SoftSrq) device.object(Structs.handle(address, SRQ_SIZE));
    }

    /** {@code enum ibv_srq_attr_mask}. */
    private static final int SRQ_MAX_WR = 1, SRQ_LIMIT = 2;

    @Override
    public int modifySrq(MemorySegment srq, MemorySegment attr, int mask) {
        SoftSrq s = sharedReceiveQueue(srq.address());
        MemorySegment a = attr.reinterpret(ibv_srq_attr.sizeof());
        if ((mask & ~(SRQ_MAX_WR | SRQ_LIMIT)) != 0) return Errnos.EINVAL;
        int maxWr = ibv_srq_attr.max_wr(a), limit = ibv_srq_attr.srq_limit(a);
        SoftEngine engine = device.engine();
        engine.acquire();
        try {
            // As rxe: a resize keeps the posted receives; a limit above the queue's size is EINVAL.
            if ((mask & SRQ_MAX_WR) != 0) {
                if (maxWr > MAX_SRQ_WR) return Errnos.EINVAL;
                s.rq().resize(maxWr);
            }
            if ((mask & SRQ_LIMIT) != 0) s.rq().armLimit(limit, s.limitReached());
        } catch (IllegalArgumentException e) {
            return Errnos.EINVAL;
        } finally {
            engine.release();
        }
        return 0;
    }

    @Override
    public int querySrq(MemorySegment srq, MemorySegment attr) {
        SoftSrq s = sharedReceiveQueue(srq.address());
        MemorySegment a = attr.reinterpret(ibv_srq_attr.sizeof());
        SoftEngine engine = device.engine();
        engine.acquire();
        try {
            ibv_srq_attr.max_wr(a, s.rq().depth());
            ibv_srq_attr.srq_limit(a, s.rq().limit());
        } finally {
            engine.release();
        }
        ibv_srq_attr.max_sge(a, s.maxSge());
        return 0;
    }

    @Override
    public int destroySrq(MemorySegment srq) {
        return destroy(srq, SRQ_SIZE, SoftSrq.class, true, null);
    }

    @Override
    public int postSrqRecv(long srq, long wr, long badWr) {
        return postReceives(sharedReceiveQueue(srq).rq(), wr, badWr);
    }

    /** Copies the {@code ibv_recv_wr} at {@code wr} into {@code r}: 0, or EINVAL for too many SGEs. */
    private static int fillReceive(RecvWqe r, long wr) {
        MemorySegment all = Structs.ALL;
        int n = all.get(ValueLayout.JAVA_INT, wr + RNUM_SGE);
        if (n < 0 || n > r.sges.address.length) {
            return Errnos.EINVAL;
        }
        r.wrId = all.get(ValueLayout.JAVA_LONG, wr + RWR_ID);
        long sg = all.get(ValueLayout.JAVA_LONG, wr + RSG_LIST);
        for (int i = 0; i < n; i++, sg += SGE) {
            r.sges.set(i, all.get(ValueLayout.JAVA_LONG, sg + SGE_ADDR), all.get(ValueLayout.JAVA_INT, sg + SGE_LENGTH),
                    all.get(ValueLayout.JAVA_INT, sg + SGE_LKEY));
        }
        return 0;
    }

    @Override
    public MemorySegment createAh(MemorySegment pd, MemorySegment ahAttr) {
        int ip = destination(ahAttr.reinterpret(ibv_ah_attr.sizeof()));
        if (ip == 0) {
            throw new ProviderException(Errnos.EINVAL, "an address handle needs is_global, a source GID index below " + GIDS
                    + " and an IPv4-mapped destination GID");
        }
        Arena a = Arena.ofShared();
        MemorySegment ah = Structs.allocate(a, AH_SIZE);
        ibv_ah.context(ah, context);
        ibv_ah.pd(ah, pd);
        int h = device.register(new SoftAh(a, ah, ip));
        ibv_ah.handle(ah, h);
        Structs.setHandle(ah, h);
        return ah;
    }

    @Override
    public int destroyAh(MemorySegment ah) {
        return destroy(ah, AH_SIZE, SoftAh.class, false, null);
    }

    /** An object of this context that lives in an arena of its own (its struct, its state). */
    interface Owned {
        Arena arena();
    }

    /**
     * Ends the object behind {@code struct} ({@code size} bytes, a {@code T}): {@code underLock}
     * takes it out of the transport under the engine lock, then its handle is released, its
     * async events dropped ({@code hasEvents}) and its arena closed. EINVAL when the struct is
     * not a {@code T} of this device (foreign, or already destroyed).
     */
    private <T extends Owned> int destroy(MemorySegment struct, long size, Class<T> type, boolean hasEvents,
                                          java.util.function.Consumer<T> underLock) {
        int h = Structs.handle(struct.address(), size);
        if (!type.isInstance(device.object(h))) return Errnos.EINVAL;
        T o = type.cast(device.object(h));
        if (underLock != null) {
            SoftEngine engine = device.engine();
            engine.acquire();
            try {
                underLock.accept(o);
            } finally {
                engine.release();
            }
        }
        device.unregister(h);
        if (hasEvents) asyncEvents.purge(struct.address());
        o.arena().close();
        return 0;
    }

    @Override
    public int close() {
        asyncEvents.close();
        arena.close();
        device.release();
        return 0;
    }
}
