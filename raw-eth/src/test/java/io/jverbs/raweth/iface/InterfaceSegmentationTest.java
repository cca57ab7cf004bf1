package io.jverbs.raweth.iface;

import io.jverbs.raweth.port.FrameBurst;
import io.jverbs.raweth.port.ManualClock;
import io.jverbs.raweth.port.MemoryPair;
import io.jverbs.raweth.port.PortCapabilities;
import io.jverbs.raweth.wire.IpProtocol;
import io.jverbs.raweth.wire.Ipv4Address;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.TcpPacket;
import io.jverbs.raweth.wire.WireStatus;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link IpTransmitter#begin(int, int, int, int)}: TSO frames through the interface, and what it refuses. */
class InterfaceSegmentationTest {
    private static final int A = 0xc0_00_02_01;
    private static final int BROADCAST = 0xc0_00_02_ff; // no ARP: the frame leaves at once

    /** Sends, at its first dispatch, one TCP frame of {@code payload} bytes begun with {@code segmentSize}. */
    private static final class OneFrame extends Socket {
        final int protocol;
        final int payload;
        final int segmentSize;
        final List<Integer> results = new ArrayList<>();
        int maxSegmentation = -1;

        OneFrame(int protocol, int payload, int segmentSize) {
            this.protocol = protocol;
            this.payload = payload;
            this.segmentSize = segmentSize;
        }

        @Override
        protected int protocol() {
            return protocol;
        }

        @Override
        protected boolean process(Ipv4Packet ip, boolean broadcast, long now) {
            return false;
        }

        @Override
        protected void dispatch(IpTransmitter tx, long now) {
            if (!results.isEmpty()) return;
            maxSegmentation = tx.maxSegmentationLength();
            int r = tx.begin(BROADCAST, protocol, 20 + payload, segmentSize);
            results.add(r);
            if (r == IpTransmitter.OK) {
                new TcpPacket().wrapUnchecked(tx.segment(), tx.offset(), 20 + payload).setSourcePort(1).setDestinationPort(2)
                        .setSequenceNumber(1000).setAcknowledgmentNumber(5)
                        .setHeaderLengthAndFlags(20, TcpPacket.ACK | TcpPacket.PSH | TcpPacket.FIN).setWindow(100)
                        .setUrgentPointer(0);
                tx.finish(IpTransmitter.CHECKSUM_TCP);
            }
        }

        @Override
        protected long pollDelay(long now) {
            return results.isEmpty() ? 0 : Long.MAX_VALUE;
        }
    }

    private static int send(MemoryPair pair, OneFrame s, List<int[]> segments) {
        ManualClock clock = new ManualClock();
        Interface a = new Interface(pair.a(), InterfaceConfig.builder(new Ipv4Address(A), 24).build(), clock);
        a.sockets().add(s);
        a.poll(clock.nanos());
        FrameBurst rx = new FrameBurst(16);
        Ipv4Packet ip = new Ipv4Packet();
        TcpPacket tcp = new TcpPacket();
        for (int n; (n = pair.b().receive(rx)) > 0; pair.b().release(rx)) {
            for (int i = 0; i < n; i++) {
                assertEquals(WireStatus.OK, ip.wrap(rx.memory(), rx.offset(i) + 14, rx.length(i) - 14));
                assertEquals(WireStatus.OK, tcp.wrap(rx.memory(), ip.payloadOffset(), ip.payloadLength()));
                assertTrue(ip.checksumValid() && tcp.checksumValid(ip.source(), ip.destination()));
                segments.add(new int[] {tcp.sequenceNumber(), ip.payloadLength() - 20, tcp.flags()});
            }
        }
        return (int) a.stats().count(Counter.TX_SEGMENTATION_FRAMES);
    }

    @Test
    void aFrameWithinTheMtuIsStillCutAtTheSegmentSize() {
        try (MemoryPair pair = MemoryPair.builder().tsoMaxFrame(PortCapabilities.TSO_FRAME_LIMIT).build()) {
            OneFrame s = new OneFrame(IpProtocol.TCP, 1000, 400); // a peer's MSS of 400, our MTU 1500
            List<int[]> got = new ArrayList<>();
            assertEquals(1, send(pair, s, got), "one TSO frame");
            assertEquals(List.of(IpTransmitter.OK), s.results);
            assertEquals(0xffff - 20, s.maxSegmentation);
            assertEquals(3, got.size());
            int ackPsh = TcpPacket.ACK | TcpPacket.PSH;
            int[][] want = {{1000, 400, TcpPacket.ACK}, {1400, 400, TcpPacket.ACK}, {1800, 200, ackPsh | TcpPacket.FIN}};
            for (int i = 0; i < 3; i++) {
                assertEquals(List.of(want[i][0], want[i][1], want[i][2]), List.of(got.get(i)[0], got.get(i)[1], got.get(i)[2]),
                        "segment " + i);
            }
        }
    }

    @Test
    void aLargeFrameGoesInOneTsoBuffer() {
        try (MemoryPair pair = MemoryPair.builder().tsoMaxFrame(PortCapabilities.TSO_FRAME_LIMIT).build()) {
            OneFrame s = new OneFrame(IpProtocol.TCP, 60_000, 1460);
            List<int[]> got = new ArrayList<>();
            assertEquals(1, send(pair, s, got));
            assertEquals(42, got.size()); // 41 × 1460 + 140
            assertEquals(140, got.get(41)[1]);
        }
    }

    @Test
    void tsoIsRefusedWithoutTheOffloadForAnotherProtocolOrASegmentBeyondTheMtu() {
        try (MemoryPair plain = MemoryPair.create()) {
            OneFrame s = new OneFrame(IpProtocol.TCP, 3000, 1460);
            assertEquals(0, send(plain, s, new ArrayList<>()));
            assertEquals(List.of(IpTransmitter.TOO_BIG), s.results);
            assertEquals(0, s.maxSegmentation);
        }
        try (MemoryPair pair = MemoryPair.builder().tsoMaxFrame(PortCapabilities.TSO_FRAME_LIMIT).build()) {
            OneFrame udp = new OneFrame(IpProtocol.UDP, 3000, 1000);
            assertEquals(0, send(pair, udp, new ArrayList<>()));
            assertEquals(List.of(IpTransmitter.TOO_BIG), udp.results);
        }
        try (MemoryPair pair = MemoryPair.builder().tsoMaxFrame(PortCapabilities.TSO_FRAME_LIMIT).build()) {
            OneFrame big = new OneFrame(IpProtocol.TCP, 3000, 1461); // 20 + 20 + 1461 > 1500
            assertEquals(0, send(pair, big, new ArrayList<>()));
            assertEquals(List.of(IpTransmitter.TOO_BIG), big.results);
        }
    }
}
