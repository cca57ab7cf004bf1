package io.jverbs.raweth.socket;

import io.jverbs.raweth.socket.TcpPeer.Seg;
import io.jverbs.raweth.socket.TcpSocket.State;
import io.jverbs.raweth.wire.TcpRepr;
import io.jverbs.raweth.wire.TcpRepr.SackBlock;
import io.jverbs.raweth.wire.TcpRepr.Timestamps;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

import static io.jverbs.raweth.port.TestFrames.IP_B;
import static io.jverbs.raweth.socket.TcpPeer.MS;
import static io.jverbs.raweth.socket.TcpPeer.SECOND;
import static io.jverbs.raweth.socket.TcpSocketTest.LOCAL;
import static io.jverbs.raweth.socket.TcpSocketTest.NONE;
import static io.jverbs.raweth.socket.TcpSocketTest.PEER;
import static io.jverbs.raweth.socket.TcpSocketTest.PISS;
import static io.jverbs.raweth.socket.TcpSocketTest.bytes;
import static io.jverbs.raweth.wire.TcpPacket.ACK;
import static io.jverbs.raweth.wire.TcpPacket.FIN;
import static io.jverbs.raweth.wire.TcpPacket.RST;
import static io.jverbs.raweth.wire.TcpPacket.SYN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The receive path and the options of {@link TcpSocket}: RFC 7323 window scaling, timestamps and
 * PAWS, RFC 2018 SACK, reassembly, delayed ACK, receiver SWS avoidance, keep-alive, the FIN-WAIT-2
 * timeout and the RFC 5961 7 challenge-ACK limit; segments in, exact segments out, virtual time.
 */
class TcpReceiveTest {
    static final int PEER_TS = 5000; // the peer's TSval clock
    final TcpPeer p = new TcpPeer();
    TcpSocket s;
    int iss;
    int ourTs; // our TSval in the last segment seen

    @AfterEach
    void close() {
        p.close();
    }

    /** A segment from the peer with timestamps (TSval {@code tsVal}, echoing our last TSval) and SACK blocks. */
    void in(int seq, int ack, int flags, int window, byte[] payload, int tsVal, SackBlock... sacks) {
        p.in(new TcpRepr(PEER, LOCAL, seq, ack, flags, window, 0, -1, -1, false, new Timestamps(tsVal, ourTs),
                List.of(sacks), payload.length), payload);
    }

    /** Segments out; remembers our TSval. */
    List<Seg> out() {
        List<Seg> got = p.out();
        for (Seg g : got) {
            if (g.tcp().timestamps() != null) ourTs = g.tcp().timestamps().value();
        }
        return got;
    }

    Seg one() {
        List<Seg> got = out();
        assertEquals(1, got.size(), () -> "segments out: " + got);
        return got.get(0);
    }

    /** Active open with every option; the peer's SYN-ACK offers window scale 7, SACK and timestamps. */
    void established(TcpConfig config, int rxBuffer) {
        s = p.socket(config, rxBuffer, 65_536).connect(LOCAL, IP_B, PEER);
        Seg syn = one();
        iss = syn.seq();
        p.in(new TcpRepr(PEER, LOCAL, PISS, iss + 1, SYN | ACK, 29_200, 0, 1000, 7, true,
                new Timestamps(PEER_TS, ourTs), List.of(), 0), NONE);
        Seg ack = one();
        assertEquals(ACK, ack.flags());
        assertEquals(State.ESTABLISHED, s.state());
    }

    void established() {
        established(TcpPeer.optionsConfig(), 4096);
    }

