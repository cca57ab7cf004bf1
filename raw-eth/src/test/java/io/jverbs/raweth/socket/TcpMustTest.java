package io.jverbs.raweth.socket;

import io.jverbs.raweth.iface.Counter;
import io.jverbs.raweth.port.TestFrames;
import io.jverbs.raweth.socket.TcpPeer.Seg;
import io.jverbs.raweth.socket.TcpSocket.SoftError;
import io.jverbs.raweth.socket.TcpSocket.State;
import io.jverbs.raweth.wire.EtherType;
import io.jverbs.raweth.wire.EthernetFrame;
import io.jverbs.raweth.wire.Icmpv4Packet;
import io.jverbs.raweth.wire.IpProtocol;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.Ipv4Repr;
import io.jverbs.raweth.wire.MacAddress;
import io.jverbs.raweth.wire.TcpPacket;
import io.jverbs.raweth.wire.TcpRepr;
import io.jverbs.raweth.wire.WireStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static io.jverbs.raweth.port.TestFrames.IP_A;
import static io.jverbs.raweth.port.TestFrames.IP_B;
import static io.jverbs.raweth.port.TestFrames.MAC_A;
import static io.jverbs.raweth.port.TestFrames.MAC_B;
import static io.jverbs.raweth.socket.TcpPeer.SECOND;
import static io.jverbs.raweth.wire.TcpPacket.ACK;
import static io.jverbs.raweth.wire.TcpPacket.PSH;
import static io.jverbs.raweth.wire.TcpPacket.RST;
import static io.jverbs.raweth.wire.TcpPacket.SYN;
import static io.jverbs.raweth.wire.TcpPacket.URG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 9293's remaining MUSTs against a hand-made peer on virtual time (segments and ICMP messages
 * in, exact segments out): urgent data (MUST-30..33, 62, 66), PSH (MUST-61), ICMP errors (MUST-54..56),
 * R1/R2 (MUST-20..23), per-socket DiffServ and TTL (MUST-48, 49), the open's addresses (MUST-43,
 * 46) and SYNs to broadcasts or from invalid sources (MUST-57, 63).
 */
class TcpMustTest {
    static final int LOCAL = 40_000;
    static final int PEER = 5555;
    static final int PISS = 0x7000_0000;
    static final byte[] NONE = new byte[0];
    static final int SUBNET_BROADCAST = IP_A | 0xff;

    final TcpPeer p = new TcpPeer();
    TcpSocket s;
    int iss;

    @AfterEach
    void close() {
        p.close();
    }

    /** Active open to ESTABLISHED with {@code s} (already configured); the peer announces MSS 1000 and window 20,000. */
    void established(TcpSocket socket) {
        s = socket.connect(LOCAL, IP_B, PEER);
        iss = p.one().seq();
        p.syn(PEER, LOCAL, PISS, iss + 1, SYN | ACK, 1000);
        assertEquals(ACK, p.one().flags());
        assertEquals(State.ESTABLISHED, s.state());
        p.in(PEER, LOCAL, PISS + 1, iss + 1, ACK, 20_000, NONE);
    }

    void established() {
        established(p.socket(TcpPeer.config(), 4096, 70_000));
    }

