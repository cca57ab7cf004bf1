package io.jverbs.raweth.socket;

import static io.jverbs.raweth.socket.TcpSocket.le;
import static io.jverbs.raweth.socket.TcpSocket.lt;

/**
 * The sender's SACK scoreboard of RFC 6675 (sections 2 to 4): which parts of the send sequence
 * space the peer has selectively acknowledged (RFC 2018), and the loss-recovery variables built on
 * it. A pure data structure, bounded in blocks, allocating nothing per update; the socket feeds it
 * every ACK of a connection that negotiated SACK ({@link #ack} then {@link #sack} per block), and a
 * loss-recovery algorithm reads it.
 *
 * <p>Conventions. Sequence numbers are compared modulo 2^32. RFC 6675 speaks of octets; here
 * ranges are half-open: {@link #highAck()} is SND.UNA (the first unacknowledged octet),
 * {@code highData} (the caller's SND.MAX) is one past the highest octet sent, and
 * {@link #highRxt()} is one past the highest octet retransmitted in this recovery (it starts at
 * HighACK, so "greater than HighRxt" in the RFC is "at or above highRxt()" here). The caller's
 * RecoveryPoint and the decision to enter recovery stay with the caller.
 *
 * <p>A recovery loop per RFC 6675 5 looks like: on entering recovery {@link #startRecovery()};
 * then while {@code cwnd - pipe(highData, smss) >= smss}: {@code s = nextSeg(...)}; if {@code s}
 * is {@link #NONE} try {@link #rescueSeg}; send {@code [s, segmentEnd(s, ...))}, and if it was a
 * retransmission call {@link #retransmitted}. After an RTO, {@link #clear()} (RFC 6675 5.1: the
 * receiver may have reneged).
 *
 * <p>Interpretation: {@link #isLost} counts "DupThresh discontiguous SACKed sequences" as
 * {@link #DUP_THRESH} SACKed blocks above the sequence number (a block of the scoreboard is at
 * least one segment the receiver SACKed on its own), or more than (DupThresh − 1) × SMSS bytes
 * SACKed above it, the RFC's second clause.
 */
final class Scoreboard {
    /** RFC 6675 2: DupThresh. */
    static final int DUP_THRESH = 3;
    /** What {@link #nextSeg} and {@link #rescueSeg} return when there is nothing to send. */
    static final long NONE = -1;

    private final SeqIntervals sacked;
    private int highAck;
    private int highRxt;
    private boolean rescueValid;
    private int rescueRxt;
    private long updates;
    private long dropped;

    /** A scoreboard of at most {@code capacity} SACKed blocks. */
    Scoreboard(int capacity) {
        sacked = new SeqIntervals(capacity);
    }

    /** Starts over for a connection whose SND.UNA is {@code sndUna}: nothing SACKed, no recovery. */
    void reset(int sndUna) {
        sacked.clear();
        highAck = sndUna;
        highRxt = sndUna;
        rescueValid = false;
        updates = 0;
        dropped = 0;
    }

    /** Forgets all SACK information (after an RTO, RFC 6675 5.1 and RFC 2018 8), keeping HighACK. */
    void clear() {
        sacked.clear();
        highRxt = highAck;
        rescueValid = false;
    }

    /** A cumulative ACK: HighACK becomes {@code ack} if it is higher; what it covers leaves the scoreboard. */
    void ack(int ack) {
        if (lt(highAck, ack)) {
            highAck = ack;
            sacked.dropBelow(ack);
            if (lt(highRxt, ack)) {
                highRxt = ack;
            }
        }
    }

    /**
     * A SACK block {@code [left, right)} of an ACK, after {@link #ack} for its cumulative ACK.
     * Blocks at or below HighACK (D-SACK, RFC 2883, or stale ones), empty ones and ones beyond
     * {@code highData} (nothing we sent) are ignored; returns whether the block was taken. When
     * the scoreboard is full, the highest block is forgotten to make room for a lower one
     * (forgetting SACK information only makes the sender retransmit more, never lose data).
     */
    boolean sack(int left, int right, int highData) {
        if (!lt(left, right) || le(right, highAck) || lt(highData, right)) {
            return false;
        }
        if (lt(left, highAck)) {
            left = highAck;
        }
        updates++;
        if (!sacked.add(left, right, updates)) {
            if (!lt(left, sacked.left(sacked.size() - 1))) {
                dropped++;
                return false;
            }
            sacked.removeLast();
            dropped++;
            sacked.add(left, right, updates);
        }
        return true;
    }

    /** HighACK: the cumulative ACK, SND.UNA. */
    int highAck() {
        return highAck;
    }

    /** One past the highest octet retransmitted in this recovery (HighACK when none was). */
    int highRxt() {
        return highRxt;
    }

    /** Whether a rescue retransmission was sent in this recovery ({@link #rescueRxt()} is then valid). */
    boolean hasRescue() {
        return rescueValid;
    }

    /** RescueRxt: the RecoveryPoint of the recovery that sent the rescue retransmission. */
    int rescueRxt() {
        return rescueRxt;
    }

    /** SACKed blocks held. */
    int blocks() {
        return sacked.size();
    }

    /** The left edge of block {@code i} (blocks are in sequence order). */
    int left(int i) {
        return sacked.left(i);
    }

    /** The right edge of block {@code i}. */
    int right(int i) {
        return sacked.right(i);
    }

    /** Blocks forgotten or refused because the scoreboard was full. */
    long dropped() {
        return dropped;
    }

    /** The highest SACKed sequence number + 1, or HighACK when nothing is SACKed. */
    int highSacked() {
        int n = sacked.size();
        return n == 0 ? highAck : sacked.right(n - 1);
    }

