package io.jverbs.soft.device;

import io.jverbs.core.NativeBuffer;
import io.jverbs.soft.wire.Icrc;
import io.jverbs.soft.wire.SourcePort;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.AddressHandle;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.Gid;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.WrOpcode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * rxe's UDP source port per QP on the socket path: the soft device {@code jsp0} (127.24.0.1)
 * sends to a plain host UDP socket on 127.24.0.9:4791 standing in for the peer, which sees each
 * datagram's source address and port as the kernel put them on the wire; the ICRC in each
 * datagram must cover that port. When the port is taken, the QP falls back to 4791, counted and
 * logged once.
 */
class SoftSourcePortTest {
    private static final String DEVICE = "jsp0", ADDRESS = "127.24.0.1", PEER = "127.24.0.9";
    private static final int PEER_QPN = 0x2a;

    private Context ctx;
    private ProtectionDomain pd;
    private CompletionQueue cq;
    private NativeBuffer buf;
    private MemoryRegion mr;
    private DatagramChannel peer;

    @BeforeAll
    static void device() {
        SoftProvider.add(SoftDeviceConfig.of(DEVICE, ADDRESS));
    }

    @AfterAll
    static void removeDevice() {
        SoftProvider.remove(DEVICE);
    }

    @BeforeEach
    void open() throws IOException {
        ctx = Context.open(DEVICE);
        pd = ctx.allocateProtectionDomain();
        cq = ctx.createCompletionQueue(64);
        buf = NativeBuffer.allocate(4096);
        mr = pd.register(buf, Access.LOCAL_WRITE);
        peer = DatagramChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress(PEER, 4791));
    }

    @AfterEach
    void close() throws IOException {
        peer.close();
        buf.close();
        ctx.close();
    }

    private static Endpoint peerEndpoint(int qpn) throws IOException {
        return new Endpoint(0, qpn, 0, Gid.ofIpv4(InetAddress.getByName(PEER).getAddress()));
    }

    /** An RC QP of jsp0 connected to the host socket's pretend QP {@code remoteQpn}. */
    private QueuePair rcTo(int remoteQpn, PathSettings path) throws IOException {
        QueuePair qp = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq));
        qp.connect(qp.endpoint(1, 1, 0), peerEndpoint(remoteQpn), path);
        return qp;
    }

    /**
     * Posts {@code wr} on {@code qp}; returns the source port the host socket saw its packet for
     * the pretend QP {@code remoteQpn} come from.
     */
    private int sendAndCapture(QueuePair qp, SendRequests wr, int remoteQpn) throws IOException {
        qp.postSend(wr);
        return capture(remoteQpn);
    }

    /**
     * The source port of the next datagram for the pretend QP {@code remoteQpn} (its BTH's
     * destination QP; the other QPs' retransmissions are skipped), after checking its ICRC.
     */
    private int capture(int remoteQpn) throws IOException {
        ByteBuffer in = ByteBuffer.allocateDirect(2048);
        InetSocketAddress from;
        do {
            in.clear();
            from = (InetSocketAddress) receive(in);
        } while ((in.getInt(4) & 0xff_ffff) != remoteQpn);
        assertEquals(ADDRESS, from.getAddress().getHostAddress());
        // The ICRC the device wrote covers the UDP source port the kernel really used.
        MemorySegment d = MemorySegment.ofBuffer(in.flip());
        int length = in.remaining();
        int expected = new Icrc().computeDatagram(ip(ADDRESS), ip(PEER), from.getPort(), d, 0, length);
        assertEquals(expected, d.get(Icrc.LAYOUT, length - Icrc.LENGTH), "ICRC over source port " + from.getPort());
        return from.getPort();
    }

    private java.net.SocketAddress receive(ByteBuffer in) throws IOException {
        // A blocking receive bounded by a watchdog: a datagram that never comes fails the test, never hangs it.
        Thread watchdog = Thread.ofPlatform().daemon().start(() -> {
            try {
                Thread.sleep(5000);
                peer.close();
            } catch (InterruptedException | IOException ignored) {
                // the datagram came
            }
        });
        try {
            return peer.receive(in);
        } finally {
            watchdog.interrupt();
        }
    }

    private static int ip(String a) throws IOException {
        return SoftEngine.ipv4(InetAddress.getByName(a));
    }

    private SendRequests send100(int wrId) {
        return new SendRequests(1, 1).add(wrId, WrOpcode.SEND, SendFlags.SIGNALED).sge(mr, 0, 100);
    }

    @Test
    void eachRcQpSendsFromItsOwnRxePort() throws IOException {
        PathSettings path = new PathSettings().gidIndex(1);
        try (QueuePair a = rcTo(PEER_QPN, path); QueuePair b = rcTo(PEER_QPN + 1, path)) {
            int pa = sendAndCapture(a, send100(1), PEER_QPN), pb = sendAndCapture(b, send100(2), PEER_QPN + 1);
            assertEquals(SourcePort.rc(a.qpNumber(), PEER_QPN), pa, "QP " + a.qpNumber());
            assertEquals(SourcePort.rc(b.qpNumber(), PEER_QPN + 1), pb, "QP " + b.qpNumber());
            assertTrue(pa != pb, "two QP pairs, two flows: " + pa);
            // A retransmission (the pretend peer never ACKs; timeout 14 is ~67 ms) leaves from the same port.
            assertEquals(pa, capture(PEER_QPN));
        }
    }

    @Test
    void aFlowLabelInThePathGivesItsPort() throws IOException {
        try (QueuePair a = rcTo(PEER_QPN, new PathSettings().gidIndex(1).flowLabel(0x12345))) {
            assertEquals(SourcePort.fold(0x12345), sendAndCapture(a, send100(3), PEER_QPN));
        }
    }

    @Test
    void aUdQpSendsFromItsQpNumbersPort() throws IOException {
        PathSettings ud = new PathSettings().gidIndex(1).qkey(0x11);
        try (QueuePair qp = pd.createQueuePair(QueuePair.Config.of(QpType.UD, cq))) {
            qp.toInit(ud);
            qp.toRtr(null, ud);
            qp.toRts(0, ud);
            try (AddressHandle ah = pd.createAddressHandle(peerEndpoint(PEER_QPN), ud)) {
                int port = sendAndCapture(qp, send100(4).ud(ah, PEER_QPN, 0x11), PEER_QPN);
                assertEquals(SourcePort.ud(qp.qpNumber()), port);
            }
        }
    }

    @Test
    void aTakenPortFallsBackTo4791CountedAndLoggedOnce() throws IOException {
        SoftEngine engine = SoftProvider.engine(DEVICE);
        List<LogRecord> warnings = new ArrayList<>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getMessage() != null && r.getMessage().contains("rxe's source port")) {
                    warnings.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger logger = Logger.getLogger(SoftEngine.class.getName());
        logger.addHandler(h);
        PathSettings path = new PathSettings().gidIndex(1);
        try (QueuePair a = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq));
             QueuePair b = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq))) {
            int portA = SourcePort.rc(a.qpNumber(), PEER_QPN), portB = SourcePort.rc(b.qpNumber(), PEER_QPN + 1);
            long before = engine.sourcePortFallbacks;
            try (DatagramChannel takerA = DatagramChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress(ADDRESS, portA));
                 DatagramChannel takerB = DatagramChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress(ADDRESS, portB))) {
                a.connect(a.endpoint(1, 1, 0), peerEndpoint(PEER_QPN), path);
                b.connect(b.endpoint(1, 1, 0), peerEndpoint(PEER_QPN + 1), path);
                assertNotNull(takerA.getLocalAddress());
                assertNotNull(takerB.getLocalAddress());
            }
            assertEquals(2, engine.sourcePortFallbacks - before, "both QPs fell back");
            // Their packets leave from the device socket, with an ICRC over 4791.
            assertEquals(4791, sendAndCapture(a, send100(5), PEER_QPN));
            assertEquals(4791, sendAndCapture(b, send100(6), PEER_QPN + 1));
        } finally {
            logger.removeHandler(h);
        }
        // Only this test makes jsp0 fall back: the first of its two fallbacks is logged, the second not.
        assertEquals(1, warnings.size(), "logged once per device, not per QP");
    }

    @Test
    void destroyingTheQpFreesItsPort() throws IOException {
        int port;
        try (QueuePair a = rcTo(PEER_QPN + 2, new PathSettings().gidIndex(1))) {
            port = sendAndCapture(a, send100(7), PEER_QPN + 2);
            assertEquals(SourcePort.rc(a.qpNumber(), PEER_QPN + 2), port);
        }
        try (DatagramChannel again = DatagramChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress(ADDRESS, port))) {
            assertEquals(port, ((InetSocketAddress) again.getLocalAddress()).getPort());
        }
    }
}
