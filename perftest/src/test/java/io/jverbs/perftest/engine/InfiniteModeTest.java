package io.jverbs.perftest.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jverbs.perftest.cli.Jperf;
import io.jverbs.perftest.report.PerftestText;
import io.jverbs.perftest.report.RunReport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** --run_infinitely's rows and window, with the clock given by the test. */
class InfiniteModeTest {
    private static final long S = 1_000_000_000L;

    @Test
    void eachRowCoversTheMessagesAndTimeSinceThePreviousRow() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RunReport report = new RunReport(Jperf.parse("write_bw", "--run_infinitely", "-D", "2", "host"),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()));
        IntervalRows rows = new IntervalRows(report, 65536, 100 * S, 1 << 20, 1);
        rows.at(102 * S, 1000);          // 1000 messages in 2 s
        rows.at(104 * S, 1000 + 3000);   // 3000 more in the next 2 s
        rows.at(104 * S, 9999);          // no time passed: no row
        String text = out.toString(StandardCharsets.UTF_8);
        String[] lines = text.split("\n");
        assertEquals(2, lines.length, text);
        // perftest's RESULT_FMT row: size, iterations of the interval, peak 0 (not measured), average, Mpps
        String first = new PerftestText(Jperf.parse("write_bw", "--run_infinitely", "-D", "2", "host"))
                .bwRow(new io.jverbs.perftest.report.BwResult(65536, 1000, 0, 65536.0 * 1000 / 2 / (1 << 20), 1000 / 2.0 / 1e6));
        assertEquals(first, lines[0] + "\n");
        assertTrue(lines[0].matches("^ 65536\\s+1000\\s+0\\.00\\s+31\\.25\\s+0\\.000500$"), lines[0]);
        assertTrue(lines[1].matches("^ 65536\\s+3000\\s+0\\.00\\s+93\\.75\\s+0\\.001500$"), lines[1]);
        assertEquals(2, report.bandwidthResults().size());
    }

    @Test
    void bidirectionalRowsDoubleAverageAndRateButNotTheCount() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RunReport report = new RunReport(Jperf.parse("read_bw", "--run_infinitely", "-b", "--report_gbits", "-s", "4096", "host"),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()));
        IntervalRows rows = new IntervalRows(report, 4096, 10 * S, 125_000_000.0, 2);
        rows.at(15 * S, 250_000);        // this side: 250000 × 4096 B in 5 s = 1.6384 Gb/s, 0.05 Mpps
        String line = out.toString(StandardCharsets.UTF_8);
        // perftest's run_inf_bi_factor: 2 × size in the average, 2 × the rate; #iterations is this side's
        assertTrue(line.matches("^ 4096\\s+250000\\s+0\\.00\\s+3\\.28\\s+0\\.100000\n$"), line);
        assertEquals(250_000, report.bandwidthResults().getFirst().iterations());
        assertEquals(2 * 4096.0 * 250_000 * 8 / 5e9, report.bandwidthResults().getFirst().average(), 1e-9);
    }

    @Test
    void theInfiniteWindowEndsOnlyOnStopAndWantsARowEveryPeriod() {
        AtomicBoolean stop = new AtomicBoolean();
        Window w = Window.infinite(3, stop::get, 10 * S);
        assertTrue(w.duration, "loops treat it as a duration run: no iteration count");
        assertFalse(w.ended(w.startNs + 1_000_000 * S), "no end of its own");
        assertTrue(w.sampling(w.startNs + 1), "every message counts");
        assertFalse(w.progressDue(w.startNs + 2 * S));
        assertTrue(w.progressDue(w.startNs + 3 * S), "a row after -D seconds");
        assertFalse(w.progressDue(w.startNs + 4 * S));
        assertTrue(w.progressDue(w.startNs + 13 * S), "late: one row, the missed periods skipped");
        assertFalse(w.progressDue(w.startNs + 14 * S));
        assertTrue(w.progressDue(w.startNs + 15 * S));
        stop.set(true);
        assertTrue(w.ended(w.startNs + 1), "a stop ends it at the next pass");
        assertFalse(Window.duration(5, 1, S).ended(System.nanoTime()), "-D windows keep their own end");
    }
}
