package io.jverbs.rdmacm;

import io.jverbs.core.NativeResource;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.rdmacm.ffi.RdmaCm;
import io.jverbs.rdmacm.ffi.rdma_cm_event;
import io.jverbs.rdmacm.ffi.rdma_conn_param;
import io.jverbs.rdmacm.ffi.rdma_event_channel;
import io.jverbs.rdmacm.ffi.rdma_ud_param;
import io.jverbs.verbs.ffi.ibv_ah_attr;
import io.jverbs.verbs.internal.Checks;
import io.jverbs.verbs.internal.JfrEvents;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An rdma_cm event channel ({@code struct rdma_event_channel}): the file descriptor on which the
 * events of its {@link CmId}s arrive. Closing it closes its ids (and their QPs) first.
 *
 * <p>{@link #next(Duration)} waits with {@code poll(2)} on the channel's fd, so it never blocks
 * longer than its timeout, then reads the event ({@code rdma_get_cm_event}), copies it into a
 * {@link CmEvent} and acknowledges it ({@code rdma_ack_cm_event}) at once. Immediate
 * acknowledgement is what makes {@code rdma_destroy_id} and {@code rdma_migrate_id}, which wait
 * for unacknowledged events, safe to call at any time. One thread reads at a time; others wait.
 */
public final class CmEventChannel extends NativeResource {
    private final MemorySegment channel;
    private final Map<Long, CmId> ids = new ConcurrentHashMap<>();
    private final ReentrantLock reading = new ReentrantLock();
    /** Listener channels move each connection request's id to a channel of its own (see {@link CmListener}). */
    private final boolean requestsOnOwnChannel;

    /** Creates a channel ({@code rdma_create_event_channel}). */
    public static CmEventChannel create() {
        return new CmEventChannel(false);
    }

    CmEventChannel(boolean requestsOnOwnChannel) {
        super(null);
        this.requestsOnOwnChannel = requestsOnOwnChannel;
        MemorySegment c = RdmaCm.rdma_create_event_channel();
        if (Native.isNull(c)) {
            throw Checks.fromErrno(RdmaCmCall.CREATE_EVENT_CHANNEL, null);
        }
        this.channel = c.reinterpret(rdma_event_channel.sizeof());
        attach();
    }

    /** Creates an id for reliable connections ({@code rdma_create_id} with {@code RDMA_PS_TCP}). */
    public CmId createId() {
        checkOpen();
        return new CmId(this, CmId.PS_TCP);
    }

    /**
     * Creates an id for unreliable datagrams ({@code rdma_create_id} with {@code RDMA_PS_UDP}):
     * its QP is UD, its connect is a SIDR exchange whose result is {@link CmEvent#ud()}.
     */
    public CmId createUdpId() {
        checkOpen();
        return new CmId(this, CmId.PS_UDP);
    }

    /** The channel's file descriptor, readable when an event is pending (for epoll/select). */
    public int fd() {
        checkOpen();
        return rdma_event_channel.fd(channel);
    }

    /** The {@code struct rdma_event_channel *}. */
    public MemorySegment segment() {
        checkOpen();
        return channel;
    }

    /**
     * The next event, or null when none arrives within {@code timeout} (or the thread is
     * interrupted while waiting). Never blocks longer than the timeout. Events for ids that were
     * closed meanwhile are dropped.
     */
    public CmEvent next(Duration timeout) {
        checkOpen();
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        try {
            if (!reading.tryLock(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS)) {
                return null;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (!LibC.awaitReadable(fd(), Math.max(0, (left + 999_999) / 1_000_000))) {
                    return null;
                }
                checkOpen();
                CmEvent e = read();
                if (e != null) {
                    return e;
                }
            }
        } finally {
            reading.unlock();
        }
    }

    /** rdma_get_cm_event, copy, rdma_ack_cm_event; null for an event of an id no longer known. */
    private CmEvent read() {
        MemorySegment raw;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = arena.allocate(ValueLayout.ADDRESS);
            if (RdmaCm.rdma_get_cm_event(channel, slot) != 0) {
                throw Checks.fromErrno(RdmaCmCall.GET_CM_EVENT, null);
            }
            raw = slot.get(ValueLayout.ADDRESS, 0).reinterpret(rdma_cm_event.sizeof());
        }
        CmEventType type;
        int status;
        long idAddress, listenAddress;
        byte[] data;
        CmEvent.Parameters params;
        CmEvent.UdParameters ud = null;
        try {
            type = CmEventType.of(rdma_cm_event.event(raw));
            status = rdma_cm_event.status(raw);
            idAddress = rdma_cm_event.id(raw).address();
            listenAddress = rdma_cm_event.listen_id(raw).address();
            MemorySegment conn = rdma_cm_event.param_conn(raw);
            MemorySegment pd = rdma_conn_param.private_data(conn);
            int len = Byte.toUnsignedInt(rdma_conn_param.private_data_len(conn));
            data = Native.isNull(pd) || len == 0 ? new byte[0] : pd.reinterpret(len).toArray(ValueLayout.JAVA_BYTE);
            params = new CmEvent.Parameters(Byte.toUnsignedInt(rdma_conn_param.responder_resources(conn)),
                    Byte.toUnsignedInt(rdma_conn_param.initiator_depth(conn)), rdma_conn_param.flow_control(conn) != 0,
                    Byte.toUnsignedInt(rdma_conn_param.retry_count(conn)), Byte.toUnsignedInt(rdma_conn_param.rnr_retry_count(conn)),
                    rdma_conn_param.srq(conn) != 0, rdma_conn_param.qp_num(conn) & 0xffffff);
            if (type == CmEventType.ESTABLISHED) {
                CmId known = ids.get(idAddress);
                if (known != null && known.isUdp()) {
                    // param is a union: its ud member is what a SIDR reply carried (rdma_get_cm_event(3))
                    MemorySegment u = rdma_cm_event.param_ud(raw);
                    MemorySegment udData = rdma_ud_param.private_data(u);
                    int udLen = Byte.toUnsignedInt(rdma_ud_param.private_data_len(u));
                    data = Native.isNull(udData) || udLen == 0 ? new byte[0]
                            : udData.reinterpret(udLen).toArray(ValueLayout.JAVA_BYTE);
                    ud = new CmEvent.UdParameters(rdma_ud_param.qp_num(u) & 0xffffff, rdma_ud_param.qkey(u),
                            rdma_ud_param.ah_attr(u).toArray(ValueLayout.JAVA_BYTE));
                }
            }
        } finally {
            Checks.check(RdmaCmCall.ACK_CM_EVENT, RdmaCm.rdma_ack_cm_event(raw));
        }
        if (JfrEvents.CmEvent.enabled()) new JfrEvents.CmEvent(type.name(), status, idAddress, listenAddress).commit();
        if (type == CmEventType.CONNECT_REQUEST) {
            MemorySegment newId = MemorySegment.ofAddress(idAddress);
            CmId listener = ids.get(listenAddress);
            if (listener == null) {
                RdmaCm.rdma_destroy_id(newId); // its listener was closed meanwhile: nobody will accept it
                return null;
            }
            return new CmEvent(type, status, adoptRequest(newId), listener, data, params, null);
        }
        CmId id = ids.get(idAddress);
        if (id == null) {
            return null;
        }
        return new CmEvent(type, status, id, null, data, params, ud);
    }

    /** Wraps the id of a connection request: on this channel, or moved to a new one of its own. */
    private CmId adoptRequest(MemorySegment newId) {
        if (!requestsOnOwnChannel) {
            return new CmId(this, newId);
        }
        CmEventChannel own;
        try {
            own = new CmEventChannel(false);
        } catch (RuntimeException e) {
            RdmaCm.rdma_destroy_id(newId);
            throw e;
        }
        try {
            if (RdmaCm.rdma_migrate_id(newId, own.channel) != 0) {
                RuntimeException e = Checks.fromErrno(RdmaCmCall.MIGRATE_ID, null);
                RdmaCm.rdma_destroy_id(newId);
                throw e;
            }
            return new CmId(own, newId);
        } catch (RuntimeException e) {
            own.close();
            throw e;
        }
    }

    void register(CmId id, long address) {
        ids.put(address, id);
    }

    void unregister(long address) {
        ids.remove(address);
    }

    @Override
    protected void destroy() {
        RdmaCm.rdma_destroy_event_channel(channel);
    }
}
