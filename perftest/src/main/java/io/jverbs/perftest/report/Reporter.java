package io.jverbs.perftest.report;

/**
 * What an engine tells the report, in the order perftest prints it. The engine owns timing and
 * the wire; the reporter owns arithmetic, text, JSON, logs, plots and thresholds. Every method
 * is called from one thread; none is called inside a measured loop except through
 * {@link LatencyRecorder#record}.
 *
 * <p>A client run: {@link #header}, {@link #endpoint} for each local then each remote QP,
 * {@link #tableHeader}, per size {@link #bandwidth(BwTimestamps)} or {@link #latency}, then
 * {@link #tableFooter}. A server adds {@link #waitingForClient} first, and for unidirectional
 * write/read/atomic prints the client's figures with {@link #bandwidth(BwResult)}.
 */
public interface Reporter {
    /** The server banner, before accepting the out-of-band connection. */
    void waitingForClient();

    /** The header block (test, device, depths, MTU, ...). */
    void header(HeaderFacts facts);

    /** One QP's address line (and its GID line). */
    void endpoint(Endpoint endpoint, boolean local);

    /** The result table's header (BW or LAT, per the parameters). */
    void tableHeader();

    /** Computes one size's BW figures from timestamps, prints the row and keeps it. */
    BwResult bandwidth(BwTimestamps timestamps);

    /** Prints and keeps a row computed elsewhere: the peer's report, or a {@code -b} sum. */
    void bandwidth(BwResult result);

    /**
     * A duration BW run's figures: messages completed in the measured window (between the
     * margins) over its length. The peak is the best progress window ({@link #progress(long, long, long)}).
     */
    BwResult bandwidthDuration(long size, long messages, long elapsedNs);

    /** Computes one size's latency statistics from the post times (ns), prints the row and keeps it. */
    LatencyStats latency(long size, long[] postedNs, int iterations);

    /**
     * A duration latency run: perftest's row (t_avg = elapsed / iterations / rtt factor, and
     * transactions per second), then jperf's full statistics of every sample the recorder holds.
     */
    LatencyStats latencyDuration(long size, long iterations, long elapsedNs, LatencyRecorder recorder);

    /** A -D BW progress line: cumulative messages of {@code size} bytes at {@code elapsedNs} since the start. */
    void progress(long elapsedNs, long messages, long size);

    /** A -D LAT progress line: percentiles of the samples recorded since the previous line. */
    void progress(long elapsedNs, LatencyRecorder recorder);

    /**
     * A line perftest prints between the rows and the closing line, given with its newlines, e.g.
     * {@code "\n User stopped traffic\n"} after {@code --run_infinitely} was stopped.
     */
    void message(String text);

    /** The closing result line. */
    void tableFooter();
}
