package io.jverbs.perftest.oob;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * perftest's out-of-band protocol, byte-compatible with C perftest (6.06 and 6.29 read), over
 * any {@link OobTransport}. Each method is one perftest function and keeps its roles: in every
 * exchange <b>the client writes then reads, the server reads then writes</b>
 * ({@code ctx_xchg_data}, {@code ctx_hand_shake}).
 *
 * <p>The order a C peer expects (write_bw; the other tests differ only in the number of
 * handshakes, see each test's main() in perftest):
 * <ol>
 *   <li>connect ({@link #server}/{@link #client}); perftest then sleeps 1 s (not needed here);</li>
 *   <li>{@link #exchangeVersions()} — jperf advertises {@link PerftestVersion#JPERF} (6.06), so
 *       no 6.28 parameter negotiation follows, on either side;</li>
 *   <li>{@link #exchangeSystemData};</li>
 *   <li>{@link #exchangeMtu};</li>
 *   <li>{@link #exchangeQpInfo} (one message per QP), then each side moves its QPs to RTR/RTS;</li>
 *   <li>{@link #exchangeQpInfo} again (perftest prints the remote addresses here);</li>
 *   <li>{@link #barrier()} — "an additional handshake is required after moving qp to RTR";</li>
 *   <li>the test; after a unidirectional write/read/atomic BW test: {@link #barrier(Duration)}
 *       (the server waits there for the client to finish) then {@link #exchangeBwReport};</li>
 *   <li>{@link #closeConnection()}: one more handshake, then close.</li>
 * </ol>
 * Every read is bounded by the step timeout (perftest waits forever); every failure is an
 * {@link OobException} naming the step. Not thread-safe: one thread drives a session.
 */
public final class OobSession implements AutoCloseable {
    /** Default bound for one step: a silent or stuck peer is reported after this long. */
    public static final Duration DEFAULT_STEP_TIMEOUT = Duration.ofSeconds(30);

    /** Which side of perftest's exchanges this is. */
    public enum Role {
        /** No server name given: accepts, and reads before it writes. */
        SERVER,
        /** Connects to the server, and writes before it reads. */
        CLIENT
    }

    private final OobTransport transport;
    private final Role role;
    private final Duration stepTimeout;
    private PerftestVersion peerVersion;
    private QpInfo firstLocal;
    private int gidIndex = -1;

    private OobSession(OobTransport transport, Role role, Duration stepTimeout) {
        this.transport = Objects.requireNonNull(transport, "transport");
        this.role = Objects.requireNonNull(role, "role");
        if (stepTimeout.isNegative() || stepTimeout.isZero()) {
            throw new IllegalArgumentException("step timeout must be positive: " + stepTimeout);
        }
        this.stepTimeout = stepTimeout;
    }

    /**
     * perftest's {@code ethernet_server_connect}: waits on {@code port} (all addresses) for one
     * client. {@code acceptTimeout} zero waits forever, as perftest does.
     */
    public static OobSession server(int port, Duration acceptTimeout, Duration stepTimeout) {
        return server(null, port, acceptTimeout, stepTimeout);
    }

    /** As {@link #server(int, Duration, Duration)}, bound to one local address (null = all). */
    public static OobSession server(InetAddress bind, int port, Duration acceptTimeout, Duration stepTimeout) {
        return new OobSession(TcpTransport.accept(bind, port, acceptTimeout), Role.SERVER, stepTimeout);
    }

    /**
     * perftest's {@code ethernet_client_connect}, retrying a refused connection until
     * {@code connectTimeout} has passed.
     */
    public static OobSession client(String host, int port, Duration connectTimeout, Duration stepTimeout) {
        return new OobSession(TcpTransport.connect(host, port, connectTimeout), Role.CLIENT, stepTimeout);
    }

    /** A session over another transport, e.g. an rdma_cm control QP ({@code -z}). */
    public static OobSession over(OobTransport transport, Role role, Duration stepTimeout) {
        return new OobSession(transport, role, stepTimeout);
    }

    public Role role() {
        return role;
    }

    /** The byte pipe under this session (TCP, or rdma_cm with -z/-R). */
    public OobTransport transport() {
        return transport;
    }

    /** The peer's address, for messages. */
    public String peer() {
        return transport.peer();
    }

    /** The peer's version, after {@link #exchangeVersions()}. */
    public PerftestVersion peerVersion() {
        requireVersions();
        return peerVersion;
    }

    /**
     * {@code exchange_versions} + {@code check_version_compatibility}: 16 bytes each way. A
     * peer below 5.70 is rejected as perftest rejects it. A peer at 6.28 or above is fine:
     * perftest's {@code negotiate_params} runs only when the <em>remote</em> version is ≥ 6.28,
     * and jperf's is 6.06, so that peer skips it; jperf skips it too (it implements no
     * negotiation), which is what a C 6.06 does.
     */
    public PerftestVersion exchangeVersions() {
        String step = "version exchange";
        byte[] theirs = exchange(PerftestVersion.JPERF.encode(), PerftestVersion.WIRE_SIZE, step);
        PerftestVersion v = PerftestVersion.decode(theirs, step);
        if (v.number() < PerftestVersion.MIN_COMPATIBLE) {
            throw new OobException(OobException.Kind.VERSION, step,
                    "peer runs perftest " + v + "; perftest below 5.70 speaks an older protocol"
                            + " (perftest itself refuses it); update the peer's perftest");
        }
        peerVersion = v;
        return v;
    }

    /**
     * {@code check_sys_data}: page size, then cache-line size, each a 4-byte big-endian int in
     * its own exchange, only if the peer is ≥ 5.32 (always, after the 5.70 check).
     *
     * @return the values both sides use from now on: the maximum of each
     */
    public SystemData exchangeSystemData(SystemData local) {
        requireVersions();
        if (peerVersion.number() < PerftestVersion.SYSTEM_DATA) {
            return local;
        }
        int page = exchangeInt(local.pageSize(), "page size exchange (system data)");
        int line = exchangeInt(local.cacheLineSize(), "cache line size exchange (system data)");
        if (page <= 0 || line <= 0 || page > 1 << 30 || line > 1 << 20) {
            throw new OobException(OobException.Kind.GARBAGE, "system data exchange",
                    "peer is not perftest/jperf: page size " + page + " and cache-line size " + line
                            + " are not plausible");
        }
        return local.max(new SystemData(page, line));
    }

    /**
     * The exchange inside {@code check_mtu}: the {@code ibv_mtu} enum value (1 = 256 … 5 = 4096)
     * as {@code sprintf("%d")}, 2 bytes (digit and NUL).
     *
     * @return the MTU both sides use: the smaller enum value
     */
    public int exchangeMtu(int localMtuEnum) {
        if (localMtuEnum < 1 || localMtuEnum > 5) {
            throw new IllegalArgumentException("MTU must be an ibv_mtu value 1..5 (256..4096), got " + localMtuEnum);
        }
        requireVersions();
        String step = "MTU exchange";
        byte[] mine = {(byte) ('0' + localMtuEnum), 0};
        byte[] theirs = exchange(mine, 2, step);
        int remote = theirs[0] - '0';
        if (theirs[1] != 0 || remote < 1 || remote > 5) {
            throw new OobException(OobException.Kind.GARBAGE, step,
                    "peer is not perftest/jperf: expected an MTU enum \"1\"..\"5\" and NUL, got bytes "
                            + Bytes.describe(theirs));
        }
        return Math.min(localMtuEnum, remote);
    }

    /**
     * One {@code ctx_hand_shake} per QP, in order, then perftest's
     * {@code ctx_check_gid_compatibility} on the first pair.
     *
     * @param local    this side's QPs; all with a GID if {@code gidIndex >= 0}, none otherwise
     * @param gidIndex this side's GID index, -1 for none: it decides the message layout this side
     *                 expects, as in perftest, and is named in the mismatch error
     * @return the peer's QP info, one per local QP
     */
    public List<QpInfo> exchangeQpInfo(List<QpInfo> local, int gidIndex) {
        if (local.isEmpty()) {
            throw new IllegalArgumentException("at least one QP");
        }
        for (QpInfo q : local) {
            if (q.hasGid() != gidIndex >= 0) {
                throw new IllegalArgumentException("gid index " + gidIndex + " but QP info "
                        + (q.hasGid() ? "has" : "has no") + " GID: " + q);
            }
        }
        this.firstLocal = local.get(0);
        this.gidIndex = gidIndex;
        List<QpInfo> remote = new ArrayList<>(local.size());
        for (int i = 0; i < local.size(); i++) {
            remote.add(handshake(local.get(i), stepTimeout, "QP info exchange (QP " + i + " of " + local.size() + ")"));
        }
        QpInfo.checkGidTypes(local.get(0), remote.get(0), "QP info exchange");
        return remote;
    }

    /**
     * {@code ctx_hand_shake(my_dest[0], rem_dest[0])} used as a barrier: both sides send QP 0's
     * message again and wait for the other's. Needs {@link #exchangeQpInfo} first.
     */
    public void barrier() {
        barrier(stepTimeout);
    }

    /**
     * A barrier that waits up to {@code timeout}: for the server of a unidirectional test, which
     * waits here while the client runs the whole test (iterations or {@code -D} seconds).
     */
    public void barrier(Duration timeout) {
        if (firstLocal == null) {
            throw new IllegalStateException("barrier before exchangeQpInfo: perftest's handshake carries QP 0's info");
        }
        handshake(firstLocal, timeout, "handshake (barrier)");
    }

    /**
     * {@code xchg_bw_reports}: size, iterations, peak, average, message rate, each 8 bytes
     * big-endian in its own exchange (iterations are 8 bytes for peers ≥ 5.33, i.e. always).
     * The server of a unidirectional test sends {@link BwReport#NONE} and prints what it gets.
     */
    public BwReport exchangeBwReport(BwReport local) {
        requireVersions();
        String[] names = {"size", "iterations", "peak bandwidth", "average bandwidth", "message rate"};
        long[] mine = local.wireFields();
        long[] theirs = new long[mine.length];
        for (int i = 0; i < mine.length; i++) {
            theirs[i] = exchangeLong(mine[i], "BW report exchange (" + names[i] + ")");
        }
        return BwReport.fromWireFields(theirs);
    }

    /**
     * The longest a server keeps the connection after the closing handshake, waiting for its
     * client to close it ({@link OobTransport#awaitPeerClose}).
     */
    public static final Duration CLOSE_LINGER = Duration.ofSeconds(5);

    /**
     * {@code ctx_close_connection}: a last handshake ("client is finished"), then close the
     * socket. Needs {@link #exchangeQpInfo} first.
     */
    public void closeConnection() {
        closeConnection(stepTimeout);
    }

    /**
     * {@code ctx_close_connection} waiting up to {@code timeout}: for the read_lat/atomic_lat
     * server, which goes straight to it and waits there while the client runs the test.
     *
     * <p>The server has all it needs once the client's message is in: a client that goes away
     * before the server's answer is confirmed (it may have read it and closed before its
     * acknowledgement went out) is not an error, as perftest only warns when
     * {@code ctx_close_connection} fails and exits 0. The server then keeps the connection until
     * the client closes it (at most {@link #CLOSE_LINGER}): over rdma_cm, closing at once could
     * take the QP down before the acknowledgement of the client's message left, and a C client
     * (rdma_cm retry count 7, which Soft-RoCE retries forever) would wait for it forever.
     */
    public void closeConnection(Duration timeout) {
        if (firstLocal == null) {
            throw new IllegalStateException("closeConnection before exchangeQpInfo");
        }
        String step = "closing handshake";
        try {
            if (role == Role.CLIENT) {
                handshake(firstLocal, timeout, step);
                return;
            }
            readQpInfo(timeout, step);
            try {
                transport.write(encode(firstLocal), step);
            } catch (OobException e) {
                if (e.kind() != OobException.Kind.CLOSED) {
                    throw e;
                }
                return; // the client left after its last message: nothing more to hear or wait for
            }
            transport.awaitPeerClose(CLOSE_LINGER);
        } finally {
            close();
        }
    }

    /** A wait that ends only with the peer: the server of {@code --run_infinitely} waits so for its client. */
    public static final Duration FOREVER = Duration.ofDays(365L * 100);

    /** The transport's {@link OobTransport#peerState()}: whether the peer sent something or went away. */
    public OobTransport.PeerState peerState() {
        return transport.peerState();
    }

    /**
     * jperf's end of a {@code --run_infinitely} send_bw client: its barrier message, sent without
     * waiting for an answer (a C server never reads during the run), then close. A jperf server
     * sees it with {@link #peerState()} and takes it with {@link #awaitFinished()}.
     */
    public void finishWithoutAnswer() {
        if (firstLocal == null) {
            throw new IllegalStateException("finish before exchangeQpInfo");
        }
        try {
            transport.write(encode(firstLocal), "finishing (barrier message)");
        } finally {
            close();
        }
    }

    /** The server's side of {@link #finishWithoutAnswer()}: reads the client's barrier message, then closes. */
    public void awaitFinished() {
        if (firstLocal == null) {
            throw new IllegalStateException("awaitFinished before exchangeQpInfo");
        }
        try {
            readQpInfo(stepTimeout, "client's finishing message");
        } finally {
            close();
        }
    }

    @Override
    public void close() {
        transport.close();
    }

    /** {@code ctx_hand_shake}: the client writes its message then reads; the server the reverse. */
    private QpInfo handshake(QpInfo local, Duration timeout, String step) {
        byte[] mine = encode(local);
        if (role == Role.CLIENT) {
            transport.write(mine, step);
            return readQpInfo(timeout, step);
        }
        QpInfo remote = readQpInfo(timeout, step);
        transport.write(mine, step);
        return remote;
    }

    /** A QP message in the transport's layout: perftest's raw struct over rdma_cm, its text over TCP. */
    private byte[] encode(QpInfo local) {
        return transport.binaryQpInfo() ? local.encodeBinary(gidIndex) : local.encode();
    }

    /**
     * Reads the first 59 bytes, decides from them whether the peer uses the same layout (so a
     * GID mismatch fails at once, not by timeout), then the rest of a 108-byte message.
     */
    private QpInfo readQpInfo(Duration timeout, String step) {
        if (transport.binaryQpInfo()) {
            return QpInfo.decodeBinary(transport.read(QpInfo.BINARY_SIZE, timeout, step), gidIndex >= 0, step);
        }
        byte[] head = transport.read(QpInfo.SIZE, timeout, step);
        QpInfo.checkLayout(head, gidIndex, step);
        if (gidIndex < 0) {
            return QpInfo.decode(head, step);
        }
        byte[] tail = transport.read(QpInfo.SIZE_GID - QpInfo.SIZE, timeout, step);
        byte[] whole = new byte[QpInfo.SIZE_GID];
        System.arraycopy(head, 0, whole, 0, head.length);
        System.arraycopy(tail, 0, whole, head.length, tail.length);
        return QpInfo.decode(whole, step);
    }

    /** {@code ctx_xchg_data}: one write and one read of the same size, in the role's order. */
    private byte[] exchange(byte[] mine, int length, String step) {
        if (role == Role.CLIENT) {
            transport.write(mine, step);
            return transport.read(length, stepTimeout, step);
        }
        byte[] theirs = transport.read(length, stepTimeout, step);
        transport.write(mine, step);
        return theirs;
    }

    private int exchangeInt(int value, String step) {
        return ByteBuffer.wrap(exchange(ByteBuffer.allocate(4).putInt(value).array(), 4, step)).getInt();
    }

    private long exchangeLong(long value, String step) {
        return ByteBuffer.wrap(exchange(ByteBuffer.allocate(8).putLong(value).array(), 8, step)).getLong();
    }

    private void requireVersions() {
        if (peerVersion == null) {
            throw new IllegalStateException("exchangeVersions() must come first: perftest's later steps depend on the peer's version");
        }
    }

}
