package io.jverbs.perftest.report;

import io.jverbs.perftest.TestKind;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Latency statistics of one size, in microseconds (one-way for send and write, round trip for read
 * and atomic, as perftest reports them).
 *
 * <p>perftest's figures ({@code print_report_lat}): samples are the differences between
 * consecutive post times; they are sorted and the 2 largest dropped (m samples remain); t_min =
 * d[0], t_max = d[m] (the larger of the dropped two is not reported, the smaller is), t_typical =
 * median of d[0..m) (mean of the middle two when m is even, integer ns as perftest's cycles),
 * t_avg = mean of d[0..m), 99% = d[ceil(0.99·m)], 99.9% = d[ceil(0.999·m)]. t_stdev is the
 * population standard deviation of d[0..m), computed in floating point: perftest truncates every
 * deviation to whole microseconds before squaring, so it prints 0.00 below 1 µs (jperf does not
 * copy that bug).
 *
 * <p>{@link #percentiles()} come from an HdrHistogram of the same m samples (3 significant
 * digits): p50, p90, p99, p99.9, p99.99 and max.
 *
 * @param size        message size in bytes
 * @param iterations  iterations run (-n), as perftest prints them
 * @param samples     m, the samples the statistics use
 * @param min         t_min
 * @param max         t_max
 * @param typical     t_typical (median)
 * @param average     t_avg
 * @param stdev       t_stdev (correct)
 * @param p99         perftest's 99% percentile
 * @param p999        perftest's 99.9% percentile
 * @param percentiles HdrHistogram percentiles by name ({@code p50 p90 p99 p99.9 p99.99 max}), usec
 * @param histogram   the samples in nanoseconds (one-way or round trip as above)
 * @param sortedUsec  the m sorted samples in usec for {@code -H}, or null (duration runs)
 */
public record LatencyStats(long size, long iterations, long samples, double min, double max, double typical,
                           double average, double stdev, double p99, double p999, Map<String, Double> percentiles,
                           Histogram histogram, double[] sortedUsec) {

    /** The HdrHistogram percentiles jperf reports, by name. */
    public static final Map<String, Double> PERCENTILES = Map.of("p50", 50.0, "p90", 90.0, "p99", 99.0,
            "p99.9", 99.9, "p99.99", 99.99);

    /** perftest drops this many of the largest samples ({@code LAT_MEASURE_TAIL}). */
    public static final int DROPPED_TAIL = 2;

    /** A histogram for latency samples in ns: 1 ns .. 1 hour, 3 significant digits, no resizing. */
    public static Histogram newHistogram() {
        return new Histogram(1, 3_600_000_000_000L, 3);
    }

    /**
     * Statistics from the post times of an iteration run.
     *
     * @param postedNs   post time of each iteration, ns (monotonic); the first {@code iterations} are used
     * @param iterations iterations run; at least {@link #DROPPED_TAIL} + 2
     * @param kind       halves round trips for send and write
     */
    public static LatencyStats fromPostTimes(long size, long[] postedNs, int iterations, TestKind kind) {
        if (iterations < DROPPED_TAIL + 2 || postedNs.length < iterations) {
            throw new IllegalArgumentException("need at least " + (DROPPED_TAIL + 2) + " post times, have "
                    + Math.min(iterations, postedNs.length));
        }
        long[] delta = new long[iterations - 1];
        for (int i = 0; i < delta.length; i++) {
            delta[i] = postedNs[i + 1] - postedNs[i];
        }
        Arrays.sort(delta);
        int m = delta.length - DROPPED_TAIL;
        double quotient = 1000.0 * kind.rttFactor();
        long median = (m - 1) % 2 != 0 ? (delta[m / 2] + delta[m / 2 - 1]) / 2 : delta[m / 2];
        double sum = 0;
        double[] sorted = new double[m];
        for (int i = 0; i < m; i++) {
            sorted[i] = delta[i] / quotient;
            sum += sorted[i];
        }
        double average = sum / m;
        double squares = 0;
        for (int i = 0; i < m; i++) {
            squares += (sorted[i] - average) * (sorted[i] - average);
        }
        Histogram histogram = newHistogram();
        for (int i = 0; i < m; i++) {
            histogram.recordValue(Math.max(1, delta[i] / kind.rttFactor()));
        }
        return new LatencyStats(size, iterations, m, delta[0] / quotient, delta[m] / quotient, median / quotient,
                average, Math.sqrt(squares / m), delta[(int) Math.ceil(m * 0.99)] / quotient,
                delta[(int) Math.ceil(m * 0.999)] / quotient, percentilesOf(histogram), histogram, sorted);
    }

    /**
     * Statistics of a duration run from its histogram (every sample recorded, nothing dropped):
     * perftest reports only t_avg there; jperf adds the rest. Min, max, typical and the percentiles
     * are the histogram's (3 significant digits); average and stdev are the histogram's mean and
     * standard deviation.
     *
     * @param histogram  samples in ns, already one-way for send and write (see {@link LatencyRecorder})
     * @param iterations round trips in the measured window
     */
    public static LatencyStats fromHistogram(long size, long iterations, Histogram histogram) {
        if (histogram.getTotalCount() == 0) {
            throw new IllegalArgumentException("no latency samples recorded");
        }
        double us = 1000.0;
        return new LatencyStats(size, iterations, histogram.getTotalCount(), histogram.getMinValue() / us,
                histogram.getMaxValue() / us, histogram.getValueAtPercentile(50) / us, histogram.getMean() / us,
                histogram.getStdDeviation() / us, histogram.getValueAtPercentile(99) / us,
                histogram.getValueAtPercentile(99.9) / us, percentilesOf(histogram), histogram, null);
    }

    /** A figure by threshold name ({@code avg typical min max p50 p90 p99 p99.9 p99.99}), usec. */
    public double statistic(String name) {
        return switch (name) {
            case "avg" -> average;
            case "typical" -> typical;
            case "min" -> min;
            case "max" -> max;
            default -> {
                Double value = percentiles.get(name);
                if (value == null) {
                    throw new IllegalArgumentException("unknown latency statistic: " + name);
                }
                yield value;
            }
        };
    }

    private static Map<String, Double> percentilesOf(Histogram histogram) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String name : new String[] {"p50", "p90", "p99", "p99.9", "p99.99"}) {
            out.put(name, histogram.getValueAtPercentile(PERCENTILES.get(name)) / 1000.0);
        }
        out.put("max", histogram.getMaxValue() / 1000.0);
        return java.util.Collections.unmodifiableMap(out);
    }
}
