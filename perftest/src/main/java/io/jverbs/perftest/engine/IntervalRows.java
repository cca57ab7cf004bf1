package io.jverbs.perftest.engine;

import io.jverbs.perftest.report.Reporter;

/**
 * {@code --run_infinitely}'s result rows: each covers the messages completed since the previous
 * row over the time since it (perftest's {@code print_report_bw} with {@code iters - last_iters},
 * its clock restarted at each row). The peak is not measured, as in perftest.
 */
final class IntervalRows {
    private final Reporter reporter;
    private final int size;
    private long lastNs;
    private long lastMessages;

    IntervalRows(Reporter reporter, int size, long startNs) {
        this.reporter = reporter;
        this.size = size;
        this.lastNs = startNs;
    }

    /** Prints the row of the interval ending at {@code nowNs}, with {@code messages} completed since the start. */
    void at(long nowNs, long messages) {
        if (nowNs <= lastNs) {
            return;
        }
        reporter.bandwidthDuration(size, messages - lastMessages, nowNs - lastNs);
        lastNs = nowNs;
        lastMessages = messages;
    }
}
