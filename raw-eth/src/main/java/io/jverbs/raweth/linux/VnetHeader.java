package io.jverbs.raweth.linux;

import io.jverbs.raweth.linux.ffi.LinuxLibc;
import io.jverbs.raweth.linux.ffi.virtio_net_hdr;
import io.jverbs.raweth.port.FrameBurst;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The {@code struct virtio_net_hdr} the kernel takes before each frame written to a TAP with
 * {@code IFF_VNET_HDR} or sent on an AF_PACKET socket with {@code PACKET_VNET_HDR}: the
 * {@link FrameBurst} transmit flags in the kernel's terms. {@link FrameBurst#TX_L4_CHECKSUM}
 * becomes {@code VIRTIO_NET_HDR_F_NEEDS_CSUM} with {@code csum_start} at the TCP/UDP header and
 * {@code csum_offset} at its checksum field (the kernel sums from there over the rest of the frame
 * with the pseudo-header sum software left in the field: {@code CHECKSUM_PARTIAL});
 * {@link FrameBurst#TX_TCP_SEGMENTATION} adds {@code gso_type VIRTIO_NET_HDR_GSO_TCPV4},
 * {@code gso_size} (the segment size) and {@code hdr_len} (Ethernet, IPv4 and TCP headers), so
 * the kernel takes the frame as one GSO packet and segments it only if it leaves through a device
 * without TSO. The IPv4 header checksum is not offloaded: software fills it (the kernel redoes it
 * per segment when it segments). Fields are in the CPU's order: the legacy (non-VIRTIO_F_VERSION_1)
 * header, little-endian on x86_64 and arm64.
 */
final class VnetHeader {
    /** The header's size, 10 bytes. */
    static final int LENGTH = (int) virtio_net_hdr.sizeof();

    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final byte NEEDS_CSUM = (byte) LinuxLibc.VIRTIO_NET_HDR_F_NEEDS_CSUM;
    private static final byte GSO_TCPV4 = (byte) LinuxLibc.VIRTIO_NET_HDR_GSO_TCPV4;
    private static final byte GSO_NONE = (byte) LinuxLibc.VIRTIO_NET_HDR_GSO_NONE;
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int ETHERTYPE_VLAN = 0x8100;
    private static final int TCP = 6;
    private static final int UDP = 17;

    private VnetHeader() {
    }

    /**
     * Writes at {@code header} in {@code m} the header for the {@code length}-byte frame that follows
     * it, asking for what {@code flags} (only {@code TX_L4_CHECKSUM} and {@code TX_TCP_SEGMENTATION}
     * count) and {@code segmentSize} ask.
     *
     * @throws IllegalArgumentException when the frame is not what the flags need (IPv4; TCP or UDP;
     *         TCP with segments that fit {@code mtu} for segmentation), naming frame {@code i}
     */
    static void write(MemorySegment m, long header, int length, int flags, int segmentSize, int mtu, int i) {
        boolean gso = (flags & FrameBurst.TX_TCP_SEGMENTATION) != 0;
        if (!gso && (flags & FrameBurst.TX_L4_CHECKSUM) == 0) {
            m.set(ValueLayout.JAVA_LONG_UNALIGNED, header, 0L); // flags 0, GSO_NONE, lengths 0
            m.set(U16, header + 8, (short) 0);
            return;
        }
        long f = header + LENGTH;
        int l2 = 14;
        int type = length >= 14 ? Short.toUnsignedInt(m.get(BE16, f + 12)) : 0;
        if (type == ETHERTYPE_VLAN && length >= 18) {
            l2 = 18;
            type = Short.toUnsignedInt(m.get(BE16, f + 16));
        }
        if (type != ETHERTYPE_IPV4 || length < l2 + 20) {
            throw new IllegalArgumentException("frame " + i + " asks for an L4 offload but is not an IPv4 frame");
        }
        int l3 = (m.get(ValueLayout.JAVA_BYTE, f + l2) & 0xf) * 4;
        int proto = m.get(ValueLayout.JAVA_BYTE, f + l2 + 9) & 0xff;
        if (proto != TCP && (proto != UDP || gso) || length < l2 + l3 + (proto == TCP ? 20 : 8)) {
            throw new IllegalArgumentException("frame " + i + " asks for " + (gso ? "TSO" : "an L4 checksum")
                    + " but carries IP protocol " + proto + " in " + length + " bytes");
        }
        byte gsoType = GSO_NONE;
        int headers = 0;
        int size = 0;
        if (gso) {
            int l4 = ((m.get(ValueLayout.JAVA_BYTE, f + l2 + l3 + 12) & 0xff) >>> 4) * 4;
            if (segmentSize < 1 || l3 + l4 + segmentSize > mtu) {
                throw new IllegalArgumentException("frame " + i + " asks for TSO with segment size " + segmentSize
                        + ", outside [1, " + (mtu - l3 - l4) + "] for MTU " + mtu);
            }
            gsoType = GSO_TCPV4;
            headers = l2 + l3 + l4;
            size = segmentSize;
        }
        m.set(ValueLayout.JAVA_BYTE, header + virtio_net_hdr.flags$offset(), NEEDS_CSUM);
        m.set(ValueLayout.JAVA_BYTE, header + virtio_net_hdr.gso_type$offset(), gsoType);
        m.set(U16, header + virtio_net_hdr.hdr_len$offset(), (short) headers);
        m.set(U16, header + virtio_net_hdr.gso_size$offset(), (short) size);
        m.set(U16, header + virtio_net_hdr.csum_start$offset(), (short) (l2 + l3));
        m.set(U16, header + virtio_net_hdr.csum_offset$offset(), (short) (proto == TCP ? 16 : 6));
    }
}
