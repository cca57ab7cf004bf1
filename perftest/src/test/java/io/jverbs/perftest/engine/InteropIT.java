package io.jverbs.perftest.engine;

import static io.jverbs.perftest.engine.Runs.PORT;
import static io.jverbs.perftest.engine.Runs.awaitCmListening;
import static io.jverbs.perftest.engine.Runs.awaitListening;
import static io.jverbs.perftest.engine.Runs.awaitPortFree;
import static io.jverbs.perftest.engine.Runs.c;
import static io.jverbs.perftest.engine.Runs.check;
import static io.jverbs.perftest.engine.Runs.concat;
import static io.jverbs.perftest.engine.Runs.device;
import static io.jverbs.perftest.engine.Runs.ip;
import static io.jverbs.perftest.engine.Runs.jperf;
import static io.jverbs.perftest.engine.Runs.positive;
import static io.jverbs.perftest.engine.Runs.pair;
import static io.jverbs.perftest.engine.Runs.process;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * jperf against jperf and against Debian's C perftest (6.06) on the RDMA device, both directions,
 * every test, plus the options that change the wire or the loops. jperf runs inside this JVM; C
 * perftest as processes. Every side is time-boxed.
 */
@Tag("rdma")
class InteropIT {
    private static final int T = 120;

    @BeforeAll
    static void bounds() {
        Runs.boundWaits();
    }

    @BeforeEach
    void portFree() {
        awaitPortFree(PORT);
    }

    private static String[] args(String test, String... extra) {
        List<String> e = List.of(extra);
        String[] base = e.contains("-n") || e.contains("-D") ? new String[] {test, "-d", device(), "-x", "1"}
                : new String[] {test, "-d", device(), "-x", "1", "-n", "100"};
        return concat(base, extra);
    }

    @ParameterizedTest
    @ValueSource(strings = {"write_bw", "read_bw", "send_bw", "atomic_bw", "write_lat", "read_lat", "send_lat", "atomic_lat"})
    void jperfWithJperf(String test) {
        Runs.Result[] r = pair(() -> jperf(T, args(test)), () -> jperf(T, concat(args(test), ip())));
        check(test, r[0], r[1], true, true);
        assertTrue(r[1].out().contains("local address:") && r[1].out().contains("remote address:"), r[1].out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"write_bw", "read_bw", "send_bw", "atomic_bw", "write_lat", "read_lat", "send_lat", "atomic_lat"})
    void cServerJperfClient(String test) {
        Runs.Result[] r = pair(() -> process(T, c(args(test))), () -> jperf(T, concat(args(test), ip())));
        check(test, r[0], r[1], false, true);
    }

    @ParameterizedTest
    @ValueSource(strings = {"write_bw", "read_bw", "send_bw", "atomic_bw", "write_lat", "read_lat", "send_lat", "atomic_lat"})
    void jperfServerCClient(String test) {
        Runs.Result[] r = pair(() -> jperf(T, args(test)), () -> process(T, c(concat(args(test), ip()))));
        check(test, r[0], r[1], true, false);
    }

