package io.jverbs.raweth.iface;

import io.jverbs.raweth.port.AllocatedBytes;
import io.jverbs.raweth.port.FaultInjector;
import io.jverbs.raweth.port.ManualClock;
import io.jverbs.raweth.port.MemoryPair;
import io.jverbs.raweth.port.PcapPort;
import io.jverbs.raweth.port.Tools;
import io.jverbs.raweth.socket.UdpSocket;
import io.jverbs.raweth.wire.WireStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;

import static io.jverbs.raweth.port.TestFrames.IP_A;
import static io.jverbs.raweth.port.TestFrames.IP_B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two interfaces over a link that allocates, captures or damages: UDP echo through all three. */
class InterfaceLinkTest {
    private static final ValueLayout.OfInt SEQ = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** One echo: client sends, server echoes what it got, client receives; returns the client's length. */
    private static int echo(Interface a, Interface b, UdpSocket client, UdpSocket server, MemorySegment payload,
                            MemorySegment serverBuf, MemorySegment clientBuf) {
        client.send(payload, IP_B, 7);
        a.poll(a.clock().nanos());
        b.poll(b.clock().nanos());
        int n = server.receive(serverBuf);
        if (n == payload.byteSize()) {
            server.send(serverBuf, server.sourceAddress(), server.sourcePort());
        }
        b.poll(b.clock().nanos());
        a.poll(a.clock().nanos());
        return client.receive(clientBuf);
    }

    @Test
    void udpEchoAllocatesNothingPerFrameAfterWarmUp() {
        ManualClock clock = new ManualClock();
        try (MemoryPair pair = MemoryPair.builder().clock(clock).build()) {
            Interface a = new Interface(pair.a(), InterfaceTest.config(IP_A).build(), clock);
            Interface b = new Interface(pair.b(), InterfaceTest.config(IP_B).build(), clock);
            UdpSocket client = a.sockets().add(new UdpSocket(8, 8, 1472)).bind(40_000);
            UdpSocket server = b.sockets().add(new UdpSocket(8, 8, 1472)).bind(7);
            MemorySegment payload = InterfaceTest.pattern(200, 3);
            MemorySegment serverBuf = MemorySegment.ofArray(new byte[200]);
            MemorySegment clientBuf = MemorySegment.ofArray(new byte[200]);
            int[] ok = new int[1];
            int rounds = 20_000;
            Runnable window = () -> {
                for (int i = 0; i < rounds; i++) {
                    clock.advance(1_000);
                    if (echo(a, b, client, server, payload, serverBuf, clientBuf) == 200) ok[0]++;
                }
            };
            for (int i = 0; i < 50_000; i++) {
                clock.advance(1_000);
                if (echo(a, b, client, server, payload, serverBuf, clientBuf) == 200) ok[0]++;
            }
            // The first datagram waits for ARP, so each echo is received one round late.
            assertEquals(49_999, ok[0], "warm-up echoes");
            int w = AllocatedBytes.assertWarmWindowAllocatesNothing("UDP echo, " + rounds + " echoes (" + 4 * rounds
                    + " frames)", window).length;
            assertEquals(49_999 + w * rounds, ok[0], "every echo came back");
            assertEquals(0, a.stats().malformedTotal() + b.stats().malformedTotal());
        }
    }

