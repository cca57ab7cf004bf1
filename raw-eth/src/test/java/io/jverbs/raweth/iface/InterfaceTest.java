package io.jverbs.raweth.iface;

import io.jverbs.raweth.port.ManualClock;
import io.jverbs.raweth.port.MemoryPair;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.socket.UdpSocket;
import io.jverbs.raweth.wire.ArpPacket;
import io.jverbs.raweth.wire.EtherType;
import io.jverbs.raweth.wire.EthernetFrame;
import io.jverbs.raweth.wire.Icmpv4Packet;
import io.jverbs.raweth.wire.IpProtocol;
import io.jverbs.raweth.wire.Ipv4Address;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.MacAddress;
import io.jverbs.raweth.wire.UdpPacket;
import io.jverbs.raweth.wire.WireStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static io.jverbs.raweth.port.TestFrames.IP_A;
import static io.jverbs.raweth.port.TestFrames.IP_B;
import static io.jverbs.raweth.port.TestFrames.MAC_A;
import static io.jverbs.raweth.port.TestFrames.MAC_B;
import static io.jverbs.raweth.port.TestFrames.receiveAll;
import static io.jverbs.raweth.port.TestFrames.send;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The interface on virtual time over a {@link MemoryPair}: two interfaces talking (ARP, UDP echo),
 * or one interface facing a raw port that sends hand-built frames and reads what comes back
 * (ICMP, unreachable, ARP rules, timers, malformed frames).
 */
class InterfaceTest {
    static final long SECOND = 1_000_000_000L;
    final ManualClock clock = new ManualClock(12_345);
    MemoryPair pair;

    @AfterEach
    void close() {
        if (pair != null) pair.close();
    }

    static InterfaceConfig.Builder config(int ip) {
        return InterfaceConfig.builder(new Ipv4Address(ip), 24);
    }

    MemoryPair pair() {
        pair = MemoryPair.builder().clock(clock).build();
        return pair;
    }

    /** Polls both until nothing moves (at most 20 rounds), at the clock's time. */
    static void pump(Interface a, Interface b) {
        for (int i = 0; i < 20; i++) {
            boolean moved = a.poll(a.clock().nanos()) | b.poll(b.clock().nanos());
            if (!moved) return;
        }
        throw new AssertionError("still busy after 20 rounds");
    }

    static MemorySegment pattern(int n, int seed) {
        MemorySegment s = MemorySegment.ofArray(new byte[n]);
        for (int i = 0; i < n; i++) s.set(ValueLayout.JAVA_BYTE, i, (byte) (seed + i * 31));
        return s;
    }

    @Test
    void twoInterfacesResolveEachOtherAndEchoUdp() {
        MemoryPair p = pair();
        Interface a = new Interface(p.a(), config(IP_A).build(), clock);
        Interface b = new Interface(p.b(), config(IP_B).build(), clock);
        UdpSocket client = a.sockets().add(new UdpSocket(8, 8, 1472)).bind(40_000);
        UdpSocket server = b.sockets().add(new UdpSocket(8, 8, 1472)).bind(7);
        MemorySegment buf = MemorySegment.ofArray(new byte[1472]);
        for (int size : new int[] {0, 1, 18, 1472}) {
            MemorySegment payload = pattern(size, size);
            assertTrue(client.send(payload, IP_B, 7));
            pump(a, b);
            int n = server.receive(buf);
            assertEquals(size, n, "datagram at the server");
            assertEquals(IP_A, server.sourceAddress());
            assertEquals(40_000, server.sourcePort());
            assertTrue(server.send(buf.asSlice(0, n), server.sourceAddress(), server.sourcePort()));
            pump(a, b);
            MemorySegment back = MemorySegment.ofArray(new byte[1472]);
            assertEquals(size, client.receive(back));
            assertEquals(IP_B, client.sourceAddress());
            assertEquals(7, client.sourcePort());
            assertEquals(-1, payload.mismatch(back.asSlice(0, size)), "echoed bytes");
        }
        assertEquals(1, a.stats().count(Counter.ARP_REQUESTS_SENT), a.stats().toString());
        assertEquals(1, b.stats().count(Counter.ARP_REPLIES_SENT), b.stats().toString());
        assertEquals(0, b.stats().count(Counter.ARP_REQUESTS_SENT), "B learned A from its request: " + b.stats());
        assertEquals(new MacAddress(MAC_B), a.neighbour(IP_B));
        assertEquals(new MacAddress(MAC_A), b.neighbour(IP_A));
        assertEquals(4, server.received());
        assertEquals(4, client.received());
        assertEquals(0, a.stats().malformedTotal() + b.stats().malformedTotal());
        assertEquals(-1, client.receive(buf), "nothing more queued");
    }

