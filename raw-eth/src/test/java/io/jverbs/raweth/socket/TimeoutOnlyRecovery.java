package io.jverbs.raweth.socket;

/**
 * The baseline the transfer tests measure fast retransmit against: the same congestion control,
 * losses repaired by the retransmission timeout alone (duplicate ACKs ignored).
 */
final class TimeoutOnlyRecovery implements LossRecovery {
    private CongestionControl cc;

    @Override
    public void start(CongestionControl cc, int smss, int iss) {
        this.cc = cc;
    }

    @Override
    public boolean onNewAck(int before, int ack, int dataBytes, int sndMax, long srtt, long now) {
        cc.onAck(dataBytes, srtt, now);
        return false;
    }

    @Override
    public void onDuplicateAck(int sndUna, int sndMax, long now) {
    }

    @Override
    public void onTimeout(int sndUna, int sndMax, boolean first, long now) {
        cc.onTimeout(sndMax - sndUna, first, now);
    }

    @Override
    public int window() {
        return cc.cwnd();
    }

    @Override
    public boolean retransmitDue(int sndMax, boolean newData) {
        return false;
    }

    @Override
    public int retransmitSeq() {
        return 0;
    }

    @Override
    public void retransmitted(int seq, int end) {
    }

    @Override
    public boolean inRecovery() {
        return false;
    }

    @Override
    public long fastRetransmits() {
        return 0;
    }
}
