package io.jverbs.raweth.socket;

import io.jverbs.raweth.socket.TcpPeer.Seg;
import io.jverbs.raweth.socket.TcpSocket.State;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;

import static io.jverbs.raweth.port.TestFrames.IP_B;
import static io.jverbs.raweth.socket.TcpPeer.SECOND;
import static io.jverbs.raweth.socket.TcpSocketTest.LOCAL;
import static io.jverbs.raweth.socket.TcpSocketTest.NONE;
import static io.jverbs.raweth.socket.TcpSocketTest.PEER;
import static io.jverbs.raweth.wire.TcpPacket.ACK;
import static io.jverbs.raweth.wire.TcpPacket.RST;
import static io.jverbs.raweth.wire.TcpPacket.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sender's policy against a scripted peer on virtual time, segments out exactly: the congestion
 * window (slow start), fast retransmit and NewReno recovery, the collapse on a timeout, Nagle, and
 * the persist timer.
 */
class TcpSendPolicyTest {
    static final int PISS = 7000;
    static final int WINDOW = 60_000;

    final TcpPeer p = new TcpPeer();
    TcpSocket s;
    int iss;

    @AfterEach
    void close() {
        p.close();
    }

    /** Active open with Reno; the peer announces MSS 1000 and then a window of {@code window}. */
    void open(int window) {
        s = p.socket(TcpPeer.config().withCongestionControl(Reno::new), 4096, 200_000).connect(LOCAL, IP_B, PEER);
        iss = p.one().seq();
        p.syn(PEER, LOCAL, PISS, iss + 1, SYN | ACK, 1000);
        p.one();
        assertEquals(State.ESTABLISHED, s.state());
        p.in(PEER, LOCAL, PISS + 1, iss + 1, ACK, window, NONE);
    }

    /** The peer acknowledges up to {@code iss + ack} with the usual window; what we sent in answer. */
    List<Seg> ack(int ack) {
        p.in(PEER, LOCAL, PISS + 1, iss + ack, ACK, WINDOW, NONE);
        return p.out();
    }

    static List<Integer> seqs(List<Seg> segs, int base) {
        return segs.stream().map(x -> x.seq() - base).toList();
    }

    @Test
    void slowStartOpensTheWindowByTheBytesAcknowledged() {
        open(WINDOW);
        s.send(MemorySegment.ofArray(new byte[40_000]));
        assertEquals(10, p.out().size(), "RFC 6928 initial window: 10 × MSS 1000");
        assertEquals(10_000, s.congestionControl().cwnd());
        List<Seg> out = ack(1001);
        assertEquals(List.of(10_001, 11_001), seqs(out, iss), "one MSS acknowledged: cwnd 11,000, two segments out");
        out = ack(3001);
        assertEquals(13_000, s.congestionControl().cwnd(), "2 MSS in one ACK: + 2 MSS");
        assertEquals(List.of(12_001, 13_001, 14_001, 15_001), seqs(out, iss));
        out = ack(7001);
        assertEquals(15_000, s.congestionControl().cwnd(), "4 MSS in one ACK: + L = 2 MSS (RFC 3465)");
        assertEquals(6, out.size());
    }

