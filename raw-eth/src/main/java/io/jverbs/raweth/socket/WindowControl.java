package io.jverbs.raweth.socket;

/**
 * What Reno and CUBIC share (RFC 5681): the initial window of RFC 6928, slow start with byte
 * counting capped at L = 2 SMSS per ACK (RFC 3465 2.2), the window after fast recovery, the
 * collapse to one segment on a timeout and the restart window after idle.
 */
abstract sealed class WindowControl implements CongestionControl permits Reno, Cubic {
    int smss = TcpSocket.DEFAULT_MSS;
    int cwnd;
    int ssthresh = Integer.MAX_VALUE;

    /** RFC 6928: IW = min(10 × SMSS, max(2 × SMSS, 14,600 bytes)). */
    static int initialWindow(int smss) {
        return Math.min(10 * smss, Math.max(2 * smss, 14_600));
    }

    @Override
    public void start(int smss, long now) {
        this.smss = smss;
        cwnd = initialWindow(smss);
        ssthresh = Integer.MAX_VALUE;
    }

    @Override
    public int cwnd() {
        return cwnd;
    }

    @Override
    public int ssthresh() {
        return ssthresh;
    }

    /** RFC 5681 3.1: slow start while cwnd &lt; ssthresh; returns the bytes left for congestion avoidance. */
    final int slowStart(int bytes) {
        if (cwnd >= ssthresh) {
            return bytes;
        }
        int grow = Math.min(bytes, 2 * smss); // RFC 3465: L = 2 SMSS
        cwnd = (int) Math.min((long) cwnd + grow, Integer.MAX_VALUE);
        return cwnd > ssthresh ? bytes - grow : 0;
    }

    /** RFC 6582 3.2 step 3: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS), no burst after recovery. */
    @Override
    public void onRecoveryEnd(int flightSize, long now) {
        cwnd = Math.min(ssthresh, Math.max(flightSize, smss) + smss);
    }

    /** RFC 5681 3.1 (4) and (5): ssthresh from the flight unless this timeout repeats; cwnd = 1 SMSS. */
    @Override
    public void onTimeout(int flightSize, boolean first, long now) {
        if (first) {
            ssthresh = reducedThreshold(flightSize);
        }
        cwnd = smss;
    }

    /** RFC 5681 4.1: cwnd = min(RW, cwnd) with RW the initial window. */
    @Override
    public void onIdleRestart(long now) {
        cwnd = Math.min(cwnd, initialWindow(smss));
    }

    /** The ssthresh after a loss with {@code flightSize} outstanding, at least 2 SMSS. */
    abstract int reducedThreshold(int flightSize);
}
