package io.jverbs.raweth.linux;

import io.jverbs.raweth.port.FrameBurst;
import io.jverbs.raweth.port.TestFrames;
import io.jverbs.raweth.wire.TcpPacket;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.jverbs.raweth.port.TestFrames.IP_A;
import static io.jverbs.raweth.port.TestFrames.IP_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The virtio_net_hdr {@link VnetHeader} writes before a frame, field by field (no kernel needed). */
class VnetHeaderTest {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    /** {@code frame} after 10 bytes of header room, the room filled with garbage. */
    private static MemorySegment withRoom(byte[] frame) {
        MemorySegment m = MemorySegment.ofArray(new byte[VnetHeader.LENGTH + frame.length]);
        m.asSlice(0, VnetHeader.LENGTH).fill((byte) 0x5a);
        MemorySegment.copy(frame, 0, m, ValueLayout.JAVA_BYTE, VnetHeader.LENGTH, frame.length);
        return m;
    }

    /** flags, gso_type, hdr_len, gso_size, csum_start, csum_offset */
    private static int[] fields(MemorySegment m) {
        return new int[] {m.get(ValueLayout.JAVA_BYTE, 0), m.get(ValueLayout.JAVA_BYTE, 1), m.get(U16, 2), m.get(U16, 4),
                m.get(U16, 6), m.get(U16, 8)};
    }

    @Test
    void segmentationAsksForGsoTcpv4AndAPartialChecksum() {
        byte[] f = TestFrames.tcp(0x0a, 0x0b, IP_A, IP_B, 1, 2, 0, 0, TcpPacket.ACK, 4000); // TCP header 32 bytes
        MemorySegment m = withRoom(f);
        VnetHeader.write(m, 0, f.length, FrameBurst.TX_TCP_SEGMENTATION | FrameBurst.TX_L4_CHECKSUM, 1448, 1500, 0);
        // VIRTIO_NET_HDR_F_NEEDS_CSUM 1, VIRTIO_NET_HDR_GSO_TCPV4 1, headers 14 + 20 + 32, from the TCP header, field 16
        assertArrayEquals(new int[] {1, 1, 66, 1448, 34, 16}, fields(m));
    }

    @Test
    void checksumAloneHasNoGsoAndUdpPointsAtItsField() {
        byte[] tcp = TestFrames.tcp(0x0a, 0x0b, IP_A, IP_B, 1, 2, 0, 0, TcpPacket.ACK, 100);
        MemorySegment m = withRoom(tcp);
        VnetHeader.write(m, 0, tcp.length, FrameBurst.TX_L4_CHECKSUM, 0, 1500, 0);
        assertArrayEquals(new int[] {1, 0, 0, 0, 34, 16}, fields(m));
        byte[] udp = TestFrames.udp(0x0a, 0x0b, IP_A, IP_B, 1, 2, 100);
        MemorySegment u = withRoom(udp);
        VnetHeader.write(u, 0, udp.length, FrameBurst.TX_L4_CHECKSUM | FrameBurst.TX_IP_CHECKSUM, 0, 1500, 0);
        assertArrayEquals(new int[] {1, 0, 0, 0, 34, 6}, fields(u));
    }

    @Test
    void noOffloadIsAZeroHeader() {
        byte[] f = TestFrames.udp(0x0a, 0x0b, IP_A, IP_B, 1, 2, 10);
        MemorySegment m = withRoom(f);
        VnetHeader.write(m, 0, f.length, 0, 0, 1500, 0);
        assertArrayEquals(new int[6], fields(m));
        assertEquals(f.length + VnetHeader.LENGTH, (int) m.byteSize());
    }

    @Test
    void requestsTheFrameCannotTakeAreRefused() {
        byte[] udp = TestFrames.udp(0x0a, 0x0b, IP_A, IP_B, 1, 2, 3000);
        assertThrows(IllegalArgumentException.class,
                () -> VnetHeader.write(withRoom(udp), 0, udp.length, FrameBurst.TX_TCP_SEGMENTATION, 1000, 1500, 0));
        byte[] tcp = TestFrames.tcp(0x0a, 0x0b, IP_A, IP_B, 1, 2, 0, 0, TcpPacket.ACK, 3000);
        assertThrows(IllegalArgumentException.class,
                () -> VnetHeader.write(withRoom(tcp), 0, tcp.length, FrameBurst.TX_TCP_SEGMENTATION, 1449, 1500, 0));
        byte[] arp = TestFrames.arp(1, 0x0a, IP_A, 0, IP_B);
        assertThrows(IllegalArgumentException.class,
                () -> VnetHeader.write(withRoom(arp), 0, arp.length, FrameBurst.TX_L4_CHECKSUM, 0, 1500, 0));
    }
}
