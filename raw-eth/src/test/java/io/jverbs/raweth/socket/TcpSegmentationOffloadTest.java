package io.jverbs.raweth.socket;

import io.jverbs.raweth.iface.Counter;
import io.jverbs.raweth.iface.Interface;
import io.jverbs.raweth.port.AllocatedBytes;
import io.jverbs.raweth.port.ForwardingPort;
import io.jverbs.raweth.port.FrameBurst;
import io.jverbs.raweth.port.ManualClock;
import io.jverbs.raweth.port.MemoryPair;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.PortCapabilities;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.TcpPacket;
import io.jverbs.raweth.wire.WireStatus;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

import static io.jverbs.raweth.port.TestFrames.IP_A;
import static io.jverbs.raweth.port.TestFrames.IP_B;
import static io.jverbs.raweth.socket.TcpTransferTest.MB;
import static io.jverbs.raweth.socket.TcpTransferTest.iface;
import static io.jverbs.raweth.socket.TcpTransferTest.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TCP over a port with TCP segmentation offload ({@link MemoryPair#builder()}'s {@code tsoMaxFrame}):
 * the sender hands the port frames of many segments, the receiver sees MTU segments with valid
 * checksums, the data arrives byte-identical, and nothing is allocated per frame.
 */
class TcpSegmentationOffloadTest {
    @Test
    void segmentGrowsOnlyFromAFullSegmentToWholeSegments() {
        assertEquals(1460, SegmentationOffload.grow(1460, 1460, 100_000, 100_000, 0), "no TSO");
        assertEquals(1460, SegmentationOffload.grow(1460, 1460, 100_000, 100_000, 2000), "TSO frame below two segments");
        assertEquals(44 * 1460, SegmentationOffload.grow(1460, 1460, 100_000, 100_000, 65_495), "the port's limit");
        assertEquals(3 * 1460, SegmentationOffload.grow(1460, 1460, 100_000, 3 * 1460 + 1000, 65_495), "the window");
        assertEquals(2 * 1460, SegmentationOffload.grow(1460, 1460, 2 * 1460 + 7, 100_000, 65_495), "what is queued");
        assertEquals(700, SegmentationOffload.grow(700, 1460, 100_000, 700, 65_495), "a short segment stays");
        assertEquals(1, SegmentationOffload.grow(1, 1460, 100_000, 0, 65_495), "a probe stays");
    }

    @Test
    void fourMegabytesEachWayInSuperFramesIntact() {
        ManualClock clock = new ManualClock(5_000_000_000L);
        try (MemoryPair pair = MemoryPair.builder().clock(clock).tsoMaxFrame(PortCapabilities.TSO_FRAME_LIMIT)
                .rxChecksumFlags(true).build()) {
            ReceiveChecker ca = new ReceiveChecker(pair.a());
            ReceiveChecker cb = new ReceiveChecker(pair.b());
            Interface a = iface(ca, IP_A, clock);
            Interface b = iface(cb, IP_B, clock);
            TcpConfig config = TcpConfig.defaults(new Random(8));
            TcpSocket server = b.sockets().add(new TcpSocket(config, 65_535, 65_535)).listen(80);
            TcpSocket client = a.sockets().add(new TcpSocket(config, 65_535, 65_535)).connect(40_000, IP_B, 80);
            int size = 4 * MB;
            byte[] up = random(size, 81);
            byte[] down = random(size, 82);
            TcpTransferTest.End c = new TcpTransferTest.End(client, up, size);
            TcpTransferTest.End s = new TcpTransferTest.End(server, down, size);
            for (long i = 0; !(c.done() && s.done()); i++) {
                assertTrue(i < 2_000_000, () -> "stuck: " + client + " " + server);
                long now = clock.nanos();
                a.poll(now);
                b.poll(now);
                c.step();
                s.step();
                clock.advance(1_000);
            }
            assertArrayEquals(up, Arrays.copyOf(s.in, size), "client to server");
            assertArrayEquals(down, Arrays.copyOf(c.in, size), "server to client");
            long superA = a.stats().count(Counter.TX_SEGMENTATION_FRAMES);
            long superB = b.stats().count(Counter.TX_SEGMENTATION_FRAMES);
            long wire = pair.a().stats().txFrames();
            long frames = a.stats().count(Counter.TX_FRAMES);
            System.out.printf("TCP 4 MiB each way over TSO: client %,d frames to the port (%,d TSO), %,d on the wire;"
                            + " server %,d TSO frames; receivers saw %,d and %,d segments, largest %d bytes%n",
                    frames, superA, wire, superB, cb.tcpSegments, ca.tcpSegments, Math.max(ca.largest, cb.largest));
            assertTrue(superA > size / 65_536, "client TSO frames: " + superA);
            assertTrue(superB > size / 65_536, "server TSO frames: " + superB);
            assertTrue(wire > 2 * frames, "segments on the wire " + wire + " vs frames handed to the port " + frames);
            assertTrue(cb.largest <= 1514 && ca.largest <= 1514, "only MTU frames are received");
            assertTrue(cb.tcpSegments >= size / 1460, "segments the server received: " + cb.tcpSegments);
            assertEquals(0, ca.badChecksums + cb.badChecksums, "segments received with a bad checksum");
            assertEquals(0, pair.a().stats().rxErrors() + pair.b().stats().rxErrors(), "checksums the device found bad");
        }
    }

    @Test
    void bulkTransferOverTsoAllocatesNothingPerFrameWhenWarm() {
        ManualClock clock = new ManualClock(5_000_000_000L);
        try (MemoryPair pair = MemoryPair.builder().clock(clock).tsoMaxFrame(PortCapabilities.TSO_FRAME_LIMIT).build()) {
            Interface a = iface(pair.a(), IP_A, clock);
            Interface b = iface(pair.b(), IP_B, clock);
            TcpConfig config = TcpConfig.defaults(new Random(9));
            TcpSocket server = b.sockets().add(new TcpSocket(config, 65_535, 65_535)).listen(80);
            TcpSocket client = a.sockets().add(new TcpSocket(config, 65_535, 65_535)).connect(40_000, IP_B, 80);
            MemorySegment chunk = MemorySegment.ofArray(random(16_384, 9));
            MemorySegment sink = MemorySegment.ofArray(new byte[65_536]);
            long[] moved = new long[1];
            Runnable round = () -> {
                long now = clock.nanos();
                a.poll(now);
                b.poll(now);
                while (client.canSend() && client.send(chunk) > 0) { }
                int n = server.receive(sink);
                if (n > 0) moved[0] += n;
                clock.advance(1_000);
            };
            for (int i = 0; i < 50_000; i++) round.run();
            assertTrue(moved[0] > 100 * MB, "warm-up moved " + moved[0]);
            long[] tso = new long[1];
            AllocatedBytes.assertWarmWindowAllocatesNothing("TCP bulk over TSO, 20,000 rounds", () -> {
                long tsoBefore = a.stats().count(Counter.TX_SEGMENTATION_FRAMES);
                for (int i = 0; i < 20_000; i++) round.run();
                tso[0] = a.stats().count(Counter.TX_SEGMENTATION_FRAMES) - tsoBefore;
            });
            System.out.println("TCP bulk over TSO: " + tso[0] + " TSO frames in the last window");
            assertTrue(tso[0] > 1_000, "TSO frames in the window: " + tso[0]);
        }
    }

    /** Passes everything to {@code inner}, checking each received TCP segment's length and checksums. */
    static final class ReceiveChecker extends ForwardingPort {
        final Ipv4Packet ip = new Ipv4Packet();
        final TcpPacket tcp = new TcpPacket();
        long tcpSegments;
        long badChecksums;
        int largest;

        ReceiveChecker(PacketPort inner) {
            super(inner);
        }

        @Override
        public int receive(FrameBurst burst) {
            int n = inner.receive(burst);
            for (int i = 0; i < n; i++) {
                largest = Math.max(largest, burst.length(i));
                if (ip.wrap(burst.memory(), burst.offset(i) + 14, burst.length(i) - 14) == WireStatus.OK && ip.protocol() == 6
                        && tcp.wrap(burst.memory(), ip.payloadOffset(), ip.payloadLength()) == WireStatus.OK) {
                    tcpSegments++;
                    if (!ip.checksumValid() || !tcp.checksumValid(ip.source(), ip.destination())) badChecksums++;
                }
            }
            return n;
        }
    }
}
