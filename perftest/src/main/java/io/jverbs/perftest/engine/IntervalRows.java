package io.jverbs.perftest.engine;

import io.jverbs.perftest.report.Bandwidth;
import io.jverbs.perftest.report.BwResult;
import io.jverbs.perftest.report.Reporter;

/**
 * {@code --run_infinitely}'s result rows: each covers the messages completed since the previous
 * row over the time since it (perftest's {@code print_report_bw} with {@code iters - last_iters},
 * its clock restarted at each row). The peak is not measured, as in perftest. With {@code -b}
 * average and message rate are twice this side's (perftest's {@code run_inf_bi_factor}: neither
 * side hears the other's count during the run, so both directions are taken to run alike); the
 * iterations column stays this side's count, as perftest prints it.
 */
final class IntervalRows {
    private final Reporter reporter;
    private final int size;
    private final double bytesPerUnit;
    private final int directions;
    private long lastNs;
    private long lastMessages;

    /**
     * @param bytesPerUnit bytes of the table's bandwidth unit (MiB, or Gb with --report_gbits)
     * @param directions   2 for {@code -b} write/read/atomic, else 1
     */
    IntervalRows(Reporter reporter, int size, long startNs, double bytesPerUnit, int directions) {
        if (directions != 1 && directions != 2) {
            throw new IllegalArgumentException("directions must be 1 or 2: " + directions);
        }
        this.reporter = reporter;
        this.size = size;
        this.bytesPerUnit = bytesPerUnit;
        this.directions = directions;
        this.lastNs = startNs;
    }

    /** Prints the row of the interval ending at {@code nowNs}, with {@code messages} completed since the start. */
    void at(long nowNs, long messages) {
        if (nowNs <= lastNs) {
            return;
        }
        long n = messages - lastMessages;
        BwResult own = Bandwidth.fromTotals(size, n, nowNs - lastNs, bytesPerUnit, 0);
        reporter.bandwidth(new BwResult(size, n, 0, own.average() * directions, own.msgRate() * directions));
        lastNs = nowNs;
        lastMessages = messages;
    }
}