    @Test
    void udpWithDeviceChecksumOffloadsBothWays() {
        pair = MemoryPair.builder().clock(clock).rxChecksumFlags(true).txIpChecksum(true).txL4Checksum(true).build();
        Interface a = new Interface(pair.a(), config(IP_A).build(), clock);
        Interface b = new Interface(pair.b(), config(IP_B).build(), clock);
        UdpSocket client = a.sockets().add(new UdpSocket(8, 8, 1472)).bind(40_000);
        UdpSocket server = b.sockets().add(new UdpSocket(8, 8, 1472)).bind(9);
        MemorySegment payload = pattern(333, 5);
        client.send(payload, IP_B, 9);
        pump(a, b);
        MemorySegment buf = MemorySegment.ofArray(new byte[1472]);
        assertEquals(333, server.receive(buf), b.stats() + " " + pair.b().stats());
        assertEquals(-1, payload.mismatch(buf.asSlice(0, 333)));
        // the simulated device drops frames whose checksums it finds bad: none were
        assertEquals(0, pair.a().stats().rxErrors() + pair.b().stats().rxErrors());
    }

    @Test
    void answersArpAndEchoRequestsWithTheSameData() {
        MemoryPair p = pair();
        PacketPort raw = p.a();
        Interface b = new Interface(p.b(), config(IP_B).build(), clock);
        send(raw, io.jverbs.raweth.port.TestFrames.arp(ArpPacket.REQUEST, MAC_A, IP_A, 0, IP_B));
        b.poll(clock.nanos());
        List<byte[]> got = receiveAll(raw);
        assertEquals(1, got.size());
        ArpPacket reply = new ArpPacket().wrapOrThrow(MemorySegment.ofArray(got.get(0)), 14, got.get(0).length - 14);
        assertEquals(ArpPacket.REPLY, reply.operation());
        assertEquals(MAC_B, reply.senderHardwareAddress());
        assertEquals(IP_B, reply.senderProtocolAddress());
        assertEquals(MAC_A, reply.targetHardwareAddress());
        assertEquals(IP_A, reply.targetProtocolAddress());
        assertEquals(60, got.get(0).length, "padded to the Ethernet minimum");

        byte[] request = io.jverbs.raweth.port.TestFrames.echo(true, MAC_A, MAC_B, IP_A, IP_B, 0x1234, 7, 56);
        send(raw, request);
        b.poll(clock.nanos());
        got = receiveAll(raw);
        assertEquals(1, got.size(), b.stats().toString());
        MemorySegment f = MemorySegment.ofArray(got.get(0));
        EthernetFrame eth = new EthernetFrame().wrapOrThrow(f, 0, (int) f.byteSize());
        assertEquals(MAC_A, eth.destination());
        Ipv4Packet ip = new Ipv4Packet().wrapOrThrow(f, 14, (int) f.byteSize() - 14);
        assertTrue(ip.checksumValid());
        assertEquals(IP_B, ip.source());
        assertEquals(IP_A, ip.destination());
        Icmpv4Packet icmp = new Icmpv4Packet().wrapOrThrow(f, ip.payloadOffset(), ip.payloadLength());
        assertEquals(Icmpv4Packet.TYPE_ECHO_REPLY, icmp.type());
        assertEquals(0x1234, icmp.identifier());
        assertEquals(7, icmp.sequence());
        assertTrue(icmp.checksumValid());
        byte[] sentData = Arrays.copyOfRange(request, 14 + 20 + 8, 14 + 20 + 8 + 56);
        byte[] gotData = Arrays.copyOfRange(got.get(0), 14 + 20 + 8, 14 + 20 + 8 + 56);
        assertArrayEquals(sentData, gotData, "echo data");
        assertEquals(1, b.stats().count(Counter.ICMP_ECHO_REPLIES_SENT));

        // an echo request to the broadcast address is ignored, as Linux does by default
        send(raw, io.jverbs.raweth.port.TestFrames.echo(true, MAC_A, MacAddress.BROADCAST.value(), IP_A, -1, 1, 1, 8));
        b.poll(clock.nanos());
        assertEquals(List.of(), receiveAll(raw));
        assertEquals(1, b.stats().count(Counter.ICMP_BROADCAST_ECHO_IGNORED));
    }

