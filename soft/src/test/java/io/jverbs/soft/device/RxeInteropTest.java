package io.jverbs.soft.device;

import io.jverbs.soft.wire.Opcode;
import io.jverbs.soft.wire.RocePacket;
import io.jverbs.soft.wire.RoceStatus;
import io.jverbs.soft.wire.RxeCapture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The soft device on this host against kernel rxe in the Soft-RoCE VM, over the VM's host link
 * (docs/softroce.md, {@code --host-link}): rdma-core's C pingpongs run on rxe0 in the guest, the
 * examples' Java ports of them run on {@code jsoft0} bound to the link's host address, in both
 * roles. One VM boot serves the whole class.
 *
 * <p>Each case is checked three ways: both programs exit 0 after all their round trips, with
 * {@code -c} and no "invalid data" from the server; each side's address line names the QP the other
 * announced; and the capture on the TAP (kept in {@code target/hostlink/<case>.pcap}) holds only
 * RoCEv2 packets with a valid ICRC in both directions, the soft device's with IPv4 ID 0 and DF, and
 * exactly {@code -n} SEND messages each way of {@code -s} bytes with the pingpong's contents (the
 * server echoes what it received, so the C side's memory is checked too).
 *
 * <p>Needs root (qemu's TAP, tcpdump); runs on the host in {@code -Psoftroce} (what
 * {@code ./dev.sh test} runs), tag {@code hostlink}.
 */
