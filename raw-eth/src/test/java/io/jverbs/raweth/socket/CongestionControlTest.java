package io.jverbs.raweth.socket;

import io.jverbs.raweth.port.AllocatedBytes;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Reno} and {@link Cubic} alone: windows after given ACKs, losses and timeouts, against RFC 5681, 3465, 6928 and 9438. */
class CongestionControlTest {
    static final int SMSS = 1000;
    static final long MS = 1_000_000L;
    static final long SECOND = 1_000_000_000L;

    @Test
    void initialWindowFollowsRfc6928() {
        assertEquals(10_000, WindowControl.initialWindow(1000), "10 × SMSS");
        assertEquals(14_600, WindowControl.initialWindow(1460), "14,600 bytes");
        assertEquals(4 * 8960, WindowControl.initialWindow(4 * 8960 / 2), "2 × SMSS");
        Reno r = new Reno();
        r.start(1460, 0);
        assertEquals(14_600, r.cwnd());
        assertEquals(Integer.MAX_VALUE, r.ssthresh());
    }

    @Test
    void renoSlowStartCountsBytesUpToTwoSegmentsPerAck() {
        Reno r = new Reno();
        r.start(SMSS, 0);
        r.onAck(SMSS, -1, 0);
        assertEquals(11_000, r.cwnd(), "one SMSS acknowledged: + 1 SMSS");
        r.onAck(5 * SMSS, -1, 0);
        assertEquals(13_000, r.cwnd(), "a stretch ACK of 5 SMSS: + L = 2 SMSS (RFC 3465)");
        r.onAck(300, -1, 0);
        assertEquals(13_300, r.cwnd(), "bytes, not segments");
        for (int i = 0; i < 10; i++) r.onAck(SMSS, -1, 0);
        assertEquals(23_300, r.cwnd(), "after 10 more ACKs of an SMSS");
    }

    @Test
    void renoCongestionAvoidanceAddsOneSegmentPerWindowAcknowledged() {
        Reno r = new Reno();
        r.start(SMSS, 0);
        r.onLoss(20_000, 0);
        assertEquals(10_000, r.ssthresh(), "RFC 5681 (4): FlightSize / 2");
        assertEquals(10_000, r.cwnd());
        for (int i = 0; i < 9; i++) r.onAck(SMSS, -1, 0);
        assertEquals(10_000, r.cwnd(), "9,000 of a 10,000 window acknowledged: no growth yet");
        r.onAck(SMSS, -1, 0);
        assertEquals(11_000, r.cwnd(), "a full window: + 1 SMSS");
        for (int i = 0; i < 11; i++) r.onAck(SMSS, -1, 0);
        assertEquals(12_000, r.cwnd(), "the next after 11,000 more");
        r.onLoss(3_000, 0);
        assertEquals(2 * SMSS, r.ssthresh(), "at least 2 SMSS");
    }

    @Test
    void timeoutCollapsesToOneSegmentAndHoldsSsthreshWhenRepeated() {
        Reno r = new Reno();
        r.start(SMSS, 0);
        r.onTimeout(30_000, true, 0);
        assertEquals(SMSS, r.cwnd(), "RFC 5681 (5): LW = 1 SMSS");
        assertEquals(15_000, r.ssthresh());
        r.onTimeout(SMSS, false, 0);
        assertEquals(15_000, r.ssthresh(), "the same data timed out again: ssthresh held");
        r.onAck(SMSS, -1, 0);
        r.onAck(SMSS, -1, 0);
        assertEquals(3 * SMSS, r.cwnd(), "slow start again");
        Cubic c = new Cubic();
        c.start(SMSS, 0);
        c.onTimeout(30_000, true, 0);
        assertEquals(SMSS, c.cwnd());
        assertEquals(21_000, c.ssthresh(), "RFC 9438 4.8: ssthresh by β = 0.7");
    }

    @Test
    void recoveryEndAndIdleRestart() {
        Reno r = new Reno();
        r.start(SMSS, 0);
        for (int i = 0; i < 20; i++) r.onAck(2 * SMSS, -1, 0);
        assertEquals(50_000, r.cwnd());
        r.onLoss(40_000, 0);
        r.onRecoveryEnd(5_000, 0);
        assertEquals(6_000, r.cwnd(), "RFC 6582: min(ssthresh, max(FlightSize, SMSS) + SMSS)");
        r.onLoss(60_000, 0);
        r.onRecoveryEnd(50_000, 0);
        assertEquals(30_000, r.cwnd(), "… = ssthresh");
        r.onIdleRestart(0);
        assertEquals(10_000, r.cwnd(), "RFC 5681 4.1: min(IW, cwnd)");
    }

    /** W_cubic per RFC 9438 figure 1 with its constants written out. */
    static double rfcWCubic(double t, double k, double wMax) {
        return 0.4 * Math.pow(t - k, 3) + wMax;
    }

