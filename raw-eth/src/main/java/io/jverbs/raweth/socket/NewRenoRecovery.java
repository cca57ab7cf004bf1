package io.jverbs.raweth.socket;

/**
 * Fast retransmit and NewReno fast recovery (RFC 5681 3.2, RFC 6582), with limited transmit (RFC
 * 3042): the third duplicate ACK sends SND.UNA's segment again and enters recovery with the
 * window at ssthresh + 3 SMSS, inflated by an SMSS per further duplicate; a partial ACK sends the
 * next hole and deflates the window by what it acknowledged (adding back an SMSS when that was at
 * least one); the full ACK — everything sent before the loss, {@code recover} — ends recovery and
 * hands the window back to the controller. After a timeout, duplicate ACKs below the
 * {@code recover} point then recorded do not start a fast retransmit (RFC 6582 3.2 step 2).
 */
final class NewRenoRecovery implements LossRecovery {
    /** RFC 5681 3.2: the duplicate ACKs that signal a loss. */
    static final int DUPACK_THRESHOLD = 3;

    private CongestionControl cc;
    private int smss;
    private int dupAcks;
    /** Whether these duplicates may lead to a fast retransmit, so limited transmit applies. */
    private boolean limitedTransmit;
    private int recover;
    private boolean inRecovery;
    private int window;
    private boolean retransmitDue;
    private int retransmitSeq;
    private boolean partialSeen;
    private long fastRetransmits;

    @Override
    public void start(CongestionControl cc, int smss, int iss) {
        this.cc = cc;
        this.smss = smss;
        dupAcks = 0;
        recover = iss;
        inRecovery = false;
        retransmitDue = false;
    }

    @Override
    public boolean onNewAck(int before, int ack, int dataBytes, int sndMax, long srtt, long now) {
        dupAcks = 0;
        if (!inRecovery) {
            cc.onAck(dataBytes, srtt, now);
            return false;
        }
        if (TcpSocket.le(recover, ack)) {
            // full ACK: RFC 6582 3.2 step 3
            inRecovery = false;
            retransmitDue = false;
            cc.onRecoveryEnd(sndMax - ack, now);
            return false;
        }
        // partial ACK: step 4 — the first unacknowledged segment again, deflate by what was acknowledged
        retransmitDue = true;
        retransmitSeq = ack;
        window = Math.max(window - dataBytes, 0) + (dataBytes >= smss ? smss : 0);
        boolean keepTimer = partialSeen;
        partialSeen = true;
        return keepTimer;
    }

    @Override
    public void onDuplicateAck(int sndUna, int sndMax, long now) {
        if (inRecovery) {
            window += smss; // step 3 of RFC 5681 3.2: inflate by the segment that left the network
            return;
        }
        dupAcks++;
        limitedTransmit = TcpSocket.le(recover, sndUna);
        // RFC 6582 step 2: only when the ACK covers more than recover (not right after a timeout)
        if (dupAcks == DUPACK_THRESHOLD && TcpSocket.le(recover, sndUna)) {
            recover = sndMax;
            cc.onLoss(sndMax - sndUna, now);
            window = cc.ssthresh() + DUPACK_THRESHOLD * smss;
            inRecovery = true;
            partialSeen = false;
            retransmitDue = true;
            retransmitSeq = sndUna;
            fastRetransmits++;
        }
    }

    @Override
    public void onTimeout(int sndUna, int sndMax, boolean first, long now) {
        cc.onTimeout(sndMax - sndUna, first, now);
        recover = sndMax;
        inRecovery = false;
        retransmitDue = false;
        dupAcks = 0;
    }

    @Override
    public int window() {
        if (inRecovery) {
            return window;
        }
        // RFC 3042: the first two duplicate ACKs each let one new segment out, cwnd unchanged
        return cc.cwnd() + (limitedTransmit ? Math.min(dupAcks, DUPACK_THRESHOLD - 1) * smss : 0);
    }

    @Override
    public boolean retransmitDue(int sndMax, boolean newData) {
        return retransmitDue;
    }

    @Override
    public int retransmitSeq() {
        return retransmitSeq;
    }

    @Override
    public void retransmitted(int seq, int end) {
        retransmitDue = false;
    }

    @Override
    public boolean inRecovery() {
        return inRecovery;
    }

    @Override
    public long fastRetransmits() {
        return fastRetransmits;
    }
}
