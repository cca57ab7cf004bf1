package io.jverbs.perftest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jverbs.perftest.AtomicType;
import io.jverbs.perftest.BufferMemory;
import io.jverbs.perftest.Connection;
import io.jverbs.perftest.Engine;
import io.jverbs.perftest.ExitCodes;
import io.jverbs.perftest.OutputMode;
import io.jverbs.perftest.ReportStyle;
import io.jverbs.perftest.TestParameters;
import io.jverbs.perftest.report.BwTimestamps;
import io.jverbs.perftest.report.Reporter;
import io.jverbs.perftest.system.SysfsRdma;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JperfCliTest {
    private static final String[] TESTS = {"write_bw", "write_lat", "read_bw", "read_lat", "send_bw", "send_lat",
        "atomic_bw", "atomic_lat"};

    /** The outcome of one CLI run against a test double engine. */
    record Run(int code, String out, String err, List<TestParameters> seen) {
    }

    /** What the engine double does with the parameters and the reporter. */
    @FunctionalInterface
    interface Body {
        void run(TestParameters p, Reporter r) throws Exception;
    }

    /** A test double of the RDMA engine: records the parameters, then runs {@code engine} (reports or fails). */
    static Run run(Body engine, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<TestParameters> seen = new ArrayList<>();
        Engine recording = new Engine() {
            @Override
            public boolean supports(TestParameters p) {
                return true;
            }

            @Override
            public void run(TestParameters p, Reporter r) throws Exception {
                seen.add(p);
                if (engine != null) {
                    engine.run(p, r);
                }
            }
        };
        Jperf cli = new Jperf(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), p -> Optional.of(recording),
                new SysfsRdma(Path.of("/nonexistent-sysfs"), Path.of("/nonexistent-dev")));
        int code = cli.execute(args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), seen);
    }

    static Run run(String... args) {
        return run((Body) null, args);
    }

    static void assertUsage(Run r, String fragment) {
        assertEquals(ExitCodes.USAGE, r.code(), r.err());
        assertTrue(r.err().endsWith("\n"), r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
        assertTrue(r.err().contains(fragment), "'" + fragment + "' in: " + r.err());
        assertTrue(r.seen().isEmpty(), "the engine must not run");
        assertEquals("", r.out());
    }

    /** Which flag is valid for which test: PERFTEST.md's table, checked against every test. */
    @ParameterizedTest
    @CsvSource({
        "-q 2, write_bw read_bw send_bw atomic_bw",
        "-t 64, write_bw read_bw send_bw atomic_bw",
        "-Q 10, write_bw read_bw send_bw atomic_bw",
        "-l 2, write_bw read_bw send_bw atomic_bw",
        "-b, write_bw read_bw send_bw atomic_bw",
        "-N, write_bw read_bw send_bw atomic_bw",
        "--report_gbits, write_bw read_bw send_bw atomic_bw",
        "--run_infinitely, write_bw read_bw send_bw atomic_bw",
        "--min-bw 1, write_bw read_bw send_bw atomic_bw",
        "-C, write_lat read_lat send_lat atomic_lat",
        "-H, write_lat read_lat send_lat atomic_lat",
        "-U, write_lat read_lat send_lat atomic_lat",
        "--max-lat 5, write_lat read_lat send_lat atomic_lat",
        "--hdr-log target/flag-matrix.hlog, write_lat read_lat send_lat atomic_lat",
        "-r 64, send_bw send_lat",
        "-I 64, write_bw write_lat send_bw send_lat",
        "-e, read_bw read_lat send_bw send_lat atomic_bw atomic_lat",
        "-o 4, read_bw read_lat atomic_bw atomic_lat",
        "-A CMP_AND_SWAP, atomic_bw atomic_lat",
        "-s 64, write_bw write_lat read_bw read_lat send_bw send_lat",
        "-a, write_bw write_lat read_bw read_lat send_bw send_lat",
        "-p 2000, write_bw write_lat read_bw read_lat send_bw send_lat atomic_bw atomic_lat",
        "-x 1, write_bw write_lat read_bw read_lat send_bw send_lat atomic_bw atomic_lat",
        "-R, write_bw write_lat read_bw read_lat send_bw send_lat atomic_bw atomic_lat",
        "-z, write_bw write_lat read_bw read_lat send_bw send_lat atomic_bw atomic_lat",
        "-D 4, write_bw write_lat read_bw read_lat send_bw send_lat atomic_bw atomic_lat",
        "--out_json, write_bw write_lat read_bw read_lat send_bw send_lat atomic_bw atomic_lat",
    })
    void flagValidityMatrix(String flag, String validFor) {
        List<String> valid = List.of(validFor.split(" "));
        for (String test : TESTS) {
            List<String> args = new ArrayList<>(List.of(test));
            args.addAll(List.of(flag.split(" ")));
            args.add("host");
            Run r = run(args.toArray(String[]::new));
            if (valid.contains(test)) {
                assertEquals(ExitCodes.OK, r.code(), test + " " + flag + ": " + r.err());
                assertEquals(1, r.seen().size());
            } else {
                assertUsage(r, "Unknown option");
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"-s 8 -s 16, '--size'", "-b -b, '--bidirectional'", "-p 1 --port 2, '--port'", "-N -N, '--noPeak'"})
    void repeatedFlagIsAUsageError(String flags, String name) {
        List<String> args = new ArrayList<>(List.of("write_bw"));
        args.addAll(List.of(flags.split(" ")));
        assertUsage(run(args.toArray(String[]::new)), "should be specified only once");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "write_bw -c UD | -c UD is not valid for write_bw",
        "read_bw -c UC | -c UC is not valid for read_bw",
        "send_bw -c FOO | -c FOO is not a connection type",
        "write_bw -a -D 5 | -a cannot be used with -D",
        "write_bw -n 4 | -n must be between 5",
        "write_bw -s 0 | -s must be between 1",
        "write_bw -s 9M | -s must be between 1",
        "write_bw -s 12Q | -s must be a size",
        "write_bw -q 16385 | -q must be between 1 and 16384",
        "write_bw -t 0 | -t must be between 1 and 15000",
        "write_bw -Q 2000 | -Q must be between 1 and 1024",
        "write_bw -D 4 -f 2 | -D 4 must be greater than twice the margin",
        "write_bw -T 5 | -T (TOS) is only valid with -R",
        "send_bw -R -c UC | does not support -c UC",
        "write_lat -R -c XRC | does not support -c XRC",
        "send_bw -c XRC -q 8 -r 4 | -q 8 must not exceed it",
        "write_bw -m 1000 | -m must be 256",
        "write_bw -n 10 -l 3 | must be a multiple of the post list size",
        "write_bw -n 600 -Q 4 -l 6 | must be a multiple of the CQ moderation",
        "write_bw --output=latency | --output=latency is not valid for write_bw",
        "write_lat --output=bandwidth | is not valid for write_lat",
        "write_bw --plot x.jpg | --plot needs a file name ending in .png or .svg",
        "write_lat --max-lat p42=1 | unknown statistic 'p42'",
        "write_bw --min-bw fast | is not a number",
        "write_bw --loopback host | --loopback runs both sides here",
        "write_bw host1 host2 | Unmatched argument",
        "write_bw -n abc | Invalid value",
        "write_bw --nonsense | Unknown option",
        "atomic_bw -A ADD | -A must be CMP_AND_SWAP or FETCH_AND_ADD",
        "send_bw -e -D 4 | -e cannot be used with -D",
        "write_lat -H -D 4 | not available with -D",
        "write_bw --report-both | --report-both needs -b",
        "send_bw --run_infinitely -e | --run_infinitely does not support -e",
        "send_bw --run_infinitely -b | not supported in bidirectional send_bw",
        "send_lat --run_infinitely | Unknown option: '--run_infinitely'",
        "send_bw -R -c UC | -R (rdma_cm QPs) does not support -c UC",
        "write_bw --style=fancy | --style must be upstream or debian",
        "nonsense_bw | Unmatched argument",
    })
    void badCommandLines(String line, String message) {
        assertUsage(run(line.trim().split(" ")), message.trim());
    }

    @Test
    void noTestIsAUsageError() {
        Run r = run();
        assertEquals(ExitCodes.USAGE, r.code());
        assertEquals(1, r.err().lines().count());
    }

    @Test
    void defaultsPerTestFollowPerftest() throws Exception {
        TestParameters wb = Jperf.parse("write_bw");
        assertNull(wb.serverName());
        assertTrue(wb.isServer());
        assertEquals(18515, wb.port());
        assertEquals(1, wb.ibPort());
        assertEquals(65536, wb.size());
        assertEquals(5000, wb.iterations());
        assertEquals(128, wb.txDepth());
        assertEquals(1, wb.rxDepth());
        assertEquals(0, wb.inlineSize());
        assertEquals(1, wb.cqModeration(), "size 65536 > 8192 disables CQ moderation");
        assertEquals(1, wb.qps());
        assertEquals(Connection.RC, wb.connection());
        assertEquals(-1, wb.gidIndex());
        assertEquals(ReportStyle.UPSTREAM, wb.reporting().style());
        assertEquals(OutputMode.FULL, wb.reporting().output());

        TestParameters sb = Jperf.parse("send_bw", "-s", "4K", "server");
        assertEquals("server", sb.serverName());
        assertEquals(4096, sb.size());
        assertEquals(1000, sb.iterations());
        assertEquals(512, sb.rxDepth());
        assertEquals(100, sb.cqModeration());

        TestParameters wl = Jperf.parse("write_lat");
        assertEquals(2, wl.size());
        assertEquals(1000, wl.iterations());
        assertEquals(1, wl.txDepth());
        assertEquals(220, wl.inlineSize());
        assertEquals(236, Jperf.parse("send_lat").inlineSize());
        assertEquals(188, Jperf.parse("send_lat", "-c", "UD").inlineSize());
        assertEquals(0, Jperf.parse("read_lat").inlineSize());

        TestParameters ab = Jperf.parse("atomic_bw");
        assertEquals(8, ab.size());
        assertEquals(AtomicType.FETCH_AND_ADD, ab.atomicType());
        assertEquals(0, ab.outReads(), "0 = the device maximum");
        assertEquals(100, ab.cqModeration());
    }

    @Test
    void dependentDefaults() throws Exception {
        assertEquals(10, Jperf.parse("write_bw", "-n", "10").txDepth(), "tx depth capped at iterations");
        assertEquals(10, Jperf.parse("send_bw", "-n", "10").rxDepth(), "rx depth capped at iterations");
        assertEquals(2000, Jperf.parse("send_bw", "-c", "UD", "-n", "2000", "-s", "1024").rxDepth());
        assertEquals(16000, Jperf.parse("send_bw", "-c", "UD", "-n", "50000", "-s", "1024").rxDepth());
        assertEquals(8, Jperf.parse("write_bw", "-Q", "8").cqModeration(), "a requested -Q is kept");
        assertEquals(100, Jperf.parse("write_bw", "-a").cqModeration(), "-a keeps CQ moderation");
        assertEquals(TestParameters.MAX_SIZE, Jperf.parse("write_bw", "-a").size());
        assertEquals(23, Jperf.parse("write_bw", "-a").sizes().size());
        assertEquals(2, Jperf.parse("write_bw", "-a").sizes().getFirst());
        assertEquals(4, Jperf.parse("write_bw", "-l", "4", "-s", "64").cqModeration(), "post list sets -Q");
        assertEquals(16, Jperf.parse("write_bw", "-t", "16", "-s", "64").cqModeration(), "-Q capped at tx depth");
        TestParameters d = Jperf.parse("write_bw", "-D", "8");
        assertEquals(8, d.durationSeconds());
        assertEquals(2, d.marginSeconds(), "margin D/4");
        assertEquals(0, d.iterations());
        assertTrue(d.isDuration());
        assertEquals(5, Jperf.parse("write_bw", "--run_infinitely").durationSeconds());
        assertEquals(2, Jperf.parse("write_bw", "--run_infinitely", "-D", "2").durationSeconds(), "rows every -D s");
        assertTrue(Jperf.parse("write_bw", "--run_infinitely").noPeak(), "perftest forces noPeak in infinite mode");
        assertFalse(Jperf.parse("write_bw", "-D", "5").noPeak());
        assertTrue(Jperf.parse("send_bw", "-c", "XRC").useSrq());
        assertTrue(Jperf.parse("write_bw", "-R").commRdmaCm(), "-R implies rdma_cm data exchange");
        assertTrue(Jperf.parse("write_lat", "-U").reporting().histogram(), "-U implies -H");
        assertEquals(Path.of("perftest_out.json"), Jperf.parse("write_bw", "--out_json").reporting().outJson());
        assertEquals(Path.of("r.json"), Jperf.parse("write_bw", "--out_json_file", "r.json").reporting().outJson());
        assertEquals("Gb/sec", Jperf.parse("write_bw", "--report_gbits").reporting().bwUnit());
        assertEquals("MB/sec", Jperf.parse("write_bw", "--style=debian").reporting().bwUnit());
        assertEquals(2, Jperf.parse("write_lat", "--max-lat", "p99=25,avg=10").reporting().thresholds().size());
        assertEquals(1048576, Jperf.parse("read_bw", "-s", "1M").size());
        assertTrue(Jperf.parse("write_bw", "--loopback").loopback());
        assertFalse(Jperf.parse("write_bw", "--loopback").isServer());
    }

    /** perftest's -c XRC: every send/write/read/atomic test, bw and lat; an SRQ always; QPs doubled where a side both sends and receives. */
    @Test
    void xrcIsValidForEveryTestAndDoublesQpsWhereBothRolesRun() throws Exception {
        for (String test : TESTS) {
            splitRoles(test, Connection.XRC);
        }
        assertEquals(6, Jperf.parse("write_bw", "-c", "XRC", "-b", "-q", "3").qpsPerSide(), "-b: initiators and targets");
        assertEquals(3, Jperf.parse("write_bw", "-c", "XRC", "-q", "3").qpsPerSide(), "unidirectional: one role per side");
        assertEquals(3, Jperf.parse("write_bw", "-b", "-q", "3").qpsPerSide(), "RC is never doubled");
        assertEquals(236, Jperf.parse("send_lat", "-c", "XRC").inlineSize(), "DEF_INLINE_SEND_RC_UC_XRC");
        assertEquals(4, Jperf.parse("send_bw", "-c", "XRC", "-q", "4", "-r", "4").rxDepth(), "-q up to -r is fine");
    }

    /** XRC and DC: -c valid for the test, an SRQ always, a latency side both initiates and targets (QPs doubled). */
    private static TestParameters splitRoles(String test, Connection c) throws Exception {
        TestParameters p = Jperf.parse(test, "-c", c.name(), "host");
        assertEquals(c, p.connection(), test);
        assertTrue(p.useSrq(), test + ": " + c + " always uses an SRQ");
        boolean lat = test.endsWith("_lat");
        assertEquals(lat, p.pairedQps(), test + ": a latency side both initiates and targets");
        assertEquals(lat ? 2 : 1, p.qpsPerSide(), test);
        return p;
    }

    /**
     * perftest's -c DC (perftest_parameters.c): every send/write/read/atomic test, an SRQ always,
     * QPs doubled where a side both initiates and targets; -r raised to -q (one SRQ receive per
     * DCT at least) instead of XRC's refusal; DEF_INLINE_DC (150) for write_lat and send_lat;
     * rdma_cm QPs (-R) refused, the rdma_cm exchange alone (-z) allowed.
     */
    @Test
    void dcIsValidForEveryTestWithPerftestsDependencies() throws Exception {
        for (String test : TESTS) {
            TestParameters p = splitRoles(test, Connection.DC);
            int inline = test.equals("write_lat") || test.equals("send_lat") ? 150 : 0;
            assertEquals(inline, p.inlineSize(), test + ": DEF_INLINE_DC for write_lat and send_lat, else 0");
            UsageException cm = assertThrows(UsageException.class, () -> Jperf.parse(test, "-c", "DC", "-R", "host"), test);
            assertEquals("-R (rdma_cm QPs) does not support -c DC", cm.getMessage());
            assertTrue(Jperf.parse(test, "-c", "DC", "-z", "host").commRdmaCm(), test + ": -z only carries the exchange");
        }
        assertEquals(6, Jperf.parse("read_bw", "-c", "DC", "-b", "-q", "3").qpsPerSide(), "-b: initiators and targets");
        assertEquals(3, Jperf.parse("atomic_bw", "-c", "DC", "-q", "3").qpsPerSide(), "unidirectional: one role per side");
        assertEquals(4, Jperf.parse("write_bw", "-c", "DC", "-q", "4").rxDepth(), "-r raised to -q");
        assertEquals(8, Jperf.parse("send_bw", "-c", "DC", "-q", "8", "-r", "4").rxDepth(), "raised, not refused as with XRC");
        assertEquals(512, Jperf.parse("send_bw", "-c", "DC", "-q", "8").rxDepth());
        assertEquals(1, Jperf.parse("write_bw", "-c", "DC").rxDepth());
        assertThrows(UsageException.class, () -> Jperf.parse("send_bw", "-c", "XRC", "-q", "8", "-r", "4"), "XRC refuses the same line");
    }

    /** --use_hugepages and --use_ib_dm_dmabuf choose the buffer memory; perftest's restrictions are usage errors. */
    @Test
    void bufferMemoryOptions() throws Exception {
        assertEquals(BufferMemory.HOST, Jperf.parse("write_bw").bufferMemory());
        assertEquals(BufferMemory.HUGEPAGES, Jperf.parse("read_bw", "--use_hugepages").bufferMemory());
        assertEquals(BufferMemory.DEVICE, Jperf.parse("send_bw", "--use_ib_dm_dmabuf", "mlx5_0").bufferMemory());
        assertEquals(BufferMemory.DEVICE, Jperf.parse("atomic_lat", "-d", "mlx5_0", "--use_ib_dm_dmabuf", "mlx5_0").bufferMemory());
        UsageException other = assertThrows(UsageException.class,
                () -> Jperf.parse("write_bw", "-d", "mlx5_0", "--use_ib_dm_dmabuf", "mlx5_1"));
        assertTrue(other.getMessage().contains("must name the test device"), other.getMessage());
        assertThrows(UsageException.class, () -> Jperf.parse("write_bw", "--use_hugepages", "--use_ib_dm_dmabuf", "mlx5_0"));
        UsageException lat = assertThrows(UsageException.class, () -> Jperf.parse("write_lat", "--use_ib_dm_dmabuf", "mlx5_0"));
        assertTrue(lat.getMessage().contains("write_lat"), lat.getMessage());
        assertThrows(UsageException.class, () -> Jperf.parse("raw_ethernet_bw", "--use_hugepages"), "RDMA tests only");
    }

    @Test
    void parseReportsUsageErrors() {
        UsageException e = assertThrows(UsageException.class, () -> Jperf.parse("write_lat", "-q", "2"));
        assertTrue(e.getMessage().contains("Unknown option"), e.getMessage());
        assertThrows(UsageException.class, () -> Jperf.parse("ib_write_bw"));
    }

    @Test
    void helpPerSubcommandAndVersion() {
        Run help = run("write_bw", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("--tx-depth"), help.out());
        assertFalse(help.out().contains("--report-histogram"), "write_bw has no -H");
        Run latHelp = run("send_lat", "--help");
        assertTrue(latHelp.out().contains("--report-histogram"));
        assertTrue(latHelp.out().contains("--rx-depth"));
        Run version = run("--version");
        assertEquals(0, version.code());
        assertTrue(version.out().matches("jperf \\S+ \\(perftest-compatible 6\\.29\\)\\R"), version.out());
        assertEquals(version.out(), run("write_bw", "--version").out());
        Run top = run("--help");
        assertTrue(top.out().contains("doctor") && top.out().contains("atomic_lat"), top.out());
    }

    @Test
    void completionScriptCoversSubcommandsAndFlags() {
        Run r = run("completion");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("#!/usr/bin/env bash"), r.out().substring(0, 40));
        assertTrue(r.out().contains("write_bw") && r.out().contains("--report_gbits") && r.out().contains("complete -F"));
    }

    @Test
    void engineReceivesTheParametersAndItsReportsPrint() {
        Run r = run((p, rep) -> {
            rep.tableHeader();
            long[] posted = {0, 100, 200, 300};
            long[] completed = {0, 0, 0, 1000};
            rep.bandwidth(new BwTimestamps(p.size(), 4, posted, completed, 1, 4));
            rep.tableFooter();
        }, "write_bw", "-s", "1024", "-n", "5", "-Q", "4", "10.0.0.1");
        assertEquals(ExitCodes.OK, r.code(), r.err());
        assertEquals("10.0.0.1", r.seen().getFirst().serverName());
        assertTrue(r.out().contains(" #bytes     #iterations    BW peak[MiB/sec]"), r.out());
        assertTrue(r.out().contains(" 1024       4 "), r.out());
    }

    @Test
    void engineFailureIsOneLineAndExit1() {
        Run r = run((p, rep) -> {
            throw new IllegalStateException("peer closed the connection\nduring the QP exchange");
        }, "send_lat", "host");
        assertEquals(ExitCodes.FAILURE, r.code());
        assertEquals("jperf send_lat: peer closed the connection; during the QP exchange\n", r.err());
        Run debug = run((p, rep) -> {
            throw new IllegalStateException("boom");
        }, "send_lat", "--debug", "host");
        assertTrue(debug.err().contains("at io.jverbs"), "stack trace with --debug");
    }

    @Test
    void missingEngineIsAFailureNotAUsageError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Jperf(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true), p -> Optional.empty(),
                SysfsRdma.system()).execute("write_bw", "host");
        assertEquals(ExitCodes.FAILURE, code);
        assertEquals("jperf write_bw: no engine on the class path runs this test\n", err.toString());
    }

    @Test
    void thresholdsSetExitCode3(@TempDir Path dir) {
        Body lat = (p, rep) -> {
            long[] posted = new long[100];
            for (int i = 1; i < posted.length; i++) {
                posted[i] = posted[i - 1] + 20_000; // 20 us round trips: 10 us one-way for write
            }
            rep.tableHeader();
            rep.latency(p.size(), posted, posted.length);
        };
        Run pass = run(lat, "write_lat", "--max-lat", "p99=10.5,avg=10.01", "host");
        assertEquals(ExitCodes.OK, pass.code(), pass.err());
        Run fail = run(lat, "write_lat", "--max-lat", "typical=9.5", "host");
        assertEquals(ExitCodes.THRESHOLD_MISSED, fail.code());
        assertTrue(fail.err().contains("threshold missed: --max-lat typical=9.5: 10.00 usec at 2 bytes"), fail.err());
        Body bw = (p, rep) -> rep.bandwidth(new io.jverbs.perftest.report.BwResult(65536, 1000, 120, 100, 0.0016));
        assertEquals(ExitCodes.OK, run(bw, "write_bw", "--min-bw", "99", "h").code());
        assertEquals(ExitCodes.THRESHOLD_MISSED, run(bw, "write_bw", "--min-bw", "peak=121", "h").code());
    }

    /** This module's tests configure jsoft0 on 127.22.0.1 (surefire); the host has no kernel device. */
    @Test
    void devicesListsTheSoftDeviceWithoutAKernelOne() {
        Run r = run("devices");
        assertEquals(ExitCodes.OK, r.code(), r.err());
        assertEquals("jsoft0 (127.22.0.1, MTU 1024)  soft device: RoCEv2 over UDP port 4791 in the JVM; GID index 1 is the"
                + " address IPv4-mapped\n", r.out());
    }

    @Test
    void devicesWithoutAnyFailsWithAHint() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = new DevicesCommand().run(new java.io.PrintStream(out, true), new java.io.PrintStream(err, true),
                new io.jverbs.perftest.system.SysfsRdma(java.nio.file.Path.of("/nonexistent"), java.nio.file.Path.of("/nonexistent")),
                List::of);
        assertEquals(ExitCodes.FAILURE, code);
        assertTrue(err.toString().contains("no RDMA device") && err.toString().contains("jperf doctor"), err.toString());
    }
}
