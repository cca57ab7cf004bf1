package io.jverbs.perftest.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jverbs.perftest.Measure;
import io.jverbs.perftest.TestKind;
import io.jverbs.perftest.TestParameters;
import io.jverbs.perftest.cli.Jperf;
import io.jverbs.perftest.report.BwResult;
import io.jverbs.perftest.report.LatencyStats;
import io.jverbs.perftest.report.PerftestText;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * jperf on the soft device as a user runs it on a host without RDMA: a server process on
 * {@code jsoft0} and a client process on {@code jsoft1}, two JVMs on two loopback addresses (each
 * device binds its address's UDP port 4791), perftest's TCP exchange between them. Every test and
 * connection type the soft device carries, short runs with a single-packet and a multi-packet size
 * (path MTU 1024). Each side must exit 0 and print jperf's usual text: the header naming its
 * device, address lines that match the peer's, and rows whose figures parse, are positive and are
 * printed exactly as {@link PerftestText} formats them.
 */
class JperfSoftTest {
    /** Loopback addresses of this run: a second build of these tests on the host gets others. */
    private static final String NET = "127.21." + (ProcessHandle.current().pid() % 250 + 1) + ".";
    /** Iterations unless a case says: a UC/UD send_bw case sends fewer (see {@link #cases}). */
    private static final int ITERS = 100;
    private static final int SECONDS = 120;

    /**
     * The command lines. UC and UD send_bw send bursts the receiving device's socket buffer holds
     * whole (kernel default 208 KiB, about 90 datagrams of 1 KiB): a datagram the kernel drops
     * there is lost for good on UC and UD (RC retransmits it), and the server, like perftest's,
     * waits for every message.
     */
    static Stream<String> cases() {
        return Stream.of(
                "write_bw -s 64", "write_bw -s 3000", "write_bw -c UC -s 3000",
                "read_bw -s 64", "read_bw -s 3000",
                "send_bw -s 64", "send_bw -s 3000", "send_bw -c UC -s 2048 -n 30", "send_bw -c UD -s 1024 -n 50",
                "atomic_bw", "atomic_bw -A CMP_AND_SWAP",
                "write_lat -s 2", "write_lat -s 3000",
                "send_lat -s 2", "send_lat -s 3000", "send_lat -c UD -s 512",
                "read_lat -s 2", "read_lat -s 3000",
                "atomic_lat");
    }

    private record Side(String who, int exit, String out) {
        List<String> lines() {
            return Arrays.asList(out.split("\n"));
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void serverAndClientProcessesOnTwoSoftDevices(String line) throws Exception {
        List<String> args = new ArrayList<>(List.of(line.split(" ")));
        if (!args.contains("-n")) {
            args.addAll(List.of("-n", Integer.toString(ITERS)));
        }
        args.addAll(List.of("-m", "1024"));
        String port = Integer.toString(freePort());
        Running server = start("jsoft0", NET + "1", args, "-p", port);
        Running client = start("jsoft1", NET + "2", args, "-p", port, "127.0.0.1");
        Side c = client.finish("client");
        Side s = server.finish("server");
        assertEquals(0, c.exit(), c::toString);
        assertEquals(0, s.exit(), s::toString);

        TestParameters p = Jperf.parse(args.toArray(String[]::new));
        for (Side side : List.of(s, c)) {
            String dev = side == s ? "jsoft0" : "jsoft1";
            String out = side.out();
            assertTrue(out.contains(new PerftestText(p).title()), side::toString);
            assertTrue(out.contains("\tDevice         : " + dev + "\n"), side::toString);
            assertTrue(out.contains(" Connection type : " + p.connection() + "\t"), side::toString);
            assertTrue(out.contains(" Mtu             : 1024[B]\n"), side::toString);
            assertTrue(out.contains(" Link type       : Ethernet\n"), side::toString);
            assertTrue(out.contains(" GID index       : 1\n"), "the IPv4-mapped GID chosen without -x: " + side);
        }
        // What each side sent in the exchange is what the other printed as remote: QPN, PSN, keys, GID.
        assertEquals(addresses(c, "local"), addresses(s, "remote"), () -> s + "\n" + c);
        assertEquals(addresses(s, "local"), addresses(c, "remote"), () -> s + "\n" + c);
        String third = String.format("%02d", Integer.parseInt(NET.split("\\.")[2]));
        assertTrue(addresses(c, "local").get(1).endsWith(":255:255:127:21:" + third + ":02"), c::toString);

        // perftest prints no table on a read/atomic latency server; every other side prints one row.
        boolean serverRow = p.measure() == Measure.BW || p.kind() == TestKind.SEND || p.kind() == TestKind.WRITE;
        checkRow(p, c, true);
        checkRow(p, s, serverRow);
    }

    /** A soft device configuration that does not parse fails the run in one line naming it, not a stack trace. */
    @org.junit.jupiter.api.Test
    void aBadSoftDeviceConfigurationIsOneLine() throws Exception {
        Side s = start("jsoft0", "nowhere", List.of("write_bw"), "-p", Integer.toString(freePort())).finish("server");
        assertEquals(1, s.exit(), s::toString);
        assertEquals(1, s.lines().size(), s::toString);
        assertTrue(s.out().startsWith("jperf write_bw: -Djverbs.soft.devices='jsoft0=nowhere' is not a soft device configuration: ")
                && s.out().contains("'nowhere'") && s.out().contains("Syntax: name=IPv4[:mtu]"), s::toString);
    }

    /** A second jperf on the address of a soft device another jperf has open fails at once, saying how to give each its own. */
    @org.junit.jupiter.api.Test
    void twoProcessesOnOneSoftDeviceAddressAreToldWhatToDo() throws Exception {
        String port = Integer.toString(freePort());
        Running server = start("jsoft0", NET + "3", List.of("write_bw", "-n", "5"), "-p", port);
        try {
            // The server opens its device before it waits for a client; wait until its header is out.
            Thread.sleep(500);
            for (int i = 0; i < 100 && !Files.readString(server.log()).contains("Waiting for client"); i++) {
                Thread.sleep(100);
            }
            Side c = start("jsoft0", NET + "3", List.of("write_bw", "-n", "5"), "-p", port, "127.0.0.1").finish("client");
            assertEquals(1, c.exit(), c::toString);
            assertTrue(c.out().contains("EADDRINUSE") && c.out().contains("need a soft device each")
                    && c.out().contains("JVERBS_SOFT_DEVICES="), c::toString);
        } finally {
            server.process().destroy();
            server.finish("server");
        }
    }

    /** The address lines ({@code local} or {@code remote}) each followed by its GID line. */
    private static List<String> addresses(Side side, String which) {
        List<String> lines = side.lines();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.startsWith(" " + which + " address: ")) {
                assertTrue(l.matches(" " + which + " address: LID 0000 QPN 0x[0-9a-f]{4,6} PSN 0x[0-9a-f]{1,6}.*"), l);
                String next = lines.get(i + 1).trim();
                assertTrue(next.matches("GID: (\\d\\d\\d?:){15}\\d\\d\\d?"), next);
                out.add(l.replace(" " + which + " ", " "));
                out.add(next);
            }
        }
        assertTrue(!out.isEmpty(), () -> "no " + which + " address in " + side);
        return out;
    }

    /** One row after the table header, its figures positive and printed as jperf prints them; or no table. */
    private static void checkRow(TestParameters p, Side side, boolean expected) {
        PerftestText text = new PerftestText(p);
        String header = p.measure() == Measure.BW ? text.bwTableHeader() : text.latTableHeader();
        String headerLine = header.split("\n")[1];
        List<String> lines = side.lines();
        int at = lines.indexOf(headerLine);
        if (!expected) {
            assertEquals(-1, at, () -> "perftest prints no table here: " + side);
            return;
        }
        assertTrue(at >= 0, () -> "no table header in " + side);
        String row = lines.get(at + 1) + "\n";
        String[] f = row.trim().split("\\s+");
        long size = Long.parseLong(f[0]);
        assertEquals(p.kind() == TestKind.ATOMIC ? 8 : p.size(), size, row);
        assertEquals(p.iterations(), Long.parseLong(f[1]), row);
        if (p.measure() == Measure.BW) {
            BwResult r = new BwResult(size, p.iterations(), Double.parseDouble(f[2]), Double.parseDouble(f[3]), Double.parseDouble(f[4]));
            // A send_bw server measures no peak (0.00), as perftest; average and rate always.
            assertTrue(r.peak() >= 0 && r.average() > 0 && r.msgRate() > 0, row);
            assertEquals(text.bwRow(r), row, "the row as jperf formats it");
        } else {
            double[] v = Arrays.stream(f, 2, 9).mapToDouble(Double::parseDouble).toArray();
            LatencyStats st = new LatencyStats(size, p.iterations(), p.iterations() - 2, v[0], v[1], v[2], v[3], v[4], v[5], v[6], Map.of(), null, null);
            assertTrue(st.min() > 0 && st.min() <= st.typical() && st.typical() <= st.max() && st.min() <= st.average()
                    && st.average() <= st.max() && st.stdev() >= 0 && st.p99() <= st.p999() && st.p999() <= st.max(), row);
            assertEquals(text.latRow(st, null), row, "the row as jperf formats it");
        }
        assertEquals(PerftestText.RESULT_LINE.strip(), lines.get(at + 2), side::toString);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** jperf as its launcher starts it, with one soft device configured on {@code address}. */
    private static Running start(String device, String address, List<String> args, String... more) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "--enable-native-access=ALL-UNNAMED", "-Djverbs.soft.devices=" + device + "=" + address,
                "-Djperf.acceptSeconds=60", "-Djperf.stepSeconds=60", "-Djperf.stallSeconds=20",
                "-cp", cp, "io.jverbs.perftest.cli.Jperf"));
        cmd.addAll(args);
        cmd.addAll(List.of("-d", device));
        cmd.addAll(List.of(more));
        Path log = Files.createTempFile("jperf-soft-" + device, ".out");
        return new Running(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start(), log);
    }

    /** A jperf process and the file its output goes to. */
    private record Running(Process process, Path log) {
        Side finish(String who) throws Exception {
            boolean done = process.waitFor(SECONDS, TimeUnit.SECONDS);
            if (!done) {
                process.destroyForcibly().waitFor();
            }
            String out = Files.readString(log);
            Files.deleteIfExists(log);
            return new Side(who, done ? process.exitValue() : 124, out);
        }
    }
}
