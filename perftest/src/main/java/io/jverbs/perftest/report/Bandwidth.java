package io.jverbs.perftest.report;

/** perftest's bandwidth arithmetic ({@code print_report_bw}), on nanosecond timestamps. */
public final class Bandwidth {
    private Bandwidth() {
    }

    /**
     * Average, peak and message rate of an iteration run, as perftest computes them: average =
     * size·N / (completed[N−1] − posted[0]); peak = size / the smallest per-message time of any
     * window from a post-list boundary i to a completion boundary j ≥ i (time (completed[j] −
     * posted[i]) / (j − i + 1), integer as perftest's cycles).
     *
     * @param bytesPerUnit 2^20 (MiB/sec) or 1.25e8 (Gb/sec)
     * @param noPeak       {@code -N}: peak reported as 0 and not computed (it is O(N²/cqModeration))
     */
    public static BwResult compute(BwTimestamps t, double bytesPerUnit, boolean noPeak) {
        int n = t.messages();
        long[] posted = t.postedNs();
        long[] completed = t.completedNs();
        long elapsed = completed[n - 1] - posted[0];
        if (elapsed <= 0) {
            throw new IllegalArgumentException("last completion (" + completed[n - 1] + " ns) is not after the first post ("
                    + posted[0] + " ns)");
        }
        double peak = 0;
        if (!noPeak) {
            long best = Long.MAX_VALUE;
            int mod = t.cqModeration();
            for (int i = 0; i < n; i += t.postList()) {
                for (int j = roundUp(i + 1, mod) - 1; j < n; j += mod) {
                    best = Math.min(best, (completed[j] - posted[i]) / (j - i + 1));
                }
                // The last message is signalled even when N is not a multiple of the moderation.
                if (n % mod != 0) {
                    best = Math.min(best, (completed[n - 1] - posted[i]) / (n - i));
                }
            }
            // A window shorter than a nanosecond per message cannot be timed: fall back to the average.
            peak = best > 0 ? t.size() * 1e9 / (best * bytesPerUnit) : 0;
        }
        return fromTotals(t.size(), n, elapsed, bytesPerUnit, peak);
    }

    /**
     * Figures from totals (duration runs, a server's count, {@code -N}): average = size·messages /
     * elapsed, message rate = messages / elapsed.
     */
    public static BwResult fromTotals(long size, long messages, long elapsedNs, double bytesPerUnit, double peak) {
        if (elapsedNs <= 0) {
            throw new IllegalArgumentException("elapsed time must be positive: " + elapsedNs + " ns");
        }
        double seconds = elapsedNs / 1e9;
        double average = size * (double) messages / seconds / bytesPerUnit;
        double msgRate = messages / seconds / 1e6;
        return new BwResult(size, messages, peak, average, msgRate);
    }

    private static int roundUp(int value, int multiple) {
        return (value + multiple - 1) / multiple * multiple;
    }
}
