package io.jverbs.raweth.socket;

import io.jverbs.raweth.socket.TcpPeer.Seg;
import io.jverbs.raweth.socket.TcpSocket.State;
import io.jverbs.raweth.wire.TcpRepr;
import io.jverbs.raweth.wire.TcpRepr.SackBlock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static io.jverbs.raweth.port.TestFrames.IP_B;
import static io.jverbs.raweth.socket.TcpSendPolicyTest.PISS;
import static io.jverbs.raweth.socket.TcpSendPolicyTest.WINDOW;
import static io.jverbs.raweth.socket.TcpSendPolicyTest.seqs;
import static io.jverbs.raweth.socket.TcpSocketTest.LOCAL;
import static io.jverbs.raweth.socket.TcpSocketTest.NONE;
import static io.jverbs.raweth.socket.TcpSocketTest.PEER;
import static io.jverbs.raweth.wire.TcpPacket.ACK;
import static io.jverbs.raweth.wire.TcpPacket.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 6675 SACK loss recovery ({@link SackRecovery}) against a scripted peer on virtual time,
 * segments out exactly: Reno's window, MSS 1000, SACK the only option (no timestamps, so every
 * segment carries 1000 bytes); the peer's ACKs carry the SACK blocks a receiver would send.
 * Sequence numbers in the comments are relative to our ISS.
 */
class TcpSackRecoveryTest {
    final TcpPeer p = new TcpPeer();
    TcpSocket s;
    int iss;
    int peerSeq = PISS + 1;

    @AfterEach
    void close() {
        p.close();
    }

    /** Active open offering {@code options}; the peer's SYN-ACK offers SACK (and more, unused). */
    void open(int options) {
        s = p.socket(TcpPeer.config().withOptions(options).withCongestionControl(Reno::new), 4096, 200_000)
                .connect(LOCAL, IP_B, PEER);
        iss = p.one().seq();
        p.syn(PEER, LOCAL, PISS, iss + 1, SYN | ACK, 1000);
        p.one();
        assertEquals(State.ESTABLISHED, s.state());
        p.in(PEER, LOCAL, PISS + 1, iss + 1, ACK, WINDOW, NONE);
    }

    /** The peer acknowledges {@code iss + ack} with SACK blocks given as relative edge pairs; what we sent in answer. */
    List<Seg> sack(int ack, int... edges) {
        List<SackBlock> blocks = new ArrayList<>();
        for (int i = 0; i < edges.length; i += 2) {
            blocks.add(new SackBlock(iss + edges[i], iss + edges[i + 1]));
        }
        p.in(new TcpRepr(PEER, LOCAL, peerSeq, iss + ack, ACK, WINDOW, 0, -1, -1, false, null, blocks, 0), NONE);
        return p.out();
    }

    SackRecovery recovery() {
        return assertInstanceOf(SackRecovery.class, s.recovery(), "SACK negotiated: RFC 6675 recovery");
    }

    @Test
    void newRenoWithoutSack() {
        open(0);
        assertFalse(s.sackPermitted());
        assertInstanceOf(NewRenoRecovery.class, s.recovery(), "no SACK: NewReno (RFC 6582)");
    }

    @Test
    void rfc6675WithSack() {
        open(TcpConfig.SACK);
        assertTrue(s.sackPermitted());
        recovery();
    }

