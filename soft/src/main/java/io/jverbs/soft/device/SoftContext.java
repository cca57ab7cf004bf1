package io.jverbs.soft.device;

import io.jverbs.core.Errno;
import io.jverbs.verbs.ffi.ibv_comp_channel;
import io.jverbs.verbs.ffi.ibv_context;
import io.jverbs.verbs.ffi.ibv_cq;
import io.jverbs.verbs.ffi.ibv_device_attr;
import io.jverbs.verbs.ffi.ibv_device_attr_ex;
import io.jverbs.verbs.ffi.ibv_gid_entry;
import io.jverbs.verbs.ffi.ibv_mr;
import io.jverbs.verbs.ffi.ibv_pd;
import io.jverbs.verbs.ffi.ibv_port_attr;
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
    private static final int MAX_CQE = 1 << 16;

    private final SoftDevice device;
    private final SoftDeviceConfig config;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment context;

    SoftContext(SoftDevice device) {
        this.device = device;
        this.config = device.config();
        this.context = arena.allocate(ibv_context.layout());
        // device stays NULL: there is no struct ibv_device (mlx5dv_is_supported and friends see "not theirs").
        ibv_context.cmd_fd(context, -1);
        ibv_context.async_fd(context, -1);
        ibv_context.num_comp_vectors(context, 1);
    }

    @Override
    public MemorySegment context() {
        return context;
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
        ibv_device_attr.max_pd(a, 1 << 16);
        ibv_device_attr.max_qp_rd_atom(a, 128);
        ibv_device_attr.max_qp_init_rd_atom(a, 128);
        ibv_device_attr.max_res_rd_atom(a, 1 << 16);
        ibv_device_attr.atomic_cap(a, ATOMIC_HCA);
        ibv_device_attr.max_ah(a, 1 << 16);
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
    record SoftPd(Arena arena, MemorySegment struct) {}

    /** A memory region: what the transport checks a key against. */
    record SoftMr(Arena arena, MemorySegment struct, int pdHandle, long address, long length, long iova, int access, int key) {}

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
        int h = Structs.handle(pd.address(), ibv_pd.sizeof());
        if (!(device.object(h) instanceof SoftPd p)) return Errnos.EINVAL;
        device.unregister(h);
        p.arena().close();
        return 0;
    }

    @Override
    public MemorySegment regMr(MemorySegment pd, long address, long length, long iova, int access) {
        int pdHandle = Structs.handle(pd.address(), ibv_pd.sizeof());
        Arena a = Arena.ofShared();
        MemorySegment mr = Structs.allocate(a, ibv_mr.sizeof());
        int h = device.register(mr); // placeholder until the region is complete
        int key = h << 8 | device.newKey() & 0xff;
        SoftMr m = new SoftMr(a, mr, pdHandle, address, length, iova, access, key);
        ibv_mr.context(mr, context);
        ibv_mr.pd(mr, pd);
        ibv_mr.addr(mr, MemorySegment.ofAddress(address));
        ibv_mr.length(mr, length);
        ibv_mr.handle(mr, h);
        ibv_mr.lkey(mr, key);
        ibv_mr.rkey(mr, key);
        Structs.setHandle(mr, h);
        device.replace(h, m);
        return mr;
    }

    /** The region a key names, or null (wrong index, stale tag, deregistered). */
    SoftMr region(int key) {
        return device.object(key >>> 8) instanceof SoftMr m && m.key() == key ? m : null;
    }

    @Override
    public int deregMr(MemorySegment mr) {
        int h = Structs.handle(mr.address(), ibv_mr.sizeof());
        if (!(device.object(h) instanceof SoftMr m)) return Errnos.EINVAL;
        device.unregister(h);
        m.arena().close();
        return 0;
    }

    @Override
    public MemorySegment createCompChannel() {
        Arena a = Arena.ofShared();
        MemorySegment ch = Structs.allocate(a, ibv_comp_channel.sizeof());
        ibv_comp_channel.context(ch, context);
        ibv_comp_channel.fd(ch, -1); // no descriptor: the progress thread wakes waiters directly
        int h = device.register(new SoftChannel(a, ch));
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
            ch = (SoftChannel) device.object(Structs.handle(channel.address(), ibv_comp_channel.sizeof()));
        }
        Arena a = Arena.ofShared();
        MemorySegment cq = Structs.allocate(a, ibv_cq.sizeof());
        ibv_cq.context(cq, context);
        ibv_cq.channel(cq, ch == null ? MemorySegment.NULL : channel);
        ibv_cq.cqe(cq, cqe);
        SoftCq q = new SoftCq(cq, cqe, ch, a);
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
        int h = Structs.handle(cq.address(), ibv_cq.sizeof());
        if (!(device.object(h) instanceof SoftCq q)) return Errnos.EINVAL;
        device.unregister(h);
        q.arena.close();
        return 0;
    }

    @Override
    public int pollCq(long cq, int max, long wc) {
        return cq(cq).poll(wc, max);
    }

    @Override
    public int reqNotifyCq(long cq, int solicitedOnly) {
        return cq(cq).arm(solicitedOnly != 0);
    }

    private static final String NO_QPS = "the soft device's queue pairs wait for its transport (io.jverbs.soft.transport, in progress)";

    @Override
    public MemorySegment createQp(MemorySegment pd, MemorySegment initAttr) {
        throw new ProviderException(Errnos.EOPNOTSUPP, NO_QPS);
    }

    @Override
    public int modifyQp(MemorySegment qp, MemorySegment attr, int mask) {
        return Errnos.EINVAL;
    }

    @Override
    public int queryQp(MemorySegment qp, MemorySegment attr, int mask, MemorySegment initAttr) {
        return Errnos.EINVAL;
    }

    @Override
    public int destroyQp(MemorySegment qp) {
        return Errnos.EINVAL;
    }

    @Override
    public int postSend(long qp, long wr, long badWr) {
        return Errnos.EINVAL;
    }

    @Override
    public int postRecv(long qp, long wr, long badWr) {
        return Errnos.EINVAL;
    }

    @Override
    public MemorySegment createSrq(MemorySegment pd, MemorySegment initAttr) {
        throw new ProviderException(Errnos.EOPNOTSUPP, "shared receive queues come with the soft device's transport (in progress)");
    }

    @Override
    public int modifySrq(MemorySegment srq, MemorySegment attr, int mask) {
        return Errnos.EINVAL;
    }

    @Override
    public int querySrq(MemorySegment srq, MemorySegment attr) {
        return Errnos.EINVAL;
    }

    @Override
    public int destroySrq(MemorySegment srq) {
        return Errnos.EINVAL;
    }

    @Override
    public int postSrqRecv(long srq, long wr, long badWr) {
        return Errnos.EINVAL;
    }

    @Override
    public MemorySegment createAh(MemorySegment pd, MemorySegment ahAttr) {
        throw new ProviderException(Errnos.EOPNOTSUPP, "address handles come with the soft device's UD transport (in progress)");
    }

    @Override
    public int destroyAh(MemorySegment ah) {
        return Errnos.EINVAL;
    }

    @Override
    public int close() {
        arena.close();
        device.release();
        return 0;
    }
}