    /** Options with C on one side: {test, jperfServer?, extra flags...}. */
    @ParameterizedTest
    @ValueSource(strings = {
            "write_bw C -q 4", "write_bw J -q 4", "write_bw C -b", "send_bw J -b", "send_bw C -c UC",
            "send_lat J -c UD -s 512", "send_bw C -c UD -s 1024", "write_bw J --report_gbits", "write_bw C -D 3",
            "send_lat J -D 3", "write_bw C -a -n 5", "write_lat J -c UC -n 100",
            "send_lat J -e", "send_lat C -e", "read_bw C -e", "read_bw J -e", "send_bw J -e -b", "send_bw C -e -q 4",
            "atomic_lat C -e"})
    void optionsWithC(String spec) {
        String[] w = spec.split(" ");
        String test = w[0];
        boolean jperfServer = w[1].equals("J");
        String[] extra = java.util.Arrays.copyOfRange(w, 2, w.length);
        String[] a = args(test, extra);
        Runs.Result[] r = pair(() -> jperfServer ? jperf(T, a) : process(T, c(a)),
                () -> jperfServer ? process(T, c(concat(a, ip()))) : jperf(T, concat(a, ip())));
        // The C side first: when it fails, its output says why the jperf side saw a closed socket.
        Runs.Result server = jperfServer ? r[0] : r[0].ok();
        Runs.Result client = r[1].ok();
        server.ok();
        Runs.Result mine = jperfServer ? server : client;
        List<String[]> rows = mine.rows();
        if (spec.contains("-a")) {
            assertEquals(23, client.rows().size(), client.toString());
            assertEquals("8388608", client.rows().get(22)[0]);
            return;
        }
        assertEquals(1, rows.size(), mine.toString());
        if (spec.contains("-q 4") && !jperfServer) {
            assertEquals("400", rows.get(0)[1], "iterations × QPs");
        }
        if (spec.contains("-D")) {
            positive(rows.get(0)[test.endsWith("_bw") ? 3 : 2], "duration figure");
            assertTrue(mine.err().contains("[") , "progress lines on stderr: " + mine.err());
        } else if (test.endsWith("_bw")) {
            positive(rows.get(0)[3], "average");
        }
        if (spec.contains("--report_gbits")) {
            assertTrue(mine.out().contains("BW average[Gb/sec]"), mine.out());
            // The C client measured in Gb/s too and sent its report: both print the same figures.
            assertEquals(client.onlyRow()[3], server.onlyRow()[3]);
        }
        if (spec.contains("-c UD")) {
            assertTrue(Integer.parseInt(rows.get(0)[0]) <= 4096);
        }
    }

    /** --loopback: server and client of one test in one process, on one device; the client's table is printed. */
    @ParameterizedTest
    @ValueSource(strings = {"write_bw", "send_lat", "read_lat"})
    void loopbackRunsBothSidesInOneProcess(String test) {
        Runs.Result r = jperf(T, args(test, "--loopback")).await().ok();
        String[] row = r.onlyRow();
        assertEquals(test.endsWith("_bw") ? "65536" : "2", row[0], r.toString());
        assertEquals("100", row[1], r.toString());
        positive(row[test.endsWith("_bw") ? 3 : 2], test + " --loopback figure");
        assertTrue(r.out().contains("local address") && r.out().contains("remote address"), r.toString());
        awaitPortFree(PORT);
    }

    /** --hosts 2: server on the second device, client on the first, across the veth pair. */
    @Test
    void twoDevices() {
        String dev2 = System.getenv("JVERBS_RDMA_DEV2");
        String ip2 = System.getenv("JVERBS_IPV4_2");
        assertNotNull(dev2, "this module's VM runs with --hosts 2 (JVERBS_RDMA_DEV2)");
        Runs.Result[] r = pair(() -> process(T, "ib_write_bw", "-d", dev2, "-x", "1", "-n", "100"),
                () -> jperf(T, "write_bw", "-d", device(), "-x", "1", "-n", "100", ip2));
        check("write_bw", r[0], r[1], false, true);
        awaitPortFree(PORT);
        Runs.Result[] r2 = pair(() -> jperf(T, "send_lat", "-d", dev2, "-x", "1", "-n", "100"),
                () -> process(T, "ib_send_lat", "-d", device(), "-x", "1",
                "-n", "100", ip2));
        check("send_lat", r2[0], r2[1], true, false);
    }

    // ------------------------------------------------------------------ rdma_cm: -R, -z

