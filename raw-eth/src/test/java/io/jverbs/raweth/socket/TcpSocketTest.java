package io.jverbs.raweth.socket;

import io.jverbs.raweth.iface.Counter;
import io.jverbs.raweth.socket.TcpPeer.Seg;
import io.jverbs.raweth.socket.TcpSocket.State;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static io.jverbs.raweth.port.TestFrames.IP_B;
import static io.jverbs.raweth.socket.TcpPeer.MS;
import static io.jverbs.raweth.socket.TcpPeer.SECOND;
import static io.jverbs.raweth.wire.TcpPacket.ACK;
import static io.jverbs.raweth.wire.TcpPacket.FIN;
import static io.jverbs.raweth.wire.TcpPacket.PSH;
import static io.jverbs.raweth.wire.TcpPacket.RST;
import static io.jverbs.raweth.wire.TcpPacket.SYN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each state and transition of {@link TcpSocket} against a hand-made peer on virtual time: segments in, exact segments out. */
class TcpSocketTest {
    static final int LOCAL = 40_000;
    static final int PEER = 5555;
    static final int PISS = 0xfffffff0; // the peer's ISS: its sequence numbers wrap during the tests
    static final byte[] NONE = new byte[0];

    final TcpPeer p = new TcpPeer();
    TcpSocket s;
    int iss;

    @AfterEach
    void close() {
        p.close();
    }