    @Test
    void twoHolesAreRepairedInOneRoundTripAndRecoveryEndsAtTheRecoveryPoint() {
        open(TcpConfig.SACK);
        s.send(MemorySegment.ofArray(new byte[40_000]));
        assertEquals(10, p.out().size(), "initial window: 1 .. 10,001 in flight");
        // the segments at 1 and 3001 are lost; the others arrive and are SACKed
        assertEquals(List.of(10_001), seqs(sack(1, 1001, 2001), iss), "limited transmit: cwnd 10,000 - pipe 9,000");
        assertEquals(List.of(11_001), seqs(sack(1, 1001, 3001), iss), "cwnd 10,000 - pipe 9,000 (11,000 out, 2,000 SACKed)");
        assertFalse(s.recovery().inRecovery());
        List<Seg> out = sack(1, 4001, 5001, 1001, 3001);
        assertEquals(List.of(1), seqs(out, iss), "third duplicate (DupThresh): HighACK's segment again");
        assertEquals(1000, out.get(0).payload().length);
        assertTrue(recovery().inRecovery());
        assertEquals(iss + 12_001, recovery().recoveryPoint(), "RecoveryPoint = HighData");
        assertEquals(6_000, s.congestionControl().ssthresh(), "Reno: FlightSize 12,000 / 2");
        assertEquals(6_000, s.congestionControl().cwnd());
        // pipe: 1 .. 1001 lost and retransmitted (1,000), 3001 .. 4001 not yet lost (1,000), 5001 .. 12,001
        assertEquals(9_000, recovery().pipe(iss + 12_001));
        assertEquals(List.of(), sack(1, 4001, 6001, 1001, 3001), "pipe 8,000 > cwnd");
        assertEquals(List.of(), sack(1, 4001, 7001, 1001, 3001), "3001 now IsLost (3,000 bytes SACKed above): pipe 6,000");
        assertEquals(List.of(3001), seqs(sack(1, 4001, 8001, 1001, 3001), iss),
                "pipe 5,000: NextSeg rule 1 sends the second hole in the same round trip");
        assertEquals(List.of(12_001), seqs(sack(1, 4001, 9001, 1001, 3001), iss), "no lost hole left: rule 2, new data");
        assertEquals(List.of(13_001), seqs(sack(1, 4001, 10_001, 1001, 3001), iss));
        assertEquals(List.of(14_001), seqs(sack(1, 4001, 11_001, 1001, 3001), iss));
        assertEquals(List.of(15_001), seqs(sack(1, 4001, 12_001, 1001, 3001), iss));
        // the first retransmission arrives: a partial ACK; cwnd stays at ssthresh, pipe from the scoreboard
        assertEquals(List.of(16_001), seqs(sack(3001, 4001, 12_001), iss), "partial ACK: pipe 5,000, one new segment");
        assertTrue(recovery().inRecovery());
        assertEquals(6_000, s.congestionControl().cwnd());
        // the second arrives: the cumulative ACK reaches RecoveryPoint
        out = sack(12_001);
        assertFalse(recovery().inRecovery(), "ACK >= RecoveryPoint ends recovery");
        assertEquals(6_000, s.congestionControl().cwnd(), "Reno: min(ssthresh, FlightSize 5,000 + SMSS)");
        assertEquals(List.of(17_001), seqs(out, iss));
        assertEquals(2, s.segmentsRetransmitted(), "each hole once, nothing SACKed sent again");
        assertEquals(2, recovery().holeRetransmissions());
        assertEquals(0, recovery().rescueRetransmissions());
        assertEquals(1, s.fastRetransmits());
        assertEquals(0, s.retransmissionTimeouts());
    }

    /** Beyond RFC 6675 (Linux's lost-retransmission check): SACKs for data sent after HighACK's retransmission mean it was lost. */
    @Test
    void aLostRetransmissionOfHighAckIsSentAgainWithoutATimeout() {
        open(TcpConfig.SACK);
        s.send(MemorySegment.ofArray(new byte[40_000]));
        assertEquals(10, p.out().size());
        assertEquals(List.of(10_001), seqs(sack(1, 1001, 2001), iss));
        assertEquals(List.of(11_001), seqs(sack(1, 1001, 3001), iss));
        assertEquals(List.of(1), seqs(sack(1, 1001, 4001), iss), "recovery: 1 again, sent when HighData was 12,001");
        for (int right = 5001; right <= 7001; right += 1000) {
            assertEquals(List.of(), sack(1, 1001, right), "pipe above cwnd 6,000");
        }
        for (int right = 8001; right <= 12_001; right += 1000) {
            assertEquals(List.of(right + 4000), seqs(sack(1, 1001, right), iss), "rule 2: new data");
        }
        // the retransmission of 1 was lost: 12,001, sent after it, is SACKed while the ACK stays at 1
        assertEquals(List.of(1), seqs(sack(1, 1001, 13_001), iss), "1 a third time, no RTO");
        assertEquals(1, recovery().lostRetransmissions());
        sack(17_001);
        assertFalse(recovery().inRecovery());
        assertEquals(0, s.retransmissionTimeouts());
        assertEquals(2, s.segmentsRetransmitted());
    }