@Tag("hostlink")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RxeInteropTest {
    private static final int ITERS = 50;
    private static final int RC_SIZE = 4093;   // 4 packets at MTU 1024, the last padded by 3
    private static final int UD_SIZE = 1022;   // one packet, padded by 2
    private static final long CASE_TIMEOUT_S = 60;
    private static final Pattern ADDRESS = Pattern.compile(
            "^ {2}(local|remote) address: {1,2}LID 0x[0-9a-f]{4}, QPN 0x([0-9a-f]{6}), PSN 0x([0-9a-f]{6})[,:] GID (\\S+)$",
            Pattern.MULTILINE);

    private static Path out;
    private static HostLinkVm vm;
    private static String hostIp;
    private static String guestIp;
    private static String tap;

    @BeforeAll
    static void boot() throws Exception {
        assertEquals("0", new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes(),
                StandardCharsets.US_ASCII).strip(), "the host-link interop tests need root (qemu's TAP, tcpdump)");
        out = Path.of("target", "hostlink").toAbsolutePath();
        HostLinkVm.deleteTree(out);
        Files.createDirectories(out);
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

    @Test
    @Order(1)
    void rcCServerInGuestJavaClientOnJsoft0() throws Exception {
        guestServer("rc-c-server", "ibv_rc_pingpong", "RcPingPong", 18601, RC_SIZE, false);
    }

    @Test
    @Order(2)
    void rcJavaServerOnJsoft0CClientInGuest() throws Exception {
        hostServer("rc-java-server", "RcPingPong", "ibv_rc_pingpong", 18602, RC_SIZE, false);
    }

    @Test
    @Order(3)
    void udCServerInGuestJavaClientOnJsoft0() throws Exception {
        guestServer("ud-c-server", "ibv_ud_pingpong", "UdPingPong", 18603, UD_SIZE, true);
    }

    @Test
    @Order(4)
    void udJavaServerOnJsoft0CClientInGuest() throws Exception {
        hostServer("ud-java-server", "UdPingPong", "ibv_ud_pingpong", 18604, UD_SIZE, true);
    }

    // ---- the two arrangements ----------------------------------------------------------------

    private static void guestServer(String name, String cServer, String javaClient, int port, int size, boolean ud)
            throws Exception {
        try (Capture cap = Capture.start(name, port)) {
            List<String> server = new ArrayList<>(List.of("timeout", Long.toString(CASE_TIMEOUT_S)));
            server.addAll(List.of(c(cServer, port, size)));
            vm.guestBackground(name, server.toArray(String[]::new));
            vm.awaitGuestListening(port);
            HostLinkVm.Result client = java(name, javaClient, port, size, guestIp);
            HostLinkVm.Result s = vm.guestWait(name, CASE_TIMEOUT_S);
            cap.stop();
            check(name, s, client, cap.file, ud);
        }
    }

    private static void hostServer(String name, String javaServer, String cClient, int port, int size, boolean ud)
            throws Exception {
        try (Capture cap = Capture.start(name, port)) {
            Process server = javaProcess(name, javaServer, port, size, null);
            awaitHostListening(port, server);
            List<String> client = new ArrayList<>(List.of("timeout", Long.toString(CASE_TIMEOUT_S)));
            client.addAll(List.of(c(cClient, port, size)));
            client.add(hostIp);
            HostLinkVm.Result c = vm.guest(CASE_TIMEOUT_S + 5, client.toArray(String[]::new));
            HostLinkVm.Result s = finish(server, name);
            cap.stop();
            check(name, s, c, cap.file, ud);
        }
    }

    // ---- the programs ---------------------------------------------------------------------

    /** The C program's arguments on rxe0, GID index 1 (the IPv4-mapped one), as a server. */
    private static String[] c(String program, int port, int size) {
        return new String[] {program, "-d", vm.env("JVERBS_RDMA_DEV"), "-g", vm.env("JVERBS_GID_INDEX"), "-p",
            Integer.toString(port), "-n", Integer.toString(ITERS), "-s", Integer.toString(size), "-c"};
    }

    /** The examples' port in a JVM of its own, with jsoft0 bound to the link's host address. */
    private static Process javaProcess(String name, String example, int port, int size, String server) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Djverbs.soft.devices=jsoft0=" + hostIp,
                "-cp", System.getProperty("java.class.path"), "io.jverbs.examples." + example,
                "-d", "jsoft0", "-g", "1", "-p", Integer.toString(port), "-n", Integer.toString(ITERS),
                "-s", Integer.toString(size), "-c"));
        if (server != null) {
            cmd.add(server);
        }
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.resolve(name + "-java.log").toFile())
                .start();
    }

    private static HostLinkVm.Result java(String name, String example, int port, int size, String server) throws Exception {
        return finish(javaProcess(name, example, port, size, server), name);
    }

    private static HostLinkVm.Result finish(Process p, String name) throws Exception {
        boolean done = p.waitFor(CASE_TIMEOUT_S, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        return new HostLinkVm.Result(done ? p.exitValue() : 124, Files.readString(out.resolve(name + "-java.log")));
    }

    private static void awaitHostListening(int port, Process server) throws Exception {
        String hex = String.format(Locale.ROOT, ":%04X ", port);
        for (int i = 0; i < 300; i++) {
            for (String f : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
                for (String line : Files.readAllLines(Path.of(f))) {
                    String[] w = line.strip().split("\\s+");
                    if (w.length > 3 && w[1].endsWith(hex.strip()) && w[3].equals("0A")) {
                        return;
                    }
                }
            }
            if (!server.isAlive()) {
                fail("the Java server exited " + server.exitValue() + " before listening");
            }
            Thread.sleep(100);
        }
        fail("the Java server did not listen on TCP " + port + " within 30 s");
    }

    // ---- the checks ---------------------------------------------------------------------------

    private static void check(String name, HostLinkVm.Result server, HostLinkVm.Result client, Path pcap, boolean ud) {
        String both = "server " + server + "\nclient " + client + "\ncapture " + pcap;
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
        checkCapture(name, pcap, ud, both);
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

    /** One direction of the capture: its messages, reassembled, and what else it carried. */
    private static final class Direction {
        final List<byte[]> messages = new ArrayList<>();
        final Set<Integer> psns = new HashSet<>();
        final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        int acks;
        int duplicates;
        int packets;
    }

    private static void checkCapture(String name, Path pcap, boolean ud, String context) {
        int host = ipv4(hostIp);
        int guest = ipv4(guestIp);
        Direction fromHost = new Direction();
        Direction fromGuest = new Direction();
        RocePacket p = new RocePacket();
        int frame = 0;
        for (byte[] f : RxeCapture.frames(pcap)) {
            frame++;
            MemorySegment seg = MemorySegment.ofArray(f);
            RoceStatus st = p.wrapFrame(seg, 0, f.length);
            if (st == RoceStatus.NOT_IPV4 || st == RoceStatus.NOT_UDP || st == RoceStatus.NOT_ROCE_PORT) {
                continue; // the TCP address exchange
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
            Direction d = sentByHost ? fromHost : fromGuest;
            d.packets++;
            Opcode op = p.opcode();
            if (op == Opcode.RC_ACKNOWLEDGE) {
                d.acks++;
                continue;
            }
            assertTrue(ud ? op == Opcode.UD_SEND_ONLY : op.name().startsWith("RC_SEND_") && !op.hasImmediate(),
                    where + ": unexpected opcode " + op);
            if (!d.psns.add(p.bth().psn())) {
                d.duplicates++; // a retransmission: the first copy was reassembled
                continue;
            }
            if (op.startsMessage()) {
                assertEquals(0, d.partial.size(), where + ": a message starts inside another");
            }
            d.partial.write(f, (int) p.payloadOffset(), p.payloadLength());
            if (op.endsMessage()) {
                d.messages.add(d.partial.toByteArray());
                d.partial.reset();
            }
        }
        int size = ud ? UD_SIZE : RC_SIZE;
        for (Direction d : List.of(fromHost, fromGuest)) {
            String which = name + ", " + (d == fromHost ? "jsoft0 -> rxe0" : "rxe0 -> jsoft0") + " (" + pcap + ", "
                    + d.packets + " packets, " + d.duplicates + " retransmitted): ";
            assertEquals(ITERS, d.messages.size(), which + "SEND messages\n" + context);
            for (byte[] m : d.messages) {
                assertEquals(size, m.length, which + "message length");
                // The pingpongs fill their buffers with 0x7b; -c makes the client write 0 at each
                // page start, and the server sends back what it received.
                for (int i = 0; i < m.length; i++) {
                    assertEquals(i % 4096 == 0 ? 0 : 0x7b, m[i] & 0xff, which + "byte " + i + " of a message");
                }
            }
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
    private static final class Capture implements AutoCloseable {
        final Path file;
        private final Process tcpdump;

        private Capture(Path file, Process tcpdump) {
            this.file = file;
            this.tcpdump = tcpdump;
        }

        static Capture start(String name, int tcpPort) throws Exception {
            Path file = out.resolve(name + ".pcap");
            Path log = out.resolve(name + "-tcpdump.log");
            Process p = new ProcessBuilder("tcpdump", "-i", tap, "-n", "-U", "-s", "0", "-w", file.toString(),
                    "udp port 4791 or tcp port " + tcpPort)
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            Capture c = new Capture(file, p);
            for (int i = 0; i < 100; i++) {
                if (Files.readString(log).contains("listening on")) {
                    return c;
                }
                if (!p.isAlive()) {
                    break;
                }
                Thread.sleep(100);
            }
            c.close();
            throw new IllegalStateException("tcpdump on " + tap + " did not start: " + Files.readString(log));
        }

        void stop() throws InterruptedException, IOException {
            // tcpdump exits on SIGTERM without writing what the kernel already gave it ("519
            // received by filter, 282 captured"): wait until the file stops growing first.
            long size = -1;
            for (int stable = 0, i = 0; stable < 5 && i < 100; i++) {
                long now = Files.size(file);
                stable = now == size ? stable + 1 : 0;
                size = now;
                Thread.sleep(100);
            }
            tcpdump.destroy();
            if (!tcpdump.waitFor(10, TimeUnit.SECONDS)) {
                tcpdump.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }

        @Override
        public void close() throws InterruptedException, IOException {
            if (tcpdump.isAlive()) {
                stop();
            }
        }
    }
}
