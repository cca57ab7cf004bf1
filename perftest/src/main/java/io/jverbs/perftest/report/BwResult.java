package io.jverbs.perftest.report;

/**
 * One row of the BW table, in the report's unit: exactly what perftest's {@code bw_report_data}
 * holds and what the out-of-band report exchange carries (size, iterations, peak, average, message
 * rate).
 *
 * @param size       message size in bytes
 * @param iterations messages counted (iterations × QPs; the messages of the measured window in -D runs)
 * @param peak       best bandwidth between CQ-moderation boundaries, MiB/sec or Gb/sec (0 with -N)
 * @param average    bytes / (last completion − first post), MiB/sec or Gb/sec
 * @param msgRate    messages / elapsed time, millions per second (Mpps)
 */
public record BwResult(long size, long iterations, double peak, double average, double msgRate) {

    /** The sum of two sides' figures, as perftest prints for {@code -b}. */
    public BwResult plus(BwResult other) {
        return new BwResult(size, iterations, peak + other.peak, average + other.average, msgRate + other.msgRate);
    }
}
