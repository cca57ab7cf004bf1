package io.jverbs.raweth.socket;

import static io.jverbs.raweth.socket.TcpSocket.le;
import static io.jverbs.raweth.socket.TcpSocket.lt;

/**
 * Conservative SACK-based loss recovery (RFC 6675 section 5) over the socket's {@link Scoreboard},
 * for connections that negotiated SACK. A duplicate ACK is one that SACKs octets not SACKed before
 * (section 2; the socket detects it, this class drops the plain RFC 5681 ones that SACK nothing
 * new). Recovery starts at {@link Scoreboard#DUP_THRESH} of them, or as soon as IsLost(HighACK)
 * holds (step 2): RecoveryPoint = HighData, ssthresh and cwnd from the {@link CongestionControl}
 * (its {@code onLoss}), HighACK's segment sent again at once (step 4.3, which also sets RescueRxt
 * to its end), then while cwnd − pipe ≥ 1 SMSS the segment NextSeg() names: a lost hole (rule 1),
 * new data (rule 2, sent by the socket's usual path), an unSACKed segment not yet lost (rule 3) or
 * one rescue retransmission of the highest unSACKed segment per recovery (rule 4). pipe is
 * SetPipe() at each ACK plus what was sent since. A cumulative ACK at or above RecoveryPoint ends
 * recovery ({@code onRecoveryEnd}). Before recovery, duplicates let new data out while cwnd − pipe
 * allows (step 3, limited transmit). A timeout leaves recovery with RecoveryPoint = HighData and
 * no new recovery before HighACK reaches it (5.1); the socket clears the scoreboard.
 *
 * <p>One addition beyond RFC 6675, as Linux's lost-retransmission check: when HighACK's segment
 * was sent again and a later ACK SACKs data sent after that retransmission while HighACK stands,
 * the retransmission was lost and HighACK's segment goes once more (6675 alone never resends
 * below HighRxt and waits for the RTO).
 *
 * <p>Ranges are half-open as in {@link Scoreboard}: RecoveryPoint is one past the highest octet
 * sent when recovery started, and recovery ends when SND.UNA reaches it. Nothing is allocated per
 * ACK or segment.
 */
final class SackRecovery implements LossRecovery {
    private final Scoreboard sb;
    private CongestionControl cc;
    private int smss;
    private int dupAcks;
    private boolean inRecovery;
    private int recoveryPoint;
    /** SetPipe() at the last ACK plus the octets retransmitted since (new data is counted by {@link #highData}). */
    private int pipe;
    /** SND.MAX at the last SetPipe(): new data sent since is sndMax − highData. */
    private int highData;
    /** SND.UNA at the last ACK. */
    private int highAck;
    /** Step 4.3: HighACK's segment goes again on entering recovery, whether or not it IsLost. */
    private boolean firstDue;
    /** The retransmission {@link #retransmitDue} chose, and whether it is rule 4's rescue. */
    private int next;
    private boolean rescue;
    /** SND.MAX when {@link #retransmitDue} chose {@link #next}. */
    private int sndMaxNow;
    /** An empty retransmission: nothing more until the next ACK (so the socket's loop cannot spin). */
    private boolean stalled;
    /** The scoreboard's SACKed bytes after the last ACK seen: a duplicate must SACK more. */
    private int sackedBefore;
    /** Step 4.3 is due (not a lost retransmission's repeat): RescueRxt follows it. */
    private boolean entering;
    /** HighACK's segment was sent again when SND.MAX was {@link #rxtMark}: SACKs above it mean it was lost again. */
    private boolean rxtMarked;
    private int rxtMark;
    private long lostRetransmissions;
    private long recoveries;
    private long rescues;
    private long holeRetransmissions;

    /** Recovery over {@code scoreboard}, which the socket keeps up to date before each callback. */
    SackRecovery(Scoreboard scoreboard) {
        sb = scoreboard;
    }

