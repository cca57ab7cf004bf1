package io.jverbs.perftest.report;

import static io.jverbs.perftest.report.CFormat.f;

import io.jverbs.perftest.ExitCodes;
import io.jverbs.perftest.Measure;
import io.jverbs.perftest.OutputMode;
import io.jverbs.perftest.TestParameters;
import io.jverbs.perftest.Threshold;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * The {@link Reporter} of a run: prints perftest's text to {@code out} (unless {@code --json}),
 * progress lines to {@code err}, keeps every figure, and at {@link #finish()} writes the JSON
 * files, the HdrHistogram log and the plot, and checks the thresholds.
 */
public final class RunReport implements Reporter {
    /** One -D progress window. */
    public record Window(long startNs, long endNs, double bandwidth, double msgRate) {
    }

    private final TestParameters p;
    private final PerftestText text;
    private final PrintStream out;
    private final PrintStream err;
    private final boolean printText;
    private final List<BwResult> bw = new ArrayList<>();
    private final List<LatencyStats> lat = new ArrayList<>();
    private final List<Window> windows = new ArrayList<>();
    private final List<Histogram> intervals = new ArrayList<>();
    private HeaderFacts facts;
    private long lastProgressNs;
    private long lastMessages;

    /** A report of the run {@code parameters} printing to {@code out} and {@code err}. */
    public RunReport(TestParameters parameters, PrintStream out, PrintStream err) {
        this.p = parameters;
        this.text = new PerftestText(parameters);
        this.out = out;
        this.err = err;
        this.printText = !parameters.reporting().json();
    }

    private boolean full() {
        return printText && p.reporting().output() == OutputMode.FULL;
    }

    private void print(String s) {
        if (full()) {
            out.print(s);
            out.flush();
        }
    }

    @Override
    public void waitingForClient() {
        print(PerftestText.serverBanner());
    }

    @Override
    public void header(HeaderFacts headerFacts) {
        this.facts = headerFacts;
        print(text.header(headerFacts));
    }

    @Override
    public void endpoint(Endpoint endpoint, boolean local) {
        print(text.address(endpoint, local));
    }

    @Override
    public void tableHeader() {
        print(p.measure() == Measure.BW ? text.bwTableHeader() : text.latTableHeader());
    }

    @Override
    public BwResult bandwidth(BwTimestamps timestamps) {
        BwResult r = Bandwidth.compute(timestamps, p.reporting().bytesPerBwUnit(), p.noPeak());
        bandwidth(r);
        return r;
    }

    @Override
    public void bandwidth(BwResult result) {
        bw.add(result);
        if (printText) {
            out.print(text.bwRow(result));
            out.flush();
        }
    }

    @Override
    public BwResult bandwidthDuration(long size, long messages, long elapsedNs) {
        double peak = p.noPeak() ? 0 : windows.stream().mapToDouble(Window::bandwidth).max().orElse(0);
        BwResult r = Bandwidth.fromTotals(size, messages, elapsedNs, p.reporting().bytesPerBwUnit(), peak);
        bandwidth(r);
        return r;
    }

    @Override
    public LatencyStats latency(long size, long[] postedNs, int iterations) {
        LatencyStats s = LatencyStats.fromPostTimes(size, postedNs, iterations, p.kind());
        lat.add(s);
        double[] unsorted = null;
        if (p.reporting().unsorted()) {
            unsorted = new double[iterations - 1];
            for (int i = 0; i < unsorted.length; i++) {
                unsorted[i] = (postedNs[i + 1] - postedNs[i]) / (1000.0 * p.kind().rttFactor());
            }
        }
        if (printText) {
            out.print(text.latRow(s, unsorted));
            out.flush();
        }
        return s;
    }

    @Override
    public LatencyStats latencyDuration(long size, long iterations, long elapsedNs, LatencyRecorder recorder) {
        if (iterations <= 0 || elapsedNs <= 0) {
            throw new IllegalArgumentException("a duration run needs iterations and time: " + iterations + ", "
                    + elapsedNs + " ns");
        }
        Histogram last = recorder.takeInterval();
        if (last.getTotalCount() > 0) {
            intervals.add(last);
        }
        double average = elapsedNs / 1000.0 / p.kind().rttFactor() / iterations;
        double tps = iterations / (elapsedNs / 1e9);
        LatencyStats s = LatencyStats.fromHistogram(size, iterations, recorder.total());
        lat.add(s);
        if (printText) {
            out.print(text.latDurationRow(size, iterations, average, tps));
            if (full()) {
                // jperf's addition (perftest issue #80): the full statistics of the duration run.
                out.print(PerftestText.RESULT_LINE + " jperf: statistics of all " + s.samples() + " samples"
                        + " (HdrHistogram, 3 significant digits)\n");
                out.print(text.latTableHeaderIterations());
                out.print(text.latRow(s, null));
            }
            out.flush();
        }
        return s;
    }

    @Override
    public void progress(long elapsedNs, long messages, long size) {
        if (elapsedNs <= lastProgressNs) {
            return;
        }
        double seconds = (elapsedNs - lastProgressNs) / 1e9;
        long count = messages - lastMessages;
        double bandwidth = size * (double) count / seconds / p.reporting().bytesPerBwUnit();
        double rate = count / seconds / 1e6;
        windows.add(new Window(lastProgressNs, elapsedNs, bandwidth, rate));
        err.print(f(" [%6.1f s] BW %.2f %s  MsgRate %.6f Mpps\n", elapsedNs / 1e9, bandwidth, p.reporting().bwUnit(),
                rate));
        err.flush();
        lastProgressNs = elapsedNs;
        lastMessages = messages;
    }

    @Override
    public void progress(long elapsedNs, LatencyRecorder recorder) {
        Histogram h = recorder.takeInterval();
        h.setStartTimeStamp(lastProgressNs / 1_000_000);
        h.setEndTimeStamp(elapsedNs / 1_000_000);
        lastProgressNs = elapsedNs;
        if (h.getTotalCount() == 0) {
            err.print(f(" [%6.1f s] no samples\n", elapsedNs / 1e9));
            return;
        }
        intervals.add(h);
        err.print(f(" [%6.1f s] %d samples  p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f usec\n", elapsedNs / 1e9,
                h.getTotalCount(), h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0));
        err.flush();
    }

    @Override
    public void message(String text) {
        print(text);
    }

    @Override
    public void tableFooter() {
        print(PerftestText.RESULT_LINE);
    }

    /** The BW rows so far, in order. */
    public List<BwResult> bandwidthResults() {
        return Collections.unmodifiableList(bw);
    }

    /** The latency statistics so far, in order. */
    public List<LatencyStats> latencyResults() {
        return Collections.unmodifiableList(lat);
    }

    /** The -D progress windows so far. */
    public List<Window> windows() {
        return Collections.unmodifiableList(windows);
    }

    /** Interval histograms of -D latency runs (for the HdrHistogram log). */
    List<Histogram> intervals() {
        return Collections.unmodifiableList(intervals);
    }

    HeaderFacts facts() {
        return facts;
    }

    /**
     * Writes the requested files (perftest JSON, jperf JSON, HdrHistogram log, plot), prints jperf's
     * JSON when {@code --json}, checks the thresholds and returns the exit code: {@link ExitCodes#OK}
     * or {@link ExitCodes#THRESHOLD_MISSED} (with one line per missed threshold on {@code err}).
     *
     * @throws IOException when a file cannot be written
     */
    public int finish() throws IOException {
        var r = p.reporting();
        if (r.outJson() != null) {
            PerftestJson.write(r.outJson(), p, facts, bw, lat);
        }
        List<String> missed = checkThresholds();
        String doc = null;
        if (r.json() || r.jsonFile() != null) {
            doc = JperfJson.document(p, facts, bw, lat, windows, missed);
        }
        if (r.jsonFile() != null) {
            java.nio.file.Files.writeString(r.jsonFile(), doc);
        }
        if (r.json()) {
            out.print(doc);
            out.flush();
        }
        if (r.hdrLog() != null) {
            HdrLog.write(r.hdrLog(), lat, intervals);
        }
        if (r.plot() != null) {
            Plots.write(r.plot(), p, bw, lat, windows);
        }
        for (String line : missed) {
            err.println("jperf: threshold missed: " + line);
        }
        return missed.isEmpty() ? ExitCodes.OK : ExitCodes.THRESHOLD_MISSED;
    }

    /** One line per missed threshold, e.g. {@code --max-lat p99=25.0: 31.20 usec at 2 bytes}. */
    List<String> checkThresholds() {
        List<String> missed = new ArrayList<>();
        for (Threshold t : p.reporting().thresholds()) {
            if (t.minimum()) {
                for (BwResult b : bw) {
                    double v = t.statistic().equals("peak") ? b.peak() : b.average();
                    if (!t.passes(v)) {
                        missed.add(f("%s: %.2f %s at %d bytes", t, v, p.reporting().bwUnit(), b.size()));
                    }
                }
            } else {
                for (LatencyStats s : lat) {
                    double v = s.statistic(t.statistic());
                    if (!t.passes(v)) {
                        missed.add(f("%s: %.2f usec at %d bytes", t, v, s.size()));
                    }
                }
            }
        }
        return missed;
    }
}
