package io.jverbs.perftest;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How a run's results are reported: perftest's text options and jperf's extras.
 *
 * @param style        which perftest's text output to reproduce ({@code --style})
 * @param reportGbits  BW in Gb/sec (10^9 bits) instead of MiB/sec ({@code --report_gbits})
 * @param reportBoth   RX and TX figures separately in bidirectional runs ({@code --report-both})
 * @param output       full report or one number ({@code --output})
 * @param outJson      perftest's JSON file ({@code --out_json}, {@code --out_json_file}); null when off
 * @param json         jperf's strict JSON document on stdout instead of the text ({@code --json})
 * @param jsonFile     jperf's strict JSON document written to a file ({@code --json-file}); null when off
 * @param hdrLog       HdrHistogram log of the latency samples ({@code --hdr-log}); null when off
 * @param plot         PNG or SVG chart ({@code --plot}); null when off
 * @param thresholds   {@code --min-bw}/{@code --max-lat} limits; empty when none
 * @param reportCycles latency in CPU cycles instead of usec ({@code -C}); jperf measures in ns and
 *                     reports cycles as ns (there is no cycle counter in Java)
 * @param histogram    print every sorted sample ({@code -H})
 * @param unsorted     print every sample in order ({@code -U}, implies {@code -H})
 * @param debug        stack traces and protocol traces on errors ({@code --debug})
 */
public record Reporting(ReportStyle style, boolean reportGbits, boolean reportBoth, OutputMode output, Path outJson,
                        boolean json, Path jsonFile, Path hdrLog, Path plot, List<Threshold> thresholds,
                        boolean reportCycles, boolean histogram, boolean unsorted, boolean debug) {

    /** perftest's default file for {@code --out_json}. */
    public static final String DEFAULT_OUT_JSON = "perftest_out.json";

    public Reporting {
        Objects.requireNonNull(style, "style");
        Objects.requireNonNull(output, "output");
        thresholds = List.copyOf(thresholds);
    }

    /** The defaults: upstream text, MiB/sec, nothing extra. */
    public static Reporting defaults() {
        return new Reporting(ReportStyle.UPSTREAM, false, false, OutputMode.FULL, null, false, null, null, null,
                List.of(), false, false, false, false);
    }

    /** The BW unit label of the table header: {@code MiB/sec}, {@code MB/sec} or {@code Gb/sec}. */
    public String bwUnit() {
        return reportGbits ? "Gb/sec" : style.mebibyteLabel();
    }

    /** Bytes per BW unit: 2^20 for MiB (and Debian's "MB"), 125 000 000 for Gb (10^9 bits). */
    public double bytesPerBwUnit() {
        return reportGbits ? 125_000_000.0 : 1_048_576.0;
    }
}
