package io.jverbs.soft.wire;

import io.jverbs.raweth.wire.EthernetFrame;
import io.jverbs.raweth.wire.Ipv4Packet;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ICRC covers what rxe covers, masks what rxe masks, and the datagram form equals the frame form. */
class IcrcTest {
    private static final int IP = EthernetFrame.HEADER_LENGTH;
    private static final int UDP = IP + Ipv4Packet.MIN_HEADER_LENGTH;
    private static final int BTH = UDP + 8;

    /** Byte offsets in the frame of the fields the ICRC masks. */
    private static final Set<Integer> MASKED = Set.of(IP + 1, IP + 8, IP + 10, IP + 11, UDP + 6, UDP + 7, BTH + 4);
    /**
     * Bytes whose change alters the structure (IHL, lengths, flags, protocol, port, opcode, PadCnt
     * and TVer): a flipped bit there may be caught before the ICRC, with another status.
     */
    private static final Set<Integer> STRUCTURAL = Set.of(IP, IP + 2, IP + 3, IP + 6, IP + 7, IP + 9, UDP + 2, UDP + 3,
            UDP + 4, UDP + 5, BTH, BTH + 1);

    /** One frame of each opcode the capture has: every header layout. */
    private static List<byte[]> oneOfEachOpcode() {
        var seen = new java.util.HashSet<Opcode>();
        RocePacket p = new RocePacket();
        return RxeCapture.frames().stream().filter(f -> {
            assertEquals(RoceStatus.OK, p.wrapFrame(MemorySegment.ofArray(f), 0, f.length));
            return seen.add(p.opcode());
        }).toList();
    }

    private static void fixIpChecksum(byte[] f) {
        Ipv4Packet ip = new Ipv4Packet();
        if (ip.wrap(MemorySegment.ofArray(f), IP, f.length - IP) == io.jverbs.raweth.wire.WireStatus.OK) {
            ip.fillChecksum(); // a header the flip broke is refused before its checksum anyway
        }
    }

    @Test
    void aFlippedBitAnywhereTheIcrcCoversFailsAndAMaskedOneDoesNot() {
        RocePacket p = new RocePacket();
        int flips = 0;
        for (byte[] original : oneOfEachOpcode()) {
            for (int at = IP; at < original.length; at++) {
                for (int bit = 0; bit < 8; bit++) {
                    byte[] f = original.clone();
                    f[at] ^= (byte) (1 << bit);
                    fixIpChecksum(f); // so that only the ICRC can tell
                    RoceStatus s = p.wrapFrame(MemorySegment.ofArray(f), 0, f.length);
                    String where = "byte " + at + " bit " + bit + " of a " + Opcode.of(original[BTH] & 0xff);
                    if (MASKED.contains(at)) {
                        assertEquals(RoceStatus.OK, s, where + " is masked");
                    } else if (STRUCTURAL.contains(at)) {
                        assertNotEquals(RoceStatus.OK, s, where);
                    } else {
                        assertEquals(RoceStatus.BAD_ICRC, s, where);
                    }
                    flips++;
                }
            }
        }
        assertTrue(flips > 10_000, flips + " flips");
    }

    @Test
    void theDatagramFormEqualsTheFrameFormForTheHeaderTheKernelSends() {
        Icrc icrc = new Icrc();
        RocePacket p = new RocePacket();
        for (byte[] original : oneOfEachOpcode()) {
            byte[] f = original.clone();
            MemorySegment s = MemorySegment.ofArray(f);
            // What an unconnected socket with IP_PMTUDISC_DO sends: identification 0, DF.
            new Ipv4Packet().wrapOrThrow(s, IP, f.length - IP).setIdentification(0).setFragmentation(true, false, 0)
                    .fillChecksum();
            int framed = icrc.fillIpv4(s, IP);
            assertEquals(RoceStatus.OK, p.wrapFrame(s, 0, f.length));
            int src = p.ipv4().source();
            int dst = p.ipv4().destination();
            int sport = p.udp().sourcePort();
            assertEquals(framed, icrc.computeDatagram(src, dst, sport, s, BTH, p.transportLength()), p.toString());
            // RocePacket's socket path writes the same trailer.
            s.set(Icrc.LAYOUT, BTH + p.transportLength() - 4, 0);
            assertEquals(RoceStatus.OK, p.wrapTransport(s, BTH, p.transportLength()));
            p.finishDatagram(src, dst, sport);
            assertEquals(framed, s.get(Icrc.LAYOUT, BTH + p.transportLength() - 4));
        }
    }

    @Test
    void heapAndNativeSegmentsGiveTheSameIcrcAndTheCachedViewFollowsTheSegment() {
        Icrc icrc = new Icrc();
        List<byte[]> frames = oneOfEachOpcode();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ring = arena.allocate(4096);
            for (byte[] f : frames) {
                MemorySegment.copy(f, 0, ring, ValueLayout.JAVA_BYTE, 100, f.length);
                int heap = icrc.computeIpv4(MemorySegment.ofArray(f), IP);
                int offHeap = icrc.computeIpv4(ring, 100 + IP);
                assertEquals(heap, offHeap);
                assertTrue(icrc.verifyIpv4(ring, 100 + IP));
                ring.set(ValueLayout.JAVA_BYTE, 100 + f.length - 5, (byte) ~ring.get(ValueLayout.JAVA_BYTE, 100 + f.length - 5));
                assertFalse(icrc.verifyIpv4(ring, 100 + IP), "the view is re-positioned, not stale");
            }
        }
    }
}
