package io.jverbs.perftest.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jverbs.perftest.TestKind;
import org.junit.jupiter.api.Test;

/** Statistics against values computed by hand from perftest's rules. */
class StatisticsTest {
    static final double MIB = 1 << 20;

    @Test
    void latencyFollowsPerftest() {
        // Round trips (ns): 10,20,30,40,50,60,70,1000,2000 -> post times are their running sums.
        long[] rtt = {40_000, 10_000, 2_000_000, 30_000, 20_000, 1_000_000, 60_000, 50_000, 70_000};
        long[] posted = new long[rtt.length + 1];
        for (int i = 0; i < rtt.length; i++) {
            posted[i + 1] = posted[i] + rtt[i];
        }
        // read: the round trip is reported whole. Sorted: 10 20 30 40 50 60 70 | 1000 2000 (dropped) us.
        LatencyStats r = LatencyStats.fromPostTimes(8, posted, posted.length, TestKind.READ);
        assertEquals(7, r.samples());
        assertEquals(10.0, r.min(), 1e-9);
        assertEquals(1000.0, r.max(), 1e-9, "t_max is d[m]: the smaller of the two dropped");
        assertEquals(40.0, r.typical(), 1e-9, "odd m: the middle sample");
        assertEquals(40.0, r.average(), 1e-9);
        // population stdev of 10..70: sqrt((900+400+100+0+100+400+900)/7) = sqrt(400) = 20
        assertEquals(20.0, r.stdev(), 1e-9);
        assertEquals(1000.0, r.p99(), 1e-9, "d[ceil(0.99*7)] = d[7]");
        assertEquals(1000.0, r.p999(), 1e-9);
        // write: halved.
        LatencyStats w = LatencyStats.fromPostTimes(8, posted, posted.length, TestKind.WRITE);
        assertEquals(20.0, w.typical(), 1e-9);
        assertEquals(10.0, w.stdev(), 1e-9);
        assertEquals(20.0, w.statistic("avg"), 1e-9);
        assertEquals(500.0, w.statistic("max"), 1e-9);
    }

    @Test
    void evenSampleCountTakesTheMeanOfTheMiddleTwo() {
        long[] posted = {0, 1000, 3000, 6000, 10000, 15000, 21000, 28000}; // deltas 1..7 us
        LatencyStats s = LatencyStats.fromPostTimes(2, posted, posted.length, TestKind.ATOMIC);
        assertEquals(5, s.samples(), "7 deltas minus 2");
        assertEquals(3.0, s.typical(), 1e-9);
        posted = new long[] {0, 1000, 3000, 6000, 10000, 15000, 21000}; // deltas 1..6 us, m = 4
        s = LatencyStats.fromPostTimes(2, posted, posted.length, TestKind.ATOMIC);
        assertEquals(2.5, s.typical(), 1e-9);
        assertEquals(5.0, s.max(), 1e-9);
    }

    @Test
    void stdevIsNotTruncatedLikePerftest() {
        long[] posted = new long[102];
        for (int i = 1; i < posted.length; i++) {
            posted[i] = posted[i - 1] + (i % 2 == 0 ? 1000 : 1600); // 1.0 and 1.6 us
        }
        LatencyStats s = LatencyStats.fromPostTimes(2, posted, posted.length, TestKind.READ);
        // 101 deltas, 2 largest (1.6) dropped: 50 x 1.0 and 49 x 1.6.
        double mean = (50 * 1.0 + 49 * 1.6) / 99;
        double var = (50 * Math.pow(1.0 - mean, 2) + 49 * Math.pow(1.6 - mean, 2)) / 99;
        assertEquals(Math.sqrt(var), s.stdev(), 1e-9);
        assertEquals(0.3, s.stdev(), 0.01, "perftest would print 0.00");
        assertEquals(1.0, s.percentiles().get("p50"), 0.001);
        assertEquals(1.6, s.percentiles().get("p99"), 0.002);
        assertEquals(1.6, s.percentiles().get("max"), 0.002);
    }

