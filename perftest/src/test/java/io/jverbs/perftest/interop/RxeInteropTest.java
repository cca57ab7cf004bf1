package io.jverbs.perftest.interop;

import io.jverbs.soft.wire.Opcode;
import io.jverbs.soft.wire.RocePacket;
import io.jverbs.soft.wire.RoceStatus;
import io.jverbs.soft.wire.RxeCapture;
import io.jverbs.soft.wire.Tcpdump;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The soft device on this host against kernel rxe in the Soft-RoCE VM, over the VM's host link
 * (docs/softroce.md, {@code --host-link}): rdma-core's C programs run on rxe0 in the guest, jverbs'
 * on {@code jsoft0} bound to the link's host address, each pair in both roles. One VM boot serves
 * the whole class.
 *
 * <p>Every case keeps its capture on the TAP ({@code target/hostlink/<case>.pcap}) and checks it:
 * only RoCEv2 packets with a valid ICRC in both directions, the soft device's with IPv4 ID 0 and
 * DF, and the messages the programs must have exchanged.
 * <ul>
 * <li>{@code ibv_rc_pingpong}/{@code ibv_ud_pingpong} against the examples' ports, {@code -c}: both
 * exit 0 after all round trips, no "invalid data" from the server, each side's address line
 * names the QP the other announced, and {@code -n} SEND messages each way of {@code -s} bytes with
 * the pingpong's contents (the server echoes what it received, so the receiver's memory is checked
 * too).
 * <li>C perftest against jperf: {@code ib_write_bw}, {@code ib_send_bw}, {@code ib_send_lat},
 * {@code ib_read_lat}, {@code ib_atomic_bw} (FETCH_AND_ADD and CMP_AND_SWAP) on RC;
 * {@code ib_send_bw}/{@code ib_write_bw -c UC}; {@code ib_send_bw}/{@code ib_send_lat -c UD}: both
 * exit 0, the client reports its iterations, every packet is of the row's transport, and the wire
 * holds that many messages of the right size (WRITEs, SENDs one way or each way, READ requests
 * and responses), or atomics each answered with the value its address held after the previous
 * one.
 * <li>{@code src/test/c/hostlink_verify.c} against {@link HostLinkVerify}: RC and UC round trips
 * of RDMA WRITE with immediate and SEND with immediate, UD round trips of SEND with immediate,
 * opcode, immediate, length and data checked by both programs and on the wire.
 * <li>The same programs' memory-window phases ({@link #memoryWindows}), each device the window's
 * owner in one case: type 1 and type 2 windows written and read through, SEND with invalidate,
 * LOCAL_INV, accesses past a window or through a revoked key, a failed remote invalidation; where
 * rxe and the soft device differ, each one's behaviour is asserted.
 * <li>With nftables dropping 5% of UDP 4791 each way on the TAP: {@code ib_write_bw} (the
 * responder NAKs, the requester goes back N), {@code ib_read_bw} (the requester asks again for
 * the rest of a READ) and the RC verify program (each side NAKs and goes back N), data still
 * checked, the capture reassembled in PSN order.
 * </ul>
 *
 * <p>Needs root (qemu's TAP, tcpdump); runs on the host in {@code -Psoftroce} (what
 * {@code ./dev.sh test} runs), tag {@code hostlink}, its own surefire execution.
 */
