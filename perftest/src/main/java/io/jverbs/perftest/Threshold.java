package io.jverbs.perftest;

import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * A pass/fail limit for CI ({@code --min-bw}, {@code --max-lat}). A run that misses any threshold
 * ends with exit code {@link ExitCodes#THRESHOLD_MISSED}.
 *
 * @param statistic for bandwidth {@code avg} or {@code peak} (in the table's unit: MiB/sec, or
 *                  Gb/sec with {@code --report_gbits}); for latency {@code avg}, {@code typical},
 *                  {@code min}, {@code max} (perftest's figures) or an HdrHistogram percentile
 *                  {@code p50 p90 p99 p99.9 p99.99} (usec)
 * @param limit     the minimum bandwidth or the maximum latency
 * @param minimum   true for {@code --min-bw} (the figure must be at least the limit), false for
 *                  {@code --max-lat} (the figure must be at most the limit)
 */
public record Threshold(String statistic, double limit, boolean minimum) {

    /** The statistics {@code --min-bw} accepts. */
    public static final Set<String> BW_STATISTICS = Set.of("avg", "peak");
    /** The statistics {@code --max-lat} accepts. */
    public static final Set<String> LAT_STATISTICS = Set.of("avg", "typical", "min", "max", "p50", "p90", "p99",
            "p99.9", "p99.99");

    public Threshold {
        Objects.requireNonNull(statistic, "statistic");
        if (!Double.isFinite(limit) || limit < 0) {
            throw new IllegalArgumentException("threshold must be a non-negative number: " + limit);
        }
    }

    /**
     * Parses {@code 25} (the average) or {@code p99=25}.
     *
     * @throws IllegalArgumentException with a one-line message naming what is accepted
     */
    public static Threshold parse(String text, boolean minimum) {
        Set<String> names = minimum ? BW_STATISTICS : LAT_STATISTICS;
        String name = "avg";
        String number = text.trim();
        int eq = number.indexOf('=');
        if (eq >= 0) {
            name = number.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            number = number.substring(eq + 1).trim();
            if (!names.contains(name)) {
                throw new IllegalArgumentException("unknown statistic '" + name + "' in '" + text + "' (use one of "
                        + String.join(", ", names.stream().sorted().toList()) + ")");
            }
        }
        double value;
        try {
            value = Double.parseDouble(number);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a number or STATISTIC=NUMBER");
        }
        if (!Double.isFinite(value) || value < 0) {
            throw new IllegalArgumentException("'" + text + "' must be a non-negative number");
        }
        return new Threshold(name, value, minimum);
    }

    /** Whether a measured figure passes this threshold. */
    public boolean passes(double measured) {
        return minimum ? measured >= limit : measured <= limit;
    }

    /** As typed on the command line, e.g. {@code --max-lat p99=25}. */
    @Override
    public String toString() {
        return (minimum ? "--min-bw " : "--max-lat ") + statistic + "=" + limit;
    }
}
