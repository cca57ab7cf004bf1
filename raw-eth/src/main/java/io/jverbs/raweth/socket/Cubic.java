package io.jverbs.raweth.socket;

/**
 * CUBIC congestion control (RFC 9438), the default as on Linux: after a loss the window follows
 * W_cubic(t) = C (t − K)³ + W_max (C = 0.4, windows in segments, t in seconds since the congestion
 * avoidance stage began, by the interface's clock), concave up to the W_max of the last loss and
 * convex beyond it; never below the Reno-friendly estimate W_est (4.3); multiplicative decrease by
 * β = 0.7 with fast convergence (4.7). Slow start, the window after recovery and after a timeout
 * are RFC 5681's (4.8, 4.10 without HyStart++). Nothing is allocated: the state is a few doubles.
 */
public final class Cubic extends WindowControl {
    /** RFC 9438 4.1: C, segments per second³. */
    static final double C = 0.4;
    /** RFC 9438 4.1: the multiplicative decrease factor. */
    static final double BETA = 0.7;
    /** RFC 9438 4.3: α_cubic = 3 (1 − β) / (1 + β), the Reno-friendly additive increase. */
    static final double ALPHA = 3 * (1 - BETA) / (1 + BETA);
    private static final long NO_EPOCH = Long.MIN_VALUE;

    /** The window at the last congestion event, after fast convergence; segments, 0 when none. */
    private double wMax;
    /** The window just before the last reduction (cwnd_prior); segments. */
    private double cwndPrior;
    private double k;
    private long epochStart = NO_EPOCH;
    private double wEst;
    /** Sub-byte growth not yet in {@link #cwnd}. */
    private double fraction;

    /** A controller for one connection. */
    public Cubic() {
    }

    @Override
    public void start(int smss, long now) {
        super.start(smss, now);
        wMax = 0;
        cwndPrior = 0;
        k = 0;
        epochStart = NO_EPOCH;
        wEst = 0;
        fraction = 0;
    }

    /** RFC 9438 figure 1: the cubic window at {@code t} seconds into the stage, in segments. */
    static double wCubic(double t, double k, double wMax) {
        double d = t - k;
        return C * d * d * d + wMax;
    }

    /** RFC 9438 figure 2: K = ∛((W_max − cwnd_epoch) / C), seconds. */
    static double k(double wMax, double cwndEpoch) {
        return Math.cbrt((wMax - cwndEpoch) / C);
    }

    @Override
    public void onAck(int bytes, long srtt, long now) {
        int rest = slowStart(bytes);
        if (rest <= 0) {
            return;
        }
        double w = (cwnd + fraction) / smss;
        if (epochStart == NO_EPOCH) {
            // a congestion avoidance stage begins (RFC 9438 4.2); after a timeout or without a loss yet, K = 0
            epochStart = now;
            if (wMax <= w) {
                wMax = w;
                k = 0;
            } else {
                k = k(wMax, w);
            }
            wEst = w;
        }
        double acked = (double) rest / smss;
        double t = (now - epochStart) / 1e9;
        double rtt = srtt > 0 ? srtt / 1e9 : 0;
        // 4.3: the Reno-friendly estimate grows by α_cubic per window, by 1 once past cwnd_prior
        wEst += (wEst >= cwndPrior ? 1 : ALPHA) * acked / w;
        double next;
        if (wCubic(t, k, wMax) < wEst) {
            next = wEst; // Reno-friendly region
        } else {
            // 4.4/4.5: towards W_cubic one RTT ahead, bounded by [cwnd, 1.5 cwnd], (target − cwnd)/cwnd per segment
            double target = Math.clamp(wCubic(t + rtt, k, wMax), w, 1.5 * w);
            next = w + (target - w) * acked / w;
        }
        setWindow(next * smss);
    }

    @Override
    public void onLoss(int flightSize, long now) {
        reduce(flightSize);
        wMax = fastConvergence(cwnd / (double) smss);
        cwnd = ssthresh;
    }

    @Override
    public void onTimeout(int flightSize, boolean first, long now) {
        if (first) {
            reduce(flightSize);
            wMax = 0; // 4.8: the first stage after a timeout has K = 0 and W_max = cwnd at its start
        }
        epochStart = NO_EPOCH;
        fraction = 0;
        cwnd = smss;
    }

    @Override
    public void onIdleRestart(long now) {
        super.onIdleRestart(now);
        epochStart = NO_EPOCH; // the idle time is no part of t
        fraction = 0;
    }

    /** 4.6: ssthresh = max(FlightSize × β, 2 SMSS), cwnd_prior remembered, a new stage at the next ACK. */
    private void reduce(int flightSize) {
        cwndPrior = cwnd / (double) smss;
        ssthresh = reducedThreshold(flightSize);
        epochStart = NO_EPOCH;
        fraction = 0;
    }

    /** 4.7: a window that stopped below the last W_max releases bandwidth: W_max = cwnd (1 + β) / 2. */
    private double fastConvergence(double w) {
        return w < wMax ? w * (1 + BETA) / 2 : w;
    }

    @Override
    int reducedThreshold(int flightSize) {
        return Math.max((int) (flightSize * BETA), 2 * smss);
    }

    private void setWindow(double bytes) {
        double b = Math.min(bytes, Integer.MAX_VALUE);
        cwnd = (int) b;
        fraction = b - cwnd;
    }

    /** W_max in segments (0 before a loss): for tests. */
    double wMax() {
        return wMax;
    }

    /** K in seconds: for tests. */
    double k() {
        return k;
    }

    /** W_est in segments: for tests. */
    double wEst() {
        return wEst;
    }

    @Override
    public String toString() {
        return "Cubic[cwnd " + cwnd + ", ssthresh " + ssthresh + ", W_max " + wMax + ", K " + k + "]";
    }
}
