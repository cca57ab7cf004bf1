package io.jverbs.soft.wire;

import io.jverbs.raweth.wire.EthernetFrame;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.WireStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Every {@link RoceStatus} from bytes that cause it, starting from real rxe frames; a rejected packet exposes no headers. */
class MalformedTest {
    private static final int IP = EthernetFrame.HEADER_LENGTH;
    private static final int UDP = IP + Ipv4Packet.MIN_HEADER_LENGTH;
    private static final int BTH = UDP + 8;
    private static final List<byte[]> FRAMES = RxeCapture.frames();

    private static byte[] first(Opcode op) {
        RocePacket p = new RocePacket();
        for (byte[] f : FRAMES) {
            p.wrapFrame(MemorySegment.ofArray(f), 0, f.length);
            if (p.opcode() == op) {
                return f.clone();
            }
        }
        throw new AssertionError("no " + op + " in the capture");
    }

    private static void put16(byte[] f, int at, int v) {
        f[at] = (byte) (v >>> 8);
        f[at + 1] = (byte) v;
    }

    /** Shortens the IPv4 and UDP lengths by {@code n} bytes (the frame keeps its bytes: an Ethernet pad). */
    private static byte[] shorten(byte[] f, int n) {
        put16(f, IP + 2, ((f[IP + 2] & 0xff) << 8 | f[IP + 3] & 0xff) - n);
        put16(f, UDP + 4, ((f[UDP + 4] & 0xff) << 8 | f[UDP + 5] & 0xff) - n);
        return f;
    }

    private static byte[] fixed(byte[] f) {
        new Ipv4Packet().wrapOrThrow(MemorySegment.ofArray(f), IP, f.length - IP).fillChecksum();
        return f;
    }

    /** A frame laid out by RocePacket, addresses and QPs from nowhere in particular, ICRC right. */
    private static byte[] laidOut(Opcode op, int payload) {
        byte[] f = new byte[IP + RocePacket.transportLength(op, payload) + 28];
        MemorySegment s = MemorySegment.ofArray(f);
        System.arraycopy(FRAMES.getFirst(), 0, f, 0, IP); // rxe's MAC header
        RocePacket p = new RocePacket();
        p.layoutIpv4(s, IP, op, payload);
        p.ipv4().setSource(0x0a4d0101).setDestination(0x0a4d0102);
        p.udp().setSourcePort(SourcePort.rc(0x11, 0x12));
        p.bth().setDestinationQp(0x12).setPsn(0xfffffe);
        p.finishIpv4();
        return f;
    }

    static byte[] frame(RoceStatus st) {
        return switch (st) {
            case OK -> first(Opcode.RC_ACKNOWLEDGE);
            case NOT_IPV4 -> {
                byte[] f = first(Opcode.RC_ACKNOWLEDGE);
                put16(f, 12, 0x0806);
                yield f;
            }
            case IPV4_MALFORMED -> {
                byte[] f = first(Opcode.RC_ACKNOWLEDGE);
                f[IP] = 0x65; // version 6
                yield f;
            }
            case IPV4_BAD_CHECKSUM -> {
                byte[] f = first(Opcode.RC_ACKNOWLEDGE);
                f[IP + 8]--;  // TTL: masked by the ICRC, not by the IP checksum
                yield f;
            }
            case NOT_UDP -> {
                byte[] f = first(Opcode.RC_ACKNOWLEDGE);
                f[IP + 6] |= 0x20; // MF: a fragment
                yield fixed(f);
            }
            case UDP_MALFORMED -> {
                byte[] f = first(Opcode.RC_ACKNOWLEDGE);
                put16(f, UDP + 4, 4); // UDP length below 8
                yield f;
            }
            case NOT_ROCE_PORT -> {
                byte[] f = first(Opcode.RC_ACKNOWLEDGE);
                put16(f, UDP + 2, 4792);
                yield f;
            }
            case TRUNCATED -> fixed(shorten(first(Opcode.RC_ACKNOWLEDGE), 4)); // BTH + ICRC, the AETH cut off
            case BAD_OPCODE -> {
                byte[] f = first(Opcode.RC_ACKNOWLEDGE);
                f[BTH] = 0x15; // reserved in RC (RD's RESYNC)
                yield f;
            }
            case BAD_TRANSPORT_VERSION -> {
                byte[] f = first(Opcode.RC_ACKNOWLEDGE);
                f[BTH + 1] |= 1;
                yield f;
            }
            case BAD_PAD -> {
                byte[] f = first(Opcode.RC_ACKNOWLEDGE);
                f[BTH + 1] |= 0x10; // a pad on a packet without payload
                yield f;
            }
            case BAD_LENGTH -> {
                byte[] f = first(Opcode.RC_SEND_ONLY);
                f[BTH] = (byte) Opcode.RC_ACKNOWLEDGE.code(); // an ACK with a payload
                yield f;
            }
            case BAD_ICRC -> {
                byte[] f = first(Opcode.RC_SEND_ONLY);
                f[BTH + 20] ^= 0x40; // a payload bit
                yield f;
            }
        };
    }

    @ParameterizedTest
    @EnumSource(RoceStatus.class)
    void everyStatusHasBytesThatCauseIt(RoceStatus st) {
        byte[] f = frame(st);
        RocePacket p = new RocePacket();
        assertEquals(st, p.wrapFrame(MemorySegment.ofArray(f), 0, f.length), st.description());
        if (st != RoceStatus.OK) {
            assertNull(p.opcode());
            assertThrows(IllegalStateException.class, p::payloadLength);
        }
    }

