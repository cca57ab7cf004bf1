package io.jverbs.perftest;

/** jperf's exit codes (documented in docs/jperf.md). */
public final class ExitCodes {
    /** The test ran and every threshold passed. */
    public static final int OK = 0;
    /** The test failed: no device, a peer error, a timeout, a native call that failed. */
    public static final int FAILURE = 1;
    /** Bad command line: one line on stderr. */
    public static final int USAGE = 2;
    /** The test ran but a {@code --min-bw}/{@code --max-lat} threshold was missed. */
    public static final int THRESHOLD_MISSED = 3;

    private ExitCodes() {
    }
}
