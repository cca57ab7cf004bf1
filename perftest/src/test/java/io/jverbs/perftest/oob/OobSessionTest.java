package io.jverbs.perftest.oob;

import static io.jverbs.perftest.oob.FakePeer.readN;
import static io.jverbs.perftest.oob.QpInfoTest.V4_GID;
import static io.jverbs.perftest.oob.QpInfoTest.cString;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Real sockets on 127.0.0.1: jperf against jperf, and against scripted C-perftest peers. */
class OobSessionTest {
    static final Duration STEP = Duration.ofSeconds(5);
    static final Duration BOUND = Duration.ofSeconds(15);
    static final String HOST = "127.0.0.1";

    static final byte[] VERSION_606 = {'6', '.', '0', '6', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

    /** What jperf's client below sends for its QP, as C's sprintf(KEY_PRINT_FMT_GID) would. */
    static final QpInfo CLIENT_QP = new QpInfo(0, 0x10, 0x11, 0x00beef, 0x1234, 0x00005555aaaa0000L, V4_GID, 0);
    static final byte[] CLIENT_QP_WIRE = cString("0000:0010:000011:00beef:00001234:00005555aaaa0000:"
            + "00:00:00:00:00:00:00:00:00:00:ff:ff:0a:00:00:01:00000000:");
    /** A C server's QP message (::ffff:10.0.0.2). */
    static final byte[] C_SERVER_QP_WIRE = cString("0000:0010:000012:abcdef:00005678:00007f0011220000:"
            + "00:00:00:00:00:00:00:00:00:00:ff:ff:0a:00:00:02:00000000:");

    static byte[] version(String v) {
        return Arrays.copyOf(v.getBytes(StandardCharsets.US_ASCII), 16);
    }

    static byte[] be(long... values8) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 * values8.length);
        for (long v : values8) {
            b.putLong(v);
        }
        return b.array();
    }

    // ---- jperf <-> jperf -------------------------------------------------------------------

    record Outcome(PerftestVersion version, SystemData sys, int mtu, List<QpInfo> first, List<QpInfo> second, BwReport report) {
    }

    static Outcome runSide(OobSession s, SystemData sys, int mtu, List<QpInfo> qps, int gidIndex, BwReport mine) {
        try (s) {
            PerftestVersion v = s.exchangeVersions();
            SystemData agreed = s.exchangeSystemData(sys);
            int m = s.exchangeMtu(mtu);
            List<QpInfo> first = s.exchangeQpInfo(qps, gidIndex);
            List<QpInfo> second = s.exchangeQpInfo(qps, gidIndex);
            s.barrier();
            s.barrier(Duration.ofSeconds(60));
            BwReport r = s.exchangeBwReport(mine);
            s.closeConnection();
            return new Outcome(v, agreed, m, first, second, r);
        }
    }

    static List<QpInfo> qps(int n, byte[] gid, int qpnBase) {
        return java.util.stream.IntStream.range(0, n)
                .mapToObj(i -> new QpInfo(gid == null ? 7 : 0, 16, qpnBase + i, 0x100 * i + 1, 0x4000 + i,
                        0x7f0000000000L + i * 0x10000L, gid, 0))
                .toList();
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void jperfServerAndClientRunPerftestsWholeSequence(boolean withGid) throws Exception {
        int port = FakePeer.freePort();
        byte[] gidS = withGid ? QpInfoTest.V4_GID : null;
        byte[] gidC = withGid ? QpInfoTest.V4_GID.clone() : null;
        if (gidC != null) {
            gidC[15] = 2;
        }
        int gidIndex = withGid ? 1 : -1;
        List<QpInfo> serverQps = qps(withGid ? 2 : 1, gidS, 0x100);
        List<QpInfo> clientQps = qps(withGid ? 2 : 1, gidC, 0x200);
        BwReport clientReport = new BwReport(65536, 5000, 25.5, 22.25, 0.000356);
        assertTimeoutPreemptively(BOUND, () -> {
            CompletableFuture<Outcome> server = CompletableFuture.supplyAsync(() -> runSide(
                    OobSession.server(port, Duration.ofSeconds(10), STEP), new SystemData(4096, 64), 5, serverQps, gidIndex,
                    BwReport.NONE));
            Outcome client = runSide(OobSession.client(HOST, port, Duration.ofSeconds(10), STEP),
                    new SystemData(65536, 128), 3, clientQps, gidIndex, clientReport);
            Outcome srv = server.get();
            assertEquals("6.06", client.version().text());
            assertEquals("6.06", srv.version().text());
            assertEquals(new SystemData(65536, 128), client.sys());
            assertEquals(new SystemData(65536, 128), srv.sys());
            assertEquals(3, client.mtu());
            assertEquals(3, srv.mtu());
            assertEquals(serverQps, client.first());
            assertEquals(serverQps, client.second());
            assertEquals(clientQps, srv.first());
            assertEquals(clientQps, srv.second());
            assertEquals(clientReport, srv.report());
            assertEquals(BwReport.NONE, client.report());
        });
    }

    // ---- against scripted C perftest peers ---------------------------------------------------

    /** jperf client vs a C 6.29 server: every byte jperf sends, in perftest's order and sizes. */
    @Test
    void clientSpeaksPerftestBytesToA629ServerWithoutNegotiation() throws Exception {
        assertTimeoutPreemptively(BOUND, () -> {
            try (FakePeer c = FakePeer.server((in, out) -> {
                assertArrayEquals(VERSION_606, readN(in, 16));
                out.write(version("6.29"));
                assertArrayEquals(new byte[] {0, 0, 0x10, 0}, readN(in, 4)); // page size 4096, BE
                out.write(new byte[] {0, 1, 0, 0});                          // 65536
                assertArrayEquals(new byte[] {0, 0, 0, 64}, readN(in, 4));   // cache line 64
                out.write(new byte[] {0, 0, 0, (byte) 128});
                assertArrayEquals(new byte[] {'4', 0}, readN(in, 2));       // IBV_MTU_2048
                out.write(new byte[] {'5', 0});
                // A 6.29 server skips negotiate_params because our version is 6.06: QP info next.
                assertArrayEquals(CLIENT_QP_WIRE, readN(in, 108));
                out.write(C_SERVER_QP_WIRE);
                assertArrayEquals(CLIENT_QP_WIRE, readN(in, 108));            // barrier = handshake
                out.write(C_SERVER_QP_WIRE);
                // xchg_bw_reports: five exchanges of 8 bytes, the client writing first each time
                long[] expected = {65536, 5000, 0x40934a0000000000L /* 1234.5 */, 0x408f400000000000L /* 1000.0 */,
                    0x3fd0000000000000L /* 0.25 */};
                for (long v : expected) {
                    assertArrayEquals(be(v), readN(in, 8));
                    out.write(be(0));
                }
                assertArrayEquals(CLIENT_QP_WIRE, readN(in, 108));            // ctx_close_connection
                out.write(C_SERVER_QP_WIRE);
                assertEquals(-1, in.read(), "jperf closes after the last handshake");
            })) {
                try (OobSession s = OobSession.client(HOST, c.port(), Duration.ofSeconds(5), STEP)) {
                    assertEquals(6.29, s.exchangeVersions().number());
                    assertEquals(new SystemData(65536, 128), s.exchangeSystemData(new SystemData(4096, 64)));
                    assertEquals(4, s.exchangeMtu(4));
                    List<QpInfo> remote = s.exchangeQpInfo(List.of(CLIENT_QP), 1);
                    assertEquals(QpInfo.decode(C_SERVER_QP_WIRE, "t"), remote.get(0));
                    assertEquals(0x12, remote.get(0).qpn());
                    s.barrier();
                    assertEquals(BwReport.NONE, s.exchangeBwReport(new BwReport(65536, 5000, 1234.5, 1000.0, 0.25)));
                    s.closeConnection();
                }
                c.join();
            }
        });
    }

    /** jperf server vs a C client (6.06, and 6.29 which must not make jperf negotiate either). */
    @ParameterizedTest
    @ValueSource(strings = {"6.06", "6.29"})
    void serverAnswersACClientInPerftestOrder(String clientVersion) throws Exception {
        int port = FakePeer.freePort();
        byte[] clientQp = cString("0007:0010:000011:00beef:00001234:00005555aaaa0000:00000000");
        QpInfo serverQp = new QpInfo(8, 16, 0x22, 0x333, 0x4444, 0x7f0000001000L, null, 0);
        byte[] serverQpWire = cString("0008:0010:000022:000333:00004444:00007f0000001000:00000000");
        BwReport clientReport = new BwReport(2, 1000, 1.5, 1.25, 0.5);
        assertTimeoutPreemptively(BOUND, () -> {
            try (FakePeer c = FakePeer.client(port, (in, out) -> {
                out.write(version(clientVersion));
                assertArrayEquals(VERSION_606, readN(in, 16));
                out.writeInt(4096);
                assertEquals(65536, in.readInt());
                out.writeInt(64);
                assertEquals(64, in.readInt());
                out.write(new byte[] {'5', 0});
                assertArrayEquals(new byte[] {'3', 0}, readN(in, 2));
                for (int round = 0; round < 3; round++) {                    // QP info, barrier, (close below)
                    out.write(clientQp);
                    assertArrayEquals(serverQpWire, readN(in, 59));
                }
                for (long v : clientReport.wireFields()) {
                    out.writeLong(v);
                    assertEquals(0L, in.readLong());
                }
                out.write(clientQp);
                assertArrayEquals(serverQpWire, readN(in, 59));
            })) {
                try (OobSession s = OobSession.server(port, Duration.ofSeconds(10), STEP)) {
                    assertEquals(clientVersion, s.exchangeVersions().text());
                    assertEquals(new SystemData(65536, 64), s.exchangeSystemData(new SystemData(65536, 64)));
                    assertEquals(3, s.exchangeMtu(3));
                    QpInfo remote = s.exchangeQpInfo(List.of(serverQp), -1).get(0);
                    assertEquals(new QpInfo(7, 16, 0x11, 0xbeef, 0x1234, 0x00005555aaaa0000L, null, 0), remote);
                    s.barrier();
                    s.barrier(Duration.ofSeconds(30));
                    assertEquals(clientReport, s.exchangeBwReport(BwReport.NONE));
                    s.closeConnection();
                }
                c.join();
            }
        });
    }

    // ---- bad peers: one OobException, within bounded time ------------------------------------

    /** Runs a jperf client against a scripted server and returns the failure. */
    static OobException clientFails(FakePeer.Script script, Duration step, Function<OobSession, Object> steps) {
        return assertTimeoutPreemptively(BOUND, () -> {
            try (FakePeer peer = FakePeer.server(script);
                    OobSession s = OobSession.client(HOST, peer.port(), Duration.ofSeconds(5), step)) {
                return assertThrows(OobException.class, () -> steps.apply(s));
            }
        });
    }

    static Object upToQpInfo(OobSession s, int gidIndex) {
        s.exchangeVersions();
        s.exchangeSystemData(new SystemData(4096, 64));
        s.exchangeMtu(5);
        return s.exchangeQpInfo(List.of(gidIndex >= 0 ? CLIENT_QP : new QpInfo(1, 0, 1, 1, 0, 0, null, 0)), gidIndex);
    }

    /** A well-behaved C server up to the QP info step. */
    static void cServerPreamble(DataInputStream in, DataOutputStream out) throws Exception {
        cServerPreamble(in, out, new byte[] {'5', 0});
    }

    /** A C server up to the QP info step that answers the MTU exchange with {@code mtu}. */
    static void cServerPreamble(DataInputStream in, DataOutputStream out, byte[] mtu) throws Exception {
        readN(in, 16);
        out.write(version("6.06"));
        out.writeInt(in.readInt());
        out.writeInt(in.readInt());
        readN(in, 2);
        out.write(mtu);
    }

    @Test
    void peerBelow570IsRejectedLikePerftestDoes() {
        OobException e = clientFails((in, out) -> {
            readN(in, 16);
            out.write(version("5.60"));
            in.read();
        }, STEP, OobSession::exchangeVersions);
        assertEquals(OobException.Kind.VERSION, e.kind());
        assertEquals("version exchange: peer runs perftest 5.60; perftest below 5.70 speaks an older protocol"
                + " (perftest itself refuses it); update the peer's perftest", e.getMessage());
    }

    @Test
    void garbageInsteadOfAVersion() {
        OobException e = clientFails((in, out) -> {
            out.write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            in.read();
        }, STEP, OobSession::exchangeVersions);
        assertEquals(OobException.Kind.GARBAGE, e.kind());
        assertTrue(e.getMessage().startsWith("version exchange: peer is not perftest/jperf: expected a NUL-padded version"
                + " such as \"6.06\", got bytes 48 54 54 50 2f 31 2e 31"), e.getMessage());
    }

    @Test
    void garbageMtu() {
        OobException e = clientFails((in, out) -> {
            cServerPreamble(in, out, new byte[] {'9', 'x'});
            in.read();
        }, STEP, s -> {
            s.exchangeVersions();
            s.exchangeSystemData(new SystemData(4096, 64));
            return s.exchangeMtu(5);
        });
        assertEquals(OobException.Kind.GARBAGE, e.kind());
        assertTrue(e.getMessage().startsWith("MTU exchange: peer is not perftest/jperf"), e.getMessage());
    }

    @Test
    void peerClosesMidExchange() {
        OobException e = clientFails((in, out) -> {
            readN(in, 16);
            out.write(version("6.06"));
            readN(in, 4);
            // exits without answering the page size
        }, STEP, s -> {
            s.exchangeVersions();
            return s.exchangeSystemData(new SystemData(4096, 64));
        });
        assertEquals(OobException.Kind.CLOSED, e.kind());
        assertTrue(e.getMessage().startsWith("page size exchange (system data): peer 127.0.0.1:"), e.getMessage());
        assertTrue(e.getMessage().contains("closed the connection after 0 of 4 bytes"), e.getMessage());
    }

    @Test
    void peerDiesHalfwayThroughAQpMessage() {
        OobException e = clientFails((in, out) -> {
            cServerPreamble(in, out);
            readN(in, 59);
            out.write(Arrays.copyOf(cString("0007:0010:000011:00beef:00001234:00005555aaaa0000:00000000"), 20));
        }, STEP, s -> upToQpInfo(s, -1));
        assertEquals(OobException.Kind.CLOSED, e.kind());
        assertTrue(e.getMessage().contains("closed the connection after 20 of 59 bytes: 30 30 30 37 3a"), e.getMessage());
        assertTrue(e.getMessage().startsWith("QP info exchange (QP 0 of 1): "), e.getMessage());
    }

    @Test
    void silentPeerTimesOutWithinTheStepBound() {
        long t0 = System.nanoTime();
        OobException e = clientFails((in, out) -> {
            readN(in, 16);
            in.read(); // never answers; returns when jperf gives up and closes
        }, Duration.ofMillis(400), OobSession::exchangeVersions);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(OobException.Kind.TIMEOUT, e.kind());
        assertTrue(e.getMessage().startsWith("version exchange: peer 127.0.0.1:"), e.getMessage());
        assertTrue(e.getMessage().contains("sent 0 of 16 bytes within 400 ms"), e.getMessage());
        assertTrue(ms >= 350 && ms < 5000, "gave up after " + ms + " ms");
    }

    @Test
    void tricklingPeerStillEndsAtTheStepDeadline() {
        // One byte every 150 ms would reset a naive per-read socket timeout forever.
        long t0 = System.nanoTime();
        OobException e = clientFails((in, out) -> {
            readN(in, 16);
            for (int i = 0; i < 16; i++) {
                out.write('6');
                out.flush();
                Thread.sleep(150);
            }
        }, Duration.ofMillis(500), OobSession::exchangeVersions);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(OobException.Kind.TIMEOUT, e.kind());
        assertTrue(ms < 1500, "gave up after " + ms + " ms");
    }

    @Test
    void cServerWithoutGidAgainstJperfClientWithGid() {
        // The C server reads only 59 of our 108 bytes (its own size), parses them happily and
        // answers with 59: jperf sees the NUL at byte 58 and stops at once.
        OobException e = clientFails((in, out) -> {
            cServerPreamble(in, out);
            readN(in, 59);
            out.write(cString("0007:0010:000011:00beef:00001234:00005555aaaa0000:00000000"));
            in.read();
        }, STEP, s -> upToQpInfo(s, 1));
        assertEquals(OobException.Kind.MISMATCH, e.kind());
        assertTrue(e.getMessage().startsWith("QP info exchange (QP 0 of 1): GID usage differs: local uses GID index 1,"
                + " peer sent a QP message without GID (59 bytes)"), e.getMessage());
    }

    @Test
    void cServerWithGidAgainstJperfClientWithout() {
        OobException e = clientFails((in, out) -> {
            cServerPreamble(in, out);
            readN(in, 59);
            out.write(C_SERVER_QP_WIRE);
            in.read();
        }, STEP, s -> upToQpInfo(s, -1));
        assertEquals(OobException.Kind.MISMATCH, e.kind());
        assertTrue(e.getMessage().contains("GID usage differs: local uses no GID, peer sent a QP message with a GID"), e.getMessage());
    }

    @Test
    void gidTypeMismatchIsReportedAfterTheExchange() {
        byte[] linkLocal = cString("0000:0010:000012:abcdef:00005678:00007f0011220000:"
                + "fe:80:00:00:00:00:00:00:02:50:b6:ff:fe:12:34:56:00000000:");
        OobException e = clientFails((in, out) -> {
            cServerPreamble(in, out);
            readN(in, 108);
            out.write(linkLocal);
            in.read();
        }, STEP, s -> upToQpInfo(s, 1));
        assertEquals(OobException.Kind.MISMATCH, e.kind());
        assertTrue(e.getMessage().contains("GID types differ: local GID 0000:0000:0000:0000:0000:ffff:0a00:0001 is"
                + " IPv4-mapped, peer GID fe80:0000:0000:0000:0250:b6ff:fe12:3456 is not"), e.getMessage());
    }

    @Test
    void jperfGidMismatchEndsBothSidesQuickly() throws Exception {
        int port = FakePeer.freePort();
        assertTimeoutPreemptively(BOUND, () -> {
            CompletableFuture<Object> server = CompletableFuture.supplyAsync(() -> {
                try (OobSession s = OobSession.server(port, Duration.ofSeconds(10), STEP)) {
                    return upToQpInfo(s, 1);
                }
            });
            OobException clientError;
            try (OobSession c = OobSession.client(HOST, port, Duration.ofSeconds(10), STEP)) {
                clientError = assertThrows(OobException.class, () -> upToQpInfo(c, -1));
            }
            ExecutionException ee = assertThrows(ExecutionException.class, server::get);
            OobException serverError = assertInstanceOf(OobException.class, ee.getCause());
            assertEquals(OobException.Kind.MISMATCH, serverError.kind());
            assertTrue(serverError.getMessage().contains("local uses GID index 1, peer sent a QP message without GID"));
            // The client only sees the server go away, immediately, not after its step timeout.
            assertEquals(OobException.Kind.CLOSED, clientError.kind());
        });
    }

    // ---- connecting ---------------------------------------------------------------------------

    @Test
    void clientRetriesUntilTheServerListens() throws Exception {
        int port = FakePeer.freePort();
        assertTimeoutPreemptively(BOUND, () -> {
            CompletableFuture<PerftestVersion> client = CompletableFuture.supplyAsync(() -> {
                // "localhost" may resolve to ::1 and 127.0.0.1: every address is tried
                try (OobSession c = OobSession.client("localhost", port, Duration.ofSeconds(10), STEP)) {
                    return c.exchangeVersions();
                }
            });
            Thread.sleep(400);
            try (OobSession s = OobSession.server(port, Duration.ofSeconds(10), STEP)) {
                assertEquals("6.06", s.exchangeVersions().text());
            }
            assertEquals("6.06", client.get().text());
        });
    }

    @Test
    void clientGivesUpAtItsConnectDeadline() throws Exception {
        int port = FakePeer.freePort();
        long t0 = System.nanoTime();
        OobException e = assertTimeoutPreemptively(BOUND, () -> assertThrows(OobException.class,
                () -> OobSession.client(HOST, port, Duration.ofMillis(500), STEP)));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(OobException.Kind.CONNECT, e.kind());
        assertTrue(e.getMessage().startsWith("connecting to 127.0.0.1:" + port + ": connection refused for 500 ms"), e.getMessage());
        assertTrue(ms >= 300 && ms < 3000, "gave up after " + ms + " ms");
    }

    @Test
    void unknownHostIsAConnectError() {
        OobException e = assertThrows(OobException.class,
                () -> OobSession.client("no-such-host.invalid", 18515, Duration.ofSeconds(1), STEP));
        assertEquals(OobException.Kind.CONNECT, e.kind());
        assertTrue(e.getMessage().contains("unknown host no-such-host.invalid"), e.getMessage());
    }

    @Test
    void serverGivesUpWaitingForAClient() throws Exception {
        int port = FakePeer.freePort();
        OobException e = assertTimeoutPreemptively(BOUND, () -> assertThrows(OobException.class,
                () -> OobSession.server(port, Duration.ofMillis(300), STEP)));
        assertEquals(OobException.Kind.TIMEOUT, e.kind());
        assertEquals("waiting for a client on port " + port + ": no client connected within 300 ms", e.getMessage());
    }

    @Test
    void portInUseIsAConnectError() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0)) {
            OobException e = assertThrows(OobException.class,
                    () -> OobSession.server(taken.getLocalPort(), Duration.ofMillis(300), STEP));
            assertEquals(OobException.Kind.CONNECT, e.kind());
            assertTrue(e.getMessage().contains("is another server using the port?"), e.getMessage());
        }
    }

    // ---- misuse ---------------------------------------------------------------------------------

    @Test
    void stepsOutOfOrderAreIllegalState() {
        OobSession s = OobSession.over(new NullTransport(), OobSession.Role.CLIENT, STEP);
        assertThrows(IllegalStateException.class, () -> s.exchangeSystemData(new SystemData(4096, 64)));
        assertThrows(IllegalStateException.class, () -> s.exchangeBwReport(BwReport.NONE));
        assertThrows(IllegalStateException.class, s::barrier);
        assertThrows(IllegalStateException.class, s::closeConnection);
        assertThrows(IllegalArgumentException.class, () -> s.exchangeMtu(6));
        assertThrows(IllegalArgumentException.class, () -> s.exchangeQpInfo(List.of(CLIENT_QP), -1));
        assertThrows(IllegalArgumentException.class, () -> OobSession.over(new NullTransport(), OobSession.Role.SERVER, Duration.ZERO));
    }

    /** A transport that must never be used. */
    static final class NullTransport implements OobTransport {
        @Override
        public void write(byte[] message, String step) {
            throw new AssertionError("write");
        }

        @Override
        public byte[] read(int length, Duration timeout, String step) {
            throw new AssertionError("read");
        }

        @Override
        public String peer() {
            return "none";
        }

        @Override
        public void close() {
        }
    }
}
