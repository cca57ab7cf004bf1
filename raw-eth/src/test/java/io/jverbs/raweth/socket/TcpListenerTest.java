package io.jverbs.raweth.socket;

import io.jverbs.raweth.iface.Counter;
import io.jverbs.raweth.iface.Interface;
import io.jverbs.raweth.iface.InterfaceConfig;
import io.jverbs.raweth.port.AllocatedBytes;
import io.jverbs.raweth.port.ManualClock;
import io.jverbs.raweth.port.MemoryPair;
import io.jverbs.raweth.port.TestFrames;
import io.jverbs.raweth.wire.Ipv4Address;
import io.jverbs.raweth.wire.TcpPacket;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;

import static io.jverbs.raweth.port.TestFrames.IP_A;
import static io.jverbs.raweth.port.TestFrames.IP_B;
import static io.jverbs.raweth.port.TestFrames.MAC_A;
import static io.jverbs.raweth.port.TestFrames.MAC_B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TcpDemux} and {@link TcpListener}: two stacks over a {@link MemoryPair} on virtual time
 * (server A, client B), and hand-made segments for the SYN flood and bad cookies.
 */
class TcpListenerTest {
    static final long SECOND = 1_000_000_000L;

    final ManualClock clock = new ManualClock(1_000 * SECOND);
    final MemoryPair pair = MemoryPair.builder().clock(clock).queueDepth(1024).txBuffers(1024).build();
    // Server A routes off-link peers (the flood's sources) through B, so its answers stay on the pair.
    final Interface a = new Interface(pair.a(), InterfaceConfig.builder(new Ipv4Address(IP_A), 24)
            .gateway(new Ipv4Address(IP_B)).build(), clock);
    final Interface b = new Interface(pair.b(), InterfaceConfig.builder(new Ipv4Address(IP_B), 24).build(), clock);
    final TcpConfig config = new TcpConfig(SECOND, SECOND, 60 * SECOND, 30 * SECOND, 4, 11, 13);
    final TcpDemux server = a.sockets().add(new TcpDemux(16, new SplittableRandom(1)));
    final TcpDemux client = b.sockets().add(new TcpDemux(16, new SplittableRandom(2)));

    void poll(int rounds) {
        for (int i = 0; i < rounds; i++) {
            long now = clock.nanos();
            a.poll(now);
            b.poll(now);
            clock.advance(1_000);
        }
    }

    static MemorySegment bytes(String s) {
        return MemorySegment.ofArray(s.getBytes());
    }

