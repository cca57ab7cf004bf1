package io.jverbs.raweth.socket;

/**
 * RFC 5681 congestion control: slow start (byte counting, RFC 3465 with L = 2 SMSS), congestion
 * avoidance of one SMSS per window of bytes acknowledged, ssthresh = max(FlightSize / 2, 2 SMSS) on
 * a loss. Use it with {@code config.withCongestionControl(Reno::new)}.
 */
public final class Reno extends WindowControl {
    private int bytesAcked;

    /** A controller for one connection. */
    public Reno() {
    }

    @Override
    public void start(int smss, long now) {
        super.start(smss, now);
        bytesAcked = 0;
    }

    @Override
    public void onAck(int bytes, long srtt, long now) {
        int rest = slowStart(bytes);
        if (rest <= 0) {
            return;
        }
        // RFC 3465 2.1: one SMSS each time a full window of bytes has been acknowledged
        bytesAcked += rest;
        if (bytesAcked >= cwnd) {
            bytesAcked -= cwnd;
            cwnd += smss;
        }
    }

    @Override
    public void onLoss(int flightSize, long now) {
        ssthresh = reducedThreshold(flightSize);
        cwnd = ssthresh;
        bytesAcked = 0;
    }

    @Override
    public void onTimeout(int flightSize, boolean first, long now) {
        super.onTimeout(flightSize, first, now);
        bytesAcked = 0;
    }

    @Override
    int reducedThreshold(int flightSize) {
        return Math.max(flightSize / 2, 2 * smss); // RFC 5681 (4)
    }

    @Override
    public String toString() {
        return "Reno[cwnd " + cwnd + ", ssthresh " + ssthresh + "]";
    }
}
