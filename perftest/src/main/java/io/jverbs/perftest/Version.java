package io.jverbs.perftest;

/** jperf's version and the perftest release whose flags and output it follows. */
public final class Version {
    /** jperf's own version (the jverbs release). */
    public static final String JPERF = "0.1.0-SNAPSHOT";
    /** The perftest release whose command line and text output jperf reproduces. */
    public static final String PERFTEST_COMPATIBLE = "6.29";

    private Version() {
    }

    /** What {@code jperf --version} prints. */
    public static String line() {
        return "jperf " + JPERF + " (perftest-compatible " + PERFTEST_COMPATIBLE + ")";
    }
}
