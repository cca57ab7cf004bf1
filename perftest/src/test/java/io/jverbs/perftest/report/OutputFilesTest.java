package io.jverbs.perftest.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jverbs.perftest.ExitCodes;
import io.jverbs.perftest.TestParameters;
import io.jverbs.perftest.cli.Jperf;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JSON (parsed back strictly), the HdrHistogram log (read back), plots, and a -D run through the reporter. */
class OutputFilesTest {
    static final ObjectMapper STRICT = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS);

    @TempDir
    Path dir;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    RunReport report(String... args) throws Exception {
        TestParameters p = Jperf.parse(args);
        return new RunReport(p, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    static long[] posts(int n, long stepNs) {
        long[] posted = new long[n];
        for (int i = 1; i < n; i++) {
            posted[i] = posted[i - 1] + stepNs + (i % 7) * 100;
        }
        return posted;
    }

    @Test
    void strictJsonHasEverySizeAndPercentile() throws Exception {
        Path file = dir.resolve("run.json");
        RunReport r = report("send_lat", "-a", "--json", "--json-file", file.toString(), "--max-lat", "p99=1000", "h");
        r.header(new HeaderFacts("rxe0", "IB", "Ethernet", 1024, 0, 236, false, false, 0, -1));
        for (int size : new int[] {2, 4, 8}) {
            r.latency(size, posts(1000, 20_000), 1000);
        }
        assertEquals(ExitCodes.OK, r.finish());
        JsonNode doc = STRICT.readTree(out.toString(StandardCharsets.UTF_8));
        assertEquals(doc, STRICT.readTree(Files.readString(file)));
        assertEquals(1, doc.get("schema").asInt());
        assertEquals("send_lat", doc.get("test").asText());
        assertEquals("client", doc.get("role").asText());
        assertEquals(3, doc.get("results").size());
        JsonNode first = doc.get("results").get(0);
        assertEquals(2, first.get("size").asInt());
        assertEquals(997, first.get("samples").asInt());
        for (String p : new String[] {"p50", "p90", "p99", "p99.9", "p99.99", "max"}) {
            assertTrue(first.get("percentiles").get(p).asDouble() > 9, p);
        }
        assertEquals(236, doc.get("parameters").get("inline_size").asInt());
        assertEquals("p99", doc.get("parameters").get("thresholds").get(0).get("statistic").asText());
        assertTrue(doc.get("passed").asBoolean());
        assertEquals("rxe0", doc.get("device").get("name").asText());
    }

    @Test
    void perftestJsonLayoutForBandwidth() throws Exception {
        Path file = dir.resolve("perftest_out.json");
        RunReport r = report("write_bw", "--out_json_file", file.toString(), "-x", "1", "h");
        r.header(new HeaderFacts("rxe0", "IB", "Ethernet", 1024, 0, 0, false, false, 0, 1));
        r.bandwidth(new BwResult(65536, 5000, 23.456, 22.5, 0.00036));
        assertEquals(ExitCodes.OK, r.finish());
        String text = Files.readString(file);
        JsonNode doc = STRICT.readTree(text);
        assertEquals("RDMA_Write_BW_Test", doc.get("test_info").get("test").asText());
        assertEquals(1, doc.get("test_info").get("GID_index").asInt());
        assertEquals(128, doc.get("test_info").get("TX_depth").asInt());
        JsonNode res = doc.get("results");
        assertEquals(65536, res.get("MsgSize").asInt());
        assertEquals(5000, res.get("n_iterations").asInt());
        assertTrue(text.contains("\"BW_peak\": 23.46,\n\"BW_average\": 22.50,\n\"MsgRate\": 0.000360\n"), text);
    }

    @Test
    void perftestJsonLayoutForLatency() throws Exception {
        Path file = dir.resolve("lat.json");
        RunReport r = report("read_lat", "--out_json_file", file.toString(), "h");
        r.latency(2, posts(100, 5000), 100);
        r.finish();
        JsonNode res = STRICT.readTree(Files.readString(file)).get("results");
        for (String k : new String[] {"t_min", "t_max", "t_typical", "t_avg", "t_stdev", "percentile_99", "percentile_99.9"}) {
            assertTrue(res.get(k).isNumber(), k);
        }
    }

    @Test
    void hdrLogIsReadableByHistogramLogReader() throws Exception {
        Path log = dir.resolve("lat.hlog");
        RunReport r = report("write_lat", "-a", "--hdr-log", log.toString(), "h");
        r.latency(2, posts(500, 10_000), 500);
        r.latency(4, posts(500, 30_000), 500);
        r.finish();
        HistogramLogReader reader = new HistogramLogReader(log.toFile());
        Histogram a = (Histogram) reader.nextIntervalHistogram();
        Histogram b = (Histogram) reader.nextIntervalHistogram();
        assertEquals(497, a.getTotalCount());
        assertEquals("size_2", a.getTag());
        assertEquals("size_4", b.getTag());
        assertTrue(b.getValueAtPercentile(50) > a.getValueAtPercentile(50));
        assertEquals(null, reader.nextIntervalHistogram());
    }

    @Test
    void durationLatencyRunPrintsPerftestRowThenFullStatistics() throws Exception {
        Path log = dir.resolve("d.hlog");
        RunReport r = report("send_lat", "-D", "4", "--hdr-log", log.toString(), "--json-file",
                dir.resolve("d.json").toString(), "h");
        LatencyRecorder rec = new LatencyRecorder(io.jverbs.perftest.TestKind.SEND);
        r.tableHeader();
        for (int second = 1; second <= 3; second++) {
            for (int i = 0; i < 1000; i++) {
                rec.record(20_000 + second * 1000);
            }
            r.progress(second * 1_000_000_000L, rec);
        }
        r.latencyDuration(2, 3000, 3_000_000_000L, rec);
        r.tableFooter();
        assertEquals(ExitCodes.OK, r.finish());
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains(" 2             3000            500.00         1000.00\n"), text);
        assertTrue(text.contains("jperf: statistics of all 3000 samples"), text);
        assertEquals(3, err.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("p99.9")).count());
        HistogramLogReader reader = new HistogramLogReader(log.toFile());
        int n = 0;
        while (reader.nextIntervalHistogram() != null) {
            n++;
        }
        assertEquals(3, n, "one interval per progress line");
        JsonNode doc = STRICT.readTree(Files.readString(dir.resolve("d.json")));
        assertEquals(3000, doc.get("results").get(0).get("samples").asInt());
        assertEquals(11.0, doc.get("results").get(0).get("t_typical").asDouble(), 0.02);
    }

    @Test
    void durationBandwidthPeakComesFromProgressWindows() throws Exception {
        Path png = dir.resolve("bw.png");
        RunReport r = report("write_bw", "-D", "4", "--plot", png.toString(), "--json", "h");
        r.progress(1_000_000_000L, 1000, 65536);
        r.progress(2_000_000_000L, 3000, 65536);
        r.progress(3_000_000_000L, 4000, 65536);
        BwResult b = r.bandwidthDuration(65536, 4000, 3_000_000_000L);
        assertEquals(2000 * 65536 / (double) (1 << 20), b.peak(), 1e-9);
        assertEquals(4000 * 65536 / 3.0 / (1 << 20), b.average(), 1e-9);
        r.finish();
        JsonNode doc = STRICT.readTree(out.toString(StandardCharsets.UTF_8));
        assertEquals(3, doc.get("progress").size());
        byte[] head = Files.readAllBytes(png);
        assertEquals((byte) 0x89, head[0]);
        assertEquals('P', head[1]);
        assertEquals(3, err.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("MiB/sec")).count());
    }

    @Test
    void latencyPlotAsSvg() throws Exception {
        Path svg = dir.resolve("lat.svg");
        RunReport r = report("write_lat", "--plot", svg.toString(), "h");
        r.latency(2, posts(1000, 10_000), 1000);
        r.finish();
        String s = Files.readString(svg);
        assertTrue(s.contains("<svg "), s.substring(0, 40));
        assertTrue(s.contains("latency by percentile"));
    }

    @Test
    void jsonModeKeepsStdoutPureJson() throws Exception {
        RunReport r = report("write_bw", "--json", "h");
        r.waitingForClient();
        r.header(new HeaderFacts("rxe0", "IB", "Ethernet", 1024, 0, 0, false, false, 0, -1));
        r.tableHeader();
        r.bandwidth(new BwResult(65536, 5000, Double.NaN, 22.5, 0.00036));
        r.tableFooter();
        r.finish();
        JsonNode doc = STRICT.readTree(out.toString(StandardCharsets.UTF_8));
        assertTrue(doc.get("results").get(0).get("bw_peak").isNull(), "NaN becomes null");
        assertFalse(out.toString(StandardCharsets.UTF_8).contains("---"));
    }

    @Test
    void jsonWriterEscapes() throws Exception {
        String s = Json.write(java.util.Map.of("k\"\n\u0001", java.util.List.of(1, 2.5, true, "x\\y")));
        JsonNode n = STRICT.readTree(s);
        assertEquals("x\\y", n.get("k\"\n\u0001").get(3).asText());
    }
}