    /** A CUBIC controller that lost at 100 segments and is at 70 (β = 0.7). */
    static Cubic cubicAfterLossAtHundred() {
        Cubic c = new Cubic();
        c.start(SMSS, 0);
        while (c.cwnd() < 100 * SMSS) c.onAck(2 * SMSS, 100 * MS, 0);
        assertEquals(100 * SMSS, c.cwnd());
        c.onLoss(100 * SMSS, SECOND);
        assertEquals(70 * SMSS, c.ssthresh());
        assertEquals(70 * SMSS, c.cwnd());
        assertEquals(100.0, c.wMax());
        c.onRecoveryEnd(70 * SMSS, SECOND);
        assertEquals(70 * SMSS, c.cwnd());
        return c;
    }

    @Test
    void cubicFollowsRfc9438AtChosenTimes() {
        Cubic c = cubicAfterLossAtHundred();
        long rtt = 100 * MS;
        long epoch = 10 * SECOND;
        c.onAck(SMSS, rtt, epoch); // the congestion avoidance stage begins
        double k = Math.cbrt((100 - 70) / 0.4); // RFC 9438 figure 2 with cwnd_epoch = 70
        assertEquals(4.2171633265, k, 1e-9);
        assertEquals(k, c.k(), 1e-12);
        assertEquals(70.0, rfcWCubic(0, k, 100), 1e-9, "W_cubic(0) = β W_max");
        assertEquals(70 + Cubic.ALPHA / 70, c.cwnd() / (double) SMSS, 1e-3,
                "t = 0: W_cubic = 70 < W_est: the Reno-friendly region, cwnd = W_est");
        // one ACK of an SMSS at each chosen time; the expected window from the RFC's formulas
        double[] times = {0.5, 1, 2, k - 0.1, k, k + 1, k + 3, k + 12};
        double alpha = 3 * (1 - 0.7) / (1 + 0.7);
        for (double t : times) {
            double w = c.cwnd() / (double) SMSS;
            double wEst = c.wEst() + (c.wEst() >= 100 ? 1 : alpha) / w;
            double expected;
            if (rfcWCubic(t, k, 100) < wEst) {
                expected = wEst;
            } else {
                double target = Math.min(Math.max(rfcWCubic(t + 0.1, k, 100), w), 1.5 * w);
                expected = w + (target - w) / w; // (target − cwnd) / cwnd per ACK of an SMSS
            }
            c.onAck(SMSS, rtt, epoch + (long) (t * SECOND));
            assertEquals(expected * SMSS, c.cwnd(), 2.0, "t = " + t);
        }
        // drive the ACK clock (a window of ACKs per RTT) through the plateau and beyond W_max
        long now;
        Cubic d = cubicAfterLossAtHundred();
        d.onAck(SMSS, rtt, epoch);
        for (now = epoch; now < epoch + (long) (k * SECOND); now += rtt) {
            for (int i = d.cwnd() / SMSS; i > 0; i--) d.onAck(SMSS, rtt, now);
        }
        double atK = d.cwnd() / (double) SMSS;
        assertTrue(atK > 97 && atK < 100.5, "at t = K the window reaches W_max: " + atK);
        for (; now < epoch + (long) ((k + 4) * SECOND); now += rtt) {
            for (int i = d.cwnd() / SMSS; i > 0; i--) d.onAck(SMSS, rtt, now);
        }
        double later = d.cwnd() / (double) SMSS;
        double t = (now - epoch) / 1e9;
        assertTrue(later > rfcWCubic(t - 1, k, 100) && later <= rfcWCubic(t + 0.1, k, 100) + 1e-9,
                "convex region, between W_cubic(t − 1 s) and W_cubic(t + RTT): " + later);
    }

    @Test
    void cubicFastConvergenceAndTimeout() {
        Cubic c = cubicAfterLossAtHundred();
        c.onLoss(70 * SMSS, 2 * SECOND); // lost again below the last W_max
        assertEquals(70 * 1.7 / 2, c.wMax(), 1e-9, "RFC 9438 4.7: W_max = cwnd (1 + β) / 2");
        assertEquals(49 * SMSS, c.cwnd());
        c.onTimeout(49 * SMSS, true, 3 * SECOND);
        assertEquals(SMSS, c.cwnd());
        assertEquals(34_300, c.ssthresh());
        while (c.cwnd() < c.ssthresh()) c.onAck(SMSS, 100 * MS, 4 * SECOND);
        assertEquals(35_000, c.cwnd(), "slow start by whole ACKs past ssthresh");
        c.onAck(SMSS, 100 * MS, 4 * SECOND);
        assertEquals(0.0, c.k(), "RFC 9438 4.8: the first stage after a timeout has K = 0");
        assertEquals(35.0, c.wMax(), 1e-9, "… and W_max = cwnd at its start");
    }

    @Test
    void cubicAllocatesNothingPerAck() {
        Cubic c = cubicAfterLossAtHundred();
        long[] clock = {10 * SECOND};
        Runnable window = () -> {
            for (int i = 0; i < 1_000_000; i++) c.onAck(SMSS, 100 * MS, clock[0] += 10_000);
        };
        for (int i = 0; i < 200_000; i++) c.onAck(SMSS, 100 * MS, clock[0] += 10_000); // warm
        AllocatedBytes.assertWarmWindowAllocatesNothing("CUBIC, 1,000,000 ACKs", window);
    }
}