    @Test
    void moreWaysToBeWrong() {
        RocePacket p = new RocePacket();
        // Too short for an Ethernet header, for the BTH and ICRC, for a READ request's RETH.
        assertEquals(RoceStatus.NOT_IPV4, p.wrapFrame(MemorySegment.ofArray(new byte[13]), 0, 13));
        assertEquals(RoceStatus.TRUNCATED, p.wrapTransport(MemorySegment.ofArray(new byte[15]), 0, 15));
        byte[] read = first(Opcode.RC_RDMA_READ_REQUEST);
        assertEquals(RoceStatus.TRUNCATED, p.wrapFrame(MemorySegment.ofArray(fixed(shorten(read.clone(), 4))), 0, read.length));
        // The IPv4 view says why it refused.
        byte[] v6 = frame(RoceStatus.IPV4_MALFORMED);
        p.wrapFrame(MemorySegment.ofArray(v6), 0, v6.length);
        assertEquals(WireStatus.IPV4_BAD_VERSION, p.ipv4().status());
        // Not UDP at all.
        byte[] tcp = first(Opcode.RC_ACKNOWLEDGE);
        tcp[IP + 9] = 6;
        assertEquals(RoceStatus.NOT_UDP, p.wrapFrame(MemorySegment.ofArray(fixed(tcp)), 0, tcp.length));
        // RD and unassigned opcodes.
        for (int code : new int[] {0x40, 0x66, 0x80, 0xff, 0x18}) {
            byte[] f = first(Opcode.RC_ACKNOWLEDGE);
            f[BTH] = (byte) code;
            assertEquals(RoceStatus.BAD_OPCODE, p.wrapFrame(MemorySegment.ofArray(f), 0, f.length), "0x" + Integer.toHexString(code));
        }
        // PadCnt larger than the payload: a SEND ONLY of 1 byte claiming 4 - 1 = 3 is fine, claiming more is not possible
        // in 2 bits, so take a payload of 0 (4 bytes of data would be payload 4, pad 0) and claim 3 on a 0-byte SEND.
        byte[] empty = laidOut(Opcode.RC_SEND_ONLY, 0);
        empty[BTH + 1] |= 0x30;
        assertEquals(RoceStatus.BAD_PAD, p.wrapFrame(MemorySegment.ofArray(empty), 0, empty.length));
        // A pad on a FIRST packet.
        byte[] first = first(Opcode.RC_SEND_FIRST);
        first[BTH + 1] |= 0x10;
        assertEquals(RoceStatus.BAD_PAD, p.wrapFrame(MemorySegment.ofArray(first), 0, first.length));
        // Payload and pad not a multiple of 4.
        byte[] odd = fixed(shorten(first(Opcode.RC_SEND_ONLY), 1));
        assertEquals(RoceStatus.BAD_LENGTH, p.wrapFrame(MemorySegment.ofArray(odd), 0, odd.length));
        // ATOMIC WRITE with 16 bytes instead of 8.
        byte[] aw = laidOut(Opcode.RC_RDMA_WRITE_ONLY, 16);
        aw[BTH] = (byte) Opcode.RC_ATOMIC_WRITE.code();
        assertEquals(RoceStatus.BAD_LENGTH, p.wrapFrame(MemorySegment.ofArray(aw), 0, aw.length));
        // The same, laid out right, is fine (the structure checks pass before the ICRC).
        byte[] good = laidOut(Opcode.RC_ATOMIC_WRITE, 8);
        assertEquals(RoceStatus.OK, p.wrapFrame(MemorySegment.ofArray(good), 0, good.length));
        // The ICRC trailer itself.
        byte[] crc = first(Opcode.UD_SEND_ONLY);
        crc[crc.length - 1] ^= 1;
        assertEquals(RoceStatus.BAD_ICRC, p.wrapFrame(MemorySegment.ofArray(crc), 0, crc.length));
        // A UDP payload is not ICRC-checked: the socket path cannot.
        assertEquals(RoceStatus.OK, p.wrapTransport(MemorySegment.ofArray(crc), BTH, crc.length - BTH));
    }

    @Test
    void headersTheOpcodeDoesNotCarryAreRefused() {
        byte[] f = first(Opcode.RC_ACKNOWLEDGE);
        RocePacket p = new RocePacket();
        assertEquals(RoceStatus.OK, p.wrapFrame(MemorySegment.ofArray(f), 0, f.length));
        p.aeth();
        for (Runnable r : List.<Runnable>of(p::reth, p::deth, p::atomicEth, p::atomicAckEth, p::immDt, p::ieth, p::feth)) {
            assertThrows(IllegalStateException.class, r::run);
        }
    }

    @Test
    void layoutRefusesLengthsTheOpcodeCannotCarry() {
        RocePacket p = new RocePacket();
        MemorySegment s = MemorySegment.ofArray(new byte[2048]);
        assertThrows(IllegalArgumentException.class, () -> p.layoutIpv4(s, 0, Opcode.RC_ACKNOWLEDGE, 4));
        assertThrows(IllegalArgumentException.class, () -> p.layoutIpv4(s, 0, Opcode.RC_SEND_ONLY, -1));
        assertThrows(IllegalArgumentException.class, () -> p.layoutIpv4(s, 0, Opcode.RC_ATOMIC_WRITE, 4));
        assertThrows(IllegalArgumentException.class, () -> p.layoutIpv4(s, 0, Opcode.RC_SEND_ONLY, 2048));
        assertThrows(IllegalStateException.class, new RocePacket()::finishIpv4);
        Set<RoceStatus> all = EnumSet.allOf(RoceStatus.class);
        assertEquals(all.size(), Arrays.stream(RoceStatus.values()).map(MalformedTest::frame).count());
    }
}