    /**
     * {@code "test mode pairing"}: pairing JJ (jperf both sides), CJ (C server, jperf client), JC
     * (jperf server, C client). -z runs the control channel over rdma_cm; -R also the test QPs.
     */
    @ParameterizedTest
    @ValueSource(strings = {"write_bw -R JJ", "write_bw -R CJ", "write_bw -R JC", "send_lat -R CJ", "send_lat -R JC",
            "send_lat -z JJ", "send_lat -z CJ", "send_lat -z JC", "write_bw -z CJ", "write_bw -z JC",
            "send_bw -R -c UD JJ", "send_bw -R -c UD CJ", "send_bw -R -c UD JC",
            "send_lat -R -c UD JJ", "send_lat -R -c UD CJ", "send_lat -R -c UD JC"})
    void rdmaCm(String spec) {
        String[] w = spec.split(" ");
        String test = w[0];
        String pairing = w[w.length - 1];
        boolean jperfServer = pairing.charAt(0) == 'J';
        boolean jperfClient = pairing.charAt(1) == 'J';
        String[] a = args(test, concat(java.util.Arrays.copyOfRange(w, 1, w.length - 1), "-n", "50"));
        String[] ca = concat(a, ip());
        // pair(): a C side whose cycle-counter calibration failed exits before the closing
        // handshake, and its jperf peer then fails with "peer ... disconnected": run it again
        Runs.Result[] r = pair(() -> jperfServer ? jperf(T, a) : process(T, c(a)),
                () -> jperfClient ? jperf(T, ca) : process(T, c(ca)), () -> awaitCmListening(PORT, 60));
        Runs.Result server = r[0];
        Runs.Result client = r[1];
        check(test, server, client, jperfServer, jperfClient);
        Runs.Result mine = jperfClient ? client : server;
        assertTrue(mine.out().contains("Data ex. method : rdma_cm"), mine.out());
        assertTrue(mine.out().contains(" rdma_cm QPs\t : " + (w[1].equals("-R") ? "ON" : "OFF")), mine.out());
    }

    /**
     * The closing handshake of {@code -R -c UD} (jperf server, C client) when the acknowledgement
     * of one side's last control message is late: nftables drops every RC ACK in one direction
     * for 1.5 s after the client's last UD packet (its test traffic), which is the closing
     * handshake. Soft-RoCE posts a receive completion before it sends the ACK, and a process
     * that sees it and tears its QP down can lose that ACK; the drop makes that certain.
     * "toClient": the client's closing message is not acknowledged in time. A server that
     * destroyed its QP once its answer was acknowledged left perftest retransmitting forever
     * (retry count 7 is infinite on rxe); the server now keeps the QP until the client
     * disconnects, so a retransmission is acknowledged. "toServer": the server's answer is not
     * acknowledged before the client, which has read it, exits; the server no longer fails with
     * "closing handshake: peer ... disconnected" (perftest only warns there).
     */
    @ParameterizedTest
    @ValueSource(strings = {"toClient", "toServer"})
    void rdmaCmClosingHandshakeAckLost(String direction) throws Exception {
        String server = ip();
        String client = System.getenv("JVERBS_IPV4_2");
        assertNotNull(client, "this module's VM runs with --hosts 2 (JVERBS_IPV4_2)");
        String table = "jverbs_cmclose_" + ProcessHandle.current().pid();
        String ack = "udp dport 4791 @th,64,8 0x11"; // BTH opcode 0x11: RC ACKNOWLEDGE
        String drop = direction.equals("toClient") ? "ip saddr " + server + " ip daddr @armed " + ack
                : "ip saddr @armed ip daddr " + server + " " + ack;
        nft("table inet " + table + " {\n set armed { type ipv4_addr; flags timeout; }\n"
                + " chain in { type filter hook input priority 0;\n"
                + "  ip saddr " + client + " udp dport 4791 @th,64,8 0x64 update @armed { ip saddr timeout 1500ms }\n"
                + "  " + drop + " counter drop; }\n}\n", "-f", "-");
        try {
            String[] a = args("send_bw", "-R", "-c", "UD", "-n", "50");
            String[] ca = concat(a, ip());
            Runs.Result[] r = pair(() -> jperf(T, a), () -> process(60, c(ca)), () -> awaitCmListening(PORT, 60));
            check("send_bw", r[0], r[1], true, false);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("counter packets (\\d+)")
                    .matcher(nft(null, "list", "table", "inet", table));
            assertTrue(m.find() && Long.parseLong(m.group(1)) > 0, "no ACK was dropped: the case did not happen");
        } finally {
            nft(null, "delete", "table", "inet", table);
        }
    }

