package io.jverbs.soft.wire;

import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.UdpPacket;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32;

/**
 * RoCEv2's invariant CRC over IPv4, as rdma_rxe computes it (matched on every captured rxe
 * packet, Linux 6.1): CRC-32 (IEEE, {@link CRC32}) over 8 bytes of {@code 0xff},
 * the IPv4 header with TOS, TTL and header checksum set to ones, the UDP header with its checksum
 * set to ones, the BTH with byte 4 (resv8a) set to ones, then the extension headers, payload and
 * pad. The 4-byte result follows the pad, little-endian. The masked fields are those a router may
 * change; the IP identification, flags, lengths and addresses are covered.
 *
 * <p>One instance per thread. Nothing is allocated per call: the masked 48 to 88 bytes go
 * through a scratch array, the rest through a {@link ByteBuffer} view of the segment that is made
 * once per segment and kept (so the last segment stays reachable from here); {@link CRC32} reads a
 * direct buffer in place and a heap one through its array. A read-only heap segment is the
 * exception: CRC32 copies such a buffer through a temporary array.
 */
public final class Icrc {
    /** Bytes of the ICRC trailer. */
    public static final int LENGTH = 4;
    /** The ICRC as it sits on the wire. */
    public static final ValueLayout.OfInt LAYOUT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final int ONES = 8;
    private static final int IP_TOS = 1;
    private static final int IP_TTL = 8;
    private static final int IP_CHECKSUM = 10;
    private static final int UDP_CHECKSUM = 6;
    private static final int UDP_LENGTH = 4;

    private final CRC32 crc = new CRC32();
    /** 8 ones, then the IPv4 header (options included), the UDP header and the BTH, to be masked. */
    private final byte[] prefix = new byte[ONES + Ipv4Packet.MAX_HEADER_LENGTH + UdpPacket.HEADER_LENGTH + Bth.LENGTH];
    private MemorySegment viewed;
    private ByteBuffer view;