    static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (seed + i * 13);
        return b;
    }

    /** Active open to ESTABLISHED; the peer announces MSS 1000 and window 20,000. */
    void established() {
        s = p.socket(TcpPeer.config(), 4096, 65_536).connect(LOCAL, IP_B, PEER);
        Seg syn = p.one();
        iss = syn.seq();
        p.syn(PEER, LOCAL, PISS, iss + 1, SYN | ACK, 1000);
        Seg ack = p.one();
        assertEquals(State.ESTABLISHED, s.state());
        assertEquals(ACK, ack.flags());
        assertEquals(iss + 1, ack.seq());
        assertEquals(PISS + 1, ack.ack());
        p.in(PEER, LOCAL, PISS + 1, iss + 1, ACK, 20_000, NONE); // window update: 20,000
    }

    @Test
    void activeOpenSendsSynWithMssAndCompletesOnSynAck() {
        s = p.socket(TcpPeer.config(), 4096, 4096).connect(LOCAL, IP_B, PEER);
        assertEquals(State.SYN_SENT, s.state());
        Seg syn = p.one();
        assertEquals(SYN, syn.flags());
        assertEquals(1460, syn.tcp().maxSegmentSize(), "MTU 1500 − 40");
        assertEquals(4096, syn.tcp().window());
        assertEquals(LOCAL, syn.tcp().sourcePort());
        assertEquals(PEER, syn.tcp().destinationPort());
        p.advance(50 * MS);
        p.syn(PEER, LOCAL, PISS, syn.seq() + 1, SYN | ACK, 1200);
        Seg ack = p.one();
        assertEquals(State.ESTABLISHED, s.state());
        assertEquals(ACK, ack.flags());
        assertEquals(syn.seq() + 1, ack.seq());
        assertEquals(PISS + 1, ack.ack());
        assertEquals(1200, s.peerMss());
        assertEquals(50 * MS, s.srtt(), "the SYN's RTT is the first sample");
        assertEquals(SECOND, s.rto(), "RFC 6298 2.4: at least rtoMin");
    }

    @Test
    void passiveOpenAnswersSynAndEstablishesOnAck() {
        s = p.socket(TcpPeer.config(), 4096, 4096).listen(80);
        assertEquals(List.of(), p.out());
        p.syn(PEER, 80, PISS, 0, SYN, -1);
        assertEquals(State.SYN_RECEIVED, s.state());
        Seg synAck = p.one();
        assertEquals(SYN | ACK, synAck.flags());
        assertEquals(PISS + 1, synAck.ack());
        assertEquals(1460, synAck.tcp().maxSegmentSize());
        assertEquals(TcpSocket.DEFAULT_MSS, s.peerMss(), "no MSS option: 536");
        // a retransmitted SYN is answered by the same SYN-ACK
        p.syn(PEER, 80, PISS, 0, SYN, -1);
        Seg again = p.one();
        assertEquals(SYN | ACK, again.flags());
        assertEquals(synAck.seq(), again.seq());
        p.in(PEER, 80, PISS + 1, synAck.seq() + 1, ACK, 10_000, bytes(5, 1));
        assertEquals(State.ESTABLISHED, s.state());
        assertEquals(PISS + 6, p.one().ack(), "data on the handshake's ACK is taken");
        byte[] got = new byte[10];
        assertEquals(5, s.receive(MemorySegment.ofArray(got)));
    }

    @Test
    void listenerAnswersAnAckWithResetAndIgnoresRst() {
        s = p.socket(TcpPeer.config(), 4096, 4096).listen(80);
        p.in(PEER, 80, 100, 777, ACK, 1000, NONE);
        Seg rst = p.one();
        assertEquals(RST, rst.flags());
        assertEquals(777, rst.seq());
        p.in(PEER, 80, 100, 0, RST, 0, NONE);
        assertEquals(List.of(), p.out());
        assertEquals(State.LISTEN, s.state());
    }

    @Test
    void resetInSynReceivedReturnsToListen() {
        s = p.socket(TcpPeer.config(), 4096, 4096).listen(80);
        p.syn(PEER, 80, PISS, 0, SYN, 1000);
        p.one();
        p.in(PEER, 80, PISS + 1, 0, RST, 0, NONE);
        assertEquals(State.LISTEN, s.state());
    }

    @Test
    void simultaneousOpen() {
        s = p.socket(TcpPeer.config(), 4096, 4096).connect(LOCAL, IP_B, PEER);
        int ours = p.one().seq();
        p.syn(PEER, LOCAL, PISS, 0, SYN, 1000);
        assertEquals(State.SYN_RECEIVED, s.state());
        Seg synAck = p.one();
        assertEquals(SYN | ACK, synAck.flags());
        assertEquals(ours, synAck.seq(), "the same ISS");
        assertEquals(PISS + 1, synAck.ack());
        // the peer's SYN-ACK (RFC 9293 figure 8)
        p.syn(PEER, LOCAL, PISS, ours + 1, SYN | ACK, 1000);
        assertEquals(State.ESTABLISHED, s.state());
    }

    @Test
    void synSentResetsAnUnacceptableAckAndIsRefusedByAnAcceptableRst() {
        s = p.socket(TcpPeer.config(), 4096, 4096).connect(LOCAL, IP_B, PEER);
        int ours = p.one().seq();
        p.in(PEER, LOCAL, 5, ours + 7, ACK, 100, NONE);
        Seg rst = p.one();
        assertEquals(RST, rst.flags());
        assertEquals(ours + 7, rst.seq());
        assertEquals(State.SYN_SENT, s.state());
        p.in(PEER, LOCAL, 0, ours + 5, RST | ACK, 0, NONE);
        assertEquals(State.SYN_SENT, s.state(), "a RST whose ACK is not acceptable is dropped");
        p.in(PEER, LOCAL, 0, ours + 1, RST | ACK, 0, NONE);
        assertEquals(State.CLOSED, s.state());
        assertEquals(TcpSocket.Error.RESET, s.error());
    }

    @Test
    void dataBothWaysAcrossTheSequenceWrap() {
        established();
        byte[] in = bytes(100, 3);
        p.in(PEER, LOCAL, PISS + 1, iss + 1, ACK | PSH, 20_000, in);
        Seg ack = p.one();
        assertEquals(PISS + 101, ack.ack(), "the peer's sequence numbers wrapped past 0");
        assertEquals(4096 - 100, ack.tcp().window());
        byte[] got = new byte[200];
        assertEquals(100, s.receive(MemorySegment.ofArray(got)));
        assertArrayEquals(in, java.util.Arrays.copyOf(got, 100));
        assertEquals(0, s.receive(MemorySegment.ofArray(got)));
        // a duplicate is ACKed again and not delivered twice; a segment overlapping the front is trimmed
        p.in(PEER, LOCAL, PISS + 1, iss + 1, ACK, 20_000, in);
        assertEquals(PISS + 101, p.one().ack());
        byte[] more = bytes(50, 9);
        byte[] overlap = new byte[60];
        System.arraycopy(in, 90, overlap, 0, 10);
        System.arraycopy(more, 0, overlap, 10, 50);
        p.in(PEER, LOCAL, PISS + 91, iss + 1, ACK, 20_000, overlap);
        assertEquals(PISS + 151, p.one().ack());
        assertEquals(50, s.receive(MemorySegment.ofArray(got)));
        assertArrayEquals(more, java.util.Arrays.copyOf(got, 50));
        // out of order: dropped, duplicate ACK
        p.in(PEER, LOCAL, PISS + 251, iss + 1, ACK, 20_000, bytes(10, 1));
        assertEquals(PISS + 151, p.one().ack());
        assertEquals(0, s.receiveQueued());

        byte[] data = bytes(2500, 5);
        assertEquals(2500, s.send(MemorySegment.ofArray(data)));
        List<Seg> out = new java.util.ArrayList<>(p.out());
        assertEquals(List.of(1000, 1000), out.stream().map(x -> x.payload().length).toList(), "peer MSS 1000; Nagle holds 500");
        p.in(PEER, LOCAL, PISS + 151, iss + 2001, ACK, 20_000, NONE);
        out.add(p.one());
        assertEquals(500, out.get(2).payload().length, "all acknowledged: the small segment leaves");
        assertEquals(iss + 1, out.get(0).seq());
        assertEquals(iss + 2001, out.get(2).seq());
        byte[] joined = new byte[2500];
        for (int i = 0; i < 3; i++) System.arraycopy(out.get(i).payload(), 0, joined, i * 1000, out.get(i).payload().length);
        assertArrayEquals(data, joined);
        p.in(PEER, LOCAL, PISS + 151, iss + 2501, ACK, 20_000, NONE);
        assertEquals(0, s.sendQueued());
        assertEquals(List.of(), p.out(), "nothing to ACK or send");
    }

    @Test
    void sendWindowIsTheSmallerOfThePeersWindowAndTenSegments() {
        established();
        s.send(MemorySegment.ofArray(new byte[30_000]));
        assertEquals(10, p.out().size(), "RFC 6928 IW: min(10 × MSS, max(2 × MSS, 14,600)) = 10 × MSS 1000 of a 20,000 window");
        p.in(PEER, LOCAL, PISS + 1, iss + 10_001, ACK, 2500, NONE);
        List<Seg> out = p.out();
        assertEquals(List.of(1000, 1000), out.stream().map(x -> x.payload().length).toList(),
                "RFC 9293 3.8.6.2.1: 500 bytes of window, less than an MSS and than half the largest window: held");
        assertEquals(TcpSocket.SWS_OVERRIDE, p.iface.pollDelay(p.clock.nanos()), "the override timer");
        p.advance(TcpSocket.SWS_OVERRIDE - 1);
        assertEquals(List.of(), p.out());
        p.advance(1);
        Seg small = p.one();
        assertEquals(500, small.payload().length, "the override timeout sends what fits");
        assertEquals(iss + 12_001, small.seq());
    }

    @Test
    void zeroWindowIsProbedWhenThePersistTimerRunsOut() {
        established();
        p.in(PEER, LOCAL, PISS + 1, iss + 1, ACK, 0, NONE);
        s.send(MemorySegment.ofArray(bytes(10, 1)));
        assertEquals(List.of(), p.out());
        p.advance(SECOND);
        Seg probe = p.one();
        assertEquals(1, probe.payload().length);
        assertEquals(iss + 1, probe.seq());
        p.in(PEER, LOCAL, PISS + 1, iss + 1, ACK, 5000, NONE); // window opens, probe byte not taken
        List<Seg> out = p.out();
        assertEquals(1, out.size());
        assertEquals(10, out.get(0).payload().length);
    }

    @Test
    void activeCloseThroughFinWait1Finwait2AndTimeWait() {
        established();
        s.close();
        assertEquals(State.FIN_WAIT_1, s.state());
        Seg fin = p.one();
        assertEquals(FIN | ACK, fin.flags());
        assertEquals(iss + 1, fin.seq());
        assertThrows(IllegalStateException.class, () -> s.send(MemorySegment.ofArray(new byte[1])));
        p.in(PEER, LOCAL, PISS + 1, iss + 2, ACK, 20_000, NONE);
        assertEquals(State.FIN_WAIT_2, s.state());
        byte[] late = bytes(7, 2);
        p.in(PEER, LOCAL, PISS + 1, iss + 2, ACK, 20_000, late); // still receiving in FIN-WAIT-2
        assertEquals(PISS + 8, p.one().ack());
        p.in(PEER, LOCAL, PISS + 8, iss + 2, FIN | ACK, 20_000, NONE);
        assertEquals(State.TIME_WAIT, s.state());
        Seg last = p.one();
        assertEquals(ACK, last.flags());
        assertEquals(PISS + 9, last.ack());
        assertEquals(0, s.receive(MemorySegment.NULL), "no room is not the end of the stream");
        assertEquals(7, s.receive(MemorySegment.ofArray(new byte[10])));
        assertEquals(-1, s.receive(MemorySegment.ofArray(new byte[10])));
        // a retransmitted FIN is ACKed again and restarts 2 × MSL
        p.advance(40 * SECOND);
        p.in(PEER, LOCAL, PISS + 8, iss + 2, FIN | ACK, 20_000, NONE);
        assertEquals(PISS + 9, p.one().ack());
        assertEquals(State.TIME_WAIT, s.state());
        assertEquals(60 * SECOND, p.iface.pollDelay(p.clock.nanos()), "2 × MSL from the retransmitted FIN");
        p.advance(60 * SECOND - 1);
        p.out();
        assertEquals(State.TIME_WAIT, s.state());
        p.advance(1);
        p.out();
        assertEquals(State.CLOSED, s.state());
        assertEquals(TcpSocket.Error.NONE, s.error());
        // closed now: a segment for it is answered by the interface's RST
        p.in(PEER, LOCAL, PISS + 9, iss + 2, ACK, 20_000, NONE);
        Seg rst = p.one();
        assertEquals(RST, rst.flags());
        assertEquals(iss + 2, rst.seq());
    }

    @Test
    void passiveCloseThroughCloseWaitAndLastAck() {
        established();
        s.send(MemorySegment.ofArray(bytes(300, 4)));
        p.one();
        p.in(PEER, LOCAL, PISS + 1, iss + 301, FIN | ACK, 20_000, NONE);
        assertEquals(State.CLOSE_WAIT, s.state());
        assertEquals(PISS + 2, p.one().ack());
        assertEquals(-1, s.receive(MemorySegment.ofArray(new byte[10])));
        assertTrue(s.peerClosed());
        s.send(MemorySegment.ofArray(bytes(20, 4))); // may still send
        s.close();
        assertEquals(State.LAST_ACK, s.state());
        List<Seg> out = p.out();
        assertEquals(1, out.size(), out::toString);
        assertEquals(FIN | ACK | PSH, out.get(0).flags(), "the data and the FIN together");
        assertEquals(20, out.get(0).payload().length);
        p.in(PEER, LOCAL, PISS + 2, iss + 322, ACK, 20_000, NONE);
        assertEquals(State.CLOSED, s.state());
        assertEquals(TcpSocket.Error.NONE, s.error());
    }

    @Test
    void simultaneousCloseThroughClosing() {
        established();
        s.close();
        Seg fin = p.one();
        p.in(PEER, LOCAL, PISS + 1, iss + 1, FIN | ACK, 20_000, NONE); // the peer's FIN crossed ours
        assertEquals(State.CLOSING, s.state());
        assertEquals(PISS + 2, p.one().ack());
        p.in(PEER, LOCAL, PISS + 2, fin.seq() + 1, ACK, 20_000, NONE);
        assertEquals(State.TIME_WAIT, s.state());
        p.advance(60 * SECOND);
        p.out();
        assertEquals(State.CLOSED, s.state());
    }

    @Test
    void finAckedTogetherWithThePeersFinGoesStraightToTimeWait() {
        established();
        s.close();
        Seg fin = p.one();
        p.in(PEER, LOCAL, PISS + 1, fin.seq() + 1, FIN | ACK, 20_000, NONE);
        assertEquals(State.TIME_WAIT, s.state());
    }

    @Test
    void resetIsTakenOnlyAtRcvNxtAndChallengedInTheWindow() {
        established();
        p.in(PEER, LOCAL, PISS + 100, 0, RST, 0, NONE); // in the window, not exact
        Seg challenge = p.one();
        assertEquals(ACK, challenge.flags());
        assertEquals(iss + 1, challenge.seq());
        assertEquals(PISS + 1, challenge.ack());
        assertEquals(1, s.challengeAcks());
        assertEquals(State.ESTABLISHED, s.state());
        p.in(PEER, LOCAL, PISS + 100_000, 0, RST, 0, NONE); // outside: silently dropped
        assertEquals(List.of(), p.out());
        assertEquals(State.ESTABLISHED, s.state());
        p.in(PEER, LOCAL, PISS + 1, 0, RST, 0, NONE);
        assertEquals(State.CLOSED, s.state());
        assertEquals(TcpSocket.Error.RESET, s.error());
        assertEquals(List.of(), p.out());
    }

    @Test
    void synInASynchronizedStateIsChallenged() {
        established();
        p.syn(PEER, LOCAL, PISS + 50, 0, SYN, 1000);
        Seg challenge = p.one();
        assertEquals(ACK, challenge.flags());
        assertEquals(PISS + 1, challenge.ack());
        assertEquals(State.ESTABLISHED, s.state());
        assertEquals(1, s.challengeAcks());
    }

    @Test
    void segmentsOutsideTheWindowAndAcksOfUnsentDataAreAckedAndDropped() {
        established();
        p.in(PEER, LOCAL, PISS + 10_000, iss + 1, ACK, 20_000, bytes(10, 1));
        assertEquals(PISS + 1, p.one().ack());
        p.in(PEER, LOCAL, PISS + 1, iss + 500, ACK, 20_000, bytes(10, 1));
        assertEquals(PISS + 1, p.one().ack(), "an ACK of unsent data: ACK and drop, data not taken");
        assertEquals(0, s.receiveQueued());
    }

    @Test
    void synIsRetransmittedWithExponentialBackoffAndKarnSkipsTheSample() {
        s = p.socket(TcpPeer.config(), 4096, 4096).connect(LOCAL, IP_B, PEER);
        int ours = p.one().seq();
        p.advance(SECOND - 1);
        assertEquals(List.of(), p.out());
        assertEquals(1, p.iface.pollDelay(p.clock.nanos()));
        p.advance(1);
        assertEquals(ours, p.one().seq(), "after 1 s");
        assertEquals(2 * SECOND, s.rto());
        p.advance(2 * SECOND - 1);
        assertEquals(List.of(), p.out());
        p.advance(1);
        assertEquals(SYN, p.one().flags());
        assertEquals(4 * SECOND, s.rto());
        p.advance(100 * MS);
        p.syn(PEER, LOCAL, PISS, ours + 1, SYN | ACK, 1000);
        p.one();
        assertEquals(State.ESTABLISHED, s.state());
        assertEquals(-1, s.srtt(), "Karn: no sample from a retransmitted SYN");
        assertEquals(2, s.segmentsRetransmitted());
    }

    @Test
    void rtoFollowsRfc6298AndDataIsRetransmittedFromSndUna() {
        TcpConfig fast = TcpPeer.config().withRtoMin(200 * MS);
        s = p.socket(fast, 4096, 65_536).connect(LOCAL, IP_B, PEER);
        iss = p.one().seq();
        p.advance(100 * MS);
        p.syn(PEER, LOCAL, PISS, iss + 1, SYN | ACK, 1000);
        p.one();
        assertEquals(100 * MS, s.srtt());
        assertEquals(300 * MS, s.rto(), "SRTT + 4 × RTTVAR = 100 + 4 × 50 ms");
        p.in(PEER, LOCAL, PISS + 1, iss + 1, ACK, 20_000, NONE);
        s.send(MemorySegment.ofArray(bytes(3000, 1)));
        assertEquals(3, p.out().size());
        p.advance(20 * MS);
        p.in(PEER, LOCAL, PISS + 1, iss + 1001, ACK, 20_000, NONE); // first segment ACKed after 20 ms
        // R = 20 ms: RTTVAR = 3/4·50 + 1/4·80 = 57.5 ms, SRTT = 7/8·100 + 1/8·20 = 90 ms
        assertEquals(90 * MS, s.srtt());
        assertEquals(90 * MS + 4 * 57_500_000L, s.rto());
        long rto = s.rto();
        p.advance(rto - 1);
        assertEquals(List.of(), p.out(), "the timer restarted at the ACK");
        p.advance(1);
        List<Seg> again = p.out();
        assertEquals(1, again.size(), "go-back-N from SND.UNA, cwnd 1 SMSS (RFC 5681 3.1): " + again);
        assertEquals(iss + 1001, again.get(0).seq());
        assertEquals(2 * rto, s.rto());
        p.advance(2 * rto);
        assertEquals(iss + 1001, p.one().seq());
        assertEquals(4 * rto, s.rto());
        p.in(PEER, LOCAL, PISS + 1, iss + 2001, ACK, 20_000, NONE);
        assertEquals(iss + 2001, p.one().seq(), "slow start: cwnd 2 SMSS, one segment left to send");
        p.in(PEER, LOCAL, PISS + 1, iss + 3001, ACK, 20_000, NONE);
        assertEquals(4 * rto, s.rto(), "Karn: an ACK of retransmitted data is no sample");
        assertEquals(Long.MAX_VALUE, p.iface.pollDelay(p.clock.nanos()), "nothing outstanding: no timer");
    }

    @Test
    void connectionTimesOutAfterMaxRetransmissionsAndResets() {
        established();
        s.send(MemorySegment.ofArray(bytes(10, 1)));
        p.one();
        long waited = 0;
        for (int i = 1; i <= 6; i++) {
            p.advance(s.rto());
            assertEquals(1, p.out().size(), "retransmission " + i);
        }
        p.advance(s.rto());
        Seg rst = p.one();
        assertEquals(RST, rst.flags());
        assertEquals(State.CLOSED, s.state());
        assertEquals(TcpSocket.Error.TIMED_OUT, s.error());
        assertTrue(waited == 0);
    }

    @Test
    void segmentsToNoSocketAreReset() {
        p.syn(PEER, 81, 1000, 0, SYN, 1000);
        Seg rst = p.one();
        assertEquals(RST | ACK, rst.flags());
        assertEquals(0, rst.seq());
        assertEquals(1001, rst.ack());
        p.in(PEER, 81, 2000, 3000, ACK | FIN, 100, bytes(5, 1));
        rst = p.one();
        assertEquals(RST, rst.flags());
        assertEquals(3000, rst.seq());
        p.in(PEER, 81, 2000, 3000, RST, 100, NONE);
        assertEquals(List.of(), p.out(), "never a RST for a RST");
        assertEquals(2, p.iface.stats().count(Counter.TCP_RESETS_SENT));
    }

    @Test
    void isnDiffersByTupleAndAdvancesWithTheClock() {
        TcpConfig c = TcpPeer.config();
        int a = c.isn(1, 2, 3, 4, 0);
        assertTrue(a != c.isn(1, 2, 3, 5, 0));
        assertEquals(a + 1, c.isn(1, 2, 3, 4, 4096), "4 µs ticks (4096 ns)");
        assertTrue(a != new TcpConfig(SECOND, SECOND, SECOND, 1, 1, 99, 98).isn(1, 2, 3, 4, 0), "keyed");
        // SipHash-2-4 reference vector (the paper's key 00..0f, message 00..0f): 0x3f2acc7f57c29bdb
        long k0 = 0x0706050403020100L;
        long k1 = 0x0f0e0d0c0b0a0908L;
        assertEquals(0x3f2acc7f57c29bdbL, TcpConfig.sipHash(k0, k1, k0, k1));
    }

    @Test
    void sequenceComparisonWrapsAround() {
        assertTrue(TcpSocket.lt(0xffffff00, 0x10));
        assertTrue(TcpSocket.le(5, 5));
        assertTrue(!TcpSocket.lt(0x10, 0xffffff00));
    }

    @Test
    void anAckOlderThanTheLargestWindowIsChallengedAndItsDataDropped() {
        established(); // the largest window the peer gave: 29,200 (its SYN-ACK)
        p.in(PEER, LOCAL, PISS + 1, iss + 1 - 29_201, ACK, 20_000, bytes(10, 1));
        Seg challenge = p.one();
        assertEquals(PISS + 1, challenge.ack());
        assertEquals(1, s.challengeAcks());
        assertEquals(0, s.receiveQueued());
        p.in(PEER, LOCAL, PISS + 1, iss + 1 - 29_200, ACK, 20_000, bytes(10, 1)); // just inside: taken
        assertEquals(PISS + 11, p.one().ack());
        assertEquals(10, s.receiveQueued());
    }

    @Test
    void abortSendsResetAtSndNxtAndCloses() {
        established();
        s.send(MemorySegment.ofArray(bytes(100, 1)));
        p.one();
        s.abort();
        assertEquals(State.CLOSED, s.state());
        Seg rst = p.one();
        assertEquals(RST, rst.flags());
        assertEquals(iss + 101, rst.seq());
        assertThrows(IllegalStateException.class, () -> s.send(MemorySegment.ofArray(new byte[1])));
        s.listen(LOCAL); // a closed socket can be used again
        assertEquals(State.LISTEN, s.state());
    }

    @Test
    void closeInListenOrSynSentJustCloses() {
        s = p.socket(TcpPeer.config(), 4096, 4096).listen(80);
        s.close();
        assertEquals(State.CLOSED, s.state());
        s.connect(LOCAL, IP_B, PEER);
        p.one();
        s.close();
        assertEquals(State.CLOSED, s.state());
        p.advance(SECOND);
        assertEquals(List.of(), p.out(), "no SYN retransmitted after close");
    }

    @Test
    void closeInSynReceivedSendsFinOnceEstablished() {
        s = p.socket(TcpPeer.config(), 4096, 4096).listen(80);
        p.syn(PEER, 80, PISS, 0, SYN, 1000);
        int ours = p.one().seq();
        s.close();
        assertEquals(State.SYN_RECEIVED, s.state());
        assertEquals(List.of(), p.out(), "no FIN before our SYN is acknowledged");
        p.in(PEER, 80, PISS + 1, ours + 1, ACK, 10_000, NONE);
        assertEquals(State.FIN_WAIT_1, s.state());
        Seg fin = p.one();
        assertEquals(FIN | ACK, fin.flags());
        assertEquals(ours + 1, fin.seq());
    }

    @Test
    void resetClosesQuietlyWhileClosingAndWithErrorWhileOpen() {
        established();
        s.close();
        Seg fin = p.one();
        p.in(PEER, LOCAL, PISS + 1, fin.seq(), FIN | ACK, 20_000, NONE);
        assertEquals(State.CLOSING, s.state());
        p.out();
        p.in(PEER, LOCAL, PISS + 2, 0, RST, 0, NONE);
        assertEquals(State.CLOSED, s.state());
        assertEquals(TcpSocket.Error.NONE, s.error(), "RFC 9293: CLOSING, LAST-ACK, TIME-WAIT just close");
        s.connect(LOCAL + 1, IP_B, PEER);
        iss = p.one().seq();
        p.syn(PEER, LOCAL + 1, PISS, iss + 1, SYN | ACK, 1000);
        p.one();
        p.in(PEER, LOCAL + 1, PISS + 1, iss + 1, FIN | ACK, 20_000, NONE);
        assertEquals(State.CLOSE_WAIT, s.state());
        p.out();
        p.in(PEER, LOCAL + 1, PISS + 2, 0, RST, 0, NONE);
        assertEquals(State.CLOSED, s.state());
        assertEquals(TcpSocket.Error.RESET, s.error());
    }

    @Test
    void dataIsStillReceivedInFinWait1() {
        established();
        s.close();
        Seg fin = p.one();
        p.in(PEER, LOCAL, PISS + 1, fin.seq(), ACK, 20_000, bytes(40, 6)); // does not ACK our FIN yet
        assertEquals(State.FIN_WAIT_1, s.state());
        assertEquals(PISS + 41, p.one().ack());
        assertEquals(40, s.receiveQueued());
    }

    @Test
    void afterASynTimeoutDataStartsWithAnRtoOfThreeSeconds() {
        s = p.socket(TcpPeer.config(), 4096, 4096).listen(80);
        p.syn(PEER, 80, PISS, 0, SYN, 1000);
        int ours = p.one().seq();
        p.advance(SECOND);
        assertEquals(SYN | ACK, p.one().flags(), "the SYN-ACK again after 1 s");
        assertEquals(2 * SECOND, s.rto());
        p.in(PEER, 80, PISS + 1, ours + 1, ACK, 10_000, NONE);
        assertEquals(State.ESTABLISHED, s.state());
        assertEquals(3 * SECOND, s.rto(), "RFC 6298 5.7");
    }
}
