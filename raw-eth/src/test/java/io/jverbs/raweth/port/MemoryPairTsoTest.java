package io.jverbs.raweth.port;

import io.jverbs.raweth.wire.EthernetFrame;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.TcpPacket;
import io.jverbs.raweth.wire.WireStatus;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

import static io.jverbs.raweth.port.TestFrames.IP_A;
import static io.jverbs.raweth.port.TestFrames.IP_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link MemoryPair}'s TSO: a large TCP frame crosses the cable as the segments a NIC cuts from it. */
class MemoryPairTsoTest {
    private static final int MAC_A = 0x0a;
    private static final int MAC_B = 0x0b;

    /** Sends {@code frame} from {@code port} in a TSO buffer, flagged for segmentation at {@code mss}. */
    private static int sendSegmented(PacketPort port, byte[] frame, int mss) {
        FrameBurst tx = new FrameBurst(1);
        assertEquals(1, port.allocate(tx, 1, frame.length));
        assertTrue(tx.capacity(0) >= frame.length);
        MemorySegment.copy(frame, 0, tx.memory(), ValueLayout.JAVA_BYTE, tx.offset(0), frame.length);
        tx.length(0, frame.length);
        tx.flags(0, FrameBurst.TX_TCP_SEGMENTATION);
        tx.segmentSize(0, mss);
        int k = port.transmit(tx, 1);
        port.release(tx);
        return k;
    }

    @Test
    void aLargeFrameArrivesAsMtuSegmentsWithFieldsAndChecksumsFixed() {
        try (MemoryPair pair = MemoryPair.builder().tsoMaxFrame(PortCapabilities.TSO_FRAME_LIMIT).rxChecksumFlags(true)
                .build()) {
            int payload = 4000;
            int seq = 0x7fff_f000; // the segments' sequence numbers wrap past 2^31
            byte[] frame = TestFrames.tcp(MAC_A, MAC_B, IP_A, IP_B, 40_000, 80, seq, 99,
                    TcpPacket.ACK | TcpPacket.PSH | TcpPacket.FIN | TcpPacket.CWR, payload);
            Ipv4Packet ip = new Ipv4Packet();
            TcpPacket tcp = new TcpPacket();
            ip.wrap(MemorySegment.ofArray(frame), 14, frame.length - 14);
            int id = ip.identification();
            tcp.wrap(ip.segment(), ip.payloadOffset(), ip.payloadLength());
            int header = tcp.headerLength(); // 32: the timestamps option travels in every segment
            byte[] data = Arrays.copyOfRange(frame, 14 + 20 + header, frame.length);
            int mss = 1500 - 20 - header;
            assertTrue(frame.length > pair.a().capabilities().maxFrameLength());

            assertEquals(1, sendSegmented(pair.a(), frame, mss));
            assertEquals(3, pair.a().stats().txFrames(), "frames on the wire");
            FrameBurst rx = new FrameBurst(8);
            assertEquals(3, pair.b().receive(rx));
            ByteArrayOutputStream joined = new ByteArrayOutputStream();
            for (int k = 0; k < 3; k++) {
                int len = rx.length(k);
                assertTrue(len <= 1514, "segment " + k + " is " + len + " bytes");
                assertEquals(FrameBurst.RX_IP_CHECKSUM_GOOD | FrameBurst.RX_L4_CHECKSUM_GOOD, rx.flags(k),
                        "the receiving device verified both checksums of segment " + k);
                assertEquals(WireStatus.OK, new EthernetFrame().wrap(rx.memory(), rx.offset(k), len));
                assertEquals(WireStatus.OK, ip.wrap(rx.memory(), rx.offset(k) + 14, len - 14));
                assertTrue(ip.checksumValid());
                assertEquals((id + k) & 0xffff, ip.identification(), "IP id of segment " + k);
                assertEquals(WireStatus.OK, tcp.wrap(rx.memory(), ip.payloadOffset(), ip.payloadLength()));
                assertTrue(tcp.checksumValid(IP_A, IP_B), "TCP checksum of segment " + k);
                assertEquals(seq + k * mss, tcp.sequenceNumber(), "sequence number of segment " + k);
                assertEquals(99, tcp.acknowledgmentNumber());
                assertEquals(header, tcp.headerLength());
                assertTrue(tcp.hasTimestamps());
                int want = TcpPacket.ACK | (k == 0 ? TcpPacket.CWR : 0) | (k == 2 ? TcpPacket.PSH | TcpPacket.FIN : 0);
                assertEquals(want, tcp.flags(), "flags of segment " + k);
                int n = ip.payloadLength() - header;
                assertEquals(k < 2 ? mss : payload - 2 * mss, n, "payload of segment " + k);
                joined.writeBytes(rx.memory().asSlice(ip.payloadOffset() + header, n).toArray(ValueLayout.JAVA_BYTE));
            }
            pair.b().release(rx);
            assertArrayEquals(data, joined.toByteArray(), "the payload, in order");
            assertEquals(0, pair.b().stats().rxErrors());
        }
    }

    @Test
    void tsoBuffersAreBoundedAndComeBack() {
        try (MemoryPair pair = MemoryPair.builder().tsoMaxFrame(20_000).tsoBuffers(2).build()) {
            FrameBurst tx = new FrameBurst(8);
            assertEquals(2, pair.a().allocate(tx, 8, 20_000));
            assertEquals(20_000, tx.capacity(0));
            pair.a().release(tx);
            assertEquals(2, pair.a().allocate(tx, 8, 9_000));
            pair.a().release(tx);
            assertThrows(IllegalArgumentException.class, () -> pair.a().allocate(tx, 1, 20_001));
            assertEquals(8, pair.a().allocate(tx, 8, 1_000), "plain buffers for a plain length");
            assertEquals(1518, tx.capacity(0));
            pair.a().release(tx);
        }
    }

    @Test
    void aSegmentationRequestThatIsNoTcpFrameIsRefused() {
        try (MemoryPair pair = MemoryPair.builder().tsoMaxFrame(20_000).build()) {
            byte[] udp = TestFrames.udp(MAC_A, MAC_B, IP_A, IP_B, 1, 2, 3000);
            assertThrows(IllegalArgumentException.class, () -> sendSegmented(pair.a(), udp, 1000));
            byte[] tcp = TestFrames.tcp(MAC_A, MAC_B, IP_A, IP_B, 1, 2, 0, 0, TcpPacket.ACK, 3000);
            assertThrows(IllegalArgumentException.class, () -> sendSegmented(pair.a(), tcp, 1449),
                    "a segment size whose segments exceed the MTU by one byte (20 + 32 + 1449)");
            assertEquals(List.of(), TestFrames.receiveAll(pair.b()));
        }
    }

    @Test
    void withoutTsoNoLargeBuffers() {
        try (MemoryPair pair = MemoryPair.create()) {
            assertEquals(0, pair.a().capabilities().tsoMaxFrame());
            FrameBurst tx = new FrameBurst(1);
            assertThrows(IllegalArgumentException.class, () -> pair.a().allocate(tx, 1, 1519));
        }
    }
}
