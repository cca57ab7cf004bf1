package io.jverbs.raweth.wire;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Test driver: takes a frame apart layer by layer as a stack would (wrap, parse, next layer at the
 * payload), then builds it again from the reprs. What the round-trip, truncation and fuzz tests
 * hold the wire package to.
 */
final class Dissector {
    private final EthernetFrame eth = new EthernetFrame();
    private final VlanTag vlan = new VlanTag();
    private final ArpPacket arp = new ArpPacket();
    private final Ipv4Packet ip = new Ipv4Packet();
    private final Icmpv4Packet icmp = new Icmpv4Packet();
    private final UdpPacket udp = new UdpPacket();
    private final TcpPacket tcp = new TcpPacket();

    /**
     * One frame taken apart.
     *
     * @param reprs the parsed layers, outermost first; an IPv4 repr's payload length is what its
     *        parsed transport layer re-emits to (equal to the wire's for a well-formed packet)
     * @param status OK, or why the layer after the last repr did not parse
     * @param checksumsValid whether every checksum of a parsed layer verified
     * @param payload the bytes after the last parsed layer (its payload, or the undecoded rest)
     */
    record Dissection(List<Object> reprs, WireStatus status, boolean checksumsValid, byte[] payload) {}

    Dissection dissect(byte[] frame) {
        return dissect(MemorySegment.ofArray(frame), 0, frame.length);
    }

    Dissection dissect(MemorySegment seg, long off, int len) {
        List<Object> reprs = new ArrayList<>();
        boolean sums = true;
        WireStatus s = eth.wrap(seg, off, len);
        if (s != WireStatus.OK) {
            return new Dissection(reprs, s, sums, bytes(seg, off, len));
        }
        reprs.add(EthernetRepr.parse(eth));
        int type = eth.etherType();
        long at = eth.payloadOffset();
        int rest = eth.payloadLength();
        while (type == EtherType.VLAN || type == EtherType.QINQ) {
            s = vlan.wrap(seg, at, rest);
            if (s != WireStatus.OK) {
                return new Dissection(reprs, s, sums, bytes(seg, at, rest));
            }
            reprs.add(VlanRepr.parse(vlan));
            type = vlan.etherType();
            at = vlan.payloadOffset();
            rest = vlan.payloadLength();
        }
        if (type == EtherType.ARP) {
            s = arp.wrap(seg, at, rest);
            if (s != WireStatus.OK) {
                return new Dissection(reprs, s, sums, bytes(seg, at, rest));
            }
            reprs.add(ArpRepr.parse(arp));
            return new Dissection(reprs, s, sums, new byte[0]);
        }
        if (type != EtherType.IPV4) {
            return new Dissection(reprs, WireStatus.OK, sums, bytes(seg, at, rest));
        }
        s = ip.wrap(seg, at, rest);
        if (s != WireStatus.OK) {
            return new Dissection(reprs, s, sums, bytes(seg, at, rest));
        }
        sums &= ip.checksumValid();
        Ipv4Repr ipRepr = Ipv4Repr.parse(ip);
        reprs.add(ipRepr);
        at = ip.payloadOffset();
        rest = ip.payloadLength();
        if (ip.isFragment()) {
            return new Dissection(reprs, s, sums, bytes(seg, at, rest));
        }
        Object transport;
        int transportLength;
        switch (ip.protocol()) {
            case IpProtocol.ICMP -> {
                s = icmp.wrap(seg, at, rest);
                if (s != WireStatus.OK) {
                    return new Dissection(reprs, s, sums, bytes(seg, at, rest));
                }
                sums &= icmp.checksumValid();
                Icmpv4Repr r = Icmpv4Repr.parse(icmp);
                transport = r;
                transportLength = r.bufferLength();
                at = icmp.payloadOffset();
                rest = icmp.payloadLength();
            }
            case IpProtocol.UDP -> {
                s = udp.wrap(seg, at, rest);
                if (s != WireStatus.OK) {
                    return new Dissection(reprs, s, sums, bytes(seg, at, rest));
                }
                sums &= udp.checksumValid(ip.source(), ip.destination());
                UdpRepr r = UdpRepr.parse(udp);
                transport = r;
                transportLength = r.bufferLength();
                at = udp.payloadOffset();
                rest = udp.payloadLength();
            }
            case IpProtocol.TCP -> {
                s = tcp.wrap(seg, at, rest);
                if (s != WireStatus.OK) {
                    return new Dissection(reprs, s, sums, bytes(seg, at, rest));
                }
                sums &= tcp.checksumValid(ip.source(), ip.destination());
                TcpRepr r = TcpRepr.parse(tcp);
                transport = r;
                transportLength = r.bufferLength();
                at = tcp.payloadOffset();
                rest = tcp.payloadLength();
            }
            default -> {
                return new Dissection(reprs, s, sums, bytes(seg, at, rest));
            }
        }
        // The IPv4 payload is what the transport re-emits to: a UDP length below the IPv4 payload or
        // a TCP option layout other than Linux's changes it.
        reprs.set(reprs.size() - 1, withPayloadLength(ipRepr, transportLength));
        reprs.add(transport);
        return new Dissection(reprs, WireStatus.OK, sums, bytes(seg, at, rest));
    }