    /**
     * The ICRC of the IPv4 packet at {@code ipOffset}: its header length and the UDP length field
     * say where the ICRC sits (the last 4 bytes of the UDP datagram). The packet must be well formed
     * (as {@link RocePacket#wrapIpv4} checks); bad lengths read outside it and throw
     * {@link IndexOutOfBoundsException} at worst.
     */
    public int computeIpv4(MemorySegment segment, long ipOffset) {
        int ihl = (segment.get(ValueLayout.JAVA_BYTE, ipOffset) & 0xf) << 2;
        long udpAt = ipOffset + ihl;
        int udpLength = Short.toUnsignedInt(segment.get(HeaderLayouts.U16, udpAt + UDP_LENGTH));
        int masked = ihl + UdpPacket.HEADER_LENGTH + Bth.LENGTH;
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, ipOffset, prefix, ONES, masked);
        long bthAt = udpAt + UdpPacket.HEADER_LENGTH;
        int rest = udpLength - UdpPacket.HEADER_LENGTH - Bth.LENGTH - LENGTH;
        return finish(ihl, masked, segment, bthAt + Bth.LENGTH, rest);
    }

    /** Whether the ICRC stored at the end of the well-formed IPv4 packet at {@code ipOffset} matches. */
    public boolean verifyIpv4(MemorySegment segment, long ipOffset) {
        return computeIpv4(segment, ipOffset) == segment.get(LAYOUT, icrcOffset(segment, ipOffset));
    }

    /** Computes the ICRC of the well-formed IPv4 packet at {@code ipOffset} and writes it at its end. */
    public int fillIpv4(MemorySegment segment, long ipOffset) {
        int c = computeIpv4(segment, ipOffset);
        segment.set(LAYOUT, icrcOffset(segment, ipOffset), c);
        return c;
    }

    /**
     * The ICRC of a RoCEv2 UDP payload ({@code transportLength} bytes from the BTH at
     * {@code bthOffset}, ICRC included) as it will be on the wire when the kernel sends it from an
     * unconnected socket with {@code IP_PMTUDISC_DO}: an IPv4 header of 20 bytes, identification 0,
     * DF set, UDP destination port 4791. This is what a UDP-socket sender writes in the trailer.
     */
    public int computeDatagram(int sourceAddress, int destinationAddress, int sourcePort, MemorySegment segment,
            long bthOffset, int transportLength) {
        int ipTotal = Ipv4Packet.MIN_HEADER_LENGTH + UdpPacket.HEADER_LENGTH + transportLength;
        byte[] p = prefix;
        int at = ONES;
        p[at] = 0x45;                                   // version 4, IHL 5
        put16(p, at + 2, ipTotal);
        put16(p, at + 4, 0);                            // identification 0: what the kernel sends with DF
        put16(p, at + 6, 0x4000);                       // DF, offset 0
        p[at + 9] = 17;                                 // UDP
        put32(p, at + 12, sourceAddress);
        put32(p, at + 16, destinationAddress);
        at += Ipv4Packet.MIN_HEADER_LENGTH;
        put16(p, at, sourcePort);
        put16(p, at + 2, UdpPacket.ROCE_V2_PORT);
        put16(p, at + 4, UdpPacket.HEADER_LENGTH + transportLength);
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, bthOffset, p, at + UdpPacket.HEADER_LENGTH, Bth.LENGTH);
        return finish(Ipv4Packet.MIN_HEADER_LENGTH, Ipv4Packet.MIN_HEADER_LENGTH + UdpPacket.HEADER_LENGTH + Bth.LENGTH,
                segment, bthOffset + Bth.LENGTH, transportLength - Bth.LENGTH - LENGTH);
    }

    /** Masks the prefix (whose IPv4 header is {@code ihl} bytes), then sums it and {@code rest} bytes at {@code restAt}. */
    private int finish(int ihl, int masked, MemorySegment segment, long restAt, int rest) {
        byte[] p = prefix;
        for (int i = 0; i < ONES; i++) {
            p[i] = (byte) 0xff;
        }
        p[ONES + IP_TOS] = (byte) 0xff;
        p[ONES + IP_TTL] = (byte) 0xff;
        p[ONES + IP_CHECKSUM] = (byte) 0xff;
        p[ONES + IP_CHECKSUM + 1] = (byte) 0xff;
        int udp = ONES + ihl;
        p[udp + UDP_CHECKSUM] = (byte) 0xff;
        p[udp + UDP_CHECKSUM + 1] = (byte) 0xff;
        p[udp + UdpPacket.HEADER_LENGTH + Bth.RESV8A] = (byte) 0xff;
        CRC32 c = crc;
        c.reset();
        c.update(p, 0, ONES + masked);
        if (rest > 0) {
            c.update(window(segment, restAt, rest));
        }
        return (int) c.getValue();
    }

    /** {@code length} bytes at {@code at} as a ByteBuffer, from a view made once per segment. */
    private ByteBuffer window(MemorySegment segment, long at, int length) {
        if (segment != viewed) {
            if (segment.byteSize() > Integer.MAX_VALUE) {
                return segment.asSlice(at, length).asByteBuffer(); // beyond a ByteBuffer's reach: a view per call
            }
            view = segment.asByteBuffer();
            viewed = segment;
        }
        ByteBuffer b = view;
        // Limit first: the new position may lie beyond the old limit.
        b.limit(Math.toIntExact(at + length)).position((int) at);
        return b;
    }

    private static long icrcOffset(MemorySegment segment, long ipOffset) {
        long udpAt = ipOffset + ((segment.get(ValueLayout.JAVA_BYTE, ipOffset) & 0xf) << 2);
        return udpAt + Short.toUnsignedInt(segment.get(HeaderLayouts.U16, udpAt + UDP_LENGTH)) - LENGTH;
    }

    private static void put16(byte[] p, int at, int v) {
        p[at] = (byte) (v >>> 8);
        p[at + 1] = (byte) v;
    }

    private static void put32(byte[] p, int at, int v) {
        put16(p, at, v >>> 16);
        put16(p, at + 2, v);
    }
}