    @Test
    void closedUdpPortAndUnknownProtocolAnswerUnreachableAtTheRateLimit() {
        MemoryPair p = pair();
        PacketPort raw = p.a();
        Interface b = new Interface(p.b(), config(IP_B).icmpErrorRate(Duration.ofMillis(100), 2).build(), clock);
        send(raw, io.jverbs.raweth.port.TestFrames.arp(ArpPacket.REQUEST, MAC_A, IP_A, 0, IP_B));
        b.poll(clock.nanos());
        receiveAll(raw);
        byte[] dgram = io.jverbs.raweth.port.TestFrames.udp(MAC_A, MAC_B, IP_A, IP_B, 5555, 4444, 100);
        for (int i = 0; i < 5; i++) send(raw, dgram);
        b.poll(clock.nanos());
        List<byte[]> got = receiveAll(raw);
        assertEquals(2, got.size(), "a burst of 2: " + b.stats());
        assertEquals(3, b.stats().count(Counter.ICMP_ERRORS_RATE_LIMITED));
        assertEquals(5, b.stats().count(Counter.UDP_NO_PORT));
        MemorySegment f = MemorySegment.ofArray(got.get(0));
        Ipv4Packet ip = new Ipv4Packet().wrapOrThrow(f, 14, (int) f.byteSize() - 14);
        assertEquals(IpProtocol.ICMP, ip.protocol());
        Icmpv4Packet icmp = new Icmpv4Packet().wrapOrThrow(f, ip.payloadOffset(), ip.payloadLength());
        assertEquals(Icmpv4Packet.TYPE_DESTINATION_UNREACHABLE, icmp.type());
        assertEquals(Icmpv4Packet.CODE_PORT_UNREACHABLE, icmp.code());
        assertTrue(icmp.checksumValid());
        // RFC 792: the offending IP header and the start of its data, here all 128 bytes of it
        assertEquals(8 + 128, icmp.length());
        assertArrayEquals(Arrays.copyOfRange(dgram, 14, 14 + 128),
                Arrays.copyOfRange(got.get(0), 14 + 20 + 8, 14 + 20 + 8 + 128));

        clock.advance(100_000_000); // one token back
        send(raw, io.jverbs.raweth.port.TestFrames.ipv4(MAC_A, MAC_B, IP_A, IP_B, 253, new byte[12]));
        send(raw, dgram);
        b.poll(clock.nanos());
        got = receiveAll(raw);
        assertEquals(1, got.size());
        assertEquals(Icmpv4Packet.CODE_PROTOCOL_UNREACHABLE, got.get(0)[14 + 20 + 1]);
        assertEquals(1, b.stats().count(Counter.IPV4_UNKNOWN_PROTOCOL));
        assertEquals(4, b.stats().count(Counter.ICMP_ERRORS_RATE_LIMITED));

        // never about a broadcast (RFC 1122 3.2.2)
        clock.advance(SECOND);
        send(raw, io.jverbs.raweth.port.TestFrames.udp(MAC_A, MacAddress.BROADCAST.value(), IP_A, -1, 5555, 4444, 10));
        b.poll(clock.nanos());
        assertEquals(List.of(), receiveAll(raw));
        assertEquals(1, b.stats().count(Counter.ICMP_ERRORS_SUPPRESSED));
    }