    @Test
    void threeDuplicateAcksRetransmitSndUnaAndNewRenoRecoversToTheFullAck() {
        open(WINDOW);
        s.send(MemorySegment.ofArray(new byte[40_000]));
        assertEquals(10, p.out().size());
        assertEquals(List.of(10_001, 11_001), seqs(ack(1001), iss)); // in flight: 1001 .. 12,001
        // the segment at 1001 is lost; the peer repeats its ACK
        assertEquals(List.of(12_001), seqs(ack(1001), iss), "first duplicate: limited transmit (RFC 3042)");
        assertEquals(List.of(13_001), seqs(ack(1001), iss), "second duplicate: limited transmit");
        assertEquals(11_000, s.congestionControl().cwnd(), "limited transmit leaves cwnd");
        List<Seg> out = ack(1001);
        assertEquals(1, out.size(), out::toString);
        assertEquals(iss + 1001, out.get(0).seq(), "third duplicate: SND.UNA's segment again");
        assertEquals(1000, out.get(0).payload().length);
        assertEquals(1, s.fastRetransmits());
        assertEquals(6_500, s.congestionControl().ssthresh(), "FlightSize 13,000 / 2");
        assertEquals(6_500, s.congestionControl().cwnd());
        // window ssthresh + 3 MSS = 9,500 against 13,000 in flight; each duplicate adds an MSS
        for (int i = 0; i < 4; i++) {
            assertEquals(List.of(), ack(1001), "inflated to " + (10_500 + i * 1000));
        }
        assertEquals(List.of(14_001), seqs(ack(1001), iss), "inflated to 14,000: one new segment");
        // a partial ACK: the next hole at once, the window deflated by the 4,000 acknowledged, + 1 MSS
        out = ack(5001);
        assertEquals(List.of(5001, 15_001), seqs(out, iss), "hole at 5001 again, then one new (window 11,000)");
        assertEquals(2, s.segmentsRetransmitted());
        // the full ACK: everything sent before the third duplicate (up to 14,001)
        out = ack(14_001);
        assertEquals(3_000, s.congestionControl().cwnd(), "min(ssthresh, FlightSize 2,000 + MSS)");
        assertEquals(List.of(16_001), seqs(out, iss));
        assertEquals(1, s.fastRetransmits());
        out = ack(17_001);
        assertEquals(5_000, s.congestionControl().cwnd(), "below ssthresh: slow start, + 2 MSS");
        assertEquals(List.of(17_001, 18_001, 19_001, 20_001, 21_001), seqs(out, iss));
    }

    @Test
    void retransmissionTimeoutCollapsesTheWindowAndIgnoresDuplicatesBelowRecover() {
        open(WINDOW);
        s.send(MemorySegment.ofArray(new byte[40_000]));
        assertEquals(10, p.out().size());
        p.advance(s.rto());
        List<Seg> out = p.out();
        assertEquals(List.of(1), seqs(out, iss), "RTO: cwnd 1 MSS, SND.UNA again");
        assertEquals(1_000, s.congestionControl().cwnd());
        assertEquals(5_000, s.congestionControl().ssthresh(), "RFC 5681 (4): max(FlightSize 10,000 / 2, 2 MSS)");
        for (int i = 0; i < 3; i++) {
            assertEquals(List.of(), ack(1), "duplicates after a timeout: no fast retransmit (RFC 6582)");
        }
        assertEquals(0, s.fastRetransmits());
        assertEquals(1_000, s.congestionControl().cwnd(), "only new ACKs grow the window after a timeout");
        assertEquals(List.of(1001, 2001), seqs(ack(1001), iss), "go-back-N on in slow start: cwnd 2,000");
        assertEquals(List.of(3001, 4001), seqs(ack(2001), iss), "cwnd 3,000 with 1,000 in flight");
    }

    @Test
    void nagleHoldsASmallSegmentUntilTheAckAndNoDelaySendsIt() {
        open(WINDOW);
        assertFalse(s.noDelay(), "Nagle on by default");
        s.send(MemorySegment.ofArray(new byte[100]));
        assertEquals(List.of(1), seqs(p.out(), iss), "nothing unacknowledged: sent at once");
        s.send(MemorySegment.ofArray(new byte[100]));
        s.send(MemorySegment.ofArray(new byte[150]));
        assertEquals(List.of(), p.out(), "small, with data unacknowledged: held");
        assertEquals(s.rto(), p.iface.pollDelay(p.clock.nanos()), "no busy wait: only the RTO is due");
        List<Seg> out = ack(101);
        assertEquals(List.of(101), seqs(out, iss), "the ACK releases what was held, as one segment");
        assertEquals(250, out.get(0).payload().length);
        s.noDelay(true);
        s.send(MemorySegment.ofArray(new byte[100]));
        assertEquals(List.of(351), seqs(p.out(), iss));
        s.send(MemorySegment.ofArray(new byte[100]));
        assertEquals(List.of(451), seqs(p.out(), iss), "no-delay: sent with data unacknowledged");
        s.noDelay(false);
        s.send(MemorySegment.ofArray(new byte[2500]));
        assertEquals(List.of(551, 1551), seqs(p.out(), iss), "full segments are never held; the 500 left is");
    }