    static Ipv4Repr withPayloadLength(Ipv4Repr r, int payloadLength) {
        return new Ipv4Repr(r.source(), r.destination(), r.protocol(), payloadLength, r.ttl(), r.dscp(), r.ecn(),
                r.identification(), r.dontFragment(), r.moreFragments(), r.fragmentOffset(), r.options());
    }

    private static byte[] bytes(MemorySegment seg, long at, int len) {
        return seg.asSlice(at, len).toArray(ValueLayout.JAVA_BYTE);
    }

    /** Builds the frame again: the payload, then every layer's emit, innermost first. */
    byte[] emit(List<Object> reprs, byte[] payload) {
        int[] at = new int[reprs.size()];
        int p = 0;
        for (int i = 0; i < reprs.size(); i++) {
            at[i] = p;
            p += switch (reprs.get(i)) {
                case EthernetRepr r -> r.bufferLength();
                case VlanRepr r -> r.bufferLength();
                case ArpRepr r -> r.bufferLength();
                case Ipv4Repr r -> r.headerLength();
                case Icmpv4Repr r -> Icmpv4Packet.HEADER_LENGTH;
                case UdpRepr r -> UdpPacket.HEADER_LENGTH;
                case TcpRepr r -> r.headerLength();
                default -> throw new AssertionError(reprs.get(i));
            };
        }
        byte[] out = new byte[p + payload.length];
        System.arraycopy(payload, 0, out, p, payload.length);
        MemorySegment seg = MemorySegment.ofArray(out);
        int source = 0;
        int destination = 0;
        for (Object o : reprs) {
            if (o instanceof Ipv4Repr r) {
                source = r.source();
                destination = r.destination();
            }
        }
        for (int i = reprs.size() - 1; i >= 0; i--) {
            int len = out.length - at[i];
            switch (reprs.get(i)) {
                case EthernetRepr r -> r.emit(eth.wrapUnchecked(seg, at[i], len));
                case VlanRepr r -> r.emit(vlan.wrapUnchecked(seg, at[i], len));
                case ArpRepr r -> r.emit(arp.wrapUnchecked(seg, at[i], len));
                case Ipv4Repr r -> r.emit(ip.wrapUnchecked(seg, at[i], len));
                case Icmpv4Repr r -> r.emit(icmp.wrapUnchecked(seg, at[i], len));
                case UdpRepr r -> r.emit(udp.wrapUnchecked(seg, at[i], len), source, destination);
                case TcpRepr r -> r.emit(tcp.wrapUnchecked(seg, at[i], len), source, destination);
                default -> throw new AssertionError(reprs.get(i));
            }
        }
        return out;
    }
}