    @Test
    void synOffersEveryOptionAndScaledWindowsFollowWhenBothDo() {
        s = p.socket(TcpPeer.optionsConfig(), 262_144, 65_536).connect(LOCAL, IP_B, PEER);
        Seg syn = one();
        iss = syn.seq();
        assertEquals(3, syn.tcp().windowScale(), "the smallest shift that covers 256 KiB");
        assertEquals(65_535, syn.tcp().window(), "RFC 7323 2.2: a SYN's window is not scaled");
        assertTrue(syn.tcp().sackPermitted());
        assertEquals((int) (p.clock.nanos() / MS) + iss, syn.tcp().timestamps().value(), "ms clock + offset");
        assertEquals(0, syn.tcp().timestamps().echoReply());
        p.advance(20 * MS);
        p.in(new TcpRepr(PEER, LOCAL, PISS, iss + 1, SYN | ACK, 29_200, 0, 1000, 7, true,
                new Timestamps(PEER_TS, ourTs), List.of(), 0), NONE);
        assertEquals(20 * MS, s.srtt(), "RTTM from the SYN-ACK's TSecr");
        assertEquals(29_200, s.sendWindow(), "the SYN-ACK's window is not scaled");
        Seg ack = one();
        assertEquals(262_144 >> 3, ack.tcp().window());
        assertEquals(new Timestamps(ourTs, PEER_TS), ack.tcp().timestamps());
        assertEquals(32, ack.tcp().headerLength(), "NOP NOP TS");
        assertTrue(s.windowScaling() && s.timestamps() && s.sackPermitted());
        assertEquals(7 | 3 << 8, s.windowShifts());
        in(PISS + 1, iss + 1, ACK, 100, NONE, PEER_TS + 1);
        assertEquals(100 << 7, s.sendWindow(), "later windows are scaled by the peer's shift");
    }

    @Test
    void optionsThePeerDoesNotOfferAreNotUsed() {
        s = p.socket(TcpPeer.optionsConfig(), 262_144, 65_536).connect(LOCAL, IP_B, PEER);
        iss = one().seq();
        p.in(new TcpRepr(PEER, LOCAL, PISS, iss + 1, SYN | ACK, 29_200, 0, 1000, -1, false, null, List.of(), 0), NONE);
        Seg ack = one();
        assertEquals(20, ack.tcp().headerLength());
        assertEquals(65_535, ack.tcp().window(), "no scaling: the field's maximum");
        assertFalse(s.windowScaling() || s.timestamps() || s.sackPermitted());
        p.in(PEER, LOCAL, PISS + 1, iss + 1, ACK, 100, NONE);
        assertEquals(100, s.sendWindow());
    }

    @Test
    void aSynAckOffersOnlyWhatTheSynOffered() {
        s = p.socket(TcpPeer.optionsConfig(), 262_144, 4096).listen(80);
        p.in(new TcpRepr(PEER, 80, PISS, 0, SYN, 29_200, 0, 1000, -1, false, new Timestamps(77, 0), List.of(), 0),
                NONE);
        Seg synAck = one();
        assertEquals(SYN | ACK, synAck.flags());
        assertEquals(-1, synAck.tcp().windowScale());
        assertFalse(synAck.tcp().sackPermitted());
        assertEquals(77, synAck.tcp().timestamps().echoReply(), "TSecr = the SYN's TSval");
        assertEquals(65_535, synAck.tcp().window());
    }

    @Test
    void pawsDropsAnOldTimestampWithAnAckAndTrustsTsRecentOnlyFor24Days() {
        established();
        in(PISS + 1, iss + 1, ACK, 100, bytes(10, 1), PEER_TS + 10);
        assertEquals(PISS + 11, one().ack());
        in(PISS + 11, iss + 1, ACK, 100, bytes(10, 2), PEER_TS + 9); // older TSval: a wrapped-around duplicate
        Seg ack = one();
        assertEquals(PISS + 11, ack.ack(), "dropped, and ACKed");
        assertEquals(PEER_TS + 10, ack.tcp().timestamps().echoReply(), "TS.Recent unchanged");
        assertEquals(1, s.pawsRejected());
        assertEquals(10, s.receiveQueued());
        p.in(PEER, LOCAL, PISS + 11, iss + 1, ACK, 100, bytes(10, 3)); // no timestamps at all
        assertEquals(List.of(), out(), "RFC 7323 3.2: silently dropped");
        assertEquals(1, s.noTimestampDropped());
        p.advance(TcpOptions.PAWS_IDLE + SECOND);
        in(PISS + 11, iss + 1, ACK, 100, bytes(10, 2), PEER_TS + 9);
        assertEquals(PISS + 21, one().ack(), "after 24 days idle TS.Recent is not trusted");
        assertEquals(1, s.pawsRejected());
        in(PISS + 21, 0, RST, 0, NONE, 1); // a RST is not subject to PAWS
        assertEquals(State.CLOSED, s.state());
    }