    @Test
    void theRescueRetransmissionRepairsALostTailWithoutATimeout() {
        open(TcpConfig.SACK);
        s.send(MemorySegment.ofArray(new byte[10_000])); // all there is: no new data during recovery
        assertEquals(10, p.out().size());
        // lost: 1 and the last segment, 9001; 1001 .. 9001 arrive
        assertEquals(List.of(), sack(1, 1001, 2001), "nothing new to send");
        assertEquals(List.of(), sack(1, 1001, 3001));
        assertEquals(List.of(1), seqs(sack(1, 1001, 4001), iss), "DupThresh: 1 again");
        assertEquals(5_000, s.congestionControl().cwnd(), "FlightSize 10,000 / 2");
        for (int right = 5001; right <= 9001; right += 1000) {
            assertEquals(List.of(), sack(1, 1001, right),
                    "rules 1-3 find nothing; no rescue before HighACK passes the first retransmission (4.3)");
        }
        List<Seg> out = sack(9001); // the retransmission of 1 arrived; 9001 never did
        assertEquals(List.of(9001), seqs(out, iss), "partial ACK: NextSeg rule 4, the rescue of the highest unSACKed segment");
        assertEquals(1000, out.get(0).payload().length);
        assertEquals(1, recovery().rescueRetransmissions());
        assertEquals(List.of(), p.out(), "one rescue per recovery");
        sack(10_001);
        assertFalse(recovery().inRecovery());
        assertEquals(0, s.retransmissionTimeouts(), "the tail loss needed no RTO");
        assertEquals(2, s.segmentsRetransmitted());
    }

    @Test
    void aTimeoutLeavesRecoveryKeepsTheRecoveryPointAndForgetsTheScoreboard() {
        open(TcpConfig.SACK);
        s.send(MemorySegment.ofArray(new byte[10_000]));
        assertEquals(10, p.out().size());
        sack(1, 1001, 2001);
        sack(1, 1001, 3001);
        assertEquals(List.of(1), seqs(sack(1, 1001, 4001), iss));
        assertTrue(recovery().inRecovery());
        // the retransmission is lost too: the RTO
        p.advance(s.rto());
        assertEquals(List.of(1), seqs(p.out(), iss), "RTO: SND.UNA again, cwnd 1 SMSS");
        assertEquals(1, s.retransmissionTimeouts());
        assertFalse(recovery().inRecovery(), "RFC 6675 5.1: recovery ends");
        assertEquals(iss + 10_001, recovery().recoveryPoint(), "RecoveryPoint = HighData");
        assertEquals(0, s.scoreboard().blocks(), "SACK information forgotten (the receiver may renege)");
        assertEquals(1_000, s.congestionControl().cwnd());
        // data from the peer: the ACK carries SND.MAX, not the rewound SND.NXT (below the peer's RCV.NXT)
        p.in(PEER, LOCAL, peerSeq, iss + 1, ACK, WINDOW, new byte[10]);
        peerSeq += 10;
        Seg ack = p.one();
        assertEquals(0, ack.payload().length);
        assertEquals(iss + 10_001, ack.seq());
        assertEquals(PISS + 11, ack.ack());
        // the peer SACKs more of the old flight: duplicates below RecoveryPoint start no recovery
        assertEquals(List.of(), sack(1, 1001, 5001));
        assertEquals(List.of(), sack(1, 1001, 6001));
        assertEquals(List.of(), sack(1, 1001, 7001));
        assertEquals(1, s.fastRetransmits(), "no new recovery before HighACK reaches RecoveryPoint");
        assertFalse(recovery().inRecovery());
        // the timeout's retransmission arrives: slow start goes on from the cumulative ACK
        assertEquals(List.of(7001, 8001, 9001), seqs(sack(7001), iss), "slow start: cwnd 1,000 + L = 2 SMSS (RFC 3465)");
        assertEquals(1, s.fastRetransmits());
    }
}
