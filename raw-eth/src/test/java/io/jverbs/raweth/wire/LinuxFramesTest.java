package io.jverbs.raweth.wire;

import io.jverbs.raweth.wire.Dissector.Dissection;
import io.jverbs.raweth.wire.LinuxFrames.Frame;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The wire package against frames Linux wrote (linux-frames.txt, see capture_frames.py): every
 * layer parses, every checksum the kernel computed verifies, and emitting the parsed reprs gives
 * the kernel's bytes back, byte for byte.
 */
class LinuxFramesTest {
    private static final int A = Ipv4Address.parse("10.77.0.1").value();
    private static final int B = Ipv4Address.parse("10.77.0.2").value();

    static List<Frame> frames() {
        return LinuxFrames.all();
    }

    @Test
    void theCaptureHoldsEveryKindTheTestsNeed() {
        List<String> labels = frames().stream().map(Frame::label).toList();
        for (String needed : List.of("arp-request", "arp-reply", "icmp-echo-request", "icmp-echo-reply",
                "ipv4opt-icmp-echo-request", "ipv4opt-icmp-echo-reply", "udp", "mf-udp", "ipv4-fragment",
                "icmp-unreachable", "tcp-syn", "tcp-syn-ack", "tcp-ack-psh", "tcp-ack-fin", "tcp-ack-sackblocks")) {
            assertTrue(labels.contains(needed), "no " + needed + " frame in linux-frames.txt: " + labels);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("frames")
    void parsesVerifiesAndReEmitsByteForByte(Frame frame) {
        Dissector d = new Dissector();
        Dissection parsed = d.dissect(frame.bytes());
        assertEquals(WireStatus.OK, parsed.status(), frame.label());
        assertTrue(parsed.checksumsValid(), "a kernel checksum did not verify: " + frame.label());
        byte[] again = d.emit(parsed.reprs(), parsed.payload());
        assertEquals(HexFormat.of().formatHex(frame.bytes()), HexFormat.of().formatHex(again), frame.label());
    }

    @Test
    void arp() {
        ArpPacket arp = new ArpPacket();
        byte[] f = LinuxFrames.one("arp-request");
        EthernetFrame eth = new EthernetFrame().wrapOrThrow(MemorySegment.ofArray(f), 0, f.length);
        assertTrue(MacAddress.BROADCAST.value() == eth.destination());
        assertEquals(EtherType.ARP, eth.etherType());
        ArpRepr req = ArpRepr.parse(arp.wrapOrThrow(eth.segment(), eth.payloadOffset(), eth.payloadLength()));
        assertEquals(ArpPacket.REQUEST, req.operation());
        assertEquals(A, req.senderProtocolAddress());
        assertEquals(B, req.targetProtocolAddress());
        assertEquals(eth.source(), req.senderHardwareAddress());
        assertEquals(0, req.targetHardwareAddress(), "Linux asks with a zero target MAC");

        byte[] r = LinuxFrames.one("arp-reply");
        ArpRepr reply = ArpRepr.parse(arp.wrapOrThrow(MemorySegment.ofArray(r), 14, r.length - 14));
        assertEquals(ArpPacket.REPLY, reply.operation());
        assertEquals(req.senderHardwareAddress(), reply.targetHardwareAddress());
        assertEquals(B, reply.senderProtocolAddress());
    }

    @Test
    void icmpEchoAndItsReply() {
        Dissection req = new Dissector().dissect(LinuxFrames.one("icmp-echo-request"));
        Dissection rep = new Dissector().dissect(LinuxFrames.one("icmp-echo-reply"));
        Icmpv4Repr.EchoRequest q = assertInstanceOf(Icmpv4Repr.EchoRequest.class, req.reprs().get(2));
        assertEquals(new Icmpv4Repr.EchoRequest(0x4a56, 1, 48), q);
        assertEquals(q.reply(), rep.reprs().get(2));
        assertArrayEquals(req.payload(), rep.payload(), "the kernel echoes the data");
        Ipv4Repr ip = (Ipv4Repr) rep.reprs().get(1);
        assertEquals(B, ip.source());
        assertEquals(IpProtocol.ICMP, ip.protocol());
        assertEquals(64, ip.ttl());
    }

    @Test
    void ipv4OptionsRecordRoute() {
        Ipv4Repr req = (Ipv4Repr) new Dissector().dissect(LinuxFrames.one("ipv4opt-icmp-echo-request")).reprs().get(1);
        Ipv4Repr rep = (Ipv4Repr) new Dissector().dissect(LinuxFrames.one("ipv4opt-icmp-echo-reply")).reprs().get(1);
        assertEquals(32, req.headerLength());
        assertEquals("070b080a4d00010000000000", HexFormat.of().formatHex(req.options()),
                "Record Route with the sender's address filled in by a's kernel");
        // b's kernel echoes the option with its own address recorded next (pointer 12).
        byte[] o = rep.options();
        assertEquals(7, o[0]);
        assertEquals(12, o[2]);
        Ipv4Packet ip = new Ipv4Packet();
        byte[] f = LinuxFrames.one("ipv4opt-icmp-echo-reply");
        ip.wrapOrThrow(MemorySegment.ofArray(f), 14, f.length - 14);
        assertEquals(12, ip.optionsLength());
        assertTrue(ip.checksumValid());
    }

    @Test
    void fragmentsOfAUdpDatagram() {
        Ipv4Packet ip = new Ipv4Packet();
        byte[] first = LinuxFrames.one("mf-udp");
        ip.wrapOrThrow(MemorySegment.ofArray(first), 14, first.length - 14);
        assertTrue(ip.moreFragments());
        assertFalse(ip.dontFragment(), "IP_PMTUDISC_DONT");
        assertEquals(0, ip.fragmentOffset());
        assertEquals(1500, ip.totalLength());
        int ident = ip.identification();
        int total = ip.payloadLength();
        for (byte[] f : LinuxFrames.labelled("ipv4-fragment")) {
            ip.wrapOrThrow(MemorySegment.ofArray(f), 14, f.length - 14);
            assertEquals(ident, ip.identification());
            assertEquals(total, ip.fragmentOffset(), "fragments follow each other");
            assertTrue(ip.isFragment());
            total += ip.payloadLength();
        }
        assertEquals(3008, total, "a 3000-byte datagram and its UDP header");
        UdpPacket udp = new UdpPacket();
        WireStatus s = udp.wrap(MemorySegment.ofArray(first), 34, first.length - 34);
        assertEquals(WireStatus.UDP_TRUNCATED, s, "the first fragment holds a UDP header whose length covers all three");
        assertEquals(3008, udp.datagramLength());
    }

    @Test
    void portUnreachableCarriesTheInvokingDatagram() {
        byte[] f = LinuxFrames.one("icmp-unreachable");
        Dissection d = new Dissector().dissect(f);
        Icmpv4Repr.DestinationUnreachable u = assertInstanceOf(Icmpv4Repr.DestinationUnreachable.class, d.reprs().get(2));
        assertEquals(Icmpv4Packet.CODE_PORT_UNREACHABLE, u.code());
        // The data is the datagram to port 5999: its IPv4 header and UDP header parse in place.
        Ipv4Packet inner = new Ipv4Packet();
        assertEquals(WireStatus.OK, inner.wrap(MemorySegment.ofArray(d.payload()), 0, d.payload().length));
        assertEquals(A, inner.source());
        UdpPacket udp = new UdpPacket().wrapOrThrow(inner.segment(), inner.payloadOffset(), inner.payloadLength());
        assertEquals(5999, udp.destinationPort());
        Ipv4Repr outer = (Ipv4Repr) d.reprs().get(1);
        assertEquals(0x30, outer.dscp(), "Linux sends ICMP errors with precedence 6 (TOS 0xc0)");
    }

    @Test
    void tcpHandshakeOptions() {
        TcpPacket tcp = new TcpPacket();
        byte[] syn = LinuxFrames.labelled("tcp-syn").getFirst();
        tcp.wrapOrThrow(MemorySegment.ofArray(syn), 34, syn.length - 34);
        assertTrue(tcp.syn());
        assertFalse(tcp.ack());
        assertEquals(1460, tcp.maxSegmentSize());
        assertTrue(tcp.sackPermitted());
        assertTrue(tcp.hasTimestamps());
        assertTrue(tcp.windowScale() >= 0);
        assertEquals(0, tcp.timestampEchoReply());
        assertTrue(tcp.checksumValid(A, B));
        assertFalse(tcp.checksumValid(A, B + 1), "the pseudo-header counts");

        TcpRepr r = TcpRepr.parse(tcp);
        assertEquals(new TcpRepr.Timestamps(tcp.timestampValue(), 0), r.timestamps());
        assertEquals(40, r.headerLength());
        assertEquals(0, r.payloadLength());

        byte[] synAck = LinuxFrames.labelled("tcp-syn-ack").getFirst();
        TcpRepr sa = TcpRepr.parse(tcp.wrapOrThrow(MemorySegment.ofArray(synAck), 34, synAck.length - 34));
        assertEquals(TcpPacket.SYN | TcpPacket.ACK, sa.flags());
        assertEquals(r.sequenceNumber() + 1, sa.acknowledgmentNumber());
        assertEquals(r.timestamps().value(), sa.timestamps().echoReply());
    }

    @Test
    void tcpData() {
        byte[] f = LinuxFrames.labelled("tcp-ack-psh").getFirst();
        Dissection d = new Dissector().dissect(f);
        TcpRepr r = (TcpRepr) d.reprs().get(2);
        assertEquals("ping from the kernel of namespace a", new String(d.payload()));
        assertEquals(d.payload().length, r.payloadLength());
        assertEquals(32, r.headerLength(), "NOP NOP timestamps");
        assertTrue(r.maxSegmentSize() < 0 && r.windowScale() < 0 && !r.sackPermitted());
    }

    @Test
    void tcpSackBlockFromTheKernel() {
        // The script sent 100 bytes, then forged 20 bytes 50 past the next expected: b's kernel
        // acknowledges the 100 and reports the 20 out of order.
        byte[] syn = LinuxFrames.labelled("tcp-syn").get(1);
        TcpPacket tcp = new TcpPacket();
        int isn = tcp.wrapOrThrow(MemorySegment.ofArray(syn), 34, syn.length - 34).sequenceNumber();
        assertFalse(tcp.hasTimestamps(), "tcp_timestamps=0 for this connection");
        byte[] f = LinuxFrames.one("tcp-ack-sackblocks");
        tcp.wrapOrThrow(MemorySegment.ofArray(f), 34, f.length - 34);
        assertTrue(tcp.checksumValid(B, A));
        assertEquals(isn + 1 + 100, tcp.acknowledgmentNumber());
        assertEquals(1, tcp.sackBlockCount());
        assertEquals(isn + 1 + 150, tcp.sackLeft(0));
        assertEquals(isn + 1 + 170, tcp.sackRight(0));
        TcpRepr r = TcpRepr.parse(tcp);
        assertEquals(List.of(new TcpRepr.SackBlock(isn + 151, isn + 171)), r.sackBlocks());
    }

    @Test
    void kernelChecksumsAreWhatFillChecksumWrites() {
        Ipv4Packet ip = new Ipv4Packet();
        UdpPacket udp = new UdpPacket();
        byte[] f = LinuxFrames.labelled("udp").getFirst().clone();
        MemorySegment seg = MemorySegment.ofArray(f);
        ip.wrapOrThrow(seg, 14, f.length - 14);
        int kernelIp = ip.checksum();
        udp.wrapOrThrow(seg, ip.payloadOffset(), ip.payloadLength());
        int kernelUdp = udp.checksum();
        ip.setChecksum(0x1234).fillChecksum();
        udp.setChecksum(0x1234).fillChecksum(ip.source(), ip.destination());
        assertEquals(kernelIp, ip.checksum());
        assertEquals(kernelUdp, udp.checksum());
        assertEquals("hello over udp from a", new String(f, (int) udp.payloadOffset(), udp.payloadLength()));
    }
}