    /** Bytes SACKed above HighACK (kept as blocks change: no sum per call). */
    int sackedBytes() {
        return sacked.covered();
    }

    /** Whether octet {@code seq} has been SACKed. */
    boolean isSacked(int seq) {
        return sacked.find(seq) >= 0;
    }

    /**
     * RFC 6675 4 IsLost(SeqNum): true when {@link #DUP_THRESH} SACKed blocks lie above
     * {@code seq}, or more than (DupThresh − 1) × {@code smss} SACKed bytes do.
     */
    boolean isLost(int seq, int smss) {
        return lt(seq, lostBelow(smss));
    }

    /**
     * Every unSACKed octet below the returned sequence number is lost by {@link #isLost}, and none
     * at or above it (IsLost only grows towards lower sequence numbers); HighACK when none is.
     */
    int lostBelow(int smss) {
        int blocks = 0;
        long bytes = 0;
        for (int i = sacked.size() - 1; i >= 0; i--) {
            blocks++;
            bytes += sacked.right(i) - sacked.left(i);
            if (blocks >= DUP_THRESH || bytes > (long) (DUP_THRESH - 1) * smss) {
                return sacked.left(i);
            }
        }
        return highAck;
    }

    /**
     * RFC 6675 4 NextSeg() rules (1) to (3): the first octet of the next segment to send, or
     * {@link #NONE}. (1) The first unSACKed octet at or above {@link #highRxt()} (1.a), below
     * the highest SACKed octet (1.b), if it {@link #isLost} (1.c); else (2) {@code highData} when
     * {@code newDataAllowed} (the caller has unsent data and the peer's window admits it); else
     * (3) that first unSACKed octet even if not lost, as long as it is below the highest SACKed
     * octet. Rule (4), the rescue retransmission, is {@link #rescueSeg}.
     */
    long nextSeg(int highData, int smss, boolean newDataAllowed) {
        int s2 = firstUnsacked(lt(highRxt, highAck) ? highAck : highRxt);
        boolean below = lt(s2, highSacked()) && lt(s2, highData);
        if (below && isLost(s2, smss)) {
            return s2 & 0xffffffffL;
        }
        if (newDataAllowed) {
            return highData & 0xffffffffL;
        }
        if (below) {
            return s2 & 0xffffffffL;
        }
        return NONE;
    }

    /**
     * RFC 6675 4 NextSeg() rule (4): when rules (1) to (3) gave nothing and no rescue was sent
     * since HighACK passed the last one, the start of one segment (at most {@code smss}) that ends
     * with the highest outstanding unSACKed octet; {@link #NONE} otherwise. The caller sends it and
     * calls {@link #rescued} with its RecoveryPoint; HighRxt does not move.
     */
    long rescueSeg(int highData, int smss) {
        if (rescueValid && !lt(rescueRxt, highAck)) {
            return NONE;
        }
        int end = highData; // one past the highest unSACKed octet below highData
        for (int i = sacked.size() - 1; i >= 0 && sacked.right(i) == end; i--) {
            end = sacked.left(i);
        }
        if (!lt(highAck, end)) {
            return NONE; // everything outstanding is SACKed
        }
        int start = end - smss;
        return (lt(start, highAck) ? highAck : start) & 0xffffffffL;
    }

    /** A rescue retransmission left during the recovery whose RecoveryPoint is {@code recoveryPoint}. */
    void rescued(int recoveryPoint) {
        rescueValid = true;
        rescueRxt = recoveryPoint;
    }

    /** Entering loss recovery: HighRxt starts again at HighACK. */
    void startRecovery() {
        highRxt = highAck;
    }

    /** {@code [seq, end)} was sent again: HighRxt moves up to {@code end}. */
    void retransmitted(int seq, int end) {
        if (lt(highRxt, end)) {
            highRxt = end;
        }
    }

    /**
     * Where a segment starting at {@code seq} should end: after {@code smss} bytes, at the next
     * SACKed block, or at {@code highData} for a retransmission, whichever comes first.
     */
    int segmentEnd(int seq, int highData, int smss) {
        int end = seq + smss;
        if (lt(seq, highData) && lt(highData, end)) {
            end = highData;
        }
        for (int i = 0; i < sacked.size(); i++) {
            if (lt(seq, sacked.left(i))) {
                return lt(sacked.left(i), end) ? sacked.left(i) : end;
            }
        }
        return end;
    }

    /**
     * RFC 6675 4 SetPipe(): the octets estimated in flight between HighACK and {@code highData}:
     * each unSACKed octet counts once if it is not lost, and once more if it was retransmitted
     * (below HighRxt).
     */
    int pipe(int highData, int smss) {
        int lost = lostBelow(smss);
        long pipe = 0;
        int from = highAck;
        for (int i = 0; i <= sacked.size(); i++) {
            int to = i < sacked.size() ? sacked.left(i) : highData;
            if (lt(from, to)) {
                pipe += span(lt(from, lost) ? lost : from, to); // not lost
                pipe += span(from, lt(highRxt, to) ? highRxt : to); // retransmitted
            }
            if (i < sacked.size()) {
                from = sacked.right(i);
            }
        }
        return (int) Math.min(pipe, Integer.MAX_VALUE);
    }

    /** The length of {@code [from, to)}, 0 when empty. */
    private static int span(int from, int to) {
        return lt(from, to) ? to - from : 0;
    }

    /** The first octet at or above {@code seq} that is not SACKed. */
    private int firstUnsacked(int seq) {
        for (int i = 0; i < sacked.size(); i++) {
            if (le(sacked.left(i), seq) && lt(seq, sacked.right(i))) {
                seq = sacked.right(i);
            }
        }
        return seq;
    }
}