    @Test
    void tsRecentIsTakenOnlyFromSegmentsAtOrBelowLastAckSent() {
        established();
        in(PISS + 101, iss + 1, ACK, 100, bytes(10, 1), PEER_TS + 50); // beyond a hole: SEG.SEQ > Last.ACK.sent
        assertEquals(PEER_TS, one().tcp().timestamps().echoReply(), "RFC 7323 4.3: the older TS.Recent is echoed");
        in(PISS + 1, iss + 1, ACK, 100, bytes(10, 1), PEER_TS + 40);
        assertEquals(PEER_TS + 40, one().tcp().timestamps().echoReply());
    }

    @Test
    void aSubMillisecondRttIsTimedExactlyNotInTsvalMilliseconds() {
        established(TcpPeer.optionsConfig().withRtoMin(200 * MS), 4096);
        assertEquals(0, s.srtt(), "the SYN-ACK came at once");
        in(PISS + 1, iss + 1, ACK, 100, NONE, PEER_TS);
        s.send(MemorySegment.ofArray(bytes(100, 1)));
        one();
        p.advance(MS - 100_000L); // 0.9 ms: our TSval clock (1 ms ticks) has not moved, or moved once
        in(PISS + 1, iss + 101, ACK, 100, NONE, PEER_TS + 1);
        // the timed segment's exact 0.9 ms, not TSecr's 0 or 1 ms: SRTT = 7/8 x 0 + 1/8 x 0.9 ms
        assertEquals(112_500L, s.srtt());
    }

    @Test
    void afterARetransmissionTheTsecrGivesTheSampleThatKarnsRuleWithholds() {
        established(TcpPeer.optionsConfig().withRtoMin(200 * MS), 4096);
        assertEquals(0, s.srtt(), "the SYN-ACK came at once");
        in(PISS + 1, iss + 1, ACK, 100, NONE, PEER_TS);
        s.send(MemorySegment.ofArray(bytes(100, 1)));
        one();
        p.advance(s.rto());
        assertEquals(iss + 1, one().seq(), "retransmitted");
        p.advance(30 * MS);
        in(PISS + 1, iss + 101, ACK, 100, NONE, PEER_TS + 1); // echoes the retransmission's TSval
        // RFC 7323 4: a 30 ms sample although the data was sent twice (Karn would take none):
        // SRTT = 7/8 x 0 + 1/8 x 30 ms
        assertEquals(3_750_000L, s.srtt());
    }