    static String read(TcpSocket s) {
        MemorySegment into = MemorySegment.ofArray(new byte[4096]);
        int n = s.receive(into);
        return n <= 0 ? "" : new String(into.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void acceptsEchoesClosesAndForgetsTheConnection() {
        TcpListener l = server.listen(80, config, 8192, 8192, 4, 4);
        assertNull(l.accept());
        TcpSocket c = client.connect(new TcpSocket(config, 8192, 8192), IP_A, 80);
        assertTrue(c.localPort() >= 49_152, "ephemeral port " + c.localPort());
        poll(10);
        assertEquals(TcpSocket.State.ESTABLISHED, c.state());
        assertEquals(0, l.synQueued());
        assertEquals(1, l.acceptQueued());
        TcpSocket s = l.accept();
        assertNotNull(s);
        assertSame(s, server.find(IP_B, c.localPort(), 80));
        assertEquals(TcpSocket.State.ESTABLISHED, s.state());
        c.send(bytes("hello"));
        poll(10);
        assertEquals("hello", read(s));
        s.send(bytes("HELLO"));
        poll(10);
        assertEquals("HELLO", read(c));
        c.close();
        poll(10);
        assertEquals(-1, s.receive(MemorySegment.ofArray(new byte[8])));
        s.close();
        poll(10);
        assertEquals(TcpSocket.State.CLOSED, s.state());
        assertEquals(0, server.connections(), "the server forgets a CLOSED connection");
        assertEquals(TcpSocket.State.TIME_WAIT, c.state());
        assertEquals(1, client.connections());
        clock.advance(2 * config.msl());
        poll(2);
        assertEquals(0, client.connections(), "TIME-WAIT over");
        assertEquals(1, l.synsReceived());
        assertEquals(0, l.cookiesSent());
    }

    @Test
    void aFullSynQueueAnswersWithCookiesAndTheirAcksOpenConnections() {
        TcpListener l = server.listen(80, config, 8192, 8192, 2, 16);
        List<TcpSocket> cs = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            cs.add(client.connect(new TcpSocket(config, 8192, 8192), IP_A, 80)); // six SYNs in one burst
        }
        poll(20);
        assertEquals(2, l.maxSynQueued());
        assertEquals(4, l.cookiesSent());
        assertEquals(4, l.cookiesAccepted());
        assertEquals(6, l.acceptQueued());
        for (TcpSocket c : cs) {
            assertEquals(TcpSocket.State.ESTABLISHED, c.state());
            c.send(bytes("from " + c.localPort()));
        }
        poll(20);
        for (TcpSocket s; (s = l.accept()) != null; ) {
            String got = read(s);
            assertEquals("from " + s.remotePort(), got);
            s.send(bytes("to " + s.remotePort()));
        }
        poll(20);
        for (TcpSocket c : cs) {
            assertEquals("to " + c.localPort(), read(c), "a cookie connection carries data both ways");
        }
    }

    @Test
    void aCookieSynAckIsExactAndItsAckOpensAConnectionWithTheDataItCarries() {
        try (TcpPeer p = new TcpPeer()) {
            TcpDemux d = p.iface.sockets().add(new TcpDemux(16, new SplittableRandom(3)));
            TcpListener l = d.listen(80, TcpPeer.config(), 4096, 4096, 1, 4);
            p.syn(1000, 80, 5000, 0, TcpPacket.SYN, 1460); // takes the one SYN queue place
            TcpPeer.Seg first = p.one();
            assertEquals(TcpPacket.SYN | TcpPacket.ACK, first.flags());
            assertEquals(5001, first.ack());
            p.syn(1001, 80, 7000, 0, TcpPacket.SYN, 1400);
            TcpPeer.Seg c = p.one();
            assertEquals(TcpPacket.SYN | TcpPacket.ACK, c.flags(), c::toString);
            assertEquals(7001, c.ack());
            assertEquals(1400, c.tcp().maxSegmentSize(), "the peer's MSS, from the cookie's table");
            assertEquals(4096, c.tcp().window());
            assertEquals(-1, c.tcp().windowScale(), "a cookie carries no other option");
            assertEquals((int) (p.clock.nanos() >>> 36) & 31, c.seq() >>> 27, "the time counter");
            assertEquals(3, c.seq() >>> 24 & 7, "MSS index of 1400");
            assertEquals(1, l.synQueued());
            assertEquals(1, l.cookiesSent());
            assertEquals(1, d.connections(), "the cookie left no state");
            p.in(1001, 80, 7001, c.seq() + 1, TcpPacket.ACK | TcpPacket.PSH, 65_535, "hi".getBytes());
            assertEquals(1, l.cookiesAccepted());
            TcpSocket s = l.accept();
            assertEquals(TcpSocket.State.ESTABLISHED, s.state());
            assertEquals(1001, s.remotePort());
            assertEquals("hi", read(s));
            TcpPeer.Seg ack = p.one();
            assertEquals(TcpPacket.ACK, ack.flags());
            assertEquals(c.seq() + 1, ack.seq());
            assertEquals(7003, ack.ack());
            // an ACK whose cookie is off by one, from another port: RST <SEQ=SEG.ACK>
            p.in(1002, 80, 9001, c.seq() + 2, TcpPacket.ACK, 65_535, new byte[0]);
            TcpPeer.Seg rst = p.one();
            assertEquals(TcpPacket.RST, rst.flags());
            assertEquals(c.seq() + 2, rst.seq());
            assertEquals(1, l.cookiesRejected());
            // the cookie expires after two steps of its counter (about 2 × 69 s)
            p.clock.advance(2L << 36);
            p.in(1003, 80, 7001, c.seq() + 1, TcpPacket.ACK, 65_535, new byte[0]);
            List<TcpPeer.Seg> out = p.out(); // the half-open connection's retransmissions also ran out meanwhile
            assertTrue(out.stream().anyMatch(x -> x.tcp().destinationPort() == 1003 && x.flags() == TcpPacket.RST),
                    out::toString);
            assertEquals(2, l.cookiesRejected());
        }
    }

    @Test
    void anAckWithABadCookieIsReset() {
        server.listen(80, config, 8192, 8192, 2, 2);
        poll(1);
        // B's MAC is not known to A yet: the RST waits for ARP, which B answers
        TestFrames.send(pair.b(), TestFrames.tcp(MAC_B, MAC_A, IP_B, IP_A, 5555, 80, 1000, 0x12345678,
                TcpPacket.ACK, 0));
        poll(4);
        assertEquals(1, server.listener(80).cookiesRejected());
        assertEquals(1, a.stats().count(Counter.TCP_RESETS_SENT));
        assertEquals(0, server.connections());
    }

    @Test
    void aFullAcceptQueueDropsSynsUntilAcceptMakesRoom() {
        TcpListener l = server.listen(80, config, 8192, 8192, 4, 1);
        TcpSocket first = client.connect(new TcpSocket(config, 8192, 8192), IP_A, 80);
        poll(10);
        TcpSocket second = client.connect(new TcpSocket(config, 8192, 8192), IP_A, 80);
        poll(10);
        assertEquals(TcpSocket.State.ESTABLISHED, first.state());
        assertEquals(TcpSocket.State.SYN_SENT, second.state());
        assertEquals(1, l.synsDropped());
        assertNotNull(l.accept());
        clock.advance(SECOND); // the client's SYN is retransmitted
        poll(10);
        assertEquals(TcpSocket.State.ESTABLISHED, second.state());
        assertNotNull(l.accept());
    }

    @Test
    void aSynFloodKeepsTheQueuesBoundedAndRealClientsConnect() {
        int backlog = 16;
        TcpListener l = server.listen(80, config, 8192, 8192, backlog, 64);
        poll(1);
        SplittableRandom r = new SplittableRandom(5);
        int flood = 20_000;
        List<TcpSocket> real = new ArrayList<>();
        for (int i = 0; i < flood; i++) {
            // spoofed: random off-link sources and ports, sent by B towards A
            int src = 0x0a000000 | r.nextInt(1 << 24);
            TestFrames.send(pair.b(), TestFrames.tcp(MAC_B, MAC_A, src, IP_A, 1024 + r.nextInt(60_000), 80,
                    r.nextInt(), 0, TcpPacket.SYN, 0));
            if (i % 16 == 15) {
                poll(1);
            }
            if (i % 2000 == 1000) {
                real.add(client.connect(new TcpSocket(config, 8192, 8192), IP_A, 80));
            }
            assertTrue(l.synQueued() <= backlog);
            assertTrue(server.connections() <= backlog + real.size());
        }
        poll(20);
        assertEquals(backlog, l.maxSynQueued());
        assertTrue(l.cookiesSent() > flood - 2 * backlog - 100, "cookies " + l.cookiesSent());
        for (TcpSocket c : real) {
            assertEquals(TcpSocket.State.ESTABLISHED, c.state(), "a real client connected during the flood");
            c.send(bytes("ping"));
        }
        poll(20);
        int served = 0;
        for (TcpSocket s; (s = l.accept()) != null; served++) {
            assertEquals("ping", read(s));
        }
        assertEquals(real.size(), served);
        // the flood's half-open connections time out (4 retransmissions) and their sockets are kept for reuse
        for (int i = 0; i < 70; i++) {
            clock.advance(SECOND);
            poll(2);
        }
        assertEquals(0, l.synQueued());
        assertEquals(real.size(), server.connections());
        assertEquals(0, l.synTimeouts(), "gone by their retransmissions before the 64 s SYN timeout");
        System.out.println("SYN flood in memory: " + flood + " SYNs, " + l + ", cookies sent " + l.cookiesSent()
                + ", accepted " + l.cookiesAccepted() + ", SYNs dropped " + l.synsDropped());
    }

    @Test
    void halfOpenConnectionsAreDroppedSilentlyAfterTheSynTimeoutAndTheirSocketsReused() {
        TcpConfig patient = new TcpConfig(SECOND, SECOND, 60 * SECOND, 30 * SECOND, 15, 11, 13);
        TcpListener l = server.listen(80, patient, 8192, 8192, 8, 8).synTimeout(10 * SECOND);
        poll(1);
        for (int i = 0; i < 8; i++) {
            TestFrames.send(pair.b(), TestFrames.tcp(MAC_B, MAC_A, 0x0a000001 + i, IP_A, 2000 + i, 80, 77 * i,
                    0, TcpPacket.SYN, 0));
        }
        poll(4);
        assertEquals(8, l.synQueued());
        long resetsBefore = a.stats().count(Counter.TCP_RESETS_SENT);
        for (int s = 0; s < 9; s++) {
            clock.advance(SECOND);
            poll(2);
        }
        assertEquals(8, l.synQueued(), "still retransmitting at 9 s");
        clock.advance(SECOND);
        poll(2);
        assertEquals(0, l.synQueued());
        assertEquals(8, l.synTimeouts());
        assertEquals(0, server.connections());
        assertEquals(resetsBefore, a.stats().count(Counter.TCP_RESETS_SENT), "dropped without a RST");
        TcpSocket c = client.connect(new TcpSocket(config, 8192, 8192), IP_A, 80);
        poll(10);
        assertEquals(TcpSocket.State.ESTABLISHED, c.state(), "the listener takes connections again");
        assertNotNull(l.accept());
    }

    @Test
    void thousandsOfConnectionsAreFoundByHashAndLookupsAllocateNothing() {
        int n = 3000;
        TcpListener l = server.listen(7, config, 2048, 2048, n, n);
        TcpSocket[] cs = new TcpSocket[n];
        for (int i = 0; i < n; i++) {
            cs[i] = client.connect(new TcpSocket(config, 2048, 2048), IP_A, 7);
            if (i % 64 == 63) poll(2);
        }
        poll(20);
        // SYNs sent before ARP resolved were dropped from its bounded queue: they go again after the RTO
        clock.advance(SECOND);
        poll(20);
        assertEquals(0, l.cookiesSent());
        TcpSocket[] ss = new TcpSocket[n];
        Map<Integer, Integer> byPort = new HashMap<>();
        for (int i = 0; i < n; i++) {
            assertEquals(TcpSocket.State.ESTABLISHED, cs[i].state(), cs[i]::toString);
            byPort.put(cs[i].localPort(), i);
        }
        for (int i = 0; i < n; i++) {
            TcpSocket s = l.accept();
            assertNotNull(s, "accepted " + i);
            ss[byPort.get(s.remotePort())] = s;
        }
        assertEquals(n, server.connections());
        MemorySegment out = MemorySegment.ofArray(new byte[4]);
        MemorySegment in = MemorySegment.ofArray(new byte[4]);
        long[] echoed = new long[1];
        Runnable round = () -> {
            for (int i = 0; i < n; i++) {
                out.set(ValueLayout.JAVA_INT_UNALIGNED, 0, i);
                cs[i].send(out);
                if (i % 64 == 63) poll(1); // the pair's queue holds 1024 frames
            }
            poll(3);
            for (int i = 0; i < n; i++) {
                int got = ss[i].receive(in);
                if (got == 4 && in.get(ValueLayout.JAVA_INT_UNALIGNED, 0) == i) {
                    ss[i].send(in);
                }
                if (i % 64 == 63) poll(1);
            }
            poll(3);
            for (int i = 0; i < n; i++) {
                if (cs[i].receive(in) == 4 && in.get(ValueLayout.JAVA_INT_UNALIGNED, 0) == i) {
                    echoed[0]++;
                }
            }
        };
        for (int i = 0; i < 20; i++) round.run();
        assertEquals(20L * n, echoed[0], "every connection's bytes came back to it");
        long lookupsBefore = server.connectionSegments();
        int w = AllocatedBytes.assertWarmWindowAllocatesNothing(n + " connections, 5 echo rounds", () -> {
            for (int i = 0; i < 5; i++) round.run();
        }).length;
        long lookups = server.connectionSegments() - lookupsBefore;
        System.out.println(n + " connections: " + lookups / w + " lookups per window of 5 echo rounds");
        assertTrue(lookups >= (long) w * 5 * n, "lookups " + lookups); // at least the echoed segment of each connection per round
    }

    @Test
    void closingAListenerResetsWhatItQueuedAndFreesThePort() {
        TcpListener l = server.listen(80, config, 8192, 8192, 4, 4);
        TcpSocket c = client.connect(new TcpSocket(config, 8192, 8192), IP_A, 80);
        poll(10);
        assertEquals(1, l.acceptQueued());
        l.close();
        poll(10);
        assertEquals(TcpSocket.State.CLOSED, c.state());
        assertEquals(TcpSocket.Error.RESET, c.error());
        assertEquals(0, server.connections());
        assertNull(server.listener(80));
        assertThrows(IllegalStateException.class, () -> {
            server.listen(81, config, 1, 1, 1, 1);
            server.listen(81, config, 1, 1, 1, 1);
        });
    }

    @Test
    void theTableAgreesWithAHashMapThroughInsertsAndDeletes() {
        ConnectionTable t = new ConnectionTable(4, 99);
        Map<Long, TcpSocket> oracle = new HashMap<>();
        Random r = new Random(17);
        List<Long> keys = new ArrayList<>();
        for (int step = 0; step < 200_000; step++) {
            if (keys.isEmpty() || r.nextInt(3) != 0) {
                long k = ConnectionTable.key(r.nextInt(64), r.nextInt(64), 1 + r.nextInt(4));
                if (!oracle.containsKey(k)) {
                    TcpSocket s = new TcpSocket(config, 1, 1);
                    t.put(k, s, null, 0);
                    oracle.put(k, s);
                    keys.add(k);
                }
            } else {
                long k = keys.remove(r.nextInt(keys.size()));
                int i = t.find(k);
                assertTrue(i >= 0);
                t.removeAt(i);
                oracle.remove(k);
            }
            if (step % 1000 == 0) {
                for (Map.Entry<Long, TcpSocket> e : oracle.entrySet()) {
                    int i = t.find(e.getKey());
                    assertTrue(i >= 0, "lost key " + e.getKey());
                    assertSame(e.getValue(), t.socketAt(i));
                }
                assertEquals(oracle.size(), t.size());
                assertEquals(-1, t.find(ConnectionTable.key(1000, 1, 1)));
            }
        }
    }
}
