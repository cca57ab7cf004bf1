package io.jverbs.verbs.oob;

import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.Gid;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pingpong endpoint exchange over real TCP sockets on 127.0.0.1: both sides in Java, and each
 * side against a hand-written peer that speaks (or garbles) the C programs' bytes.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PingPongExchangeTest {
    private static final Duration IO = Duration.ofSeconds(5);
    private static final Duration SHORT = Duration.ofMillis(300);
    private static final Gid GID = Gid.ofIpv4(new byte[] {10, 77, 0, 1});
    private static final Endpoint SERVER = new Endpoint(0, 0x11, 0xabcdef, GID);
    private static final Endpoint CLIENT = new Endpoint(0x2a, 0x12, 0x123456, Gid.parse("fe80::1"));
    private static final byte[] DONE = "done\0".getBytes(StandardCharsets.US_ASCII);

    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    private static ServerSocket listener() {
        return OobConnection.listen(0);
    }

    /** The server side in a thread: accepts on listener and runs serve(). */
    private Future<Endpoint[]> server(ServerSocket listener, Endpoint[] local, int slots, Runnable beforeReply) {
        return pool.submit(() -> {
            try (OobConnection c = OobConnection.accept(listener, IO, SHORT)) {
                return PingPongExchange.serve(c, local, slots, r -> beforeReply.run());
            }
        });
    }

    private static Socket raw(ServerSocket listener) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
        s.setSoTimeout(5000);
        return s;
    }

    private static OobException failure(Future<?> f) throws InterruptedException {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS));
        return assertInstanceOf(OobException.class, e.getCause(), String.valueOf(e.getCause()));
    }

    @Test
    void bothSidesInJavaExchangeOneSlot() throws Exception {
        try (ServerSocket l = listener()) {
            AtomicBoolean connected = new AtomicBoolean();
            Future<Endpoint[]> s = server(l, new Endpoint[] {SERVER}, 1, () -> connected.set(true));
            try (OobConnection c = OobConnection.connect("127.0.0.1", l.getLocalPort(), IO, IO)) {
                assertArrayEquals(new Endpoint[] {SERVER}, PingPongExchange.client(c, new Endpoint[] {CLIENT}, 1));
            }
            assertArrayEquals(new Endpoint[] {CLIENT}, s.get(20, TimeUnit.SECONDS));
            assertTrue(connected.get());
        }
    }

    /** ibv_srq_pingpong's 16 slots: the unused ones travel as zero addresses. */
    @Test
    void slotsArePaddedWithZeroAddresses() throws Exception {
        try (ServerSocket l = listener()) {
            Future<Endpoint[]> s = server(l, new Endpoint[] {SERVER, SERVER}, 16, () -> {});
            Endpoint[] got;
            try (OobConnection c = OobConnection.connect("localhost", l.getLocalPort(), IO, IO)) {
                got = PingPongExchange.client(c, new Endpoint[] {CLIENT}, 16);
            }
            Endpoint zero = new Endpoint(0, 0, 0, Gid.ZERO);
            assertEquals(16, got.length);
            assertEquals(SERVER, got[1]);
            assertEquals(zero, got[2]);
            Endpoint[] atServer = s.get(20, TimeUnit.SECONDS);
            assertEquals(CLIENT, atServer[0]);
            assertEquals(zero, atServer[15]);
        }
    }

    /** What goes on the wire, byte for byte, as a C client would send and expect it. */
    @Test
    void serverSpeaksTheCWireFormat() throws Exception {
        try (ServerSocket l = listener()) {
            AtomicBoolean connected = new AtomicBoolean();
            Future<Endpoint[]> s = server(l, new Endpoint[] {SERVER}, 1, () -> connected.set(true));
            try (Socket c = raw(l); InputStream in = c.getInputStream()) {
                c.getOutputStream().write(wire("002a:000012:123456:fe800000000000000000000000000001"));
                byte[] reply = in.readNBytes(PingPongExchange.MESSAGE_SIZE);
                assertTrue(connected.get(), "the server connects its QPs before it replies");
                assertArrayEquals(wire("0000:000011:abcdef:00000000000000000000ffff0a4d0001"), reply);
                c.getOutputStream().write(DONE);
                assertArrayEquals(new Endpoint[] {CLIENT}, s.get(20, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void clientSpeaksTheCWireFormat() throws Exception {
        try (ServerSocket l = listener()) {
            Future<byte[]> peer = pool.submit(() -> {
                try (Socket c = l.accept(); InputStream in = c.getInputStream()) {
                    byte[] request = in.readNBytes(PingPongExchange.MESSAGE_SIZE);
                    c.getOutputStream().write(wire(SERVER.toPingPongString()));
                    assertArrayEquals(DONE, in.readNBytes(DONE.length));
                    return request;
                }
            });
            try (OobConnection c = OobConnection.connect("127.0.0.1", l.getLocalPort(), IO, IO)) {
                assertArrayEquals(new Endpoint[] {SERVER}, PingPongExchange.client(c, new Endpoint[] {CLIENT}, 1));
            }
            assertArrayEquals(wire("002a:000012:123456:fe800000000000000000000000000001"), peer.get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void aGarbledPeerIsNamed() throws Exception {
        try (ServerSocket l = listener()) {
            AtomicBoolean connected = new AtomicBoolean();
            Future<Endpoint[]> s = server(l, new Endpoint[] {SERVER}, 1, () -> connected.set(true));
            try (Socket c = raw(l)) {
                byte[] junk = Arrays.copyOf("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                        PingPongExchange.MESSAGE_SIZE);
                c.getOutputStream().write(junk);
                OobException e = failure(s);
                assertTrue(e.getMessage().contains("malformed address in message 1 of 1")
                        && e.getMessage().contains("GET / HTTP/1.1\\x0d\\x0aHost")
                        && e.getMessage().contains("127.0.0.1:" + c.getLocalPort()), e.getMessage());
                assertFalse(connected.get(), "no QP is connected to garbage");
                assertEquals(-1, c.getInputStream().read(), "and nothing is sent back");
            }
        }
    }

    @Test
    void aSilentPeerTimesOut() throws Exception {
        try (ServerSocket l = listener()) {
            Future<Endpoint[]> s = server(l, new Endpoint[] {SERVER}, 1, () -> {});
            try (Socket c = raw(l)) {
                long t0 = System.nanoTime();
                OobException e = failure(s);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(e.getMessage().contains("sent nothing for 300 ms while we waited for the peer's address (0 of 52 bytes arrived)"),
                        e.getMessage());
                assertTrue(ms < 10_000, "timed out after " + ms + " ms");
            }
        }
    }

    @Test
    void aSilentServerTimesTheClientOut() throws Exception {
        try (ServerSocket l = listener(); OobConnection c = OobConnection.connect("127.0.0.1", l.getLocalPort(), IO, SHORT)) {
            OobException e = assertThrows(OobException.class, () -> PingPongExchange.client(c, new Endpoint[] {CLIENT}, 1));
            assertTrue(e.getMessage().contains("sent nothing for 300 ms"), e.getMessage());
        }
    }

    @Test
    void aPeerClosingEarlyIsReported() throws Exception {
        try (ServerSocket l = listener()) {
            Future<Endpoint[]> s = server(l, new Endpoint[] {SERVER}, 2, () -> {});
            try (Socket c = raw(l)) {
                c.getOutputStream().write(wire(CLIENT.toPingPongString()));
                c.getOutputStream().write(new byte[10]);
            }
            OobException e = failure(s);
            assertTrue(e.getMessage().contains("closed the connection after 62 of 104 bytes of the peer's 2 addresses"),
                    e.getMessage());
        }
    }

    @Test
    void aClientThatNeverSaysDoneIsReported() throws Exception {
        try (ServerSocket l = listener()) {
            Future<Endpoint[]> s = server(l, new Endpoint[] {SERVER}, 1, () -> {});
            try (Socket c = raw(l)) {
                c.getOutputStream().write(wire(CLIENT.toPingPongString()));
                c.getInputStream().readNBytes(PingPongExchange.MESSAGE_SIZE);
                c.getOutputStream().write("nope\0".getBytes(StandardCharsets.US_ASCII));
                OobException e = failure(s);
                assertTrue(e.getMessage().contains("sent \"nope\\x00\" where the client says \"done\""), e.getMessage());
            }
        }
    }

    /** A failure while connecting the QPs is the caller's, unchanged; the client sees the connection close. */
    @Test
    void aFailingConnectorPropagatesAndSendsNothing() throws Exception {
        IllegalStateException boom = new IllegalStateException("modify_qp failed");
        try (ServerSocket l = listener()) {
            Future<Endpoint[]> s = server(l, new Endpoint[] {SERVER}, 1, () -> { throw boom; });
            try (OobConnection c = OobConnection.connect("127.0.0.1", l.getLocalPort(), IO, IO)) {
                OobException e = assertThrows(OobException.class, () -> PingPongExchange.client(c, new Endpoint[] {CLIENT}, 1));
                assertTrue(e.getMessage().contains("closed the connection after 0 of 52 bytes"), e.getMessage());
            }
            ExecutionException e = assertThrows(ExecutionException.class, () -> s.get(20, TimeUnit.SECONDS));
            assertSame(boom, e.getCause());
        }
    }

    @Test
    void noClientWithinTheAcceptTimeout() throws Exception {
        try (ServerSocket l = listener()) {
            OobException e = assertThrows(OobException.class, () -> OobConnection.accept(l, SHORT, IO));
            assertEquals("no client connected to TCP port " + l.getLocalPort() + " within 300 ms", e.getMessage());
        }
    }

    @Test
    void connectingToAClosedPortFails() throws Exception {
        int port;
        try (ServerSocket l = listener()) {
            port = l.getLocalPort();
        }
        OobException e = assertThrows(OobException.class, () -> OobConnection.connect("127.0.0.1", port, IO, IO));
        assertTrue(e.getMessage().startsWith("cannot connect to 127.0.0.1:" + port), e.getMessage());
        OobException unknown = assertThrows(OobException.class,
                () -> OobConnection.connect("no-such-host.invalid", port, IO, IO));
        assertTrue(unknown.getMessage().contains("cannot resolve no-such-host.invalid"), unknown.getMessage());
    }

    @Test
    void listeningOnATakenPortFails() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            // Without SO_REUSEPORT two listeners cannot share a port, SO_REUSEADDR (Java sets it) or not.
            OobException e = assertThrows(OobException.class, () -> OobConnection.listen(taken.getLocalPort()).close());
            assertTrue(e.getMessage().startsWith("cannot listen on TCP port " + taken.getLocalPort()), e.getMessage());
        }
    }

    @Test
    void badArgumentsAreRejectedBeforeAnyIo() {
        assertThrows(IllegalArgumentException.class, () -> PingPongExchange.encode(new Endpoint[] {SERVER, SERVER}, 1));
        assertThrows(IllegalArgumentException.class, () -> PingPongExchange.encode(new Endpoint[0], 0));
        assertThrows(IllegalArgumentException.class, () -> OobConnection.connect("127.0.0.1", 70000));
        assertThrows(IllegalArgumentException.class, () -> OobConnection.connect("127.0.0.1", 1, Duration.ofSeconds(-1), IO));
        byte[] one = PingPongExchange.encode(new Endpoint[] {SERVER}, 1);
        assertEquals(SERVER, PingPongExchange.decode(one, 0));
    }

    /** One message as the C programs put it on the wire: the text, NUL-padded to 52 bytes. */
    private static byte[] wire(String text) {
        return Arrays.copyOf(text.getBytes(StandardCharsets.US_ASCII), PingPongExchange.MESSAGE_SIZE);
    }
}