    @Test
    void outOfOrderDataIsHeldAndSackedThenDeliveredWhenTheHoleFills() {
        established();
        byte[] data = bytes(400, 7);
        in(PISS + 101, iss + 1, ACK, 100, Arrays.copyOfRange(data, 100, 200), PEER_TS + 1);
        Seg dup = one();
        assertEquals(PISS + 1, dup.ack(), "a duplicate ACK at once");
        assertEquals(List.of(new SackBlock(PISS + 101, PISS + 201)), dup.tcp().sackBlocks());
        in(PISS + 301, iss + 1, ACK, 100, Arrays.copyOfRange(data, 300, 400), PEER_TS + 2);
        assertEquals(List.of(new SackBlock(PISS + 301, PISS + 401), new SackBlock(PISS + 101, PISS + 201)),
                one().tcp().sackBlocks(), "RFC 2018 4: the block of the latest segment first");
        in(PISS + 1, iss + 1, ACK, 100, Arrays.copyOfRange(data, 0, 100), PEER_TS + 3);
        Seg filled = one();
        assertEquals(PISS + 201, filled.ack(), "the hole filled: the held data joins");
        assertEquals(List.of(new SackBlock(PISS + 301, PISS + 401)), filled.tcp().sackBlocks());
        in(PISS + 201, iss + 1, ACK, 100, Arrays.copyOfRange(data, 200, 300), PEER_TS + 4);
        Seg all = one();
        assertEquals(PISS + 401, all.ack());
        assertEquals(List.of(), all.tcp().sackBlocks());
        byte[] got = new byte[500];
        assertEquals(400, s.receive(MemorySegment.ofArray(got)));
        assertArrayEquals(data, Arrays.copyOf(got, 400));
        assertEquals(2, s.outOfOrderSegments());
    }

    @Test
    void aFinBeyondAHoleIsTakenWhenTheHoleFills() {
        established();
        in(PISS + 11, iss + 1, FIN | ACK, 100, bytes(10, 2), PEER_TS + 1);
        assertEquals(PISS + 1, one().ack());
        assertEquals(State.ESTABLISHED, s.state());
        in(PISS + 1, iss + 1, ACK, 100, bytes(10, 1), PEER_TS + 2);
        assertEquals(PISS + 22, one().ack(), "20 bytes and the FIN");
        assertEquals(State.CLOSE_WAIT, s.state());
        assertEquals(20, s.receive(MemorySegment.ofArray(new byte[30])));
        assertEquals(-1, s.receive(MemorySegment.ofArray(new byte[30])));
    }

    @Test
    void reassemblyIsBoundedInIntervalsAndByTheBuffer() {
        established(TcpPeer.optionsConfig(), 65_536);
        int n = TcpSocket.REASSEMBLY_INTERVALS + 1;
        for (int i = 0; i < n; i++) {
            in(PISS + 1 + 2 * (n - i), iss + 1, ACK, 100, bytes(1, i), PEER_TS + 1); // falling: each evicts the highest
        }
        out();
        assertEquals(n, s.outOfOrderSegments());
        in(PISS + 1 + 70_000, iss + 1, ACK, 100, bytes(10, 1), PEER_TS + 1); // beyond the buffer: not acceptable
        assertEquals(PISS + 1, one().ack());
        // fill from RCV.NXT: bytes 1..2n arrive in order; the lowest 32 held ones join
        byte[] inOrder = new byte[2 * n];
        in(PISS + 1, iss + 1, ACK, 100, inOrder, PEER_TS + 2);
        assertEquals(PISS + 1 + 2 * n, one().ack());
        assertEquals(2 * n, s.receiveQueued());
    }

    @Test
    void delayedAckWaitsForASecondSegmentOrItsTimer() {
        established(TcpPeer.optionsConfig().withDelayedAck(40 * MS), 65_536);
        in(PISS + 1, iss + 1, ACK, 100, bytes(100, 1), PEER_TS + 1);
        assertEquals(List.of(), out(), "one segment: the ACK waits");
        assertEquals(40 * MS, p.iface.pollDelay(p.clock.nanos()));
        p.advance(40 * MS);
        assertEquals(PISS + 101, one().ack(), "the timer ran out");
        in(PISS + 101, iss + 1, ACK, 100, bytes(100, 2), PEER_TS + 2);
        assertEquals(List.of(), out());
        p.advance(10 * MS);
        in(PISS + 201, iss + 1, ACK, 100, bytes(100, 3), PEER_TS + 3);
        assertEquals(PISS + 301, one().ack(), "RFC 5681 4.2: at least every second segment");
        assertEquals(Long.MAX_VALUE, p.iface.pollDelay(p.clock.nanos()), "no timer left");
        in(PISS + 401, iss + 1, ACK, 100, bytes(100, 4), PEER_TS + 4);
        assertEquals(PISS + 301, one().ack(), "out of order: at once");
        in(PISS + 301, iss + 1, ACK, 100, bytes(100, 5), PEER_TS + 5);
        assertEquals(PISS + 501, one().ack(), "a filled hole: at once");
        in(PISS + 501, iss + 1, FIN | ACK, 100, NONE, PEER_TS + 6);
        assertEquals(PISS + 502, one().ack(), "a FIN: at once");
        s.send(MemorySegment.ofArray(bytes(10, 1)));
        in(PISS + 502, iss + 1, ACK, 100, NONE, PEER_TS + 7);
        Seg data = one();
        assertEquals(10, data.payload().length, "the ACK rides on data");
    }