    @Test
    void persistTimerProbesAClosedWindowWithBackoffAndNeverGivesUpWhileAnswered() {
        open(0);
        s.send(MemorySegment.ofArray(new byte[10]));
        assertEquals(List.of(), p.out());
        long rto = s.rto();
        long interval = rto;
        for (int probe = 1; probe <= 9; probe++) { // more than maxRetransmissions (6): answered probes never end it
            assertEquals(interval, p.iface.pollDelay(p.clock.nanos()), "probe " + probe);
            p.advance(interval - 1);
            assertEquals(List.of(), p.out());
            p.advance(1);
            Seg seg = p.one();
            assertEquals(iss + 1, seg.seq());
            assertEquals(1, seg.payload().length, "one byte beyond the closed window");
            p.in(PEER, LOCAL, PISS + 1, iss + 1, ACK, 0, NONE); // still closed
            assertEquals(List.of(), p.out());
            interval = Math.min(2 * interval, 60 * SECOND);
        }
        assertEquals(State.ESTABLISHED, s.state());
        assertEquals(9, s.windowProbes());
        assertEquals(rto, s.rto(), "the persist timer backs off apart from the RTO");
        // the peer opens its window: the data goes, the persist timer stops
        p.in(PEER, LOCAL, PISS + 1, iss + 1, ACK, 5000, NONE);
        assertEquals(10, p.one().payload().length);
        p.in(PEER, LOCAL, PISS + 1, iss + 11, ACK, 0, NONE);
        s.send(MemorySegment.ofArray(new byte[10]));
        assertEquals(0, p.iface.pollDelay(p.clock.nanos()), "a poll is due to start the persist timer");
        assertEquals(List.of(), p.out());
        assertEquals(rto, p.iface.pollDelay(p.clock.nanos()), "a new closed window: the backoff starts over");
        // unanswered probes: after maxRetransmissions the connection is dropped with a RST
        for (int probe = 1; probe <= 6; probe++) {
            p.advance(p.iface.pollDelay(p.clock.nanos()));
            assertEquals(1, p.one().payload().length, "probe " + probe);
        }
        p.advance(p.iface.pollDelay(p.clock.nanos()));
        assertEquals(RST, p.one().flags());
        assertEquals(State.CLOSED, s.state());
        assertEquals(TcpSocket.Error.TIMED_OUT, s.error());
        assertTrue(s.windowProbes() >= 15);
    }

    @Test
    void cubicByDefaultAndTheWindowRestartsAfterAnIdleRto() {
        s = p.socket(TcpPeer.config(), 4096, 200_000).connect(LOCAL, IP_B, PEER);
        iss = p.one().seq();
        p.syn(PEER, LOCAL, PISS, iss + 1, SYN | ACK, 1000);
        p.one();
        p.in(PEER, LOCAL, PISS + 1, iss + 1, ACK, WINDOW, NONE);
        assertTrue(s.congestionControl() instanceof Cubic, "CUBIC by default, as Linux: " + s.congestionControl());
        s.send(MemorySegment.ofArray(new byte[20_000]));
        assertEquals(10, p.out().size());
        int more = 0;
        for (int i = 1; i <= 20; i++) more += ack(i * 1000 + 1).size();
        assertEquals(10, more, "the rest of the 20,000 bytes");
        assertEquals(30_000, s.congestionControl().cwnd(), "slow start: + 1 MSS per MSS acknowledged");
        p.advance(s.rto() + 1); // idle longer than the RTO
        s.send(MemorySegment.ofArray(new byte[20_000]));
        assertEquals(10, p.out().size(), "RFC 5681 4.1: restart from the initial window");
        assertEquals(10_000, s.congestionControl().cwnd());
    }
}