    /** Runs {@code nft args} with {@code stdin} (or nothing) as its input; returns its output, failing the test if it fails. */
    private static String nft(String stdin, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("nft"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (OutputStream o = p.getOutputStream()) {
            if (stdin != null) {
                o.write(stdin.getBytes(StandardCharsets.US_ASCII));
            }
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0, cmd + ": " + out);
        return out;
    }

    /** No server listens: the rdma_cm client is rejected, retries until its step bound, then says why. */
    @ParameterizedTest
    @ValueSource(strings = {"-z", "-R"})
    void rdmaCmNobodyListens(String mode) {
        String old = System.getProperty("jperf.stepSeconds");
        System.setProperty("jperf.stepSeconds", "5");
        try {
            long start = System.nanoTime();
            Runs.Result r = jperf(60, concat(args("write_bw", mode), ip())).await();
            failsQuickly(r, start, 25);
            assertTrue(r.err().contains("rejected") && r.err().contains(mode), r.err());
        } finally {
            System.setProperty("jperf.stepSeconds", old);
        }
    }

    // ------------------------------------------------------------------ bad peers

    private static void failsQuickly(Runs.Result r, long startNs, int boundSeconds) {
        assertNotEquals(0, r.exit(), r.toString());
        long took = (System.nanoTime() - startNs) / 1_000_000_000L;
        assertTrue(took <= boundSeconds, "took " + took + " s: " + r);
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, "one error line: " + r.err());
        assertTrue(lines[0].startsWith("jperf "), lines[0]);
    }

    @Test
    void garbageServer() throws Exception {
        try (ServerSocket ss = new ServerSocket(PORT)) {
            Thread t = Thread.ofPlatform().daemon().start(() -> {
                try (Socket s = ss.accept(); OutputStream o = s.getOutputStream()) {
                    o.write("HTTP/1.1 200 OK\r\n\r\nhello".getBytes(StandardCharsets.US_ASCII));
                    o.flush();
                    Thread.sleep(30_000);
                } catch (Exception ignored) {
                    // the client leaves
                }
            });
            long start = System.nanoTime();
            Runs.Result r = jperf(60, concat(args("write_bw"), "127.0.0.1")).await();
            failsQuickly(r, start, 30);
            t.interrupt();
        }
    }

    @Test
    void oldVersionServer() throws Exception {
        try (ServerSocket ss = new ServerSocket(PORT)) {
            Thread.ofPlatform().daemon().start(() -> {
                try (Socket s = ss.accept(); OutputStream o = s.getOutputStream()) {
                    s.getInputStream().readNBytes(16);
                    o.write(java.util.Arrays.copyOf("5.60".getBytes(StandardCharsets.US_ASCII), 16));
                    o.flush();
                    Thread.sleep(30_000);
                } catch (Exception ignored) {
                    // the client leaves
                }
            });
            long start = System.nanoTime();
            Runs.Result r = jperf(60, concat(args("send_lat"), "127.0.0.1")).await();
            failsQuickly(r, start, 30);
            assertTrue(r.err().contains("5.60"), r.err());
        }
    }

    /** The C peer is killed mid-run: jperf ends with one line within the stall bound. */
    @Test
    void peerKilledMidRun() {
        Runs.Side s = jperf(T, args("send_lat", "-n", "1000000"));
        awaitListening(PORT, 60);
        Runs.Side client = process(4, c(concat(args("send_lat", "-n", "1000000"), ip())));
        client.await();  // killed after 4 s
        long start = System.nanoTime();
        Runs.Result r = s.await();
        failsQuickly(r, start, 40);
    }

    /** RC against UC: nothing on perftest's wire says so; jperf's server stops waiting and says why. */
    @Test
    void mismatchedConnectionType() {
        Runs.Side s = jperf(T, args("send_bw", "-c", "RC"));
        awaitListening(PORT, 60);
        long start = System.nanoTime();
        Runs.Side client = process(40, c(concat(args("send_bw", "-c", "UC"), ip())));
        Runs.Result r = s.await();
        client.await();
        failsQuickly(r, start, 60);
    }
}