    @Test
    void arpRequestsAreRateLimitedAndWaitingPacketsTimeOut() {
        MemoryPair p = pair();
        PacketPort raw = p.a();
        Interface b = new Interface(p.b(), config(IP_B).arpRequestInterval(Duration.ofSeconds(1))
                .arpResolveTimeout(Duration.ofMillis(2500)).build(), clock);
        UdpSocket s = b.sockets().add(new UdpSocket(8, 8, 100)).bind(1000);
        int silent = IP_A + 7;
        s.send(pattern(10, 1), silent, 9);
        assertEquals(0, b.pollDelay(clock.nanos()), "a datagram to send");
        b.poll(clock.nanos());
        assertEquals(1, arpRequestsFor(receiveAll(raw), silent));
        assertEquals(1, b.pendingPackets());
        assertEquals(SECOND, b.pollDelay(clock.nanos()), "the next request is due in a second");
        s.send(pattern(10, 2), silent, 9);
        b.poll(clock.nanos());
        assertEquals(0, arpRequestsFor(receiveAll(raw), silent), "rate limited");
        assertEquals(1, b.stats().count(Counter.ARP_REQUESTS_RATE_LIMITED));
        assertEquals(2, b.pendingPackets());
        clock.advance(999_999_999);
        b.poll(clock.nanos());
        assertEquals(List.of(), receiveAll(raw));
        clock.advance(1);
        b.poll(clock.nanos());
        assertEquals(1, arpRequestsFor(receiveAll(raw), silent), "asked again after the interval");
        clock.advance(SECOND);
        b.poll(clock.nanos());
        assertEquals(1, arpRequestsFor(receiveAll(raw), silent));
        assertEquals(SECOND / 2, b.pollDelay(clock.nanos()), "the first packet times out at 2.5 s");
        clock.advance(SECOND / 2);
        b.poll(clock.nanos());
        assertEquals(2, b.stats().count(Counter.ARP_TIMEOUT), "both waited 2.5 s (the second queued at 0 too)");
        assertEquals(0, b.pendingPackets());
        assertEquals(Long.MAX_VALUE, b.pollDelay(clock.nanos()), "nothing timed");
        assertEquals(3, b.stats().count(Counter.ARP_REQUESTS_SENT));
    }

    @Test
    void theResolutionQueueIsBoundedAndDrainsWhenTheReplyComes() {
        MemoryPair p = pair();
        PacketPort raw = p.a();
        Interface b = new Interface(p.b(), config(IP_B).arpQueueSize(4).build(), clock);
        UdpSocket s = b.sockets().add(new UdpSocket(8, 8, 100)).bind(1000);
        for (int i = 0; i < 6; i++) s.send(pattern(10 + i, i), IP_A, 9);
        b.poll(clock.nanos());
        assertEquals(1, arpRequestsFor(receiveAll(raw), IP_A));
        assertEquals(4, b.stats().count(Counter.ARP_QUEUED));
        assertEquals(2, b.stats().count(Counter.ARP_QUEUE_FULL));
        send(raw, io.jverbs.raweth.port.TestFrames.arp(ArpPacket.REPLY, MAC_A, IP_A, MAC_B, IP_B));
        b.poll(clock.nanos());
        List<byte[]> got = receiveAll(raw);
        assertEquals(4, got.size());
        for (int i = 0; i < 4; i++) {
            MemorySegment f = MemorySegment.ofArray(got.get(i));
            assertEquals(MAC_A, new EthernetFrame().wrapOrThrow(f, 0, got.get(i).length).destination());
            Ipv4Packet ip = new Ipv4Packet().wrapOrThrow(f, 14, got.get(i).length - 14);
            UdpPacket udp = new UdpPacket().wrapOrThrow(f, ip.payloadOffset(), ip.payloadLength());
            assertEquals(10 + i, udp.payloadLength(), "in the order sent");
            assertTrue(udp.checksumValid(IP_B, IP_A));
        }
        assertEquals(0, b.pendingPackets());
    }