    @Override
    public void start(CongestionControl cc, int smss, int iss) {
        this.cc = cc;
        this.smss = smss;
        dupAcks = 0;
        inRecovery = false;
        recoveryPoint = iss;
        highAck = iss;
        highData = iss;
        pipe = 0;
        firstDue = false;
        entering = false;
        rxtMarked = false;
        stalled = false;
        sackedBefore = 0;
    }

    @Override
    public boolean onNewAck(int before, int ack, int dataBytes, int sndMax, long srtt, long now) {
        dupAcks = 0; // section 5: a cumulative ACK resets DupAcks
        if (inRecovery) {
            if (le(recoveryPoint, ack)) {
                inRecovery = false; // (A); the scoreboard above HighACK is kept
                cc.onRecoveryEnd(sndMax - ack, now);
            } else {
                rxtMarked = false;
                setPipe(ack, sndMax); // (B): a partial ACK; NextSeg goes on from the scoreboard
                return false;
            }
        } else {
            cc.onAck(dataBytes, srtt, now);
        }
        highAck = ack;
        // an ACK that also SACKs new octets is a duplicate too (section 2): step 2's IsLost(HighACK + 1)
        if (sb.blocks() > 0 && le(recoveryPoint, ack) && sb.isLost(ack, smss)) {
            enter(ack, sndMax, now);
        }
        sackedBefore = sb.sackedBytes();
        return false;
    }

    @Override
    public void onDuplicateAck(int sndUna, int sndMax, long now) {
        int sacked = sb.sackedBytes();
        boolean newSack = sacked > sackedBefore;
        sackedBefore = sacked;
        if (inRecovery) {
            setPipe(sndUna, sndMax); // (B.2)
            if (rxtMarked && lt(rxtMark, sb.highSacked())) {
                // beyond RFC 6675 (Linux's lost-retransmission check): data sent after HighACK's
                // retransmission was SACKed while HighACK stands, so that retransmission was lost;
                // 6675 would never send it again (HighRxt passed it) and wait for the RTO
                rxtMarked = false;
                lostRetransmissions++;
                firstDue = true;
            }
            return;
        }
        if (!newSack || lt(sndUna, recoveryPoint)) {
            // not a duplicate by section 2's definition (a duplicated segment, a window update); or
            // section 5.1: no new recovery (nor limited transmit, SND.NXT is behind) before HighACK
            // reaches the RecoveryPoint of a timeout
            return;
        }
        dupAcks++;
        if (dupAcks >= Scoreboard.DUP_THRESH || sb.isLost(sndUna, smss)) { // steps 1 and 2
            enter(sndUna, sndMax, now);
            return;
        }
        sb.startRecovery(); // (3.1) HighRxt = HighACK, then limited transmit by cwnd − pipe (window())
        setPipe(sndUna, sndMax);
    }

    /** Step 4: RecoveryPoint, ssthresh and cwnd, HighACK's segment due again. */
    private void enter(int sndUna, int sndMax, long now) {
        recoveryPoint = sndMax;
        inRecovery = true;
        recoveries++;
        dupAcks = 0;
        cc.onLoss(sndMax - sndUna, now); // (4.2) FlightSize
        sb.startRecovery();
        firstDue = true;
        entering = true;
        rxtMarked = false;
        setPipe(sndUna, sndMax);
    }

    /** SetPipe() with HighACK {@code sndUna} and HighData {@code sndMax}. */
    private void setPipe(int sndUna, int sndMax) {
        highAck = sndUna;
        highData = sndMax;
        pipe = sb.pipe(sndMax, smss);
        stalled = false;
    }

    @Override
    public void onTimeout(int sndUna, int sndMax, boolean first, long now) {
        cc.onTimeout(sndMax - sndUna, first, now);
        recoveryPoint = sndMax; // 5.1: kept, and no recovery until HighACK reaches it
        inRecovery = false;
        firstDue = false;
        rxtMarked = false;
        dupAcks = 0;
        highAck = sndUna;
        highData = sndMax;
        pipe = 0;
        sackedBefore = 0; // the socket clears the scoreboard
    }

