package io.jverbs.raweth.dpdk;

import io.jverbs.dpdk.ffi.RteMbuf;
import io.jverbs.raweth.port.FrameBurst;
import io.jverbs.raweth.port.TestFrames;
import io.jverbs.raweth.wire.Checksum;
import io.jverbs.raweth.wire.IpProtocol;
import io.jverbs.raweth.wire.TcpPacket;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static io.jverbs.raweth.port.TestFrames.IP_A;
import static io.jverbs.raweth.port.TestFrames.IP_B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The translation of {@link FrameBurst} transmit flags into {@code ol_flags} and {@code tx_offload}
 * that {@link DpdkPort} puts in each mbuf. No vdev on this host offers TSO (net_tap, net_ring and
 * net_null do not), so the TSO path is checked here, on the frame's bytes, against
 * {@code rte_mbuf_core.h}'s rules.
 */
class MbufOffloadsTest {
    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** A 4000-byte TCP payload (header 32 bytes with timestamps) as IpTransmitter leaves it: pseudo-header sum with length. */
    private static MemorySegment tcpFrame() {
        byte[] f = TestFrames.tcp(0x0a, 0x0b, IP_A, IP_B, 40_000, 80, 1, 2, TcpPacket.ACK | TcpPacket.PSH, 4000);
        MemorySegment m = MemorySegment.ofArray(f);
        m.set(BE16, 14 + 20 + 16, (short) Checksum.pseudoHeader(IP_A, IP_B, IpProtocol.TCP, 32 + 4000));
        return m;
    }

    @Test
    void tsoSetsSegmentationChecksumsLengthsAndSegmentSize() {
        MemorySegment m = tcpFrame();
        MbufOffloads t = new MbufOffloads(1500);
        t.translate(m, 0, (int) m.byteSize(), FrameBurst.TX_TCP_SEGMENTATION, 1448, 0);
        assertEquals(RteMbuf.RTE_MBUF_F_TX_IPV4 | RteMbuf.RTE_MBUF_F_TX_IP_CKSUM | RteMbuf.RTE_MBUF_F_TX_TCP_CKSUM
                | RteMbuf.RTE_MBUF_F_TX_TCP_SEG, t.olFlags());
        // l2_len:7, l3_len:9, l4_len:8, tso_segsz:16
        assertEquals(14L | 20L << 7 | 32L << 16 | 1448L << 24, t.txOffload());
        assertEquals(0, m.get(BE16, 14 + 10), "IPv4 checksum zeroed for the device");
        assertEquals((short) Checksum.pseudoHeader(IP_A, IP_B, IpProtocol.TCP, 0), m.get(BE16, 14 + 20 + 16),
                "TCP checksum field: the pseudo-header sum without the length");
    }

    @Test
    void checksumOnlyKeepsTheLengthInThePseudoHeaderAndNoSegmentSize() {
        MemorySegment m = tcpFrame();
        short before = m.get(BE16, 14 + 20 + 16);
        MbufOffloads t = new MbufOffloads(1500);
        t.translate(m, 0, (int) m.byteSize(), FrameBurst.TX_IP_CHECKSUM | FrameBurst.TX_L4_CHECKSUM, 0, 0);
        assertEquals(RteMbuf.RTE_MBUF_F_TX_IPV4 | RteMbuf.RTE_MBUF_F_TX_IP_CKSUM | RteMbuf.RTE_MBUF_F_TX_TCP_CKSUM,
                t.olFlags());
        assertEquals(14L | 20L << 7, t.txOffload());
        assertEquals(before, m.get(BE16, 14 + 20 + 16));
    }

    @Test
    void tsoIsRefusedForASegmentBeyondTheMtuOrAFrameThatIsNotTcp() {
        MbufOffloads t = new MbufOffloads(1500);
        MemorySegment tcp = tcpFrame();
        assertThrows(IllegalArgumentException.class,
                () -> t.translate(tcp, 0, (int) tcp.byteSize(), FrameBurst.TX_TCP_SEGMENTATION, 1449, 0));
        assertThrows(IllegalArgumentException.class,
                () -> t.translate(tcp, 0, (int) tcp.byteSize(), FrameBurst.TX_TCP_SEGMENTATION, 0, 0));
        MemorySegment udp = MemorySegment.ofArray(TestFrames.udp(0x0a, 0x0b, IP_A, IP_B, 1, 2, 3000));
        assertThrows(IllegalArgumentException.class,
                () -> t.translate(udp, 0, (int) udp.byteSize(), FrameBurst.TX_TCP_SEGMENTATION, 1000, 0));
    }
}