    @Test
    void entriesExpireAfterTheirLifetime() {
        MemoryPair p = pair();
        PacketPort raw = p.a();
        Interface b = new Interface(p.b(), config(IP_B).arpEntryLifetime(Duration.ofSeconds(10)).build(), clock);
        send(raw, io.jverbs.raweth.port.TestFrames.arp(ArpPacket.REQUEST, MAC_A, IP_A, 0, IP_B));
        b.poll(clock.nanos());
        receiveAll(raw);
        assertEquals(new MacAddress(MAC_A), b.neighbour(IP_A));
        UdpSocket s = b.sockets().add(new UdpSocket(8, 8, 100)).bind(1000);
        clock.advance(10 * SECOND - 1);
        s.send(pattern(4, 4), IP_A, 9);
        b.poll(clock.nanos());
        assertEquals(1, receiveAll(raw).size(), "sent at once while the entry lives");
        clock.advance(1);
        s.send(pattern(4, 4), IP_A, 9);
        b.poll(clock.nanos());
        assertEquals(1, arpRequestsFor(receiveAll(raw), IP_A), "expired: asked again");
        assertNull(b.neighbour(IP_A));
    }

    @Test
    void arpLearnsOnlyWhatRfc826Allows() {
        MemoryPair p = pair();
        PacketPort raw = p.a();
        Interface b = new Interface(p.b(), config(IP_B).build(), clock);
        int other = IP_A + 10;
        long otherMac = 0x02_00_00_00_00_99L;
        // a gratuitous ARP of a host we do not know adds nothing
        send(raw, io.jverbs.raweth.port.TestFrames.arp(ArpPacket.REQUEST, otherMac, other, 0, other));
        // a request for someone else adds nothing
        send(raw, io.jverbs.raweth.port.TestFrames.arp(ArpPacket.REQUEST, MAC_A, IP_A, 0, other));
        b.poll(clock.nanos());
        assertNull(b.neighbour(other));
        assertNull(b.neighbour(IP_A));
        assertEquals(2, b.stats().count(Counter.ARP_NOT_FOR_US));
        assertEquals(List.of(), receiveAll(raw));
        // a reply for us adds its sender
        send(raw, io.jverbs.raweth.port.TestFrames.arp(ArpPacket.REPLY, MAC_A, IP_A, MAC_B, IP_B));
        b.poll(clock.nanos());
        assertEquals(new MacAddress(MAC_A), b.neighbour(IP_A));
        // a gratuitous ARP of a known host moves it (the merge flag)
        long moved = 0x02_00_00_00_00_77L;
        send(raw, io.jverbs.raweth.port.TestFrames.arp(ArpPacket.REQUEST, moved, IP_A, 0, IP_A));
        b.poll(clock.nanos());
        assertEquals(new MacAddress(moved), b.neighbour(IP_A));
        assertEquals(1, b.stats().count(Counter.ARP_UPDATED_BY_OTHERS));
        // someone claiming our address, a broadcast sender MAC, an unknown operation
        send(raw, io.jverbs.raweth.port.TestFrames.arp(ArpPacket.REQUEST, otherMac, IP_B, 0, IP_B));
        send(raw, io.jverbs.raweth.port.TestFrames.arp(ArpPacket.REPLY, MacAddress.BROADCAST.value(), other, MAC_B, IP_B));
        send(raw, io.jverbs.raweth.port.TestFrames.arp(9, otherMac, other, MAC_B, IP_B));
        b.poll(clock.nanos());
        assertEquals(1, b.stats().count(Counter.ARP_ADDRESS_CONFLICT));
        assertEquals(1, b.stats().count(Counter.ARP_BAD_SENDER));
        assertEquals(1, b.stats().count(Counter.ARP_UNKNOWN_OPERATION));
        assertEquals(List.of(), receiveAll(raw));
    }