    @Test
    void lossAndCorruptionAreDroppedAndCountedNeverDelivered() {
        ManualClock clock = new ManualClock();
        try (MemoryPair pair = MemoryPair.builder().clock(clock).build();
             FaultInjector fa = FaultInjector.wrap(pair.a(),
                     FaultInjector.settings().seed(11).clock(clock).loss(0.1).corruption(0.2));
             FaultInjector fb = FaultInjector.wrap(pair.b(),
                     FaultInjector.settings().seed(12).clock(clock).loss(0.1).corruption(0.2))) {
            Interface a = new Interface(fa, InterfaceTest.config(IP_A).build(), clock);
            Interface b = new Interface(fb, InterfaceTest.config(IP_B).build(), clock);
            UdpSocket client = a.sockets().add(new UdpSocket(64, 64, 1472)).bind(40_000);
            UdpSocket server = b.sockets().add(new UdpSocket(64, 64, 1472)).bind(7);
            MemorySegment payload = InterfaceTest.pattern(300, 9);
            MemorySegment serverBuf = MemorySegment.ofArray(new byte[1472]);
            MemorySegment clientBuf = MemorySegment.ofArray(new byte[1472]);
            int sent = 2000;
            int back = 0;
            for (int i = 0; i < sent; i++) {
                payload.set(SEQ, 0, i);
                clock.advance(10_000_000); // 10 ms a round: lost ARP is asked again within 100 rounds
                client.send(payload, IP_B, 7);
                for (int r = 0; r < 3; r++) {
                    a.poll(clock.nanos());
                    b.poll(clock.nanos());
                    int n;
                    while ((n = server.receive(serverBuf)) >= 0) {
                        server.send(serverBuf.asSlice(0, n), server.sourceAddress(), server.sourcePort());
                    }
                    while ((n = client.receive(clientBuf)) >= 0) {
                        assertEquals(300, n, "length of an echo");
                        int seq = clientBuf.get(SEQ, 0);
                        payload.set(SEQ, 0, seq);
                        assertEquals(-1, payload.mismatch(clientBuf.asSlice(0, n)), "echo " + seq + " intact");
                        back++;
                    }
                    payload.set(SEQ, 0, i);
                }
            }
            // Loss 10% and corruption 20% each way, four link crossings an echo (ARP aside).
            assertTrue(back > sent / 4 && back < sent, back + " of " + sent + " echoes");
            long corrupted = fa.faults().corrupted() + fb.faults().corrupted();
            long malformed = a.stats().malformedTotal() + b.stats().malformedTotal();
            assertTrue(corrupted > 500, "corrupted " + corrupted);
            assertTrue(malformed > corrupted / 2, "most flips are caught by a checksum or a length: " + malformed
                    + " of " + corrupted + "; " + a.stats() + " " + b.stats());
            assertTrue(a.stats().malformed(WireStatus.UDP_BAD_CHECKSUM) + b.stats().malformed(WireStatus.UDP_BAD_CHECKSUM) > 0);
            assertTrue(a.stats().malformed(WireStatus.IPV4_BAD_CHECKSUM) + b.stats().malformed(WireStatus.IPV4_BAD_CHECKSUM) > 0);
        }
    }

    @Test
    void aCapturedExchangeOpensInTsharkWithGoodChecksums(@TempDir Path dir) throws Exception {
        ManualClock clock = new ManualClock(1_700_000_000_000_000_000L);
        Path file = dir.resolve("iface.pcap");
        try (MemoryPair pair = MemoryPair.builder().clock(clock).build();
             PcapPort pa = PcapPort.wrap(pair.a(), file)) {
            Interface a = new Interface(pa, InterfaceTest.config(IP_A).build(), clock);
            Interface b = new Interface(pair.b(), InterfaceTest.config(IP_B).build(), clock);
            UdpSocket client = a.sockets().add(new UdpSocket(8, 8, 1472)).bind(40_000);
            UdpSocket server = b.sockets().add(new UdpSocket(8, 8, 1472)).bind(7);
            MemorySegment payload = InterfaceTest.pattern(100, 1);
            MemorySegment buf = MemorySegment.ofArray(new byte[1472]);
            client.send(payload, IP_B, 7);
            InterfaceTest.pump(a, b);
            int n = server.receive(buf);
            server.send(buf.asSlice(0, n), IP_A, 40_000);
            server.send(buf.asSlice(0, n), IP_A, 41_000); // closed: port unreachable
            clock.advance(1_000);
            InterfaceTest.pump(a, b);
            assertEquals(100, client.receive(buf));
        }
        List<String> lines = Tools.run("tshark", "-r", file.toString(), "-o", "ip.check_checksum:TRUE",
                "-o", "udp.check_checksum:TRUE", "-T", "fields", "-E", "separator=|", "-e", "frame.protocols",
                "-e", "ip.checksum.status", "-e", "udp.checksum.status", "-e", "icmp.checksum.status",
                "-e", "icmp.type", "-e", "_ws.malformed", "-e", "_ws.expert.severity");
        // ARP request and reply, the datagram, its echo, the datagram to 41000 and A's unreachable.
        // 1 is tshark's "good" checksum status. Port 7 is dissected as echo. The unreachable quotes
        // the datagram, so the IP checksum shows twice.
        assertEquals(List.of(
                "eth:ethertype:arp||||||",
                "eth:ethertype:arp||||||",
                "eth:ethertype:ip:udp:echo|1|1||||",
                "eth:ethertype:ip:udp:echo|1|1||||",
                "eth:ethertype:ip:udp:echo|1|1||||",
                "eth:ethertype:ip:icmp:ip:udp:echo|1,1|1|1|3||"), lines);
    }
}