    static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (seed + i * 13);
        return b;
    }

    long count(Counter c) {
        return p.iface.stats().count(c);
    }

    // ---------------------------------------------------------------- urgent data and PSH

    @Test
    void urgentDataCarriesUrgAndAPointerToTheFirstNonUrgentOctetWhateverItsLength() {
        established();
        assertEquals(2500, s.sendUrgent(MemorySegment.ofArray(bytes(2500, 1))));
        List<Seg> out = new ArrayList<>(p.out());
        assertEquals(2, out.size(), "Nagle holds the last 500 bytes: " + out);
        p.in(PEER, LOCAL, PISS + 1, iss + 2001, ACK, 20_000, NONE);
        out.addAll(p.out());
        assertEquals(3, out.size(), out::toString);
        for (int i = 0; i < 3; i++) {
            Seg g = out.get(i);
            assertEquals(iss + 1 + 1000 * i, g.seq());
            assertEquals(ACK | PSH | URG, g.flags(), "segment " + i);
            assertEquals(2500 - 1000 * i, g.tcp().urgentPointer(), "SND.UP − SEG.SEQ: the octet after the urgent data");
        }
        p.in(PEER, LOCAL, PISS + 1, iss + 2501, ACK, 20_000, NONE);
        s.send(MemorySegment.ofArray(bytes(100, 2)));
        Seg plain = p.one();
        assertEquals(ACK | PSH, plain.flags(), "past SND.UP: no URG");
        assertEquals(0, plain.tcp().urgentPointer());
        p.in(PEER, LOCAL, PISS + 1, iss + 2601, ACK, 20_000, NONE);

        // MUST-31: longer than the 16-bit field reaches: 0xffff until the mark is within reach
        assertEquals(66_000, s.sendUrgent(MemorySegment.ofArray(bytes(66_000, 3))));
        int up = iss + 2601 + 66_000;
        out = p.out();
        assertTrue(out.size() >= 2, out::toString);
        for (Seg g : out) {
            assertEquals(URG, g.flags() & URG, g.toString());
            assertEquals(Math.min(up - g.seq(), 0xffff), g.tcp().urgentPointer(), g.toString());
        }
        assertEquals(0xffff, out.get(0).tcp().urgentPointer());
        assertEquals(66_000 - 1000, out.get(1).tcp().urgentPointer());
    }

    @Test
    void theLastSegmentOfWhatIsQueuedCarriesPsh() {
        established();
        s.send(MemorySegment.ofArray(bytes(2500, 1)));
        List<Seg> out = new ArrayList<>(p.out());
        p.in(PEER, LOCAL, PISS + 1, iss + 2001, ACK, 20_000, NONE); // Nagle held the last 500 bytes
        out.addAll(p.out());
        assertEquals(3, out.size());
        assertEquals(500, out.get(2).payload().length);
        assertEquals(PSH, out.get(2).flags() & PSH, "MUST-61: the segment that empties the queue is pushed");
        // every data segment carries PSH here (each send is pushed; RFC 9293 3.9.1.2 lets the sender do so)
        assertEquals(PSH, out.get(0).flags() & PSH);
    }

    @Test
    void urgentDataReceivedIsReportedWithTheBytesUpToTheMark() {
        established();
        assertFalse(s.urgentPending());
        p.in(new TcpRepr(PEER, LOCAL, PISS + 1, iss + 1, ACK | URG, 20_000, 4, -1, -1, false, null, List.of(), 10),
                bytes(10, 7));
        p.one();
        assertTrue(s.urgentPending(), "MUST-32: the application learns of urgent data");
        assertEquals(4, s.urgentMark(), "MUST-33/62: 4 urgent bytes, the pointer names the first non-urgent octet");
        byte[] got = new byte[3];
        assertEquals(3, s.receive(MemorySegment.ofArray(got)));
        assertEquals(1, s.urgentMark());
        assertEquals(1, s.receive(MemorySegment.ofArray(got).asSlice(0, 1)));
        assertFalse(s.urgentPending(), "read past the mark");
        assertEquals(0, s.urgentMark());
        assertEquals(6, s.receive(MemorySegment.ofArray(new byte[100])), "the urgent data was inline (RFC 6093)");

        // MUST-31: a mark beyond what has arrived and beyond the 16-bit field: 0xffff, then moved on
        p.in(new TcpRepr(PEER, LOCAL, PISS + 11, iss + 1, ACK | URG, 20_000, 0xffff, -1, -1, false, null, List.of(),
                100), bytes(100, 9));
        p.one();
        assertEquals(0xffff, s.urgentMark());
        p.in(new TcpRepr(PEER, LOCAL, PISS + 111, iss + 1, ACK | URG, 20_000, 0xffff, -1, -1, false, null, List.of(),
                100), bytes(100, 9));
        p.one();
        assertEquals(100 + 0xffff, s.urgentMark(), "RCV.UP moves forward");
        p.in(new TcpRepr(PEER, LOCAL, PISS + 211, iss + 1, ACK | URG, 20_000, 5, -1, -1, false, null, List.of(),
                100), bytes(100, 9));
        p.one();
        assertEquals(100 + 0xffff, s.urgentMark(), "an older pointer does not move RCV.UP back");
    }

    @Test
    void withAZeroWindowTheAckUrgAndRstOfASegmentAreStillProcessed() {
        established();
        s.send(MemorySegment.ofArray(bytes(100, 1)));
        assertEquals(100, p.one().payload().length);
        for (int i = 0; i < 4; i++) {
            p.in(PEER, LOCAL, PISS + 1 + 1024 * i, iss + 1, ACK, 20_000, bytes(1024, i));
            p.out();
        }
        assertEquals(4096, s.receiveQueued());
        // MUST-66: text beyond a zero window is dropped, its ACK and URG are taken
        p.in(new TcpRepr(PEER, LOCAL, PISS + 1 + 4096, iss + 101, ACK | URG, 20_000, 3, -1, -1, false, null,
                List.of(), 10), bytes(10, 5));
        Seg a = p.one();
        assertEquals(PISS + 1 + 4096, a.ack(), "the text was not taken");
        assertEquals(0, a.tcp().window());
        assertEquals(0, s.sendQueued(), "the ACK of our 100 bytes was processed");
        assertTrue(s.urgentPending());
        assertEquals(4096 + 3, s.urgentMark());
        assertEquals(4096, s.receiveQueued());
        // and a RST carrying data at RCV.NXT
        p.in(PEER, LOCAL, PISS + 1 + 4096, iss + 101, RST | ACK, 20_000, bytes(5, 1));
        assertEquals(State.CLOSED, s.state());
        assertEquals(TcpSocket.Error.RESET, s.error());
    }

    // ---------------------------------------------------------------- ICMP errors

    /** An ICMP error from {@code from} quoting our segment (IP_A:LOCAL → IP_B:PEER, {@code seq}) with {@code quote} bytes of TCP. */
    void icmp(int type, int code, int seq, int quotedSource, int quote) {
        byte[] m = new byte[Icmpv4Packet.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH + quote];
        MemorySegment s = MemorySegment.ofArray(m);
        MemorySegment full = MemorySegment.ofArray(new byte[60]); // the quoted packet was longer than the quote
        new Ipv4Repr(quotedSource, IP_B, IpProtocol.TCP, 40, 64).emit(new Ipv4Packet().wrapUnchecked(full, 0, 60));
        MemorySegment.copy(full, 0, s, 8, Ipv4Packet.MIN_HEADER_LENGTH);
        MemorySegment tcp = MemorySegment.ofArray(new byte[8]);
        tcp.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 0, (short) LOCAL);
        tcp.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 2, (short) PEER);
        tcp.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 4, seq);
        MemorySegment.copy(tcp, 0, s, 28, Math.min(8, quote));
        new Icmpv4Packet().wrapUnchecked(s, 0, m.length).setType(type).setCode(code).setRestOfHeader(0)
                .fillChecksum();
        TestFrames.send(p.raw, TestFrames.ipv4(MAC_B, MAC_A, 0xc000_0205, IP_A, IpProtocol.ICMP, m));
        p.iface.poll(p.clock.nanos());
    }

    void icmp(int type, int code, int seq) {
        icmp(type, code, seq, IP_A, 8);
    }

    @Test
    void icmpErrorsAreSoftInAnOpenConnectionAndTakenOnlyForASequenceInFlight() {
        established();
        s.send(MemorySegment.ofArray(bytes(100, 1)));
        p.one();
        for (int code = 0; code <= 5; code++) {
            icmp(3, code, iss + 1);
            assertEquals(State.ESTABLISHED, s.state(), "MUST-56: never aborted by an ICMP error when open, code " + code);
        }
        assertEquals(SoftError.UNREACHABLE, s.softError(), "code 5 (source route failed)");
        icmp(11, 0, iss + 50);
        assertEquals(SoftError.TIME_EXCEEDED, s.softError());
        icmp(12, 0, iss + 100);
        assertEquals(SoftError.PARAMETER_PROBLEM, s.softError());
        assertEquals(8, s.icmpErrors());
        assertEquals(8, count(Counter.ICMP_ERRORS_DELIVERED));
        // RFC 5927 4.1: a quoted sequence number outside SND.UNA..SND.NXT is not ours to take
        icmp(3, 1, iss + 101);
        icmp(3, 1, iss);
        assertEquals(SoftError.PARAMETER_PROBLEM, s.softError());
        assertEquals(2, count(Counter.ICMP_ERRORS_UNMATCHED));
        // MUST-55: source quench silently discarded
        icmp(4, 0, iss + 1);
        assertEquals(1, count(Counter.ICMP_SOURCE_QUENCH_IGNORED));
        assertEquals(8, s.icmpErrors());
        // malformed: quote too short, quoted source not ours: dropped and counted, no exception
        icmp(3, 3, iss + 1, IP_A, 4);
        icmp(3, 3, iss + 1, IP_B, 8);
        assertEquals(2, count(Counter.ICMP_ERRORS_MALFORMED));
        assertEquals(State.ESTABLISHED, s.state());
        assertEquals(List.of(), p.out(), "nothing is sent for an ICMP error");
        p.in(PEER, LOCAL, PISS + 1, iss + 101, ACK, 20_000, NONE);
        assertEquals(0, s.sendQueued(), "the connection goes on");
    }

    @Test
    void aHardIcmpErrorRefusesAConnectionInSynSentAndASoftOneDoesNot() {
        s = p.socket(TcpPeer.config(), 4096, 4096).connect(LOCAL, IP_B, PEER);
        iss = p.one().seq();
        icmp(3, 1, iss); // host unreachable: soft
        assertEquals(State.SYN_SENT, s.state());
        assertEquals(SoftError.HOST_UNREACHABLE, s.softError());
        icmp(3, 3, iss); // port unreachable: hard in SYN-SENT
        assertEquals(State.CLOSED, s.state());
        assertEquals(TcpSocket.Error.UNREACHABLE, s.error());
        assertEquals(SoftError.PORT_UNREACHABLE, s.softError());
        assertEquals(List.of(), p.out());
    }

    @Test
    void theDemuxHandsAnIcmpErrorToTheConnectionItQuotes() {
        TcpDemux demux = p.iface.sockets().add(new TcpDemux(16, new SplittableRandom(3)));
        s = demux.connect(new TcpSocket(TcpPeer.config(), 4096, 4096), LOCAL, IP_B, PEER);
        iss = p.one().seq();
        icmp(3, 2, iss + 1); // outside SND.UNA..SND.NXT
        assertEquals(State.SYN_SENT, s.state());
        icmp(3, 2, iss); // protocol unreachable
        assertEquals(TcpSocket.Error.UNREACHABLE, s.error());
        assertEquals(1, count(Counter.ICMP_ERRORS_DELIVERED));
        assertEquals(1, count(Counter.ICMP_ERRORS_UNMATCHED));
    }

    // ---------------------------------------------------------------- R1 and R2

    @Test
    void afterR1RetransmissionsTheNeighbourIsResolvedAgainAndAfterR2TheConnectionIsDropped() {
        established(p.socket(TcpPeer.config(), 4096, 4096).retransmissionLimits(2, 4));
        assertEquals(4, s.maxRetransmissions(), "MUST-21: R2 set by the application");
        s.send(MemorySegment.ofArray(bytes(100, 1)));
        p.one();
        long arp = count(Counter.ARP_REQUESTS_SENT);
        long rto = s.rto();
        for (int i = 1; i <= 4; i++) {
            p.advance(rto);
            rto = Math.min(2 * rto, 60 * SECOND);
            assertEquals(iss + 1, p.one().seq(), "retransmission " + i);
            assertEquals(i >= 2 ? 1 : 0, count(Counter.ARP_REQUESTS_SENT) - arp,
                    "MUST-20: negative advice (ARP again) at R1 = 2, once; after retransmission " + i);
            assertEquals(i >= 2 ? 1 : 0, count(Counter.ARP_NEGATIVE_ADVICE));
            assertEquals(i >= 2 ? SoftError.RETRANSMISSIONS : SoftError.NONE, s.softError());
            assertEquals(State.ESTABLISHED, s.state());
        }
        p.advance(rto);
        Seg rst = p.one();
        assertEquals(RST, rst.flags());
        assertEquals(State.CLOSED, s.state());
        assertEquals(TcpSocket.Error.TIMED_OUT, s.error(), "MUST-12: the application learns why");
    }

    @Test
    void synsFollowR1AndR2TooAndTheDefaultR2LastsAtLeastThreeMinutes() {
        TcpConfig defaults = TcpConfig.defaults(new SplittableRandom(1)).withOptions(0);
        s = p.socket(defaults, 4096, 4096).connect(LOCAL, IP_B, PEER);
        long start = p.clock.nanos();
        int syns = 0;
        int synsAtAdvice = -1;
        while (s.state() == State.SYN_SENT) {
            for (Seg g : p.out()) {
                if (g.flags() == SYN) syns++;
            }
            if (synsAtAdvice < 0 && s.softError() == SoftError.RETRANSMISSIONS) {
                synsAtAdvice = syns;
            }
            if (s.state() != State.SYN_SENT) break;
            long d = p.iface.pollDelay(p.clock.nanos());
            assertTrue(d > 0 && d < Long.MAX_VALUE);
            p.advance(d);
        }
        long lasted = p.clock.nanos() - start;
        assertEquals(TcpSocket.Error.TIMED_OUT, s.error());
        assertEquals(SoftError.RETRANSMISSIONS, s.softError());
        assertEquals(1 + defaults.maxRetransmissions(), syns);
        assertEquals(1 + TcpSocket.DEFAULT_R1, synsAtAdvice, "MUST-22: R1 (3) for SYNs too");
        assertTrue(lasted >= 180 * SECOND, "MUST-23: R2 for a SYN at least 3 minutes, was " + lasted / SECOND + " s");
        assertEquals((1 + 2 + 4 + 8 + 16 + 32 + 10 * 60) * SECOND, lasted, "RTO 1 s doubling to 60 s, 15 retransmissions");

        // a per-socket R2 applies to SYNs: 1 + 2 + 4 s with R2 = 2
        TcpSocket t = p.socket(TcpPeer.config(), 4096, 4096).retransmissionLimits(1, 2).connect(LOCAL + 1, IP_B, PEER);
        long t0 = p.clock.nanos();
        assertEquals(SYN, p.one().flags());
        p.advance(SECOND);
        p.one();
        assertEquals(SoftError.RETRANSMISSIONS, t.softError());
        p.advance(2 * SECOND);
        p.one();
        p.advance(4 * SECOND);
        assertEquals(List.of(), p.out(), "no RST for a SYN that was never answered");
        assertEquals(TcpSocket.Error.TIMED_OUT, t.error());
        assertEquals(7 * SECOND, p.clock.nanos() - t0);
        assertThrows(IllegalArgumentException.class, () -> t.retransmissionLimits(3, 2));
    }

    // ---------------------------------------------------------------- IP fields and addresses

    /** Every IPv4 packet our interface sent, parsed. */
    List<Ipv4Packet> packets() {
        p.iface.poll(p.clock.nanos());
        List<Ipv4Packet> got = new ArrayList<>();
        for (byte[] f : TestFrames.receiveAll(p.raw)) {
            MemorySegment m = MemorySegment.ofArray(f);
            EthernetFrame eth = new EthernetFrame();
            if (eth.wrap(m, 0, f.length) != WireStatus.OK || eth.etherType() != EtherType.IPV4) continue;
            Ipv4Packet ip = new Ipv4Packet();
            assertEquals(WireStatus.OK, ip.wrap(m, 14, f.length - 14));
            assertTrue(ip.checksumValid());
            got.add(ip);
        }
        return got;
    }

    @Test
    void diffServFieldAndTtlAreSetPerSocket() {
        TcpSocket a = p.socket(TcpPeer.config(), 4096, 4096).trafficClass(46).timeToLive(9).connect(LOCAL, IP_B, PEER);
        List<Ipv4Packet> syn = packets();
        assertEquals(1, syn.size());
        assertEquals(46, syn.get(0).dscp(), "MUST-48: DSCP EF on the SYN");
        assertEquals(0, syn.get(0).ecn());
        assertEquals(9, syn.get(0).ttl(), "MUST-49");
        a.abort();
        packets();
        p.socket(TcpPeer.config(), 4096, 4096).connect(LOCAL + 1, IP_B, PEER);
        Ipv4Packet plain = packets().get(0);
        assertEquals(0, plain.dscp());
        assertEquals(p.iface.config().ttl(), plain.ttl(), "the interface's TTL by default");
        assertThrows(IllegalArgumentException.class, () -> a.trafficClass(64));
        assertThrows(IllegalArgumentException.class, () -> a.timeToLive(256));
    }

    @Test
    void anOpenTakesTheLocalAddressAndRejectsBroadcastAndMulticastPeers() {
        TcpSocket good = p.socket(TcpPeer.config(), 4096, 4096).connect(IP_A, LOCAL, IP_B, PEER);
        List<Ipv4Packet> out = packets();
        assertEquals(1, out.size());
        assertEquals(IP_A, out.get(0).source(), "MUST-43: the local address given");
        assertEquals(State.SYN_SENT, good.state());

        TcpSocket other = p.socket(TcpPeer.config(), 4096, 4096).connect(0xc000_0263, LOCAL + 1, IP_B, PEER);
        assertEquals(List.of(), packets());
        assertEquals(State.CLOSED, other.state());
        assertEquals(TcpSocket.Error.INVALID_ADDRESS, other.error(), "not the interface's address");

        TcpSocket t = p.socket(TcpPeer.config(), 4096, 4096);
        for (int bad : new int[] {-1, 0, 0xe000_0001, 0xefff_fffa, 0xf000_0001}) {
            assertThrows(IllegalArgumentException.class, () -> t.connect(LOCAL + 2, bad, PEER), "MUST-46");
            assertEquals(State.CLOSED, t.state());
        }
        t.connect(LOCAL + 2, SUBNET_BROADCAST, PEER);
        assertEquals(List.of(), packets(), "MUST-46: no SYN to the subnet's broadcast address");
        assertEquals(TcpSocket.Error.INVALID_ADDRESS, t.error());
    }

    @Test
    void synsToABroadcastOrFromAnInvalidSourceAreSilentlyDiscarded() {
        TcpSocket l = p.socket(TcpPeer.config(), 4096, 4096).listen(PEER);
        TcpDemux demux = p.iface.sockets().add(new TcpDemux(16, new SplittableRandom(5)));
        demux.listen(80, TcpPeer.config(), 4096, 4096, 8, 8);
        long bcast = MacAddress.BROADCAST.value();
        for (int port : new int[] {PEER, 80}) {
            // MUST-57: to the subnet's and the limited broadcast address, in a link broadcast or not
            TestFrames.send(p.raw, TestFrames.tcp(MAC_B, bcast, IP_B, SUBNET_BROADCAST, 1234, port, 1, 0, SYN, 0));
            TestFrames.send(p.raw, TestFrames.tcp(MAC_B, MAC_A, IP_B, -1, 1234, port, 1, 0, SYN, 0));
            TestFrames.send(p.raw, TestFrames.tcp(MAC_B, bcast, IP_B, IP_A, 1234, port, 1, 0, SYN, 0));
            // to a multicast group
            TestFrames.send(p.raw, TestFrames.tcp(MAC_B, 0x01005e000001L, IP_B, 0xe000_0001, 1234, port, 1, 0, SYN, 0));
            // MUST-63: from invalid sources
            for (int src : new int[] {0, 0x7f00_0001, -1, SUBNET_BROADCAST, 0xe000_0001, IP_A}) {
                TestFrames.send(p.raw, TestFrames.tcp(MAC_B, MAC_A, src, IP_A, 1234, port, 1, 0, SYN, 0));
            }
            p.iface.poll(p.clock.nanos());
        }
        assertEquals(List.of(), packets(), "no SYN-ACK, no RST, no ICMP");
        assertEquals(State.LISTEN, l.state());
        assertEquals(0, demux.connections());
        assertEquals(12, count(Counter.IPV4_BAD_SOURCE));
        // a real SYN still opens
        p.syn(1234, PEER, 1, 0, SYN, 1000);
        assertEquals(SYN | ACK, p.one().flags());
        assertEquals(State.SYN_RECEIVED, l.state());
    }

    // ---------------------------------------------------------------- MSS, window, ACKs, IP options, keep-alive

    @Test
    void aPeerWithoutTheMssOptionGets536TheWindowIsUnsignedAndMssGoesOnlyOnSyns() {
        s = p.socket(TcpPeer.config(), 4096, 70_000).noDelay(true).connect(LOCAL, IP_B, PEER);
        Seg syn = p.one();
        iss = syn.seq();
        assertEquals(1460, syn.tcp().maxSegmentSize(), "MUST-67: MTU 1500 − 40");
        p.in(new TcpRepr(PEER, LOCAL, PISS, iss + 1, SYN | ACK, 0xfff0, 0), NONE); // no MSS option
        p.one();
        assertEquals(536, s.peerMss(), "MUST-15");
        p.in(PEER, LOCAL, PISS + 1, iss + 1, ACK, 0xfff0, NONE);
        assertEquals(0xfff0, s.sendWindow(), "MUST-1: 65,520, not negative");
        s.send(MemorySegment.ofArray(bytes(1200, 1)));
        List<Seg> out = p.out();
        assertEquals(List.of(536, 536, 128), out.stream().map(g -> g.payload().length).toList(), "MUST-16");
        for (Seg g : out) {
            assertEquals(-1, g.tcp().maxSegmentSize(), "MUST-65: no MSS option on a non-SYN segment");
        }
    }

    @Test
    void theSegmentsOfOnePollAreAcknowledgedByOneAck() {
        established();
        byte[] f1 = TestFrames.tcp(MAC_B, MAC_A, IP_B, IP_A, PEER, LOCAL, PISS + 1, iss + 1, ACK, 100);
        byte[] f2 = TestFrames.tcp(MAC_B, MAC_A, IP_B, IP_A, PEER, LOCAL, PISS + 101, iss + 1, ACK, 100);
        TestFrames.send(p.raw, f1, f2);
        Seg ack = p.one(); // MUST-58, 59: both processed before the one ACK (delayed ACK off here)
        assertEquals(PISS + 201, ack.ack());
        assertEquals(200, s.receiveQueued());
    }

    @Test
    void ipOptionsAreIgnoredAndNoSourceRouteIsSentBack() {
        established();
        byte[] plain = TestFrames.tcp(MAC_B, MAC_A, IP_B, IP_A, PEER, LOCAL, PISS + 1, iss + 1, ACK, 100);
        int total = plain.length - 14;
        // a loose source route whose one hop was used (pointer past it: we are the final destination), then EOL
        byte[] lsrr = {(byte) 131, 7, 8, (byte) 192, 0, 2, 9, 0};
        byte[] f = new byte[plain.length + lsrr.length];
        System.arraycopy(plain, 0, f, 0, 14 + 20);
        System.arraycopy(lsrr, 0, f, 14 + 20, lsrr.length);
        System.arraycopy(plain, 14 + 20, f, 14 + 20 + lsrr.length, plain.length - 14 - 20);
        MemorySegment m = MemorySegment.ofArray(f);
        new Ipv4Packet().wrapUnchecked(m, 14, total + lsrr.length).setHeaderLength(20 + lsrr.length)
                .setTotalLength(total + lsrr.length).fillChecksum();
        TestFrames.send(p.raw, f);
        p.iface.poll(p.clock.nanos());
        assertEquals(100, s.receiveQueued(), "MUST-50: the segment is taken, its IP options ignored");
        List<Ipv4Packet> out = packets();
        assertEquals(1, out.size());
        assertEquals(20, out.get(0).headerLength(), "MUST-53 not done: no source route reversed into our answer");
    }

    @Test
    void keepAliveTurnedOnAtItsDefaultsWaitsTwoHours() {
        TcpConfig on = TcpPeer.config().withKeepAlive();
        assertEquals(7_200 * SECOND, on.keepAliveIdle(), "MUST-28");
        assertEquals(0, TcpPeer.config().keepAliveIdle(), "MUST-25: off by default");
        established(p.socket(on, 4096, 4096));
        p.advance(7_200 * SECOND - 1);
        assertEquals(List.of(), p.out());
        p.advance(1);
        assertEquals(iss, p.one().seq(), "the probe at 2 h: SEG.SEQ = SND.NXT − 1");
    }

    @Test
    void aWindowShrunkUnderDataInFlightHoldsNewDataAndLosesNothing() {
        established(p.socket(TcpPeer.config(), 4096, 70_000).noDelay(true));
        s.send(MemorySegment.ofArray(bytes(3000, 1)));
        assertEquals(3, p.out().size());
        // the right edge moves left, from SND.UNA + 20,000 to iss + 2001: 1000 bytes in flight beyond it
        p.in(PEER, LOCAL, PISS + 1, iss + 1001, ACK, 1000, NONE);
        s.send(MemorySegment.ofArray(bytes(500, 2)));
        assertEquals(List.of(), p.out(), "MUST-34: nothing new beyond the shrunk window");
        p.advance(s.rto());
        Seg again = p.one();
        assertEquals(iss + 1001, again.seq(), "the timeout resends from SND.UNA, within the window");
        assertEquals(1000, again.payload().length);
        p.in(PEER, LOCAL, PISS + 1, iss + 3001, ACK, 20_000, NONE);
        List<Seg> rest = p.out();
        assertEquals(1, rest.size(), rest::toString);
        assertEquals(iss + 3001, rest.get(0).seq());
        assertEquals(500, rest.get(0).payload().length);
        p.in(PEER, LOCAL, PISS + 1, iss + 3501, ACK, 20_000, NONE);
        assertEquals(0, s.sendQueued());
        assertEquals(State.ESTABLISHED, s.state());
    }

    // ---------------------------------------------------------------- opening, ACK delay limit

    @Test
    void aResetInSynReceivedOfAnActiveOpenEndsItRefused() {
        s = p.socket(TcpPeer.config(), 4096, 4096).connect(LOCAL, IP_B, PEER);
        p.one();
        p.syn(PEER, LOCAL, PISS, 0, SYN, 1000); // simultaneous open
        assertEquals(State.SYN_RECEIVED, s.state());
        p.one();
        p.in(PEER, LOCAL, PISS + 1, 0, RST, 0, NONE);
        assertEquals(State.CLOSED, s.state(), "MUST-11: an active open returns to CLOSED, not to LISTEN");
        assertEquals(TcpSocket.Error.RESET, s.error());
    }

    @Test
    void severalSocketsListenOnOnePortAndEachTakesOneConnection() {
        TcpSocket a = p.socket(TcpPeer.config(), 4096, 4096).listen(PEER);
        TcpSocket b = p.socket(TcpPeer.config(), 4096, 4096).listen(PEER);
        p.syn(1234, PEER, 1, 0, SYN, 1000);
        assertEquals(SYN | ACK, p.one().flags());
        p.syn(1235, PEER, 100, 0, SYN, 1000);
        Seg second = p.one();
        assertEquals(SYN | ACK, second.flags());
        assertEquals(1235, second.tcp().destinationPort());
        assertEquals(State.SYN_RECEIVED, a.state(), "MUST-42");
        assertEquals(1234, a.remotePort());
        assertEquals(State.SYN_RECEIVED, b.state());
        assertEquals(1235, b.remotePort());
    }

    @Test
    void theDelayedAckTimerCannotExceedHalfASecond() {
        assertEquals(500 * TcpPeer.MS, TcpPeer.config().withDelayedAck(500 * TcpPeer.MS).delayedAck());
        assertThrows(IllegalArgumentException.class, () -> TcpPeer.config().withDelayedAck(500 * TcpPeer.MS + 1),
                "MUST-40");
    }
}