    /** Whether pipe counts: in recovery, and in limited transmit before it (step 3). */
    private boolean pipeLimited() {
        return inRecovery || dupAcks > 0;
    }

    @Override
    public int window() {
        if (!pipeLimited()) {
            return cc.cwnd();
        }
        // cwnd − pipe in whole segments (C.5: send while at least 1 SMSS is left), beyond the data
        // outstanding at the last SetPipe; the socket subtracts what it sent beyond SND.UNA
        int avail = cc.cwnd() - pipe;
        avail = avail < smss ? 0 : avail - avail % smss;
        return highData - highAck + avail;
    }

    @Override
    public boolean retransmitDue(int sndMax, boolean newData) {
        if (!inRecovery || stalled) {
            return false;
        }
        sndMaxNow = sndMax;
        if (firstDue) {
            next = highAck; // (4.3) regardless of cwnd − pipe
            rescue = false;
            if (lt(next, sndMax)) {
                return true;
            }
            firstDue = false;
        }
        if (cc.cwnd() - pipe - (sndMax - highData) < smss) {
            return false; // (C): cwnd − pipe below 1 SMSS
        }
        long s = sb.nextSeg(sndMax, smss, newData);
        if (s != Scoreboard.NONE) {
            if ((int) s == sndMax) {
                return false; // rule 2: new data, sent by the socket
            }
            next = (int) s;
            rescue = false;
            return true;
        }
        s = sb.rescueSeg(sndMax, smss);
        if (s == Scoreboard.NONE) {
            return false;
        }
        next = (int) s;
        rescue = true;
        return true;
    }

    @Override
    public int retransmitSeq() {
        return next;
    }

    @Override
    public int retransmitLength(int mss) {
        return sb.segmentEnd(next, sndMaxNow, Math.min(mss, smss)) - next;
    }

    @Override
    public void retransmitted(int seq, int end) {
        if (firstDue) {
            firstDue = false;
            if (entering) {
                entering = false;
                sb.rescued(end); // (4.3) RescueRxt: no rescue before HighACK passes this segment
            }
        }
        if (seq == highAck && seq != end) {
            rxtMarked = true;
            rxtMark = sndMaxNow;
        }
        if (seq == end) {
            stalled = true;
            return;
        }
        pipe += end - seq; // (C.4)
        if (rescue) {
            rescues++;
            sb.rescued(recoveryPoint); // rule 4: RescueRxt = RecoveryPoint, HighRxt unchanged
        } else {
            holeRetransmissions++;
            sb.retransmitted(seq, end); // (C.2)
        }
    }

    @Override
    public boolean inRecovery() {
        return inRecovery;
    }

    @Override
    public long fastRetransmits() {
        return recoveries;
    }

    /** Rescue retransmissions (NextSeg rule 4) so far. */
    long rescueRetransmissions() {
        return rescues;
    }

    /** Retransmissions in recovery by NextSeg rules 1 and 3, and step 4.3's first one. */
    long holeRetransmissions() {
        return holeRetransmissions;
    }

    /** Retransmissions of HighACK's segment found lost (SACKs for data sent after it) and sent again. */
    long lostRetransmissions() {
        return lostRetransmissions;
    }

    /** The RecoveryPoint of the current or last recovery (or of the last timeout). */
    int recoveryPoint() {
        return recoveryPoint;
    }

    /** pipe as of now, with SND.MAX {@code sndMax}. */
    int pipe(int sndMax) {
        return pipe + (sndMax - highData);
    }

    @Override
    public String toString() {
        return "SackRecovery[" + (inRecovery ? "recovering to " + Integer.toUnsignedString(recoveryPoint) : "open")
                + ", pipe " + pipe + ", dupAcks " + dupAcks + "]";
    }
}
