package io.jverbs.perftest.engine;

import io.jverbs.perftest.RawEthernet;
import io.jverbs.raweth.wire.EtherType;
import io.jverbs.raweth.wire.EthernetFrame;
import io.jverbs.raweth.wire.EthernetRepr;
import io.jverbs.raweth.wire.IpProtocol;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.Ipv4Repr;
import io.jverbs.raweth.wire.TcpPacket;
import io.jverbs.raweth.wire.TcpRepr;
import io.jverbs.raweth.wire.UdpPacket;
import io.jverbs.raweth.wire.UdpRepr;
import io.jverbs.raweth.wire.WireStatus;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The frames of a raw Ethernet run, as perftest's {@code build_pkt_on_buffer} makes them: built
 * once with the wire {@code Repr}s into a template that every send copies, and the receive-side
 * filter that stands in for perftest's {@code ibv_create_flow} rule. A message of {@code size}
 * bytes (perftest's {@code -s}, FCS included) is a frame of {@code size − 4} bytes: Ethernet
 * (to the peer's MAC, from this side's; EtherType {@code -Y}, else IPv4 with an IP address, else
 * the 802.3 length {@code size − 18}); with an IP address IPv4 (IHL 5, TTL {@code -L}, id 0, no
 * DF, header checksum), total length {@code size − 18}; with ports UDP (length {@code size − 38},
 * checksum 0) or TCP (data offset 5, window 8192, checksum 0); zero payload.
 *
 * <p>{@link #matches} allocates nothing; it never throws for a frame's content.
 */
final class RawFrames {
    /** perftest's TCP window. */
    static final int TCP_WINDOW = 8192;

    private final RawEthernet raw;
    private final int frameLength;
    private final MemorySegment template;
    private final int etherType;
    private final int protocol;
    private final EthernetFrame eth = new EthernetFrame();
    private final Ipv4Packet ip = new Ipv4Packet();
    private final UdpPacket udp = new UdpPacket();
    private final TcpPacket tcp = new TcpPacket();

    /**
     * @param size the message size after perftest's clamping (64 .. MTU), FCS included
     * @param sends whether this side sends (a template is built only then; it needs the peer's MAC)
     */
    RawFrames(RawEthernet raw, int size, boolean sends) {
        if (size < RawEthernet.MIN_SIZE) {
            throw new IllegalArgumentException("raw message size " + size + " is below " + RawEthernet.MIN_SIZE);
        }
        this.raw = raw;
        this.frameLength = size - RawEthernet.FCS;
        int ipLength = size - RawEthernet.ETH_ADDITION;
        this.protocol = raw.hasL4() ? raw.tcp() ? IpProtocol.TCP : IpProtocol.UDP : 0;
        this.etherType = raw.etherType() >= 0 ? raw.etherType() : raw.hasIp() ? EtherType.IPV4 : ipLength;
        if (!sends) {
            template = null;
            return;
        }
        template = Arena.ofAuto().allocate(frameLength, 64);
        new EthernetRepr(raw.peerMac().value(), raw.ownMac().value(), etherType)
                .emit(eth.wrapUnchecked(template, 0, frameLength));
        if (!raw.hasIp()) {
            return;
        }
        int l4Length = ipLength - Ipv4Packet.MIN_HEADER_LENGTH;
        new Ipv4Repr(raw.ownIp(), raw.peerIp(), protocol, l4Length, raw.ttl(), 0, 0, 0, false, false, 0, new byte[0])
                .emit(ip.wrapUnchecked(template, EthernetFrame.HEADER_LENGTH, ipLength));
        long l4 = EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH;
        if (protocol == IpProtocol.UDP) {
            new UdpRepr(raw.ownPort(), raw.peerPort(), l4Length - UdpPacket.HEADER_LENGTH)
                    .emit(udp.wrapUnchecked(template, l4, l4Length), raw.ownIp(), raw.peerIp());
            udp.setChecksum(0); // perftest sends UDP checksum 0 ("none")
        } else if (protocol == IpProtocol.TCP) {
            new TcpRepr(raw.ownPort(), raw.peerPort(), 0, 0, 0, TCP_WINDOW, l4Length - TcpPacket.MIN_HEADER_LENGTH)
                    .emit(tcp.wrapUnchecked(template, l4, l4Length), raw.ownIp(), raw.peerIp());
            tcp.setChecksum(0); // as perftest's gen_tcp_header, which never computes it
        }
    }

    /** Bytes each frame has on the wire before the FCS: size − 4. */
    int frameLength() {
        return frameLength;
    }

    /** The frame every send copies (read-only use). */
    MemorySegment template() {
        return template;
    }

    /** Copies the template to {@code offset} of {@code memory} (a transmit buffer). */
    void copyTo(MemorySegment memory, long offset) {
        MemorySegment.copy(template, 0, memory, offset, frameLength);
    }

    /**
     * Whether the frame at {@code offset} is one of the peer's, as perftest's flow rule selects
     * them: to this side's MAC; with {@code -Y} of that EtherType; with IP addresses an IPv4
     * packet from the peer's address to this side's; with ports a UDP or TCP segment from the
     * peer's port to this side's. (perftest's client matches IPs loosely; jperf checks both sides.)
     */
    boolean matches(MemorySegment memory, long offset, int length) {
        if (eth.wrap(memory, offset, length) != WireStatus.OK || eth.destination() != raw.ownMac().value()) {
            return false;
        }
        if (raw.etherType() >= 0 && eth.etherType() != raw.etherType()) {
            return false;
        }
        if (!raw.hasIp()) {
            return true;
        }
        if (raw.etherType() < 0 && eth.etherType() != EtherType.IPV4) {
            return false;
        }
        long ipOffset = offset + EthernetFrame.HEADER_LENGTH;
        int ipRoom = length - EthernetFrame.HEADER_LENGTH;
        if (ip.wrap(memory, ipOffset, ipRoom) != WireStatus.OK || ip.source() != raw.peerIp()
                || ip.destination() != raw.ownIp()) {
            return false;
        }
        if (protocol == 0) {
            return true;
        }
        if (ip.protocol() != protocol) {
            return false;
        }
        long l4 = ip.payloadOffset();
        int l4Length = ip.payloadLength();
        if (protocol == IpProtocol.UDP) {
            return udp.wrap(memory, l4, l4Length) == WireStatus.OK && udp.sourcePort() == raw.peerPort()
                    && udp.destinationPort() == raw.ownPort();
        }
        return tcp.wrap(memory, l4, l4Length) == WireStatus.OK && tcp.sourcePort() == raw.peerPort()
                && tcp.destinationPort() == raw.ownPort();
    }
}