    @Test
    void offLinkGoesThroughTheGatewayAndWithoutOneIsDropped() {
        MemoryPair p = pair();
        PacketPort raw = p.a();
        int far = Ipv4Address.parse("198.51.100.9").value();
        Interface b = new Interface(p.b(), config(IP_B).gateway(new Ipv4Address(IP_A)).build(), clock);
        UdpSocket s = b.sockets().add(new UdpSocket(8, 8, 100)).bind(1000);
        s.send(pattern(4, 4), far, 53);
        b.poll(clock.nanos());
        assertEquals(1, arpRequestsFor(receiveAll(raw), IP_A), "the gateway is resolved, not the far host");
        send(raw, io.jverbs.raweth.port.TestFrames.arp(ArpPacket.REPLY, MAC_A, IP_A, MAC_B, IP_B));
        b.poll(clock.nanos());
        List<byte[]> got = receiveAll(raw);
        assertEquals(1, got.size());
        MemorySegment f = MemorySegment.ofArray(got.get(0));
        assertEquals(MAC_A, new EthernetFrame().wrapOrThrow(f, 0, 60).destination());
        assertEquals(far, new Ipv4Packet().wrapOrThrow(f, 14, got.get(0).length - 14).destination());

        pair.close();
        pair();
        Interface c = new Interface(pair.b(), config(IP_B).build(), clock);
        UdpSocket t = c.sockets().add(new UdpSocket(8, 8, 100)).bind(1000);
        t.send(pattern(4, 4), far, 53);
        c.poll(clock.nanos());
        assertEquals(List.of(), receiveAll(pair.a()));
        assertEquals(1, c.stats().count(Counter.TX_NO_ROUTE));
        assertEquals(1, t.txDropped());
        assertThrows(IllegalArgumentException.class,
                () -> config(IP_B).gateway(Ipv4Address.parse("10.9.9.9")).build(), "a gateway off the prefix");
    }

    @Test
    void udpQueuesAreBoundedAndCountDrops() {
        MemoryPair p = pair();
        PacketPort raw = p.a();
        Interface b = new Interface(p.b(), config(IP_B).build(), clock);
        UdpSocket s = b.sockets().add(new UdpSocket(2, 2, 100)).bind(4444);
        byte[] d = io.jverbs.raweth.port.TestFrames.udp(MAC_A, MAC_B, IP_A, IP_B, 5555, 4444, 50);
        send(raw, d, d, d);
        b.poll(clock.nanos());
        assertEquals(2, s.received());
        assertEquals(1, s.rxDropped());
        assertEquals(List.of(), receiveAll(raw), "a full queue is not an unreachable port");
        MemorySegment small = MemorySegment.ofArray(new byte[10]);
        assertThrows(IllegalArgumentException.class, () -> s.receive(small));
        assertEquals(50, s.peekLength(), "the datagram stays queued");
        assertTrue(s.send(pattern(1, 1), IP_A, 1));
        assertTrue(s.send(pattern(1, 1), IP_A, 1));
        assertTrue(!s.send(pattern(1, 1), IP_A, 1));
        assertEquals(1, s.txDropped());
        assertThrows(IllegalArgumentException.class, () -> s.send(pattern(101, 1), IP_A, 1));
    }

    /** Every WireStatus the interface can meet, each from a hand-built frame, dropped and counted. */
    @Test
    void everyMalformedFrameIsDroppedAndCountedByItsReason() {
        MemoryPair p = pair();
        PacketPort raw = p.a();
        Interface b = new Interface(p.b(), config(IP_B).build(), clock);
        b.sockets().add(new UdpSocket(8, 8, 1472)).bind(4444);
        for (WireStatus st : WireStatus.values()) {
            if (st == WireStatus.OK || st == WireStatus.VLAN_TRUNCATED || st == WireStatus.IB_HEADER_TRUNCATED) {
                // VLAN: tagged frames are dropped whole (RX_VLAN_TAGGED), their tag never parsed;
                // InfiniBand headers are the soft device's (io.jverbs.soft.wire), never the interface's.
                continue;
            }
            byte[] frame = Malformed.frame(st);
            long before = b.stats().malformedTotal();
            send(raw, frame);
            b.poll(clock.nanos());
            assertEquals(1, b.stats().malformed(st), st + ": " + b.stats());
            assertEquals(before + 1, b.stats().malformedTotal(), st + " counted once, under its own reason");
            assertEquals(List.of(), receiveAll(raw), st + ": nothing answered");
        }
        assertEquals(0, b.stats().count(Counter.UDP_DELIVERED));
    }