    @Test
    void tooFewSamplesIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> LatencyStats.fromPostTimes(2, new long[3], 3, TestKind.SEND));
    }

    @Test
    void bandwidthAverageAndRate() {
        // 4 messages of 1 MiB, first post at 1000 ns, last completion 1 ms later.
        long[] posted = {1000, 2000, 3000, 4000};
        long[] completed = {0, 0, 0, 1_001_000};
        BwResult r = Bandwidth.compute(new BwTimestamps(1 << 20, 4, posted, completed, 1, 4), MIB, true);
        assertEquals(4000.0, r.average(), 1e-9, "4 MiB in 1 ms");
        assertEquals(0.004, r.msgRate(), 1e-12, "4 messages in 1 ms = 0.004 Mpps");
        assertEquals(0.0, r.peak());
        assertEquals(4, r.iterations());
        BwResult g = Bandwidth.compute(new BwTimestamps(1 << 20, 4, posted, completed, 1, 4), 125_000_000.0, true);
        assertEquals(4.0 * MIB * 8 / 1e6, g.average(), 1e-9, "Gb/sec = bits / 10^9 per second");
    }

    @Test
    void peakIsTheBestModerationWindow() {
        // 4 messages, a completion every 2: slots 1 and 3. Windows (per message, integer ns):
        // i=0: j=1 (300-0)/2=150, j=3 (1000-0)/4=250; i=1: j=1 (300-100)/1=200, j=3 (1000-100)/3=300;
        // i=2: j=3 (1000-200)/2=400; i=3: j=3 (1000-300)/1=700. Best 150 ns per message.
        long[] posted = {0, 100, 200, 300};
        long[] completed = {0, 300, 0, 1000};
        BwResult r = Bandwidth.compute(new BwTimestamps(1024, 4, posted, completed, 1, 2), MIB, false);
        assertEquals(1024 * 1e9 / 150 / MIB, r.peak(), 1e-9);
        assertEquals(1024 * 4 / 1e-6 / MIB, r.average(), 1e-9);
        // N not a multiple of the moderation: the last message is a window end too.
        long[] posted5 = {0, 100, 200, 300, 400};
        long[] completed5 = {0, 0, 0, 350, 420};
        BwResult r5 = Bandwidth.compute(new BwTimestamps(1024, 5, posted5, completed5, 1, 4), MIB, false);
        // i=4: j=4 (420-400)/1 = 20 ns is the best window.
        assertEquals(1024 * 1e9 / 20 / MIB, r5.peak(), 1e-9);
    }

    @Test
    void durationFiguresFromTotalsAndTheSum() {
        BwResult d = Bandwidth.fromTotals(65536, 1000, 2_000_000_000L, MIB, 0);
        assertEquals(65536.0 * 1000 / 2 / MIB, d.average(), 1e-9);
        assertEquals(500.0 / 1e6, d.msgRate(), 1e-15);
        BwResult sum = d.plus(new BwResult(65536, 1000, 1, 2, 3));
        assertEquals(d.average() + 2, sum.average(), 1e-12);
        assertEquals(1.0, sum.peak(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Bandwidth.fromTotals(1, 1, 0, MIB, 0));
    }

    @Test
    void recorderHalvesSendRoundTrips() {
        LatencyRecorder rec = new LatencyRecorder(TestKind.SEND);
        for (int i = 0; i < 100; i++) {
            rec.record(20_000);
        }
        var interval = rec.takeInterval();
        assertEquals(100, interval.getTotalCount());
        assertEquals(10_000, interval.getValueAtPercentile(50), 10);
        assertEquals(0, rec.takeInterval().getTotalCount(), "an interval resets");
        assertEquals(100, rec.total().getTotalCount());
        LatencyStats s = LatencyStats.fromHistogram(2, 100, rec.total());
        assertEquals(10.0, s.typical(), 0.01);
        assertEquals(0.0, s.stdev(), 1e-9);
    }
}
