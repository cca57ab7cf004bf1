package io.jverbs.raweth.port;

import io.jverbs.raweth.wire.Checksum;
import io.jverbs.raweth.wire.EtherType;
import io.jverbs.raweth.wire.EthernetFrame;
import io.jverbs.raweth.wire.IpProtocol;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.TcpPacket;
import io.jverbs.raweth.wire.UdpPacket;
import io.jverbs.raweth.wire.WireStatus;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * What a NIC does to frames for a simulated port: fills checksums flagged on transmit and checks
 * them on receive, as DPDK's {@code RTE_MBUF_F_TX_*_CKSUM} and {@code RTE_MBUF_F_RX_*_CKSUM_GOOD}
 * specify, and cuts TCP frames flagged {@link FrameBurst#TX_TCP_SEGMENTATION} into segments as a
 * TSO engine does. One per port and thread; allocates nothing per frame.
 */
final class DeviceOffloads {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int VLAN_TPID = 0x8100;
    private static final int TCP_CHECKSUM = 16;
    private static final int UDP_CHECKSUM = 6;

    /** What {@link #check} found. */
    static final int BAD = -1;

    private final EthernetFrame eth = new EthernetFrame();
    private final Ipv4Packet ip = new Ipv4Packet();
    private final TcpPacket tcp = new TcpPacket();
    private final UdpPacket udp = new UdpPacket();

    /** Wraps {@link #ip} over the frame's IPv4 packet (after up to one VLAN tag), or returns false. */
    private boolean ipv4(MemorySegment m, long off, int len) {
        if (eth.wrap(m, off, len) != WireStatus.OK) {
            return false;
        }
        int type = eth.etherType();
        long at = eth.payloadOffset();
        int n = eth.payloadLength();
        if (type == VLAN_TPID && n >= 4) {
            type = m.get(U16, at + 2) & 0xffff;
            at += 4;
            n -= 4;
        }
        return type == EtherType.IPV4 && ip.wrap(m, at, n) == WireStatus.OK;
    }

    /**
     * Transmit side: fills the IPv4 header checksum when {@code flags} has
     * {@link FrameBurst#TX_IP_CHECKSUM}, and the TCP/UDP checksum when it has
     * {@link FrameBurst#TX_L4_CHECKSUM}, from the pseudo-header sum software left in the field (the
     * device sums the segment with the field as it is and writes the complement).
     */
    void fill(MemorySegment m, long off, int len, int flags) {
        if ((flags & (FrameBurst.TX_IP_CHECKSUM | FrameBurst.TX_L4_CHECKSUM)) == 0 || !ipv4(m, off, len)) {
            return;
        }
        if ((flags & FrameBurst.TX_IP_CHECKSUM) != 0) {
            ip.fillChecksum();
        }
        if ((flags & FrameBurst.TX_L4_CHECKSUM) != 0 && !ip.isFragment()) {
            long l4 = ip.payloadOffset();
            int n = ip.payloadLength();
            int field = switch (ip.protocol()) {
                case IpProtocol.TCP -> n >= TcpPacket.MIN_HEADER_LENGTH ? TCP_CHECKSUM : -1;
                case IpProtocol.UDP -> n >= UdpPacket.HEADER_LENGTH ? UDP_CHECKSUM : -1;
                default -> -1;
            };
            if (field >= 0) {
                int c = Checksum.finish(Checksum.sum(m, l4, n));
                // RFC 768: a computed UDP checksum of 0 is sent as all ones.
                m.set(U16, l4 + field, (short) (c == 0 && field == UDP_CHECKSUM ? 0xffff : c));
            }
        }
    }

    // The frame being segmented, between prepareSegmentation and the last segment.
    private int segHeader;
    private int segIpAt;
    private int segPayload;
    private int segSize;
    private int segCount;
    private int segSeq;
    private int segId;

    /**
     * TSO, first step: the number of segments frame {@code [off, off + len)} of {@code m} becomes
     * when cut at {@code segmentSize} payload bytes, or -1 if it is no unfragmented IPv4/TCP frame
     * with payload (what a NIC would not segment), or whose segments' IPv4 packets would exceed {@code mtu}.
     */
    int prepareSegmentation(MemorySegment m, long off, int len, int segmentSize, int mtu) {
        if (segmentSize < 1 || !ipv4(m, off, len) || ip.protocol() != IpProtocol.TCP || ip.isFragment()
                || tcp.wrap(m, ip.payloadOffset(), ip.payloadLength()) != WireStatus.OK) {
            return -1;
        }
        segIpAt = (int) (ip.payloadOffset() - ip.headerLength() - off);
        segHeader = (int) (ip.payloadOffset() - off) + tcp.headerLength();
        segPayload = ip.payloadLength() - tcp.headerLength(); // the IP length, not Ethernet padding
        if (segPayload <= 0 || segHeader - segIpAt + segmentSize > mtu) {
            return -1;
        }
        segSize = segmentSize;
        segCount = (segPayload + segmentSize - 1) / segmentSize;
        segSeq = tcp.sequenceNumber();
        segId = ip.identification();
        return segCount;
    }

    /**
     * TSO, second step: writes segment {@code k} of the prepared frame (still at {@code off} in
     * {@code m}) at {@code to} in {@code dst} and returns its length: the headers, its share of the
     * payload, the IPv4 total length, identification (+k) and checksum, the TCP sequence number,
     * FIN and PSH on the last segment only, CWR on the first only, and the TCP checksum.
     */
    int segment(MemorySegment m, long off, int k, MemorySegment dst, long to) {
        int from = k * segSize;
        int n = Math.min(segSize, segPayload - from);
        MemorySegment.copy(m, off, dst, to, segHeader);
        MemorySegment.copy(m, off + segHeader + from, dst, to + segHeader, n);
        int ipLength = segHeader - segIpAt + n;
        ip.wrapUnchecked(dst, to + segIpAt, ipLength);
        ip.setTotalLength(ipLength).setIdentification((segId + k) & 0xffff).fillChecksum();
        int flags = tcp.wrapUnchecked(dst, ip.payloadOffset(), ip.payloadLength()).flags();
        if (k != segCount - 1) {
            flags &= ~(TcpPacket.FIN | TcpPacket.PSH);
        }
        if (k != 0) {
            flags &= ~TcpPacket.CWR;
        }
        tcp.setSequenceNumber(segSeq + from).setHeaderLengthAndFlags(tcp.headerLength(), flags)
                .fillChecksum(ip.source(), ip.destination());
        return segHeader + n;
    }

    /**
     * Receive side: the {@code RX_*_GOOD} flags of a frame whose checksums verify, 0 for a frame
     * that is not IPv4 (or not TCP/UDP for the L4 flag), {@link #BAD} when one fails.
     */
    int check(MemorySegment m, long off, int len) {
        if (!ipv4(m, off, len)) {
            return 0;
        }
        if (!ip.checksumValid()) {
            return BAD;
        }
        int flags = FrameBurst.RX_IP_CHECKSUM_GOOD;
        if (ip.isFragment()) {
            return flags;
        }
        int src = ip.source();
        int dst = ip.destination();
        switch (ip.protocol()) {
            case IpProtocol.TCP -> {
                if (tcp.wrap(m, ip.payloadOffset(), ip.payloadLength()) != WireStatus.OK
                        || !tcp.checksumValid(src, dst)) {
                    return BAD;
                }
                flags |= FrameBurst.RX_L4_CHECKSUM_GOOD;
            }
            case IpProtocol.UDP -> {
                if (udp.wrap(m, ip.payloadOffset(), ip.payloadLength()) != WireStatus.OK
                        || !udp.checksumValid(src, dst)) {
                    return BAD;
                }
                flags |= FrameBurst.RX_L4_CHECKSUM_GOOD;
            }
            default -> { }
        }
        return flags;
    }
}