    @Test
    void theRightEdgeMovesOnlyByAnMssOrHalfTheBuffer() {
        established(); // 4096 B receive buffer, peer MSS 1000
        in(PISS + 1, iss + 1, ACK, 100, bytes(1000, 1), PEER_TS + 1);
        in(PISS + 1001, iss + 1, ACK, 100, bytes(1000, 2), PEER_TS + 1);
        in(PISS + 2001, iss + 1, ACK, 100, bytes(1000, 3), PEER_TS + 1);
        List<Seg> acks = out();
        assertEquals(1096, acks.get(acks.size() - 1).tcp().window());
        s.receive(MemorySegment.ofArray(new byte[500]));
        assertEquals(List.of(), out(), "500 B freed: less than an MSS, no window update");
        in(PISS + 3001, iss + 1, ACK, 100, bytes(10, 4), PEER_TS + 2);
        assertEquals(1086, one().tcp().window(), "the right edge stays where it was");
        s.receive(MemorySegment.ofArray(new byte[600]));
        Seg update = one();
        assertEquals(PISS + 3011, update.ack());
        assertEquals(4096 - 3010 + 1100, update.tcp().window(), "1100 B freed: the window update");
    }

    @Test
    void keepAliveProbesAnIdleConnectionAndDropsItAfterCountUnansweredProbes() {
        established(TcpPeer.optionsConfig().withKeepAlive(10 * SECOND, SECOND, 3), 4096);
        assertEquals(10 * SECOND, p.iface.pollDelay(p.clock.nanos()));
        p.advance(10 * SECOND);
        Seg probe = one();
        assertEquals(ACK, probe.flags());
        assertEquals(iss, probe.seq(), "SEG.SEQ = SND.NXT - 1");
        assertEquals(0, probe.payload().length);
        in(PISS + 1, iss + 1, ACK, 100, NONE, PEER_TS + 1); // answered
        p.advance(10 * SECOND - 1);
        assertEquals(List.of(), out(), "the idle time starts again from the answer");
        p.advance(1);
        one();
        for (int i = 2; i <= 3; i++) {
            p.advance(SECOND);
            assertEquals(iss, one().seq(), "probe " + i);
        }
        assertEquals(4, s.keepAliveProbes());
        p.advance(SECOND);
        assertEquals(RST, one().flags());
        assertEquals(State.CLOSED, s.state());
        assertEquals(TcpSocket.Error.TIMED_OUT, s.error());
    }

    @Test
    void keepAliveIsOffByDefault() {
        established(TcpPeer.optionsConfig(), 4096);
        assertEquals(Long.MAX_VALUE, p.iface.pollDelay(p.clock.nanos()));
        p.advance(3 * 3600 * SECOND);
        assertEquals(List.of(), out());
        assertEquals(State.ESTABLISHED, s.state());
    }

