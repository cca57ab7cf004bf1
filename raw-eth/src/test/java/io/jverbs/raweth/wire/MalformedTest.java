package io.jverbs.raweth.wire;

import io.jverbs.raweth.wire.LinuxFrames.Frame;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Malformed and truncated input: a status per layer and reason, never an escaping runtime exception. */
class MalformedTest {
    static List<Frame> frames() {
        return LinuxFrames.all();
    }

    /** Every prefix of a real frame parses to a consistent prefix or stops with a status; the properties hold. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("frames")
    void everyTruncation(Frame frame) {
        byte[] f = frame.bytes();
        for (int len = 0; len <= f.length; len++) {
            WireProperties.check(Arrays.copyOf(f, len));
        }
    }

    private static MemorySegment seg(String hex) {
        return MemorySegment.ofArray(HexFormat.of().parseHex(hex));
    }

    private static byte[] ipOf(String label) {
        byte[] f = LinuxFrames.labelled(label).getFirst();
        return Arrays.copyOfRange(f, 14, f.length);
    }

    @Test
    void ethernetAndVlan() {
        assertEquals(WireStatus.ETHERNET_TRUNCATED, new EthernetFrame().wrap(seg("ffffffffffff0000000000010800"), 0, 13));
        assertEquals(WireStatus.VLAN_TRUNCATED, new VlanTag().wrap(seg("a00a08"), 0, 3));
    }

    @Test
    void arp() {
        byte[] f = LinuxFrames.one("arp-request");
        MemorySegment s = MemorySegment.ofArray(f.clone());
        ArpPacket arp = new ArpPacket();
        assertEquals(WireStatus.ARP_TRUNCATED, arp.wrap(s, 14, 7));
        assertEquals(WireStatus.ARP_TRUNCATED, arp.wrap(s, 14, 27));
        s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 14 + 5, (byte) 16); // IPv6-sized protocol addresses
        assertEquals(WireStatus.ARP_UNSUPPORTED, arp.wrap(s, 14, 28));
        s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 14 + 5, (byte) 4);
        s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 14 + 1, (byte) 6); // IEEE 802 hardware type
        assertEquals(WireStatus.ARP_UNSUPPORTED, arp.wrap(s, 14, 28));
    }

    @Test
    void ipv4() {
        Ipv4Packet ip = new Ipv4Packet();
        byte[] p = ipOf("icmp-echo-request");
        MemorySegment s = MemorySegment.ofArray(p);
        assertEquals(WireStatus.OK, ip.wrap(s, 0, p.length));
        assertEquals(WireStatus.IPV4_TRUNCATED, ip.wrap(s, 0, 19));
        assertEquals(WireStatus.IPV4_TRUNCATED, ip.wrap(s, 0, p.length - 1), "shorter than the total length");
        p[0] = 0x65;
        assertEquals(WireStatus.IPV4_BAD_VERSION, ip.wrap(s, 0, p.length));
        p[0] = 0x44;
        assertEquals(WireStatus.IPV4_BAD_HEADER_LENGTH, ip.wrap(s, 0, p.length));
        p[0] = 0x4f;
        assertEquals(WireStatus.IPV4_TRUNCATED, ip.wrap(s, 0, 59), "IHL 15 needs 60 bytes");
        p[0] = 0x45;
        p[2] = 0;
        p[3] = 19;
        assertEquals(WireStatus.IPV4_BAD_TOTAL_LENGTH, ip.wrap(s, 0, p.length));

        byte[] o = ipOf("ipv4opt-icmp-echo-request");
        MemorySegment so = MemorySegment.ofArray(o);
        assertEquals(WireStatus.OK, ip.wrap(so, 0, o.length));
        o[21] = 40; // Record Route length past the 12 option bytes
        assertEquals(WireStatus.IPV4_BAD_OPTION, ip.wrap(so, 0, o.length));
        o[21] = 1;
        assertEquals(WireStatus.IPV4_BAD_OPTION, ip.wrap(so, 0, o.length));
        o[21] = 11;
        ip.wrap(so, 0, o.length);
        o[15]++;
        assertTrue(!ip.checksumValid(), "a flipped address bit breaks the header checksum");
    }

    @Test
    void icmpUdp() {
        assertEquals(WireStatus.ICMPV4_TRUNCATED, new Icmpv4Packet().wrap(seg("0800f7ff000000"), 0, 7));
        UdpPacket udp = new UdpPacket();
        assertEquals(WireStatus.UDP_TRUNCATED, udp.wrap(seg("13881389000800"), 0, 7));
        assertEquals(WireStatus.UDP_BAD_LENGTH, udp.wrap(seg("1388138900070000"), 0, 8));
        assertEquals(WireStatus.UDP_TRUNCATED, udp.wrap(seg("138813890009000000"), 0, 8), "length 9 in 8 bytes");
        assertEquals(WireStatus.OK, udp.wrap(seg("138813890008000000"), 0, 9), "a trailing byte is not UDP's");
        assertEquals(0, udp.payloadLength());
    }

    @Test
    void tcp() {
        TcpPacket tcp = new TcpPacket();
        String fixed = "13891389" + "00000001" + "00000000";
        assertEquals(WireStatus.TCP_TRUNCATED, tcp.wrap(seg(fixed + "5002ffff00000000"), 0, 19));
        assertEquals(WireStatus.TCP_BAD_HEADER_LENGTH, tcp.wrap(seg(fixed + "4002ffff00000000"), 0, 20));
        assertEquals(WireStatus.TCP_TRUNCATED, tcp.wrap(seg(fixed + "6002ffff00000000" + "020405"), 0, 23));
        assertEquals(WireStatus.TCP_BAD_OPTION, tcp.wrap(seg(fixed + "6002ffff00000000" + "02000000"), 0, 24),
                "option length 0 (RFC 9293 3.1's illegal option length)");
        assertEquals(WireStatus.TCP_BAD_OPTION, tcp.wrap(seg(fixed + "6002ffff00000000" + "01010805"), 0, 24),
                "timestamps running past the header");
        assertEquals(WireStatus.OK, tcp.wrap(seg(fixed + "6002ffff00000000" + "00ff0000"), 0, 24),
                "after end of list comes padding, whatever it holds");
    }

    @Test
    void theThrowingConveniences() {
        MalformedPacketException e = assertThrows(MalformedPacketException.class,
                () -> new UdpPacket().wrapOrThrow(seg("13881389000700"), 0, 7));
        assertSame(WireStatus.UDP_TRUNCATED, e.reason());
        assertTrue(e.getMessage().startsWith("UDP_TRUNCATED: "), e.getMessage());

        TcpPacket tcp = new TcpPacket();
        tcp.wrap(seg("00"), 0, 1);
        assertSame(WireStatus.TCP_TRUNCATED,
                assertThrows(MalformedPacketException.class, () -> TcpRepr.parse(tcp)).reason());
        tcp.wrapUnchecked(MemorySegment.ofArray(new byte[20]), 0, 20);
        assertThrows(IllegalStateException.class, () -> TcpRepr.parse(tcp), "unchecked views do not parse");
        assertThrows(IllegalStateException.class, () -> EthernetRepr.parse(new EthernetFrame()), "nor unwrapped ones");
        assertThrows(IllegalArgumentException.class, () -> new MalformedPacketException(WireStatus.OK));
    }

    @Test
    void callerBugsAreIllegalArguments() {
        MemorySegment s = MemorySegment.ofArray(new byte[64]);
        EthernetFrame eth = new EthernetFrame();
        assertThrows(IllegalArgumentException.class, () -> eth.wrap(s, 60, 14), "range past the segment");
        assertThrows(IllegalArgumentException.class, () -> eth.wrap(s, -1, 14));
        assertThrows(IllegalArgumentException.class, () -> eth.wrap(s, 0, -1));
        assertThrows(IllegalArgumentException.class, () -> eth.wrapUnchecked(s, 0, 13), "too short to emit into");
        UdpPacket udp = new UdpPacket().wrapUnchecked(s, 0, 20);
        assertThrows(IllegalArgumentException.class, () -> new UdpRepr(1, 2, 13).emit(udp, 0, 0));
        TcpPacket tcp = new TcpPacket().wrapUnchecked(s, 0, 30);
        assertThrows(IllegalArgumentException.class, () -> new TcpRepr(1, 2, 3, 4, TcpPacket.ACK, 5, 0).emit(tcp, 0, 0),
                "a TCP view must be exactly the segment, its checksum covers the whole view");
    }
}
