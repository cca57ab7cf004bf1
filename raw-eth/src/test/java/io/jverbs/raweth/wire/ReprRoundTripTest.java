package io.jverbs.raweth.wire;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** emit then parse gives the repr back, for every format and the edges of each field. */
class ReprRoundTripTest {
    private static final int SRC = Ipv4Address.parse("192.0.2.1").value();
    private static final int DST = Ipv4Address.parse("198.51.100.200").value();

    private static MemorySegment buffer(int n) {
        return MemorySegment.ofArray(new byte[n]);
    }

    @Test
    void ethernetAndVlan() {
        EthernetFrame eth = new EthernetFrame();
        VlanTag vlan = new VlanTag();
        for (EthernetRepr r : List.of(new EthernetRepr(0xffff_ffff_ffffL, 0x02_00_00_00_00_01L, EtherType.VLAN),
                new EthernetRepr(0, 0x7a_ee_d7_90_c3_e5L, EtherType.IPV4))) {
            MemorySegment s = buffer(r.bufferLength());
            r.emit(eth.wrapUnchecked(s, 0, r.bufferLength()));
            assertEquals(r, EthernetRepr.parse(eth.wrapOrThrow(s, 0, 14)));
        }
        for (VlanRepr r : List.of(new VlanRepr(5, false, 10, EtherType.ARP), new VlanRepr(7, true, 4095, EtherType.IPV4),
                new VlanRepr(0, false, 0, EtherType.VLAN))) {
            MemorySegment s = buffer(4);
            r.emit(vlan.wrapUnchecked(s, 0, 4));
            assertEquals(r, VlanRepr.parse(vlan.wrapOrThrow(s, 0, 4)));
        }
        // 802.1Q: TCI a00a is PCP 5, DEI 0, VID 10.
        VlanRepr v = VlanRepr.parse(vlan.wrapOrThrow(MemorySegment.ofArray(HexFormat.of().parseHex("a00a0806")), 0, 4));
        assertEquals(new VlanRepr(5, false, 10, EtherType.ARP), v);
        assertThrows(IllegalArgumentException.class, () -> new VlanRepr(8, false, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new EthernetRepr(1L << 48, 0, 0));
    }

    @Test
    void arp() {
        ArpRepr r = new ArpRepr(ArpPacket.REPLY, 0x02_00_00_00_00_02L, SRC, 0xff_ff_ff_ff_ff_feL, DST);
        MemorySegment s = buffer(28);
        ArpPacket arp = new ArpPacket();
        r.emit(arp.wrapUnchecked(s, 0, 28));
        assertEquals(r, ArpRepr.parse(arp.wrapOrThrow(s, 0, 28)));
        assertEquals("ArpRepr[op 2, 02:00:00:00:00:02 192.0.2.1 > ff:ff:ff:ff:ff:fe 198.51.100.200]", r.toString());
    }

    @Test
    void ipv4() {
        Ipv4Packet ip = new Ipv4Packet();
        byte[] rr = HexFormat.of().parseHex("070b04000000000000000000");
        for (Ipv4Repr r : List.of(new Ipv4Repr(SRC, DST, IpProtocol.UDP, 100, 64),
                new Ipv4Repr(SRC, DST, 253, 0, 0, 63, 3, 0xffff, false, true, 65528 - 40, rr),
                new Ipv4Repr(DST, SRC, IpProtocol.TCP, 65535 - 20, 255, 0, 1, 1, true, false, 8, new byte[0]))) {
            MemorySegment s = buffer(r.bufferLength());
            r.emit(ip.wrapUnchecked(s, 0, r.bufferLength()));
            assertEquals(WireStatus.OK, ip.wrap(s, 0, r.bufferLength()));
            assertTrue(ip.checksumValid());
            assertEquals(r, Ipv4Repr.parse(ip));
            assertEquals(r.hashCode(), Ipv4Repr.parse(ip).hashCode());
        }
        Ipv4Repr withOptions = new Ipv4Repr(SRC, DST, 1, 0, 1, 0, 0, 0, false, false, 0, rr);
        withOptions.options()[0] = 0;
        assertArrayEquals(rr, withOptions.options(), "options are copied in and out");
        assertThrows(IllegalArgumentException.class, () -> new Ipv4Repr(SRC, DST, 6, 65535 - 19, 64), "total length over 65535");
        assertThrows(IllegalArgumentException.class,
                () -> new Ipv4Repr(SRC, DST, 6, 0, 64, 0, 0, 0, false, false, 4, new byte[0]), "offset not a multiple of 8");
        assertThrows(IllegalArgumentException.class,
                () -> new Ipv4Repr(SRC, DST, 6, 0, 64, 0, 0, 0, false, false, 0, new byte[3]), "options not padded");
    }

    @Test
    void icmp() {
        Icmpv4Packet icmp = new Icmpv4Packet();
        for (Icmpv4Repr r : List.of(new Icmpv4Repr.EchoRequest(1, 65535, 56), new Icmpv4Repr.EchoReply(65535, 0, 0),
                new Icmpv4Repr.DestinationUnreachable(Icmpv4Packet.CODE_FRAGMENTATION_NEEDED, 1400, 28),
                new Icmpv4Repr.TimeExceeded(1, 28), new Icmpv4Repr.Other(13, 0, 0xdeadbeef, 12),
                new Icmpv4Repr.Other(Icmpv4Packet.TYPE_ECHO_REQUEST, 1, 0x00010002, 0))) {
            MemorySegment s = buffer(r.bufferLength());
            s.fill((byte) 0x5a); // data
            r.emit(icmp.wrapUnchecked(s, 0, r.bufferLength()));
            assertTrue(icmp.wrap(s, 0, r.bufferLength()).isOk());
            assertTrue(icmp.checksumValid());
            assertEquals(r, Icmpv4Repr.parse(icmp));
        }
    }

    @Test
    void udp() {
        UdpPacket udp = new UdpPacket();
        for (UdpRepr r : List.of(new UdpRepr(0, 65535, 0), new UdpRepr(49152, UdpPacket.ROCE_V2_PORT, 1000),
                new UdpRepr(1, 2, 65527))) {
            MemorySegment s = buffer(r.bufferLength());
            s.asSlice(8).fill((byte) 0xa5);
            r.emit(udp.wrapUnchecked(s, 0, r.bufferLength()), SRC, DST);
            assertEquals(WireStatus.OK, udp.wrap(s, 0, r.bufferLength()));
            assertTrue(udp.checksumValid(SRC, DST));
            assertTrue(udp.checksum() != 0, "a computed 0 is sent as 0xffff");
            assertEquals(r, UdpRepr.parse(udp));
        }
    }

    private static TcpRepr tcp(int mss, int ws, boolean sackOk, TcpRepr.Timestamps ts, List<TcpRepr.SackBlock> sacks) {
        return new TcpRepr(40000, 80, 0x8000_0000, -1, TcpPacket.ACK | TcpPacket.PSH | TcpPacket.AE, 65535, 7, mss, ws,
                sackOk, ts, sacks, 5);
    }

    @Test
    void tcpEveryOptionCombination() {
        TcpPacket view = new TcpPacket();
        var ts = new TcpRepr.Timestamps(-2, 123456);
        var b = new TcpRepr.SackBlock(100, 200);
        for (int mask = 0; mask < 16; mask++) {
            int mss = (mask & 1) != 0 ? 1460 : -1;
            int ws = (mask & 2) != 0 ? 14 : -1;
            boolean sackOk = (mask & 4) != 0;
            var stamp = (mask & 8) != 0 ? ts : null;
            for (int blocks = 0; blocks <= 4; blocks++) {
                List<TcpRepr.SackBlock> sacks = java.util.Collections.nCopies(blocks, b);
                TcpRepr r;
                try {
                    r = tcp(mss, ws, sackOk, stamp, sacks);
                } catch (IllegalArgumentException tooLong) {
                    continue; // the constructor refuses what does not fit in 40 bytes
                }
                MemorySegment s = buffer(r.bufferLength());
                r.emit(view.wrapUnchecked(s, 0, r.bufferLength()), SRC, DST);
                assertEquals(WireStatus.OK, view.wrap(s, 0, r.bufferLength()));
                assertTrue(view.checksumValid(SRC, DST));
                assertEquals(r, TcpRepr.parse(view), "mask " + mask + ", " + blocks + " blocks");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> tcp(1460, 7, true, ts, List.of(b, b, b)), "48 bytes of options");
    }

    private static TcpPacket wrapOptions(String options) {
        byte[] seg = HexFormat.of().parseHex("9c401389" + "00000001" + "00000002" + "f010ffff00000000" + options);
        assertEquals(60, seg.length, "40 bytes of options");
        TcpPacket view = new TcpPacket();
        assertEquals(WireStatus.OK, view.wrap(MemorySegment.ofArray(seg), 0, 60));
        return view;
    }

    @Test
    void tcpOptionsInAnotherOrderUnknownAndWrongSized() {
        // An unknown kind (29, TCP-AO), an MSS of length 3 (skipped, as Linux does), timestamps,
        // two SACK blocks, NOP, end of list and padding.
        TcpPacket view = wrapOptions("1d04abcd" + "0203ff" + "080a0000000100000002"
                + "0512" + "0000000a00000014" + "0000001e00000028" + "01" + "00000000");
        assertEquals(-1, view.maxSegmentSize());
        assertEquals(2, view.sackBlockCount());
        TcpRepr r = TcpRepr.parse(view);
        assertEquals(new TcpRepr(0x9c40, 0x1389, 1, 2, TcpPacket.ACK, 0xffff, 0, -1, -1, false,
                new TcpRepr.Timestamps(1, 2), List.of(new TcpRepr.SackBlock(10, 20), new TcpRepr.SackBlock(30, 40)), 0), r);
    }

    @Test
    void tcpSackBlocksBeyondLinuxLayoutAreDropped() {
        // Timestamps, MSS and three SACK blocks fill 40 bytes on the wire; in Linux's layout
        // (NOP NOP before timestamps and before SACK) only two blocks fit.
        TcpPacket view = wrapOptions("080a0000000100000002" + "020405b4"
                + "051a" + "0000000a00000014" + "0000001e00000028" + "000000320000003c");
        assertEquals(3, view.sackBlockCount());
        TcpRepr r = TcpRepr.parse(view);
        assertEquals(1460, r.maxSegmentSize());
        assertEquals(List.of(new TcpRepr.SackBlock(10, 20), new TcpRepr.SackBlock(30, 40)), r.sackBlocks());
        assertEquals(20 + 36, r.headerLength(), "36 bytes of options after the drop");
    }

    @Test
    void addressValues() {
        assertEquals("02:00:0a:ff:00:01", MacAddress.parse("02-00-0A-ff-00-01").toString());
        assertArrayEquals(new byte[] {2, 0, 10, -1, 0, 1}, MacAddress.parse("02:00:0a:ff:00:01").toBytes());
        assertEquals(MacAddress.parse("02:00:0a:ff:00:01"), MacAddress.of(new byte[] {2, 0, 10, -1, 0, 1}));
        assertTrue(MacAddress.BROADCAST.isBroadcast() && MacAddress.BROADCAST.isMulticast());
        assertTrue(MacAddress.parse("01:00:5e:00:00:01").isMulticast());
        assertTrue(MacAddress.parse("02:00:00:00:00:01").isLocallyAdministered());
        for (String bad : List.of("02:00:00:00:00", "02:00:00:00:00:001", "0g:00:00:00:00:00", "")) {
            assertThrows(IllegalArgumentException.class, () -> MacAddress.parse(bad), bad);
        }
        assertEquals("198.51.100.200", Ipv4Address.of(198, 51, 100, 200).toString());
        assertEquals(Ipv4Address.of(new byte[] {10, 0, 0, 1}), Ipv4Address.parse("10.0.0.1"));
        assertTrue(Ipv4Address.parse("224.0.0.1").isMulticast() && Ipv4Address.parse("127.1.2.3").isLoopback());
        assertTrue(Ipv4Address.BROADCAST.isBroadcast() && Ipv4Address.UNSPECIFIED.isUnspecified());
        for (String bad : List.of("10.0.0", "10.0.0.256", "10.0.0.-1", "a.b.c.d", "10..0.1")) {
            assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse(bad), bad);
        }
    }
}
