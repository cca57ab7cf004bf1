package io.jverbs.perftest.report;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/**
 * {@code --hdr-log FILE}: latency samples in HdrHistogram's interval log format (read it with
 * {@code HistogramLogReader}, HdrHistogram's HistogramLogProcessor or hdrhistogram.github.io's
 * plotter). Values are nanoseconds, one-way for send/write and round trip for read/atomic. An
 * iteration run writes one interval per size, tagged {@code size_<bytes>}; a duration run writes
 * its one-second progress intervals.
 */
public final class HdrLog {
    private HdrLog() {
    }

    /** Writes the log. */
    public static void write(Path file, List<LatencyStats> sizes, List<Histogram> intervals) throws IOException {
        try (PrintStream ps = new PrintStream(Files.newOutputStream(file), false, java.nio.charset.StandardCharsets.UTF_8)) {
            HistogramLogWriter w = new HistogramLogWriter(ps);
            long now = System.currentTimeMillis();
            w.outputComment("jperf latency samples in nanoseconds");
            w.outputStartTime(now);
            w.setBaseTime(now);
            w.outputLegend();
            if (!intervals.isEmpty()) {
                for (Histogram h : intervals) {
                    w.outputIntervalHistogram(h.getStartTimeStamp() / 1e3, h.getEndTimeStamp() / 1e3, h, 1.0);
                }
            } else {
                for (LatencyStats s : sizes) {
                    Histogram h = s.histogram().copy();
                    h.setTag("size_" + s.size());
                    w.outputIntervalHistogram(0, 0, h, 1.0);
                }
            }
        }
    }
}
