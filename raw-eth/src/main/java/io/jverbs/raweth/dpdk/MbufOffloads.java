package io.jverbs.raweth.dpdk;

import io.jverbs.dpdk.ffi.RteMbuf;
import io.jverbs.raweth.port.FrameBurst;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Translates a frame's {@link FrameBurst} transmit offload flags into what {@code rte_mbuf_core.h}
 * asks of an mbuf: {@code ol_flags} ({@code RTE_MBUF_F_TX_IPV4}, {@code _IP_CKSUM},
 * {@code _TCP_CKSUM}/{@code _UDP_CKSUM}, {@code _TCP_SEG}) and the {@code tx_offload} word
 * ({@code l2_len:7, l3_len:9, l4_len:8, tso_segsz:16}), and prepares the headers the way the PMD
 * expects them: the IPv4 checksum field zeroed for {@code IP_CKSUM}; for TSO the TCP checksum
 * field holds the pseudo-header sum without the length (the frame holds it with the length, as
 * for a plain L4 offload). Reads the frame's headers (IPv4 behind at most one 802.1Q tag). Pure
 * Java over the frame's memory, so it is tested without a device. One per port; allocation-free.
 */
final class MbufOffloads {
    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int ETHERTYPE_VLAN = 0x8100;
    private static final int PROTO_TCP = 6;
    private static final int PROTO_UDP = 17;

    private final int mtu;
    private long olFlags;
    private long txOffload;

    MbufOffloads(int mtu) {
        this.mtu = mtu;
    }

    /** The {@code ol_flags} bits of the last {@link #translate} (to be or-ed to the mbuf's buffer flags). */
    long olFlags() {
        return olFlags;
    }

    /** The {@code tx_offload} word of the last {@link #translate}. */
    long txOffload() {
        return txOffload;
    }

    /**
     * Translates frame {@code i} ({@code length} bytes at {@code address} in {@code memory}) with
     * offload {@code flags} and, for {@link FrameBurst#TX_TCP_SEGMENTATION}, {@code segmentSize}.
     *
     * @throws IllegalArgumentException if the frame is not what the flags need (IPv4; TCP or UDP
     *         for an L4 checksum; TCP with a segment size whose segments fit the MTU for TSO)
     */
    void translate(MemorySegment memory, long address, int length, int flags, int segmentSize, int i) {
        int l2 = 14;
        int type = length >= 14 ? Short.toUnsignedInt(memory.get(SHORT_BE, address + 12)) : 0;
        if (type == ETHERTYPE_VLAN && length >= 18) {
            l2 = 18;
            type = Short.toUnsignedInt(memory.get(SHORT_BE, address + 16));
        }
        if (type != ETHERTYPE_IPV4 || length < l2 + 20) {
            throw new IllegalArgumentException("frame " + i + " asks for checksum offload but is not an IPv4 frame (EtherType 0x"
                    + Integer.toHexString(type) + ", " + length + " bytes)");
        }
        long ipAt = address + l2;
        int l3 = (memory.get(BYTE, ipAt) & 0xF) * 4;
        int proto = memory.get(BYTE, ipAt + 9) & 0xFF;
        long ol = RteMbuf.RTE_MBUF_F_TX_IPV4;
        int l4 = 0;
        int segment = 0;
        boolean tso = (flags & FrameBurst.TX_TCP_SEGMENTATION) != 0;
        if ((flags & FrameBurst.TX_IP_CHECKSUM) != 0 || tso) {
            ol |= RteMbuf.RTE_MBUF_F_TX_IP_CKSUM; // TSO: the device writes each segment's IPv4 checksum
            memory.set(SHORT_BE, ipAt + 10, (short) 0);
        }
        if ((flags & FrameBurst.TX_L4_CHECKSUM) != 0 || tso) {
            if (proto != PROTO_TCP && (proto != PROTO_UDP || tso)) {
                throw new IllegalArgumentException("frame " + i + " asks for an L4 offload but carries IP protocol " + proto);
            }
            if (length < l2 + l3 + (proto == PROTO_TCP ? 20 : 8)) {
                throw new IllegalArgumentException("frame " + i + " is too short for its L4 header: " + length + " bytes");
            }
            ol |= proto == PROTO_TCP ? RteMbuf.RTE_MBUF_F_TX_TCP_CKSUM : RteMbuf.RTE_MBUF_F_TX_UDP_CKSUM;
            if (tso) {
                long tcpAt = ipAt + l3;
                l4 = ((memory.get(BYTE, tcpAt + 12) & 0xFF) >>> 4) * 4;
                if (segmentSize < 1 || l3 + l4 + segmentSize > mtu) {
                    throw new IllegalArgumentException("frame " + i + " asks for TSO with segment size " + segmentSize
                            + ", outside [1, " + (mtu - l3 - l4) + "] for MTU " + mtu);
                }
                segment = segmentSize;
                ol |= RteMbuf.RTE_MBUF_F_TX_TCP_SEG;
                // One's-complement subtraction of the TCP length from the pseudo-header sum.
                int tcpLength = Short.toUnsignedInt(memory.get(SHORT_BE, ipAt + 2)) - l3;
                int sum = Short.toUnsignedInt(memory.get(SHORT_BE, tcpAt + 16)) + (~tcpLength & 0xFFFF);
                sum = (sum & 0xFFFF) + (sum >>> 16);
                memory.set(SHORT_BE, tcpAt + 16, (short) sum);
            }
        }
        olFlags = ol;
        txOffload = l2 | (long) l3 << 7 | (long) l4 << 16 | (long) segment << 24;
    }
}
