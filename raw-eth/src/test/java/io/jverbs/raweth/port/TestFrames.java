package io.jverbs.raweth.port;

import io.jverbs.raweth.wire.ArpPacket;
import io.jverbs.raweth.wire.ArpRepr;
import io.jverbs.raweth.wire.EtherType;
import io.jverbs.raweth.wire.EthernetFrame;
import io.jverbs.raweth.wire.EthernetRepr;
import io.jverbs.raweth.wire.Icmpv4Packet;
import io.jverbs.raweth.wire.Icmpv4Repr;
import io.jverbs.raweth.wire.IpProtocol;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.Ipv4Repr;
import io.jverbs.raweth.wire.TcpPacket;
import io.jverbs.raweth.wire.TcpRepr;
import io.jverbs.raweth.wire.UdpPacket;
import io.jverbs.raweth.wire.UdpRepr;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/** Whole frames built with the wire Reprs, checksums filled, for the port and interface tests. */
public final class TestFrames {
    public static final long MAC_A = 0x02_00_00_00_00_0aL;
    public static final long MAC_B = 0x02_00_00_00_00_0bL;
    public static final int IP_A = 0xc0_00_02_01; // 192.0.2.1
    public static final int IP_B = 0xc0_00_02_02; // 192.0.2.2

    private TestFrames() {
    }

    /** An ARP request (padded to 60 bytes) or reply. */
    public static byte[] arp(int operation, long senderMac, int senderIp, long targetMac, int targetIp) {
        byte[] f = new byte[EthernetFrame.MIN_FRAME_LENGTH];
        MemorySegment s = MemorySegment.ofArray(f);
        long dst = operation == ArpPacket.REQUEST ? 0xffff_ffff_ffffL : targetMac;
        new EthernetRepr(dst, senderMac, EtherType.ARP).emit(new EthernetFrame().wrapUnchecked(s, 0, f.length));
        new ArpRepr(operation, senderMac, senderIp, targetMac, targetIp)
                .emit(new ArpPacket().wrapUnchecked(s, 14, ArpPacket.HEADER_LENGTH));
        return f;
    }

    /** An ICMP echo request or reply with {@code data} bytes of pattern. */
    public static byte[] echo(boolean request, long srcMac, long dstMac, int srcIp, int dstIp, int id, int seq, int data) {
        int icmpLength = Icmpv4Packet.HEADER_LENGTH + data;
        MemorySegment s = ip(srcMac, dstMac, srcIp, dstIp, IpProtocol.ICMP, icmpLength);
        long at = 14 + Ipv4Packet.MIN_HEADER_LENGTH;
        pattern(s, at + Icmpv4Packet.HEADER_LENGTH, data, seq);
        Icmpv4Repr r = request ? new Icmpv4Repr.EchoRequest(id, seq, data) : new Icmpv4Repr.EchoReply(id, seq, data);
        r.emit(new Icmpv4Packet().wrapUnchecked(s, at, icmpLength));
        return pad(s);
    }

    /** A UDP datagram with {@code data} bytes of pattern. */
    public static byte[] udp(long srcMac, long dstMac, int srcIp, int dstIp, int srcPort, int dstPort, int data) {
        UdpRepr r = new UdpRepr(srcPort, dstPort, data);
        MemorySegment s = ip(srcMac, dstMac, srcIp, dstIp, IpProtocol.UDP, r.bufferLength());
        long at = 14 + Ipv4Packet.MIN_HEADER_LENGTH;
        pattern(s, at + UdpPacket.HEADER_LENGTH, data, srcPort);
        r.emit(new UdpPacket().wrapUnchecked(s, at, r.bufferLength()), srcIp, dstIp);
        return pad(s);
    }

    /** A TCP segment; a SYN carries MSS 1460, SACK permitted, timestamps and window scale 7. */
    public static byte[] tcp(long srcMac, long dstMac, int srcIp, int dstIp, int srcPort, int dstPort, int seq, int ack,
                      int flags, int data) {
        boolean syn = (flags & TcpPacket.SYN) != 0;
        TcpRepr r = new TcpRepr(srcPort, dstPort, seq, ack, flags, 64_240, 0, syn ? 1460 : -1, syn ? 7 : -1, syn,
                new TcpRepr.Timestamps(1000 + seq, ack), List.of(), data);
        MemorySegment s = ip(srcMac, dstMac, srcIp, dstIp, IpProtocol.TCP, r.bufferLength());
        long at = 14 + Ipv4Packet.MIN_HEADER_LENGTH;
        pattern(s, at + r.headerLength(), data, seq);
        r.emit(new TcpPacket().wrapUnchecked(s, at, r.bufferLength()), srcIp, dstIp);
        return pad(s);
    }

    /** Transmits each frame from {@code port}; fails if the port does not take them all. */
    public static void send(PacketPort port, byte[]... frames) {
        FrameBurst tx = new FrameBurst(frames.length);
        if (port.allocate(tx, frames.length) != frames.length) {
            throw new AssertionError(port.name() + ": no room for " + frames.length + " frames");
        }
        for (int i = 0; i < frames.length; i++) {
            MemorySegment.copy(frames[i], 0, tx.memory(), ValueLayout.JAVA_BYTE, tx.offset(i), frames[i].length);
            tx.length(i, frames[i].length);
        }
        int k = port.transmit(tx, frames.length);
        port.release(tx);
        if (k != frames.length) {
            throw new AssertionError(port.name() + ": took " + k + " of " + frames.length + " frames");
        }
    }

    /** Every frame {@code port} has ready now, copied out, released. */
    public static List<byte[]> receiveAll(PacketPort port) {
        List<byte[]> got = new java.util.ArrayList<>();
        FrameBurst rx = new FrameBurst(port.capabilities().maxBurst());
        int n;
        while ((n = port.receive(rx)) > 0) {
            for (int i = 0; i < n; i++) {
                got.add(rx.memory().asSlice(rx.offset(i), rx.length(i)).toArray(ValueLayout.JAVA_BYTE));
            }
            port.release(rx);
        }
        return got;
    }

    /** An IPv4 packet of {@code protocol} carrying {@code payload} as it is (no transport checksum filled), padded to 60. */
    public static byte[] ipv4(long srcMac, long dstMac, int srcIp, int dstIp, int protocol, byte[] payload) {
        MemorySegment s = ip(srcMac, dstMac, srcIp, dstIp, protocol, payload.length);
        MemorySegment.copy(payload, 0, s, ValueLayout.JAVA_BYTE, 14 + Ipv4Packet.MIN_HEADER_LENGTH, payload.length);
        return pad(s);
    }

    private static MemorySegment ip(long srcMac, long dstMac, int srcIp, int dstIp, int protocol, int payload) {
        Ipv4Repr ip = new Ipv4Repr(srcIp, dstIp, protocol, payload, 64);
        MemorySegment s = MemorySegment.ofArray(new byte[14 + ip.bufferLength()]);
        new EthernetRepr(dstMac, srcMac, EtherType.IPV4).emit(new EthernetFrame().wrapUnchecked(s, 0, 14));
        ip.emit(new Ipv4Packet().wrapUnchecked(s, 14, ip.bufferLength()));
        return s;
    }

    private static void pattern(MemorySegment s, long at, int n, int seed) {
        for (int i = 0; i < n; i++) {
            s.set(ValueLayout.JAVA_BYTE, at + i, (byte) (seed * 7 + i));
        }
    }

    private static byte[] pad(MemorySegment s) {
        byte[] f = s.toArray(ValueLayout.JAVA_BYTE);
        return f.length >= 60 ? f : java.util.Arrays.copyOf(f, 60);
    }
}
