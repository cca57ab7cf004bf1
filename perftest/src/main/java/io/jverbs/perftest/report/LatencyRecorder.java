package io.jverbs.perftest.report;

import io.jverbs.perftest.TestKind;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * Records round trips of a duration latency run without allocating: the measuring thread calls
 * {@link #record}; the progress line and the HdrHistogram log take interval histograms.
 */
public final class LatencyRecorder {
    private final int rttFactor;
    private final SingleWriterRecorder interval = new SingleWriterRecorder(1, 3_600_000_000_000L, 3);
    private final Histogram total = LatencyStats.newHistogram();
    private Histogram recycled;

    /** A recorder that halves round trips for send and write, as perftest reports them. */
    public LatencyRecorder(TestKind kind) {
        this.rttFactor = kind.rttFactor();
    }

    /** Records one round trip (ns). Allocation-free; called by the measuring thread only. */
    public void record(long roundTripNs) {
        interval.recordValue(Math.max(1, roundTripNs / rttFactor));
    }

    /** Samples since the last call (ns, one-way for send/write); also added to {@link #total()}. */
    public Histogram takeInterval() {
        recycled = interval.getIntervalHistogram(recycled);
        total.add(recycled);
        return recycled.copy();
    }

    /** Every sample taken by {@link #takeInterval()} so far. */
    public Histogram total() {
        return total;
    }
}