    @Test
    void aHalfClosedSocketWaitsInFinWait2AsLongAsThePeerWants() {
        established(TcpPeer.optionsConfig().withFinWait2Timeout(60 * SECOND), 4096);
        s.close(); // half close: we may still read, so no timer bounds FIN-WAIT-2 (RFC 9293 3.6.1)
        Seg fin = one();
        in(PISS + 1, fin.seq() + 1, ACK, 100, NONE, PEER_TS + 1);
        assertEquals(State.FIN_WAIT_2, s.state());
        p.advance(600 * SECOND);
        assertEquals(List.of(), out());
        assertEquals(State.FIN_WAIT_2, s.state());
        in(PISS + 1, fin.seq() + 1, ACK, 100, bytes(5, 1), PEER_TS + 2);
        one();
        assertEquals(5, s.receiveQueued(), "still readable");
    }

    @Test
    void finWait2OfAReleasedSocketTimesOutWhenThePeersFinNeverComes() {
        established(TcpPeer.optionsConfig().withFinWait2Timeout(60 * SECOND), 4096);
        s.release(); // an orphan, as after close(fd) on Linux: tcp_fin_timeout applies
        Seg fin = one();
        in(PISS + 1, fin.seq() + 1, ACK, 100, NONE, PEER_TS + 1);
        assertEquals(State.FIN_WAIT_2, s.state());
        p.advance(30 * SECOND);
        in(PISS + 1, fin.seq() + 1, ACK, 100, bytes(5, 1), PEER_TS + 2); // data still arrives: the timer restarts
        one();
        p.advance(60 * SECOND - 1);
        assertEquals(List.of(), out());
        p.advance(1);
        Seg rst = one();
        assertEquals(RST, rst.flags());
        assertEquals(State.CLOSED, s.state());
        assertEquals(TcpSocket.Error.TIMED_OUT, s.error());
    }

    @Test
    void challengeAcksAreRateLimitedPerSecond() {
        established(TcpPeer.optionsConfig().withChallengeAckLimit(2), 4096);
        for (int i = 0; i < 3; i++) {
            in(PISS + 100, 0, RST, 0, NONE, PEER_TS + 1); // in the window, not exact
        }
        assertEquals(2, out().size(), "two challenge ACKs, the third over the limit");
        assertEquals(2, s.challengeAcks());
        assertEquals(1, s.challengeAcksLimited());
        p.advance(SECOND);
        in(PISS + 100, 0, RST, 0, NONE, PEER_TS + 1);
        assertEquals(PISS + 1, one().ack());
        assertEquals(3, s.challengeAcks());
    }

    @Test
    void thePeersSackBlocksFeedTheScoreboard() {
        established();
        in(PISS + 1, iss + 1, ACK, 100, NONE, PEER_TS + 1); // window 100 << 7
        s.send(MemorySegment.ofArray(bytes(4 * 988, 1)));
        List<Seg> sent = out();
        assertEquals(List.of(988, 988, 988, 988), sent.stream().map(x -> x.payload().length).toList(),
                "MSS 1000 less 12 bytes of timestamps");
        in(PISS + 1, iss + 1, ACK, 100, NONE, PEER_TS + 2, new SackBlock(iss + 1 + 988, iss + 1 + 2 * 988),
                new SackBlock(iss + 1 + 3 * 988, iss + 1 + 4 * 988));
        Scoreboard sb = s.scoreboard();
        assertEquals(2, sb.blocks());
        assertEquals(iss + 1, sb.highAck());
        assertEquals(iss + 1 + 3 * 988, sb.left(1));
        in(PISS + 1, iss + 1 + 2 * 988, ACK, 100, NONE, PEER_TS + 3);
        assertEquals(1, sb.blocks(), "the cumulative ACK passed the first block");
        p.advance(s.rto());
        assertEquals(iss + 1 + 2 * 988, out().get(0).seq(), "the RTO sends again from SND.UNA");
        assertEquals(0, sb.blocks(), "RFC 6675 5.1: SACK information is dropped after a timeout");
    }
}