@Tag("hostlink")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RxeInteropTest {
    private static final int ITERS = 50;
    private static final int RC_SIZE = 4093;   // 4 packets at MTU 1024, the last padded by 3
    private static final int UD_SIZE = 1022;   // one packet, padded by 2
    private static final int PERF_ITERS = 100;
    private static final int LOSS_PERF_ITERS = 40;
    private static final int VERIFY_ITERS = 40;
    /** The path MTU on the link: rxe0's active MTU on a 1500-byte netdev, jsoft0's default. */
    private static final int PMTU = 1024;
    private static final long CASE_TIMEOUT_S = 60;
    /** A perftest result row: size, iterations, then figures. */
    private static final Pattern RESULT_ROW = Pattern.compile("^\\s*(\\d+)\\s+(\\d+)\\s+\\d+\\.\\d+", Pattern.MULTILINE);
    private static final Pattern ADDRESS = Pattern.compile(
            "^ {2}(local|remote) address: {1,2}LID 0x[0-9a-f]{4}, QPN 0x([0-9a-f]{6}), PSN 0x([0-9a-f]{6})[,:] GID (\\S+)$",
            Pattern.MULTILINE);

    private static Path out;
    private static HostLinkVm vm;
    private static String hostIp;
    private static String guestIp;
    private static String tap;
    /** hostlink_verify.c, built here for the guest (which runs this host's root file system). */
    private static Path verifyProgram;

    @BeforeAll
    static void boot() throws Exception {
        assertEquals("0", new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes(),
                StandardCharsets.US_ASCII).strip(), "the host-link interop tests need root (qemu's TAP, tcpdump)");
        out = Path.of("target", "hostlink").toAbsolutePath();
        HostLinkVm.deleteTree(out);
        Files.createDirectories(out);
        verifyProgram = out.resolve("hostlink_verify");
        Process gcc = new ProcessBuilder("gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", verifyProgram.toString(),
                Path.of("src/test/c/hostlink_verify.c").toAbsolutePath().toString(), "-libverbs")
                .redirectErrorStream(true).start();
        String gccOut = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, gcc.waitFor(), "gcc hostlink_verify.c (it needs gcc and libibverbs-dev, which ./dev.sh installs): "
                + gccOut);
        vm = HostLinkVm.boot(out.resolve("vm"));
        hostIp = vm.env("JVERBS_HOST_LINK_IPV4");
        guestIp = vm.env("JVERBS_IPV4");
        tap = vm.env("JVERBS_HOST_LINK_IF");
    }

    @AfterAll
    static void shutdown() throws Exception {
        if (vm != null) {
            vm.close();
        }
    }

    /** The pingpongs: {case name, C side is the server, TCP port, UD}. */
    static Stream<Arguments> pingpongs() {
        return Stream.of(
                Arguments.of("rc-c-server", true, 18601, false),
                Arguments.of("rc-java-server", false, 18602, false),
                Arguments.of("ud-c-server", true, 18603, true),
                Arguments.of("ud-java-server", false, 18604, true))
                .filter(a -> selected((String) a.get()[0]));
    }

    /**
     * perftest against jperf: {case name, C side is the server, TCP port, test, flags for both
     * sides}. UC and UD messages are kept small and few: neither retransmits, and a datagram a
     * socket buffer drops loses the message, which the server waits for forever.
     */
    static Stream<Arguments> perftests() {
        return Stream.of(
                Arguments.of("write_bw-c-server", true, 18605, "write_bw", List.of()),
                Arguments.of("write_bw-jperf-server", false, 18606, "write_bw", List.of()),
                Arguments.of("send_lat-c-server", true, 18607, "send_lat", List.of()),
                Arguments.of("send_lat-jperf-server", false, 18608, "send_lat", List.of()),
                Arguments.of("read_lat-c-server", true, 18609, "read_lat", List.of()),
                Arguments.of("read_lat-jperf-server", false, 18610, "read_lat", List.of()),
                Arguments.of("atomic_bw-c-server", true, 18611, "atomic_bw", List.of()),
                Arguments.of("atomic_bw-jperf-server", false, 18612, "atomic_bw", List.of()),
                Arguments.of("atomic_bw-cas-c-server", true, 18613, "atomic_bw", List.of("-A", "CMP_AND_SWAP")),
                Arguments.of("atomic_bw-cas-jperf-server", false, 18614, "atomic_bw", List.of("-A", "CMP_AND_SWAP")),
                Arguments.of("send_bw-c-server", true, 18615, "send_bw", List.of("-s", "8192")),
                Arguments.of("send_bw-jperf-server", false, 18616, "send_bw", List.of("-s", "8192")),
                Arguments.of("send_bw-uc-c-server", true, 18619, "send_bw", List.of("-c", "UC", "-s", "2048", "-t", "8")),
                Arguments.of("send_bw-uc-jperf-server", false, 18620, "send_bw", List.of("-c", "UC", "-s", "2048", "-t", "8")),
                Arguments.of("write_bw-uc-c-server", true, 18621, "write_bw", List.of("-c", "UC", "-s", "8192", "-t", "8")),
                Arguments.of("write_bw-uc-jperf-server", false, 18622, "write_bw", List.of("-c", "UC", "-s", "8192", "-t", "8")),
                Arguments.of("send_bw-ud-c-server", true, 18625, "send_bw", List.of("-c", "UD", "-s", "1024", "-t", "8")),
                Arguments.of("send_bw-ud-jperf-server", false, 18626, "send_bw", List.of("-c", "UD", "-s", "1024", "-t", "8")),
                Arguments.of("send_lat-ud-c-server", true, 18627, "send_lat", List.of("-c", "UD")),
                Arguments.of("send_lat-ud-jperf-server", false, 18628, "send_lat", List.of("-c", "UD")))
                .filter(a -> selected((String) a.get()[0]));
    }

    /**
     * {@code -Djverbs.hostlink.cases=REGEX} runs only the cases whose name matches (while working
     * on one); by default every case runs.
     */
    static boolean selected(String name) {
        return Pattern.compile(System.getProperty("jverbs.hostlink.cases", ".*")).matcher(name).matches();
    }

    /**
     * Cases run again with 5% of UDP 4791 dropped each way on the TAP: {case name, test, C side is
     * the server, TCP port, flags for both sides}.
     *
     * <p>perftest only: it closes with a handshake over its TCP connection, so neither side destroys
     * its QP while the other may still need an ACK. ibv_rc_pingpong has none: the side that
     * finishes first exits as soon as its own last SEND is ACKed, and when the ACK of the other
     * side's last SEND is the packet lost, that side retries against a destroyed QP until its
     * timeout (seen in CI with rxe as the server), as it would with rxe on both ends. The data
     * check under loss is {@link #verify}'s (its own closing handshake).
     */
    static Stream<Arguments> lossy() {
        return Stream.of(
                // 16 packets a WRITE: most lose one (a NAK, go-back-N from inside the message).
                Arguments.of("write_bw-c-server-loss", "write_bw", true, 18623, List.of("-s", "16384")),
                Arguments.of("write_bw-jperf-server-loss", "write_bw", false, 18624, List.of("-s", "16384")),
                // 16 response packets a READ: most READs lose one, and the requester asks again for the rest.
                Arguments.of("read_bw-c-server-loss", "read_bw", true, 18629, List.of("-s", "16384")),
                Arguments.of("read_bw-jperf-server-loss", "read_bw", false, 18630, List.of("-s", "16384")))
                .filter(a -> selected((String) a.get()[0]));
    }

    /**
     * The same checks with nftables dropping 5% of the RoCE packets in each direction on the TAP
     * (the host's input and output): both sides recover (go-back-N on a NAK, or the retransmit
     * timer; a READ requester asks again for what it lacks) and the data arrives; the capture must
     * show recovery: for WRITEs a NAK from the responder and packets sent again by the requester,
     * for READs re-requests from the requester.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("lossy")
    @Order(4)
    void underLoss(String name, String test, boolean cServer, int port, List<String> flags) throws Exception {
        long[] counted;
        Direction[] d;
        try (Loss loss = Loss.start(5)) {
            d = perftest(name, cServer, port, test, flags, LOSS_PERF_ITERS);
            counted = loss.counters();
        }
        Loss.assertHit(name, counted);
        // The client is the requester: jsoft0 when C is the server. Each role is played by each
        // device in one of the two cases, so both must show rxe's recovery.
        Direction req = cServer ? d[0] : d[1];
        Direction resp = cServer ? d[1] : d[0];
        if (test.equals("read_bw")) {
            assertTrue(req.reRequests > 0, name + ": no READ request for the rest of a READ under loss\n" + req + "\n" + resp);
        } else {
            assertTrue(resp.naks > 0 && req.duplicates > 0, name + ": no NAK from the responder or no packet sent again by "
                    + "the requester under loss\n" + req + "\n" + resp);
        }
    }

    /** An nftables table of this JVM dropping {@code percent}% of UDP 4791 to and from the TAP. */
    private record Loss(String table) implements AutoCloseable {
        static Loss start(int percent) throws Exception {
            Loss l = new Loss("jverbs_hostlink_" + ProcessHandle.current().pid());
            String rules = "table inet " + l.table + " {\n"
                    + " chain in { type filter hook input priority 0; iifname \"" + tap + "\" udp dport 4791 counter;"
                    + " iifname \"" + tap + "\" udp dport 4791 numgen random mod 100 < " + percent + " counter drop; }\n"
                    + " chain out { type filter hook output priority 0; oifname \"" + tap + "\" udp dport 4791 counter;"
                    + " oifname \"" + tap + "\" udp dport 4791 numgen random mod 100 < " + percent + " counter drop; }\n}\n";
            Path file = out.resolve(l.table + ".nft");
            Files.writeString(file, rules);
            HostLinkVm.Result r = vm.exec(List.of("nft", "-f", file.toString()), 10);
            assertEquals(0, r.exit(), "nft -f " + file + ": " + r);
            return l;
        }

        /**
         * Asserts that loss hit the case ({@link #counters}): some packet was dropped, and so was
         * one in each direction that carried enough packets for 5% to be sure to. At 100 packets,
         * none dropped has a chance of 0.95^100 = 0.6%; a responder's direction can carry fewer (a
         * few dozen coalesced ACKs for a write_bw: none of them lost in about one run in ten).
         */
        static void assertHit(String name, long[] counted) {
            String seen = name + ": nftables saw " + counted[0] + " packets from the guest and dropped " + counted[1]
                    + ", saw " + counted[2] + " to it and dropped " + counted[3];
            assertTrue(counted[1] > 0 || counted[3] > 0, seen + ": the case ran without loss");
            assertTrue(counted[0] < 100 || counted[1] > 0, seen + ": no loss from the guest");
            assertTrue(counted[2] < 100 || counted[3] > 0, seen + ": no loss to the guest");
        }

        /** Packets so far: {seen from the guest, dropped from it, seen to the guest, dropped to it}. */
        long[] counters() throws Exception {
            HostLinkVm.Result r = vm.exec(List.of("nft", "list", "table", "inet", table), 10);
            assertEquals(0, r.exit(), "nft list table " + table + ": " + r);
            Matcher m = Pattern.compile("counter packets (\\d+)").matcher(r.out());
            long[] n = new long[4];
            for (int i = 0; i < 4; i++) {
                assertTrue(m.find(), "no counter in " + r.out());
                n[i] = Long.parseLong(m.group(1));
            }
            return n;
        }

        @Override
        public void close() throws Exception {
            vm.exec(List.of("nft", "delete", "table", "inet", table), 10);
        }
    }

    // ---- the two arrangements ----------------------------------------------------------------

    /** Both sides' output and the capture of one case. */
    record Run(HostLinkVm.Result server, HostLinkVm.Result client, Path pcap) {
        String context() {
            return "server " + server + "\nclient " + client + "\ncapture " + pcap;
        }
    }

    /**
     * {@code cServer} (a command line on rxe0) in the guest, the Java program {@code javaClient} on
     * jsoft0 here. A client that retries a refused connection (jperf, {@link HostLinkVerify})
     * starts first, its JVM's start overlapping the guest's; the examples' pingpongs do not retry,
     * so they start once the server listens.
     */
    private static Run guestServer(String name, int port, String[] cServer, List<String> javaClient, boolean clientRetries)
            throws Exception {
        try (Tcpdump cap = capture(name, port)) {
            List<String> server = new ArrayList<>(List.of("timeout", Long.toString(CASE_TIMEOUT_S)));
            server.addAll(List.of(cServer));
            List<String> client = new ArrayList<>(javaClient);
            client.add(guestIp);
            Process c = clientRetries ? javaProcess(name, client) : null;
            vm.guestBackground(name, server.toArray(String[]::new));
            if (c == null) {
                vm.awaitGuestListening(port);
                c = javaProcess(name, client);
            }
            HostLinkVm.Result cr = finish(c, name);
            HostLinkVm.Result s = vm.guestWait(name, CASE_TIMEOUT_S);
            cap.stop();
            return new Run(s, cr, cap.file);
        }
    }

    /** The Java program {@code javaServer} on jsoft0 here, {@code cClient} (a command line on rxe0) in the guest. */
    private static Run hostServer(String name, int port, List<String> javaServer, String[] cClient) throws Exception {
        try (Tcpdump cap = capture(name, port)) {
            Process server = javaProcess(name, javaServer);
            HostLinkVm.awaitHostListening(port, server);
            List<String> client = new ArrayList<>(List.of("timeout", Long.toString(CASE_TIMEOUT_S)));
            client.addAll(List.of(cClient));
            client.add(hostIp);
            HostLinkVm.Result c = vm.guest(CASE_TIMEOUT_S + 5, client.toArray(String[]::new));
            HostLinkVm.Result s = finish(server, name);
            cap.stop();
            return new Run(s, c, cap.file);
        }
    }

    /** rdma-core's {@code ibv_rc_pingpong}/{@code ibv_ud_pingpong} on rxe0 against the examples' port on jsoft0. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("pingpongs")
    @Order(1)
    void pingpong(String name, boolean cServer, int port, boolean ud) throws Exception {
        String c = ud ? "ibv_ud_pingpong" : "ibv_rc_pingpong";
        String java = "io.jverbs.examples." + (ud ? "UdPingPong" : "RcPingPong");
        int size = ud ? UD_SIZE : RC_SIZE;
        List<String> javaArgs = List.of(java, "-d", "jsoft0", "-g", "1", "-p", Integer.toString(port), "-n",
                Integer.toString(ITERS), "-s", Integer.toString(size), "-c");
        String[] cArgs = {c, "-d", vm.env("JVERBS_RDMA_DEV"), "-g", vm.env("JVERBS_GID_INDEX"), "-p",
            Integer.toString(port), "-n", Integer.toString(ITERS), "-s", Integer.toString(size), "-c"};
        Run r = cServer ? guestServer(name, port, cArgs, javaArgs, false) : hostServer(name, port, javaArgs, cArgs);
        checkPingpong(name, r, ud);
    }

    /**
     * {@code src/test/c/hostlink_verify.c} on rxe0 against {@link HostLinkVerify} on jsoft0, the
     * same protocol: RC, UC then UD (one QP each), or RC alone under loss: {case name, C side is
     * the server, TCP port, transports, percent of UDP 4791 dropped each way}.
     */
    static Stream<Arguments> verifies() {
        return Stream.of(
                Arguments.of("verify-c-server", true, 18631, "RC,UC,UD", 0),
                Arguments.of("verify-java-server", false, 18632, "RC,UC,UD", 0),
                Arguments.of("verify-c-server-loss", true, 18633, "RC", 5),
                Arguments.of("verify-java-server-loss", false, 18634, "RC", 5))
                .filter(a -> selected((String) a.get()[0]));
    }

    /**
     * Immediates and data, checked by both programs and on the wire: {@code VERIFY_ITERS} round
     * trips per transport, each way an RDMA WRITE with immediate (even iterations) or a SEND with
     * immediate (odd; always on UD), {@code RC_SIZE} bytes (UD: {@code HostLinkVerify.UD_MAX}) of a
     * pattern that differs per side, transport and iteration; the receiver checks the completion's
     * opcode, immediate, length (and on UD the source QP) and every byte, and the capture must
     * carry each message whole with its immediate. Under loss both sides
     * recover and still check everything; the programs close with a handshake over TCP, so neither
     * destroys its QP while the other may still need an ACK from it.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("verifies")
    @Order(3)
    void verify(String name, boolean cServer, int port, String transports, int lossPercent) throws Exception {
        String p = Integer.toString(port);
        String n = Integer.toString(VERIFY_ITERS);
        String size = Integer.toString(RC_SIZE);
        List<String> javaArgs = List.of(HostLinkVerify.class.getName(), "-d", "jsoft0", "-g", "1", "-p", p, "-n", n,
                "-s", size, "-c", transports);
        String[] cArgs = {verifyProgram.toString(), "-d", vm.env("JVERBS_RDMA_DEV"), "-g", vm.env("JVERBS_GID_INDEX"),
            "-p", p, "-n", n, "-s", size, "-c", transports};
        Run r;
        long[] counted = null;
        if (lossPercent > 0) {
            try (Loss loss = Loss.start(lossPercent)) {
                r = cServer ? guestServer(name, port, cArgs, javaArgs, true) : hostServer(name, port, javaArgs, cArgs);
                counted = loss.counters();
            }
        } else {
            r = cServer ? guestServer(name, port, cArgs, javaArgs, true) : hostServer(name, port, javaArgs, cArgs);
        }
        String context = r.context();
        assertEquals(0, r.server().exit(), name + ": the server failed\n" + context);
        assertEquals(0, r.client().exit(), name + ": the client failed\n" + context);
        String[] names = transports.split(",");
        for (HostLinkVm.Result x : List.of(r.server(), r.client())) {
            for (String t : names) {
                int len = t.equals("UD") ? HostLinkVerify.UD_MAX : RC_SIZE;
                assertTrue(x.out().contains(t + ": " + VERIFY_ITERS + " round trips of " + len + " bytes"),
                        name + ": no " + t + " report\n" + context);
            }
        }
        Direction[] d = wire(name, r.pcap());
        String which = d[0] + "\n" + d[1] + "\n(" + r.pcap() + ")\n";
        System.out.println(which);
        // Per direction, the QPs in the order they were used: RC and UC carry WRITEs (even
        // iterations) and SENDs (odd), UD SENDs only.
        int half = VERIFY_ITERS / 2;
        for (int k = 0; k < 2; k++) {
            Direction x = d[k];
            int side = (k == 0) == cServer ? 0 : 1; // 0: the client's messages
            assertEquals(new java.util.TreeSet<>(List.of(names)).toString(), x.transports.toString(), which + "transports");
            int writes = 0;
            int sends = 0;
            for (int t = 0; t < names.length; t++) {
                boolean ud = names[t].equals("UD");
                for (int i = 0; i < VERIFY_ITERS; i++) {
                    boolean send = ud || i % 2 == 1;
                    int m = send ? sends++ : writes++;
                    String what = which + names[t] + (send ? " SEND " : " WRITE ") + i + " of side " + side;
                    assertTrue(m < (send ? x.sends : x.writes).size(), what + ": missing");
                    byte[] msg = (send ? x.sends : x.writes).get(m);
                    Integer imm = (send ? x.sendImms : x.writeImms).get(m);
                    assertEquals(HostLinkVerify.immediate(side, i), imm == null ? -1 : imm.intValue(), what + ": immediate");
                    assertEquals(ud ? HostLinkVerify.UD_MAX : RC_SIZE, msg.length, what + ": length");
                    for (int j = 0; j < msg.length; j++) {
                        if (msg[j] != HostLinkVerify.pattern(side, t, i, j)) {
                            fail(what + ": byte " + j);
                        }
                    }
                }
            }
            assertEquals(writes, x.writes.size(), which + "WRITE messages");
            assertEquals(sends, x.sends.size(), which + "SEND messages");
            assertTrue(x.acks > 0, which + "RC ACKs");
        }
        if (counted != null) {
            Loss.assertHit(name, counted);
            // Recovery as rxe does it, by both: each responder NAKs a PSN gap, each requester goes
            // back and sends again what had already arrived.
            for (Direction x : d) {
                assertTrue(x.naks > 0 && x.duplicates > 0, name + ": no NAK or no retransmission from " + x.name
                        + " under loss\n" + which);
            }
        }
    }

    /**
     * The memory-window phases of {@code hostlink_verify.c} and {@link HostLinkVerify}: {case name,
     * C side is the server, TCP port}. The server is the responder: it owns the windows.
     */
    static Stream<Arguments> windows() {
        return Stream.of(
                Arguments.of("mw-c-server", true, 18635),
                Arguments.of("mw-java-server", false, 18636))
                .filter(a -> selected((String) a.get()[0]));
    }

    private static final List<String> WINDOW_PHASES = List.of("MW1", "MW2", "INV", "LINV");
    private static final Pattern REQUESTER_LINE = Pattern.compile(
            "^(MW1|MW2|INV|LINV): window rkey 0x([0-9a-f]{8}): WRITE of \\d+ bytes[^;]*; (?:WRITE past the window|WRITE through "
            + "the invalidated rkey): ([A-Z_]+)", Pattern.MULTILINE);
    private static final Pattern RESPONDER_LINE = Pattern.compile(
            "^(MW1|MW2|INV|LINV): window rkey 0x([0-9a-f]{8}) over \\d+ bytes: WRITE checked(?:, SEND_WITH_INV received \\(\\d+ "
            + "bytes checked\\): wc_flags 0x([0-9a-f]+), invalidated_rkey 0x([0-9a-f]{8}))?[^;]*; after the last WRITE: "
            + "bytes (written|untouched), QP (ERR|RTS|another state)", Pattern.MULTILINE);
    private static final Pattern BAD_INVALIDATION = Pattern.compile(
            "^BADINV: type 1 window rkey 0x([0-9a-f]{8}): (?:SEND_WITH_INV of it|the receive): ([A-Z_]+)(?:, QP (ERR|RTS|another state))?",
            Pattern.MULTILINE);
    /** {@code IB_WC_WITH_INVALIDATE} of the kernel's {@code enum ib_wc_flags}: libibverbs' {@code IBV_WC_IP_CSUM_OK} bit. */
    private static final int KERNEL_WC_WITH_INVALIDATE = 1 << 2;

    /**
     * Memory windows and SEND with invalidate against rxe, each device the responder (the window's
     * owner) in one case: one RC QP pair per phase. MW1 (type 1, {@code ibv_bind_mw}) and MW2
     * (type 2, a BIND_MW request): the requester WRITEs 2501 bytes through the window's rkey, the
     * responder checks them and the bytes around, fills the window, and the requester READs it back
     * and checks it; then the requester WRITEs 64 bytes just past the window, inside the region.
     * INV: a WRITE, then a SEND with invalidate of the window's rkey (the responder's completion
     * reports the key), then a WRITE through it. LINV: a WRITE, the responder's LOCAL_INV, a WRITE
     * through the key. BADINV: a SEND with invalidate of a type 1 window's rkey (which no remote
     * invalidation may revoke), the requester's QP with retry_cnt 1. Both programs report what the
     * last request did; the capture carries the WRITEs (RETH rkey = the window's), READs, each
     * SEND's IETH with its window's rkey on its last packet, and the responder's NAK 0x62 (remote
     * access error) for each refused access.
     *
     * <p>Where the devices differ, each side's behaviour is asserted as it is (docs/soft-device.md):
     * rxe checks an access through a window against the bounds of the region under it, not the
     * window's, so a WRITE past a window (inside the region) lands, ACKed; the soft device refuses
     * it (NAK 0x62, REM_ACCESS_ERR, both QPs in ERR) as IBTA's window bounds require. rxe reports a
     * SEND with invalidate with the kernel's {@code IB_WC_WITH_INVALIDATE} bit (1 << 2) in
     * {@code wc_flags}, which libibverbs defines as {@code IBV_WC_IP_CSUM_OK}; {@code IBV_WC_WITH_INV}
     * (1 << 3) stays clear; the soft device sets {@code IBV_WC_WITH_INV}. Both put the key in
     * {@code invalidated_rkey}. A failed remote invalidation completes the receive with
     * {@code REM_INV_REQ_ERR} and puts the responder's QP in ERR on both, but rxe ACKs the SEND
     * (its requester completes it successfully) where the soft device NAKs invalid request (0x61:
     * the requester's {@code REM_INV_REQ_ERR}).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("windows")
    @Order(5)
    void memoryWindows(String name, boolean cServer, int port) throws Exception {
        String p = Integer.toString(port);
        String phases = String.join(",", WINDOW_PHASES) + ",BADINV";
        List<String> javaArgs = List.of(HostLinkVerify.class.getName(), "-d", "jsoft0", "-g", "1", "-p", p, "-n", "2",
                "-s", Integer.toString(RC_SIZE), "-c", phases);
        String[] cArgs = {verifyProgram.toString(), "-d", vm.env("JVERBS_RDMA_DEV"), "-g", vm.env("JVERBS_GID_INDEX"),
            "-p", p, "-n", "2", "-s", Integer.toString(RC_SIZE), "-c", phases};
        Run r = cServer ? guestServer(name, port, cArgs, javaArgs, true) : hostServer(name, port, javaArgs, cArgs);
        String context = r.context();
        assertEquals(0, r.server().exit(), name + ": the server failed\n" + context);
        assertEquals(0, r.client().exit(), name + ": the client failed\n" + context);
        boolean rxeResponds = cServer;
        Map<String, MatchResult> req = lines(REQUESTER_LINE, r.client().out(), context);
        Map<String, MatchResult> resp = lines(RESPONDER_LINE, r.server().out(), context);
        Map<String, Integer> rkeys = new HashMap<>();
        int refused = 0;
        for (String phase : WINDOW_PHASES) {
            String what = name + " " + phase + ": ";
            MatchResult q = req.get(phase);
            MatchResult s = resp.get(phase);
            assertEquals(s.group(2), q.group(2), what + "the requester used the rkey the responder bound\n" + context);
            int rkey = Integer.parseUnsignedInt(s.group(2), 16);
            rkeys.put(phase, rkey);
            // rxe lets a WRITE past a window into the region under it; revoked keys fail on both.
            boolean lands = rxeResponds && phase.startsWith("MW");
            assertEquals(lands ? "SUCCESS" : "REM_ACCESS_ERR", q.group(3), what + "the last WRITE's status\n" + context);
            assertEquals(lands ? "written" : "untouched", s.group(5), what + "the bytes the last WRITE aimed at\n" + context);
            assertEquals(lands ? "RTS" : "ERR", s.group(6), what + "the responder's QP after the last WRITE\n" + context);
            refused += lands ? 0 : 1;
            if (phase.equals("INV")) {
                int flags = Integer.parseInt(s.group(3), 16);
                assertEquals(rkey, Integer.parseUnsignedInt(s.group(4), 16), what + "invalidated_rkey\n" + context);
                if (rxeResponds) {
                    assertEquals(0, flags & io.jverbs.verbs.WorkCompletions.FLAG_WITH_INV,
                            what + "rxe leaves IBV_WC_WITH_INV clear\n" + context);
                    assertEquals(KERNEL_WC_WITH_INVALIDATE, flags & KERNEL_WC_WITH_INVALIDATE,
                            what + "rxe sets the kernel's IB_WC_WITH_INVALIDATE bit\n" + context);
                } else {
                    assertEquals(io.jverbs.verbs.WorkCompletions.FLAG_WITH_INV, flags & io.jverbs.verbs.WorkCompletions.FLAG_WITH_INV,
                            what + "IBV_WC_WITH_INV\n" + context);
                }
            }
        }
        // BADINV: a SEND with invalidate of a type 1 window's rkey. Both responders complete the
        // receive with REM_INV_REQ_ERR and go to ERR; the soft device NAKs invalid request (the
        // requester's REM_INV_REQ_ERR), rxe ACKs the SEND (the requester's SUCCESS).
        Matcher bq = BAD_INVALIDATION.matcher(r.client().out());
        Matcher bs = BAD_INVALIDATION.matcher(r.server().out());
        assertTrue(bq.find() && bs.find(), name + ": no BADINV reports\n" + context);
        assertEquals(bs.group(1), bq.group(1), name + " BADINV: the requester used the responder's rkey\n" + context);
        assertEquals(rxeResponds ? "SUCCESS" : "REM_INV_REQ_ERR", bq.group(2), name + " BADINV: the requester's status\n" + context);
        assertEquals("REM_INV_REQ_ERR", bs.group(2), name + " BADINV: the responder's receive\n" + context);
        assertEquals("ERR", bs.group(3), name + " BADINV: the responder's QP\n" + context);
        int badKey = Integer.parseUnsignedInt(bs.group(1), 16);
        Direction[] d = wire(name, r.pcap());
        Direction requester = cServer ? d[0] : d[1];
        Direction responder = cServer ? d[1] : d[0];
        String which = requester + "\n" + responder + "\n(" + r.pcap() + ")\n";
        System.out.println(which);
        for (Direction x : d) {
            assertEquals("RC", x.transport(), which + "the transport of every packet");
        }
        // Per phase t: a WRITE of MW_LEN bytes (step 0) and the last WRITE of OUT_LEN (step 3),
        // both through the window's rkey; two READs (MW1, MW2) answered with the responder's step 1;
        // one SEND with invalidate (INV) of step 2 whose last packet carries the window's rkey.
        assertEquals(2 * WINDOW_PHASES.size(), requester.writes.size(), which + "WRITE messages");
        for (int t = 0; t < WINDOW_PHASES.size(); t++) {
            int rkey = rkeys.get(WINDOW_PHASES.get(t));
            for (int k = 0; k < 2; k++) {
                String what = which + WINDOW_PHASES.get(t) + " WRITE " + k;
                byte[] msg = requester.writes.get(2 * t + k);
                assertEquals(rkey, requester.writeRkeys.get(2 * t + k).intValue(), what + ": RETH rkey");
                assertPattern(msg, k == 0 ? HostLinkVerify.MW_LEN : HostLinkVerify.OUT_LEN, 0, t, k == 0 ? 0 : 3, what);
            }
        }
        assertEquals(2, requester.readRequests, which + "READ requests");
        assertEquals(2, responder.readResponses.size(), which + "READ responses");
        for (int t = 0; t < 2; t++) {
            assertPattern(responder.readResponses.get(t), HostLinkVerify.MW_LEN, 1, t, 1, which + "READ response " + t);
        }
        assertEquals(2, requester.sends.size(), which + "SEND messages");
        assertEquals(rkeys.get("INV"), requester.sendInvalidates.get(0), which + "the IETH of INV's SEND with invalidate");
        assertPattern(requester.sends.get(0), HostLinkVerify.INV_LEN, 0, 2, 2, which + "INV's SEND with invalidate");
        assertEquals(badKey, requester.sendInvalidates.get(1).intValue(), which + "the IETH of BADINV's SEND with invalidate");
        assertPattern(requester.sends.get(1), HostLinkVerify.INV_LEN, 0, 4, 2, which + "BADINV's SEND with invalidate");
        List<Integer> naks = new ArrayList<>(java.util.Collections.nCopies(refused, 0x62));
        if (!rxeResponds) {
            naks.add(0x61); // invalid request: BADINV
        }
        assertEquals(naks, responder.nakSyndromes, which + "one NAK 0x62 (remote access error) per refused WRITE, then "
                + "the soft responder's 0x61 (invalid request) for BADINV, no other NAK");
        assertTrue(responder.acks > 0, which + "ACKs");
    }

    /** The report line of each window phase, by phase; fails unless every phase has one. */
    private static Map<String, MatchResult> lines(Pattern p, String out, String context) {
        Map<String, MatchResult> m = new HashMap<>();
        Matcher x = p.matcher(out);
        while (x.find()) {
            m.put(x.group(1), x.toMatchResult());
        }
        assertEquals(new java.util.TreeSet<>(WINDOW_PHASES), new java.util.TreeSet<>(m.keySet()), "window phases reported\n"
                + context);
        return m;
    }

    private static void assertPattern(byte[] msg, int len, int side, int t, int step, String what) {
        assertEquals(len, msg.length, what + ": length");
        for (int j = 0; j < len; j++) {
            if (msg[j] != HostLinkVerify.pattern(side, t, step, j)) {
                fail(what + ": byte " + j);
            }
        }
    }

    /** C perftest's {@code ib_<test>} on rxe0 against jperf on jsoft0, {@code PERF_ITERS} iterations. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("perftests")
    @Order(2)
    void perftest(String name, boolean cServer, int port, String test, List<String> flags) throws Exception {
        perftest(name, cServer, port, test, flags, PERF_ITERS);
    }

    /** Runs one perftest case and checks it; returns its capture {from the host, from the guest}. */
    private static Direction[] perftest(String name, boolean cServer, int port, String test, List<String> flags, int iters)
            throws Exception {
        Run r;
        for (int attempt = 1; ; attempt++) {
            String p = Integer.toString(port + 100 * (attempt - 1));
            String n = attempt == 1 ? name : name + "-" + attempt;
            List<String> jperf = new ArrayList<>(List.of("io.jverbs.perftest.cli.Jperf", test, "-d", "jsoft0", "-x", "1", "-p", p,
                    "-n", Integer.toString(iters)));
            jperf.addAll(flags);
            List<String> c = new ArrayList<>(List.of("ib_" + test, "-d", vm.env("JVERBS_RDMA_DEV"), "-x",
                    vm.env("JVERBS_GID_INDEX"), "-p", p, "-n", Integer.toString(iters)));
            c.addAll(flags);
            String[] cArgs = c.toArray(String[]::new);
            r = cServer ? guestServer(n, Integer.parseInt(p), cArgs, jperf, true) : hostServer(n, Integer.parseInt(p), jperf, cArgs);
            // C perftest calibrates its cycle counter before it reports; under TCG on a busy host
            // the fit sometimes fails (exit 1) whatever the peer did (perftest's Runs.pair): again.
            String all = r.server().out() + r.client().out();
            if (attempt == 3 || !(all.contains("Can't produce a report") && all.contains("Correlation coefficient"))) {
                break;
            }
            System.out.println(n + ": C perftest's cycle-counter calibration failed under emulation; running it again");
        }
        String context = r.context();
        assertEquals(0, r.server().exit(), name + ": the server failed\n" + context);
        assertEquals(0, r.client().exit(), name + ": the client failed\n" + context);
        Matcher m = RESULT_ROW.matcher(r.client().out());
        assertTrue(m.find() && Integer.parseInt(m.group(2)) == iters,
                name + ": no result row of " + iters + " iterations from the client\n" + context);
        Direction[] d = wire(name, r.pcap());
        // The client is the requester: jperf when C is the server.
        Direction req = cServer ? d[0] : d[1];
        Direction resp = cServer ? d[1] : d[0];
        String which = req + "\n" + resp + "\n(" + r.pcap() + ")\n";
        System.out.println(req + "\n" + resp);
        int i = flags.indexOf("-c");
        String connection = i < 0 ? "RC" : flags.get(i + 1);
        i = flags.indexOf("-s");
        int size = i >= 0 ? Integer.parseInt(flags.get(i + 1)) : test.endsWith("_bw") ? 65536 : 2;
        for (Direction x : d) {
            if (x.packets > 0) {
                assertEquals(connection, x.transport(), which + "the transport of every packet");
            }
        }
        switch (test) {
            case "write_bw", "send_bw" -> {
                List<byte[]> msgs = test.equals("write_bw") ? req.writes : req.sends;
                assertEquals(iters, msgs.size(), which + "messages");
                msgs.forEach(msg -> assertEquals(size, msg.length, which + "message length"));
                if (connection.equals("RC")) {
                    assertTrue(resp.acks > 0, which + "ACKs");
                    // NAKs too: a burst can overflow a UDP receive buffer, and the responder asks again.
                    assertEquals(resp.packets, resp.acks + resp.naks, which + "the responder sends only ACKs and NAKs");
                } else {
                    assertEquals(0, resp.packets, which + "no answers on " + connection);
                }
            }
            case "send_lat" -> {
                for (Direction x : d) {
                    assertEquals(iters, x.sends.size(), which + "SEND messages");
                    x.sends.forEach(msg -> assertEquals(size, msg.length, which + "SEND length"));
                    assertEquals(connection.equals("RC"), x.acks > 0, which + "ACKs only on RC");
                }
            }
            case "read_lat", "read_bw" -> {
                assertEquals(iters, req.readRequests, which + "READs (first requests)");
                assertEquals(iters, resp.readResponses.size(), which + "READ responses");
                resp.readResponses.forEach(msg -> assertEquals(size, msg.length, which + "READ response length"));
            }
            case "atomic_bw" -> {
                Opcode op = flags.contains("CMP_AND_SWAP") ? Opcode.RC_COMPARE_SWAP : Opcode.RC_FETCH_ADD;
                assertEquals(iters, req.atomics.size(), which + "atomics");
                req.atomics.values().forEach(a -> assertEquals(op.ordinal(), (int) a[3], which + "every atomic a " + op));
                assertEquals(iters, resp.atomicOriginals.size(), which + "atomic ACKs");
                checkAtomics(req, resp, which);
            }
            default -> throw new IllegalArgumentException(test);
        }
        return d;
    }

    /**
     * Every atomic is answered (the ACK carries its PSN) with the value its address held: what the
     * previous atomic there left (the old value plus the addend after a FETCH_ADD; the swap value
     * after a CMP_SWAP whose compare matched, else the old value), address by address, in the
     * order the requester sent them (the responder executes them in PSN order).
     */
    private static void checkAtomics(Direction req, Direction resp, String which) {
        Map<Long, Long> next = new HashMap<>();
        for (Map.Entry<Integer, long[]> e : req.atomics.entrySet()) {
            Long original = resp.atomicOriginals.get(e.getKey());
            assertTrue(original != null, which + "no atomic ACK for PSN " + e.getKey());
            long[] a = e.getValue();
            Long expected = next.get(a[0]);
            if (expected != null) {
                assertEquals(expected.longValue(), original.longValue(), which + Opcode.values()[(int) a[3]] + " at 0x"
                        + Long.toHexString(a[0]) + " (PSN " + e.getKey() + ") returned");
            }
            boolean cas = a[3] == Opcode.RC_COMPARE_SWAP.ordinal();
            next.put(a[0], cas ? (original == a[2] ? a[1] : original) : original + a[1]);
        }
        assertTrue(next.size() < req.atomics.size(), which + "no address was the target twice: nothing checked");
    }

    // ---- the programs ---------------------------------------------------------------------

    /** A Java program ({@code main class, args...}) in a JVM of its own, with jsoft0 bound to the link's host address. */
    private static Process javaProcess(String name, List<String> mainAndArgs) throws IOException {
        // C1 only: runs of a few seconds gain nothing from C2, whose compiler threads would take
        // CPU from the VM (TCG) on a 2-core host.
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED", "-Djverbs.soft.devices=jsoft0=" + hostIp,
                "-cp", System.getProperty("java.class.path")));
        cmd.addAll(mainAndArgs);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.resolve(name + "-java.log").toFile())
                .start();
    }

    private static HostLinkVm.Result finish(Process p, String name) throws Exception {
        return HostLinkVm.finish(p, out.resolve(name + "-java.log"), CASE_TIMEOUT_S);
    }


    // ---- the checks ---------------------------------------------------------------------------

    private static void checkPingpong(String name, Run run, boolean ud) {
        HostLinkVm.Result server = run.server();
        HostLinkVm.Result client = run.client();
        Path pcap = run.pcap();
        String both = run.context();
        assertEquals(0, server.exit(), name + ": the server failed\n" + both);
        assertEquals(0, client.exit(), name + ": the client failed\n" + both);
        for (HostLinkVm.Result r : List.of(server, client)) {
            assertTrue(r.out().contains(ITERS + " iters in"), name + ": no report of " + ITERS + " round trips\n" + both);
        }
        assertFalse(server.out().contains("invalid data"), name + ": the server found wrong data\n" + both);
        int[] s = qpns(server.out(), both);
        int[] c = qpns(client.out(), both);
        assertEquals(s[0], c[1], name + ": the client's remote QPN is the server's\n" + both);
        assertEquals(c[0], s[1], name + ": the server's remote QPN is the client's\n" + both);
        checkPingpongWire(name, pcap, ud, both);
    }

    /** {local QPN, remote QPN} from a pingpong's address lines. */
    private static int[] qpns(String text, String context) {
        int[] q = {-1, -1};
        Matcher m = ADDRESS.matcher(text);
        while (m.find()) {
            q[m.group(1).equals("local") ? 0 : 1] = Integer.parseInt(m.group(2), 16);
        }
        assertTrue(q[0] >= 0 && q[1] >= 0, "no address lines\n" + context);
        return q;
    }

    /** What one direction of a capture carried: messages by kind, reassembled; ACKs; atomic values. */
    static final class Direction {
        final String name;
        final List<byte[]> sends = new ArrayList<>();
        final List<byte[]> writes = new ArrayList<>();
        final List<byte[]> readResponses = new ArrayList<>();
        /** The immediate of each SEND and WRITE message (null: none), in the order of {@link #sends}, {@link #writes}. */
        final List<Integer> sendImms = new ArrayList<>();
        final List<Integer> writeImms = new ArrayList<>();
        /** The RETH rkey of each WRITE message; the IETH rkey of each SEND (null: none), in the same orders. */
        final List<Integer> writeRkeys = new ArrayList<>();
        final List<Integer> sendInvalidates = new ArrayList<>();
        /** The syndrome of each NAK, in capture order. */
        final List<Integer> nakSyndromes = new ArrayList<>();
        /** The transports (RC, UC, UD) of its packets. */
        final java.util.Set<String> transports = new java.util.TreeSet<>();
        /** PSN -> {virtual address, add or swap value, compare value, opcode ordinal} of each atomic request, in PSN order. */
        final Map<Integer, long[]> atomics = new LinkedHashMap<>();
        /** PSN -> the original value an atomic ACK returned. */
        final Map<Integer, Long> atomicOriginals = new HashMap<>();
        /** READ requests: the first for each READ, and those asking again for the rest of one (a new VA). */
        int readRequests;
        int reRequests;
        /** READ responses answering a request for the rest: a FIRST or ONLY inside a READ's data. */
        int readResumes;
        int acks;
        int naks;
        int duplicates;
        int packets;
        /**
         * The first copy of each packet, by PSN from a little before the first one seen, in two PSN
         * spaces: requests (this side's requester), responses (the other side's responder). Under
         * loss the capture order is not the PSN order: a packet the host dropped on the way out is
         * captured only when it is sent again. One pair of spaces per destination QP and transport,
         * in the order they first appear: a case may use one QP after another, and the soft device
         * gives a new QP the number of one just destroyed (rxe does not), so only the transport
         * tells the verify program's RC, UC and UD QPs on jsoft0 apart.
         */
        private final Map<String, List<TreeMap<Integer, Packet>>> qps = new LinkedHashMap<>();
        private final Map<String, int[]> bases = new HashMap<>();

        /**
         * va and value: an atomic's address and swap/add (compare in {@code compare}), a READ
         * request's VA and length; key: a WRITE FIRST/ONLY's RETH rkey or a SEND's IETH rkey.
         */
        private record Packet(Opcode op, byte[] payload, long va, long value, long compare, Integer imm, Integer key,
                              String where) {}

        Direction(String name) {
            this.name = name;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s: %d packets %s (%d retransmitted), %d SEND, %d WRITE, %d READ requests "
                    + "(+%d for the rest), %d READ responses (%d resumed), %d atomics, %d atomic ACKs, %d ACKs, %d NAKs", name,
                    packets, transports, duplicates, sends.size(), writes.size(), readRequests, reRequests,
                    readResponses.size(), readResumes, atomics.size(), atomicOriginals.size(), acks, naks);
        }

        /** The transport ({@code RC}, {@code UC}, {@code UD}) of every packet, or what mixed. */
        String transport() {
            return transports.size() == 1 ? transports.iterator().next() : transports.toString();
        }

        void add(RocePacket p, byte[] frame, String where) {
            packets++;
            Opcode op = p.opcode();
            transports.add(op.name().substring(0, 2));
            if (op == Opcode.RC_ACKNOWLEDGE) {
                // Duplicates are answered with the last PSN: ACKs repeat PSNs by design.
                if (p.aeth().syndrome() >> 5 == 0) {
                    acks++;
                } else {
                    naks++;
                    nakSyndromes.add(p.aeth().syndrome());
                }
                return;
            }
            int space = op.isResponse() ? 1 : 0;
            int psn = p.bth().psn();
            String qpn = op.name().substring(0, 2) + p.bth().destinationQp();
            List<TreeMap<Integer, Packet>> spaces = qps.computeIfAbsent(qpn, k -> List.of(new TreeMap<>(), new TreeMap<>()));
            int[] base = bases.computeIfAbsent(qpn, k -> new int[] {-1, -1});
            if (base[space] < 0) {
                base[space] = (psn - 4096) & 0xffffff;
            }
            Packet q = op == Opcode.RC_ATOMIC_ACKNOWLEDGE
                    ? new Packet(op, null, 0, p.atomicAckEth().originalData(), 0, null, null, where)
                    : op.hasAtomicEth() ? new Packet(op, null, p.atomicEth().virtualAddress(), p.atomicEth().swapOrAdd(),
                            p.atomicEth().compare(), null, null, where)
                    : op == Opcode.RC_RDMA_READ_REQUEST ? new Packet(op, null, p.reth().virtualAddress(), p.reth().dmaLength(), 0,
                            null, null, where)
                    : new Packet(op, Arrays.copyOfRange(frame, (int) p.payloadOffset(),
                            (int) p.payloadOffset() + p.payloadLength()), 0, 0, 0,
                            op.hasImmediate() ? p.immDt().immediate() : null,
                            op.hasReth() ? Integer.valueOf(p.reth().rkey()) : op.hasIeth() ? Integer.valueOf(p.ieth().rkey()) : null,
                            where);
            if (spaces.get(space).putIfAbsent((psn - base[space]) & 0xffffff, q) != null) {
                duplicates++; // a retransmission: the first copy counts
            }
        }

        /** Reassembles the messages, in PSN order. */
        Direction finish() {
            for (Map.Entry<String, List<TreeMap<Integer, Packet>>> qp : qps.entrySet()) {
                ByteArrayOutputStream[] partial = {
                    new ByteArrayOutputStream(), new ByteArrayOutputStream(), new ByteArrayOutputStream()};
                Integer[] keys = new Integer[3]; // the message's RETH or IETH rkey, by kind
                int[] base = bases.get(qp.getKey());
                int readEnd = -1; // relative PSN after the last READ's responses
                for (int space = 0; space < 2; space++) {
                    for (Map.Entry<Integer, Packet> e : qp.getValue().get(space).entrySet()) {
                        Packet q = e.getValue();
                        int psn = (e.getKey() + base[space]) & 0xffffff;
                        Opcode op = q.op();
                        if (op == Opcode.RC_ATOMIC_ACKNOWLEDGE) {
                            atomicOriginals.put(psn, q.value());
                        } else if (op.hasAtomicEth()) {
                            atomics.put(psn, new long[] {q.va(), q.value(), q.compare(), op.ordinal()});
                        } else if (op == Opcode.RC_RDMA_READ_REQUEST) {
                            // A READ takes one PSN per response packet; a request at a PSN inside an
                            // earlier READ's asks for the rest of it (rxe after a lost response).
                            if (e.getKey() < readEnd) {
                                reRequests++;
                            } else {
                                readRequests++;
                                readEnd = e.getKey() + (int) Math.max(1, (q.value() + PMTU - 1) / PMTU);
                            }
                        } else {
                            String n = op.name();
                            int kind = n.contains("READ_RESPONSE") ? 2 : n.contains("WRITE") ? 1 : n.contains("SEND") ? 0 : -1;
                            assertTrue(kind >= 0, q.where() + ": unexpected opcode " + op);
                            ByteArrayOutputStream b = partial[kind];
                            if (op.startsMessage() && b.size() > 0) {
                                // Only the answer to a request for the rest of a READ starts inside one.
                                assertEquals(2, kind, q.where() + ": a message starts inside another");
                                readResumes++;
                            }
                            b.writeBytes(q.payload());
                            if (q.key() != null) {
                                keys[kind] = q.key();
                            }
                            if (op.endsMessage()) {
                                (kind == 0 ? sends : kind == 1 ? writes : readResponses).add(b.toByteArray());
                                if (kind < 2) {
                                    (kind == 0 ? sendImms : writeImms).add(q.imm());
                                    (kind == 0 ? sendInvalidates : writeRkeys).add(keys[kind]);
                                }
                                keys[kind] = null;
                                b.reset();
                            }
                        }
                    }
                }
            }
            return this;
        }
    }

    /**
     * Reads a case's capture: every RoCEv2 packet on it must parse with a valid ICRC, between the
     * two link addresses, and the soft device's carry IPv4 ID 0 and DF. Returns {from the host,
     * from the guest}.
     */
    static Direction[] wire(String name, Path pcap) {
        int host = ipv4(hostIp);
        int guest = ipv4(guestIp);
        Direction fromHost = new Direction(name + ", jsoft0 -> rxe0");
        Direction fromGuest = new Direction(name + ", rxe0 -> jsoft0");
        RocePacket p = new RocePacket();
        int frame = 0;
        for (byte[] f : RxeCapture.frames(pcap)) {
            frame++;
            RoceStatus st = p.wrapFrame(MemorySegment.ofArray(f), 0, f.length);
            if (st == RoceStatus.NOT_IPV4 || st == RoceStatus.NOT_UDP || st == RoceStatus.NOT_ROCE_PORT) {
                continue; // the TCP exchange
            }
            String where = name + ": frame " + frame + " of " + pcap;
            assertEquals(RoceStatus.OK, st, where + " is not a valid RoCEv2 packet (ICRC included)");
            boolean sentByHost = p.ipv4().source() == host;
            assertEquals(sentByHost ? guest : host, p.ipv4().destination(), where + ": addresses");
            if (sentByHost) {
                // The ICRC covers the IPv4 ID: rxe accepts only what the sender computed it over.
                assertEquals(0, p.ipv4().identification(), where + ": the soft device sends IPv4 ID 0");
                assertTrue(p.ipv4().dontFragment(), where + ": the soft device sends DF");
            }
            (sentByHost ? fromHost : fromGuest).add(p, f, where);
        }
        return new Direction[] {fromHost.finish(), fromGuest.finish()};
    }

    private static void checkPingpongWire(String name, Path pcap, boolean ud, String context) {
        int size = ud ? UD_SIZE : RC_SIZE;
        for (Direction d : wire(name, pcap)) {
            System.out.println(d);
            String which = d + " (" + pcap + "): ";
            assertEquals(ITERS, d.sends.size(), which + "SEND messages\n" + context);
            for (byte[] m : d.sends) {
                assertEquals(size, m.length, which + "message length");
                // The pingpongs fill their buffers with 0x7b; -c makes the client write 0 at each
                // page start, and the server sends back what it received.
                for (int i = 0; i < m.length; i++) {
                    assertEquals(i % 4096 == 0 ? 0 : 0x7b, m[i] & 0xff, which + "byte " + i + " of a message");
                }
            }
            assertEquals(0, d.writes.size() + d.readRequests + d.readResponses.size() + d.atomics.size()
                    + d.atomicOriginals.size(), which + "only SENDs and ACKs");
            if (!ud) {
                assertTrue(d.acks > 0, which + "no ACKs");
            }
        }
    }

    private static int ipv4(String dotted) {
        int v = 0;
        for (String b : dotted.split("\\.")) {
            v = v << 8 | Integer.parseInt(b);
        }
        return v;
    }

    /** tcpdump on the TAP into target/hostlink/NAME.pcap, RoCEv2 and the case's TCP exchange. */
    private static Tcpdump capture(String name, int tcpPort) throws Exception {
        return Tcpdump.start(tap, "udp port 4791 or tcp port " + tcpPort, out.resolve(name + ".pcap"));
    }
}
