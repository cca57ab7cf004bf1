package io.jverbs.perftest;

/**
 * Which perftest's text output jperf reproduces ({@code --style}). Both compute bandwidth with
 * 1 MiB = 2^20 bytes; they differ in the unit label and in two header lines.
 */
public enum ReportStyle {
    /** Upstream perftest (6.29): {@code BW peak[MiB/sec]}, header lines with Lock-free and Enhanced Reorder. */
    UPSTREAM("6.29", "MiB/sec"),
    /** Debian 12's perftest 6.06: {@code BW peak[MB/sec]}, older header lines. */
    DEBIAN("6.06", "MB/sec");

    private final String perftestVersion;
    private final String mebibyteLabel;

    ReportStyle(String perftestVersion, String mebibyteLabel) {
        this.perftestVersion = perftestVersion;
        this.mebibyteLabel = mebibyteLabel;
    }

    /** The perftest version whose output this style reproduces. */
    public String perftestVersion() {
        return perftestVersion;
    }

    /** The label of the 2^20-byte unit in the BW table header. */
    public String mebibyteLabel() {
        return mebibyteLabel;
    }
}
