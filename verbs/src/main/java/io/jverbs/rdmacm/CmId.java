package io.jverbs.rdmacm;

import io.jverbs.core.Errno;
import io.jverbs.core.NativeCall;
import io.jverbs.core.NativeResource;
import io.jverbs.core.NotSupportedException;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.VerbsException;
import io.jverbs.rdmacm.ffi.RdmaCm;
import io.jverbs.rdmacm.ffi.rdma_addr;
import io.jverbs.rdmacm.ffi.rdma_cm_id;
import io.jverbs.rdmacm.ffi.rdma_route;
import io.jverbs.verbs.ffi.ibv_qp_attr;
import io.jverbs.verbs.internal.Checks;
import io.jverbs.verbs.internal.QpFactory;
import io.jverbs.verbs.internal.VerbsAccess;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * An rdma_cm communication identifier ({@code struct rdma_cm_id}): the rdma_cm counterpart of a
 * socket. Created by {@link CmEventChannel#createId()} (port space {@code RDMA_PS_TCP}, RC QPs) or
 * {@link CmEventChannel#createUdpId()} ({@code RDMA_PS_UDP}, UD QPs), or delivered by a
 * {@link CmEventType#CONNECT_REQUEST} event (in its listener's port space); its events arrive on
 * its {@link #channel()}.
 *
 * <p>UD ({@code RDMA_PS_UDP}): {@link #connect} sends a SIDR request; the active side's
 * ESTABLISHED event carries the passive side's QP number, qkey and address
 * ({@link CmEvent#ud()}); the passive side accepts and gets no ESTABLISHED (SIDR has no third
 * message). Both QPs are at RTS with qkey {@link #UDP_QKEY} once created.
 *
 * <p>Active side: {@link #resolveAddress} (wait for ADDR_RESOLVED), {@link #resolveRoute} (wait
 * for ROUTE_RESOLVED), {@link #createQueuePair}, {@link #connect} (wait for ESTABLISHED). Passive
 * side: {@link #bind}, {@link #listen}; on CONNECT_REQUEST, the event's id: {@link #createQueuePair},
 * {@link #accept} (wait for ESTABLISHED) or {@link #reject}. Either side: {@link #disconnect}
 * (both see DISCONNECTED). {@link CmConnection} and {@link CmListener} do all of this in one call.
 *
 * <p>The QP from {@link #createQueuePair} is moved through its states by rdma_cm (on connect,
 * accept and disconnect) and is closed before the id. Closing the channel closes the id.
 */
public final class CmId extends NativeResource {
    /** {@code RDMA_PS_TCP}: reliable connected QPs. */
    static final int PS_TCP = 0x0106;
    /** {@code RDMA_PS_UDP}: unreliable datagram QPs. */
    static final int PS_UDP = 0x0111;
    /** {@code RDMA_UDP_QKEY}: the qkey rdma_cm gives the UD QPs of {@code RDMA_PS_UDP} ids. */
    public static final int UDP_QKEY = 0x01234567;
    /** {@code RDMA_OPTION_ID}, {@code RDMA_OPTION_ID_ACK_TIMEOUT} (rdma_cma.h). */
    private static final int OPTION_ID = 0, OPTION_ID_ACK_TIMEOUT = 3;
    /** {@code IBV_QPS_INIT}. */
    private static final int QP_STATE_INIT = 1;

    private final CmEventChannel channel;
    private final MemorySegment id;
    private final boolean udp;
    private volatile QueuePair queuePair;

    /** A new id on {@code channel} ({@code rdma_create_id}) in port space {@code portSpace}. */
    CmId(CmEventChannel channel, int portSpace) {
        super(channel);
        this.channel = channel;
        this.udp = portSpace == PS_UDP;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = arena.allocate(ValueLayout.ADDRESS);
            if (RdmaCm.rdma_create_id(channel.segment(), slot, MemorySegment.NULL, portSpace) != 0) {
                throw Checks.fromErrno(RdmaCmCall.CREATE_ID, null);
            }
            this.id = slot.get(ValueLayout.ADDRESS, 0).reinterpret(rdma_cm_id.sizeof());
        }
        attach();
        channel.register(this, id.address());
    }

    /** Wraps the new id of a connection request, already on {@code channel}. */
    CmId(CmEventChannel channel, MemorySegment raw) {
        super(channel);
        this.channel = channel;
        this.id = raw.reinterpret(rdma_cm_id.sizeof());
        this.udp = rdma_cm_id.ps(id) == PS_UDP;
        attach();
        channel.register(this, id.address());
    }

    /** Whether this id is in port space {@code RDMA_PS_UDP} (UD QPs, SIDR connections). */
    public boolean isUdp() {
        return udp;
    }

    /** The channel this id's events arrive on. */
    public CmEventChannel channel() {
        return channel;
    }

    /** The {@code struct rdma_cm_id *}. */
    public MemorySegment segment() {
        checkOpen();
        return id;
    }

    /** Binds to a local address and port ({@code rdma_bind_addr}); port 0 picks a free one, the wildcard address all devices. */
    public void bind(InetSocketAddress local) {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            check(RdmaCmCall.BIND_ADDR, RdmaCm.rdma_bind_addr(id, SocketAddresses.encode(local, arena)), local);
        }
    }

    /** Listens for connection requests ({@code rdma_listen}); they arrive as CONNECT_REQUEST events. */
    public void listen(int backlog) {
        checkOpen();
        check(RdmaCmCall.LISTEN, RdmaCm.rdma_listen(id, backlog));
    }

    /**
     * Starts resolving {@code remote} to an RDMA device and path ({@code rdma_resolve_addr}); the
     * outcome is an ADDR_RESOLVED or ADDR_ERROR event within {@code timeout}. {@code local} may be
     * null (the routing table chooses).
     */
    public void resolveAddress(InetSocketAddress local, InetSocketAddress remote, Duration timeout) {
        checkOpen();
        Objects.requireNonNull(remote, "remote");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = local == null ? MemorySegment.NULL : SocketAddresses.encode(local, arena);
            check(RdmaCmCall.RESOLVE_ADDR, RdmaCm.rdma_resolve_addr(id, src, SocketAddresses.encode(remote, arena), millis(timeout)), remote);
        }
    }

    /** Starts resolving the route to the resolved address ({@code rdma_resolve_route}): ROUTE_RESOLVED or ROUTE_ERROR follows. */
    public void resolveRoute(Duration timeout) {
        checkOpen();
        check(RdmaCmCall.RESOLVE_ROUTE, RdmaCm.rdma_resolve_route(id, millis(timeout)));
    }

    /**
     * The device context librdmacm opened for this id ({@code id->verbs}); known after address
     * resolution, a bind to a device's address, or for the id of a CONNECT_REQUEST. Allocate the
     * PD and CQs for {@link #createQueuePair} from it. Closing it does not close the device.
     */
    public Context context() {
        checkOpen();
        MemorySegment verbs = rdma_cm_id.verbs(id);
        if (Native.isNull(verbs)) {
            throw new IllegalStateException("this id is not bound to an RDMA device yet: resolve the address first"
                    + " (or use the id of a CONNECT_REQUEST)");
        }
        return VerbsAccess.get().adoptContext(verbs);
    }

    /** The port of {@link #context()} this id uses, from 1 (0 before it is bound to a device). */
    public int portNumber() {
        checkOpen();
        return Byte.toUnsignedInt(rdma_cm_id.port_num(id));
    }

    /**
     * Creates this id's queue pair ({@code rdma_create_qp}): RC for a TCP-space id, which rdma_cm
     * moves to RTR/RTS on connect/accept and to ERR on disconnect; UD for a UDP-space id, at RTS
     * with qkey {@link #UDP_QKEY} at once. {@code pd} must come from {@link #context()}.
     */
    public QueuePair createQueuePair(ProtectionDomain pd, QueuePair.Config config) {
        checkOpen();
        if (queuePair != null && !queuePair.isClosed()) {
            throw new IllegalStateException("this id already has a queue pair");
        }
        if (pd.context().isSoftDevice()) {
            // rdma_cm lives in the kernel (CM MADs on QP1, address resolution through the kernel's
            // RDMA devices); a soft device has neither, so no CM id can ever own its QPs.
            throw new NotSupportedException("rdma_cm connections", pd.context().device().name(),
                    "rdma_cm needs a kernel RDMA device; exchange QP numbers out of band instead"
                            + " (io.jverbs.verbs.oob, as jperf does without -R)", null, 0);
        }
        MemorySegment verbs = context().segment();
        if (pd.context().segment().address() != verbs.address()) {
            throw new IllegalArgumentException("the PD belongs to " + pd.context().device().name()
                    + " opened with Context.open, but rdma_cm opened its own context: allocate the PD from CmId.context()");
        }
        QueuePair qp = VerbsAccess.get().createQueuePair(pd, config, new QpFactory() {
            @Override
            public NativeResource owner() {
                return CmId.this;
            }

            @Override
            public NativeCall call() {
                return RdmaCmCall.CREATE_QP;
            }

            @Override
            public MemorySegment create(MemorySegment pdSegment, MemorySegment initAttr) {
                return createQp(pdSegment, initAttr);
            }

            @Override
            public void destroy() {
                destroyQp();
            }
        });
        queuePair = qp;
        return qp;
    }

    /** The QP made by {@link #createQueuePair}, or null. */
    public QueuePair queuePair() {
        checkOpen();
        QueuePair qp = queuePair;
        return qp == null || qp.isClosed() ? null : qp;
    }

    /** Sends a connection request ({@code rdma_connect}); ESTABLISHED, REJECTED, UNREACHABLE or CONNECT_ERROR follows. */
    public void connect(ConnectionParameters parameters) {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = parameters.encode(arena, ConnectionParameters.MAX_CONNECT_PRIVATE_DATA, "rdma_connect");
            setAckTimeout(parameters, arena);
            check(RdmaCmCall.CONNECT, RdmaCm.rdma_connect(id, p));
        }
    }

    /** Accepts the connection request of this id ({@code rdma_accept}); ESTABLISHED follows. */
    public void accept(ConnectionParameters parameters) {
        checkOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = parameters.encode(arena, ConnectionParameters.MAX_ACCEPT_PRIVATE_DATA, "rdma_accept");
            setAckTimeout(parameters, arena);
            check(RdmaCmCall.ACCEPT, RdmaCm.rdma_accept(id, p));
        }
    }

    /** {@code rdma_set_option(RDMA_OPTION_ID_ACK_TIMEOUT)} when the parameters set one: it applies when the QP moves to RTS. */
    private void setAckTimeout(ConnectionParameters parameters, Arena arena) {
        if (parameters.ackTimeout < 0) return;
        MemorySegment value = arena.allocateFrom(ValueLayout.JAVA_BYTE, (byte) parameters.ackTimeout);
        int rc = RdmaCm.rdma_set_option(id, OPTION_ID, OPTION_ID_ACK_TIMEOUT, value, 1);
        if (parameters.ackTimeoutSet) check(RdmaCmCall.SET_OPTION, rc); // the default is best effort: old kernels lack the option
    }

    /** Rejects the connection request of this id ({@code rdma_reject}); the peer sees REJECTED with reason 28. */
    public void reject(byte[] privateData) {
        checkOpen();
        byte[] data = privateData == null ? new byte[0] : privateData;
        ConnectionParameters.checkPrivateData(data, ConnectionParameters.MAX_REJECT_PRIVATE_DATA, "rdma_reject");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = data.length == 0 ? MemorySegment.NULL : arena.allocateFrom(ValueLayout.JAVA_BYTE, data);
            check(RdmaCmCall.REJECT, RdmaCm.rdma_reject(id, p, (byte) data.length));
        }
    }

    /** Disconnects ({@code rdma_disconnect}): the QP goes to ERR, both sides get DISCONNECTED. */
    public void disconnect() {
        checkOpen();
        check(RdmaCmCall.DISCONNECT, RdmaCm.rdma_disconnect(id));
    }

    /** The bound or resolved local address and port; null before bind/resolve. */
    public InetSocketAddress localAddress() {
        checkOpen();
        return SocketAddresses.decode(rdma_addr.src_storage(rdma_route.addr(rdma_cm_id.route(id))));
    }

    /** The peer's address and port; null before resolve (active side) or for a listening id. */
    public InetSocketAddress remoteAddress() {
        checkOpen();
        InetSocketAddress a = SocketAddresses.decode(rdma_addr.dst_storage(rdma_route.addr(rdma_cm_id.route(id))));
        // librdmacm sets only the family of a bound id's destination: 0.0.0.0:0 means none
        return a == null || (a.getPort() == 0 && a.getAddress().isAnyLocalAddress()) ? null : a;
    }

    /**
     * Waits for this id's next event and returns it if it is {@code expected}. Reads this id's
     * channel, so the channel must carry only this id's events (as those of {@link CmConnection}
     * do). Throws {@link CmException}: for an error event (REJECTED, ADDR_ERROR, ...), another
     * event, or none within {@code timeout}; {@code step} names what was awaited in the message.
     */
    public CmEvent awaitEvent(CmEventType expected, Duration timeout, String step) {
        return awaitEvent(expected, timeout, step, timeout, null);
    }

    /**
     * As {@link #awaitEvent(CmEventType, Duration, String)}, but a timeout reports the caller's
     * limit {@code reported} (named by {@code limit} unless null: the timeout), not {@code wait}.
     */
    CmEvent awaitEvent(CmEventType expected, Duration wait, String step, Duration reported, String limit) {
        checkOpen();
        CmEvent e = channel.next(wait);
        if (e == null) {
            throw CmException.timeout(step, expected, reported, limit);
        }
        if (e.type() == expected && e.id() == this) {
            return e;
        }
        if (e.type().isError() && e.id() == this) {
            throw CmException.of(step, e);
        }
        throw CmException.unexpected(step, expected, e);
    }

    /**
     * True when the kernel's CM no longer holds this id's connection: {@code rdma_init_qp_attr}
     * for INIT fails with EINVAL, as rdma_create_qp and rdma_accept do then. For the id of a
     * connection request this means the client went away (its REJ arrived) and, if that happened
     * before the request was read, no event will ever say so (ucma drops it).
     */
    boolean connectionIsGone() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ibv_qp_attr.layout());
            ibv_qp_attr.qp_state(attr, QP_STATE_INIT);
            MemorySegment mask = arena.allocate(ValueLayout.JAVA_INT);
            return RdmaCm.rdma_init_qp_attr(id, attr, mask) != 0 && Native.lastErrno() == Errno.EINVAL;
        }
    }

    /** rdma_create_qp for {@link QueuePair}: the new {@code struct ibv_qp *}, or NULL with errno captured. */
    MemorySegment createQp(MemorySegment pd, MemorySegment init) {
        if (RdmaCm.rdma_create_qp(id, pd, init) != 0) {
            return MemorySegment.NULL;
        }
        return rdma_cm_id.qp(id);
    }

    /** rdma_destroy_qp for {@link QueuePair#close()}, which runs before this id is destroyed. */
    void destroyQp() {
        RdmaCm.rdma_destroy_qp(id);
    }

    private static int millis(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        return (int) Math.clamp(timeout.toMillis(), 1, Integer.MAX_VALUE);
    }

    private static void check(RdmaCmCall call, int rc) {
        if (rc != 0) {
            throw Checks.fromErrno(call, null);
        }
    }

    /** As {@link #check(RdmaCmCall, int)}, naming the address in the message. */
    private static void check(RdmaCmCall call, int rc, InetSocketAddress address) {
        if (rc != 0) {
            int errno = Native.lastErrno();
            String hint = call.hint(errno);
            throw new VerbsException(call, errno, "Address " + address + (hint == null ? "" : ". " + hint));
        }
    }

    @Override
    protected void destroy() {
        channel.unregister(id.address());
        if (RdmaCm.rdma_destroy_id(id) != 0) {
            throw Checks.fromErrno(RdmaCmCall.DESTROY_ID, null);
        }
    }

    @Override
    protected String describe() {
        return "CmId(0x" + Long.toHexString(id.address()) + ")";
    }
}