    @Test
    void framesNotForThisHostAreDroppedByReason() {
        MemoryPair p = pair();
        PacketPort raw = p.a();
        Interface b = new Interface(p.b(), config(IP_B).build(), clock);
        UdpSocket s = b.sockets().add(new UdpSocket(8, 8, 1472)).bind(4444);
        byte[] good = io.jverbs.raweth.port.TestFrames.udp(MAC_A, MAC_B, IP_A, IP_B, 5555, 4444, 20);
        byte[] otherMac = good.clone();
        otherMac[5] = 0x0c;
        byte[] otherIp = io.jverbs.raweth.port.TestFrames.udp(MAC_A, MAC_B, IP_A, IP_B + 5, 5555, 4444, 20);
        byte[] martian = io.jverbs.raweth.port.TestFrames.udp(MAC_A, MAC_B, 0xe0000001, IP_B, 5555, 4444, 20);
        byte[] fragment = good.clone();
        fragment[14 + 6] = 0x20; // MF
        Malformed.fixIpChecksum(fragment);
        byte[] ipv6 = good.clone();
        ipv6[12] = (byte) 0x86;
        ipv6[13] = (byte) 0xdd;
        byte[] vlan = good.clone();
        vlan[12] = (byte) 0x81;
        vlan[13] = 0;
        byte[] ttl0 = good.clone();
        ttl0[14 + 8] = 0;
        Malformed.fixIpChecksum(ttl0);
        byte[] tcp = io.jverbs.raweth.port.TestFrames.tcp(MAC_A, MAC_B, IP_A, IP_B, 5555, 80, 1, 0, 0x02, 0);
        send(raw, otherMac, otherIp, martian, fragment, ipv6, vlan, ttl0, tcp);
        b.poll(clock.nanos());
        InterfaceStats st = b.stats();
        assertEquals(1, st.count(Counter.RX_OTHER_MAC));
        assertEquals(1, st.count(Counter.IPV4_NOT_FOR_US));
        assertEquals(1, st.count(Counter.IPV4_BAD_SOURCE));
        assertEquals(1, st.count(Counter.IPV4_FRAGMENT));
        assertEquals(1, st.count(Counter.RX_UNKNOWN_ETHERTYPE));
        assertEquals(1, st.count(Counter.RX_VLAN_TAGGED));
        assertEquals(1, st.count(Counter.TCP_NO_SOCKET));
        assertEquals(1, s.received(), "RFC 1122 3.2.1.7: TTL 0 on arrival is still delivered");
        assertEquals(0, st.malformedTotal());
        assertEquals(1, st.count(Counter.TCP_RESETS_SENT), "RFC 9293 3.10.7.1: the SYN to a closed port is reset");
        assertEquals(1, receiveAll(raw).size(), "only the RST");
    }

    static int arpRequestsFor(List<byte[]> frames, int target) {
        int n = 0;
        for (byte[] f : frames) {
            MemorySegment s = MemorySegment.ofArray(f);
            EthernetFrame eth = new EthernetFrame().wrapOrThrow(s, 0, f.length);
            if (eth.etherType() != EtherType.ARP) {
                throw new AssertionError("not ARP: " + eth);
            }
            ArpPacket a = new ArpPacket().wrapOrThrow(s, 14, f.length - 14);
            if (a.operation() == ArpPacket.REQUEST && a.targetProtocolAddress() == target
                    && eth.destination() == MacAddress.BROADCAST.value()) {
                n++;
            }
        }
        return n;
    }
}
