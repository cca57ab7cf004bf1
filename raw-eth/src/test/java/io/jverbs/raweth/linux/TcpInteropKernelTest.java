package io.jverbs.raweth.linux;

import io.jverbs.raweth.iface.Interface;
import io.jverbs.raweth.iface.InterfaceConfig;
import io.jverbs.raweth.port.NanoClock;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.PcapPort;
import io.jverbs.raweth.port.Tools;
import io.jverbs.raweth.socket.TcpConfig;
import io.jverbs.raweth.socket.TcpSocket;
import io.jverbs.raweth.wire.Ipv4Address;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * TcpSocket against the Linux kernel's TCP in a network namespace, over a TAP and over AF_PACKET on
 * a veth pair: bulk transfers both ways with SHA-256 compared (kernel client to our listener, our
 * client to a kernel listener), the same through 5% random loss that nftables injects on the
 * kernel's side, a simultaneous close, a reset either way, and a kernel receiver that stops
 * reading (our sender sees its window close and probes it) then resumes. Each run is captured by
 * {@link PcapPort} and tshark's TCP analysis must flag nothing the scenario does not cause.
 *
 * <p>Sizes: {@code -Djverbs.tcp.interop.bytes} (each way, lossless; default 16m) and
 * {@code -Djverbs.tcp.interop.lossBytes} (each way, lossy; default 4m) take k/m/g suffixes;
 * {@code -Djverbs.tcp.interop.bytes=1g -Djverbs.tcp.interop.lossBytes=1g} is the issue's
 * figure. Captures are kept only up to 64 MiB a way. Needs root, ip, ethtool, nft, python3 and
 * tshark.
 */
class TcpInteropKernelTest {
    private static final String IF_OURS = "jv" + HostNet.TAG + "io";
    private static final String IF_KERNEL = "jv" + HostNet.TAG + "ik";
    private static final Ipv4Address KERNEL = Ipv4Address.parse("10.237." + HostNet.SUBNET + ".1");
    private static final Ipv4Address LOCAL = Ipv4Address.parse("10.237." + HostNet.SUBNET + ".2");
    private static final int OUR_PORT = 7000;
    private static final int KERNEL_PORT = 9100;
    static final long BYTES = size("jverbs.tcp.interop.bytes", "16m");
    static final long LOSS_BYTES = size("jverbs.tcp.interop.lossBytes", "4m");
    private static final long CAPTURE_LIMIT = 64L << 20;
    /** Flags that mean a broken segment on any run. */
    private static final String BROKEN = "tcp.checksum.status == 2 || _ws.malformed || _ws.expert.severity == error";
    /** What a lossy link legitimately makes tshark flag. */
    private static final String LOSS_FLAGS = "tcp.analysis.retransmission || tcp.analysis.fast_retransmission"
            + " || tcp.analysis.spurious_retransmission || tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment"
            + " || tcp.analysis.out_of_order || tcp.analysis.duplicate_ack";
    /**
     * The kernel's tail loss probes: once SACK is on, Linux retransmits its last segment after about
     * 2 SRTT without an ACK, and on this shared host our ACK is sometimes that late. Counted, not
     * flagged; a retransmission of ours is still a failure.
     */
    private static final String KERNEL_PROBES = "((tcp.analysis.retransmission || tcp.analysis.spurious_retransmission)"
            + " && ip.src == " + KERNEL + ")";
    private static final String WINDOW_FLAGS = "tcp.analysis.window_update || tcp.analysis.window_full"
            + " || tcp.analysis.zero_window || tcp.analysis.zero_window_probe || tcp.analysis.zero_window_probe_ack";

    /** How our interface reaches the namespace. */
    enum Link {
        TAP, AF_PACKET
    }

    static long size(String property, String fallback) {
        String v = System.getProperty(property, fallback).trim().toLowerCase(Locale.ROOT);
        if (v.isEmpty()) v = fallback;
        long unit = switch (v.charAt(v.length() - 1)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            default -> 1;
        };
        return Long.parseLong(unit == 1 ? v : v.substring(0, v.length() - 1)) * unit;
    }

    /** The namespace, our port on the link (captured when asked) and the stack's poll thread. */
    private static final class Setup implements AutoCloseable {
        final HostNet net = new HostNet();
        final String ns;
        final PacketPort raw;
        final PacketPort port;
        final PollLoop loop;
        final Path capture;

        Setup(Link link, Path dir, boolean capture) throws IOException {
            ns = net.namespace("ti");
            PacketPort opened = null;
            try {
                if (link == Link.TAP) {
                    opened = TapPort.open(IF_OURS);
                    HostNet.tapInto(IF_OURS, ns, KERNEL + "/24");
                } else {
                    net.veth(IF_OURS, IF_KERNEL, ns);
                    HostNet.run("ip", "-n", ns, "addr", "add", KERNEL + "/24", "dev", IF_KERNEL);
                    // AF_PACKET cannot take the kernel's unfilled checksums and GSO frames (docs/raw-eth.md)
                    HostNet.run("ip", "netns", "exec", ns, "ethtool", "-K", IF_KERNEL, "tx", "off", "tso", "off",
                            "gso", "off");
                    HostNet.run("ip", "-n", ns, "link", "set", IF_KERNEL, "up");
                    // The kernel transmits a connection's segments from the sender's CPU and from the
                    // CPU that took our ACK; a veth queues each to its own CPU's backlog, so they can
                    // overtake each other. Steering our end's receive to one CPU (RPS) keeps the
                    // link in order, as a wire is: this slice drops what arrives out of order.
                    Files.writeString(Path.of("/sys/class/net/" + IF_OURS + "/queues/rx-0/rps_cpus"), "1");
                    // V2 rings: V3's block retire timeout would hold each ACK for up to 1 ms
                    opened = AfPacketPort.open(IF_OURS, AfPacketPort.Options.DEFAULTS.lowLatency());
                }
                raw = opened;
                this.capture = capture ? dir.resolve("tcp.pcap") : null;
                port = capture ? PcapPort.wrap(raw, this.capture) : raw;
                Interface iface = new Interface(port, InterfaceConfig.builder(LOCAL, 24).build(), NanoClock.system());
                loop = new PollLoop(iface);
            } catch (RuntimeException | Error e) {
                if (opened != null) opened.close();
                net.close();
                throw e;
            }
        }

        TcpSocket socket(long rtoMin, int buffer) {
            TcpConfig config = TcpConfig.defaults(new SecureRandom()).withRtoMin(rtoMin);
            return loop.call(() -> loop.iface().sockets().add(new TcpSocket(config, buffer, buffer)));
        }

        Peer peer(Path script, String... args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, "python3", script.toString()));
            cmd.addAll(List.of(args));
            return new Peer(new ProcessBuilder(cmd).redirectErrorStream(true).start());
        }

        @Override
        public void close() throws Exception {
            try {
                loop.close();
            } finally {
                try {
                    port.close();
                    if (port != raw) raw.close();
                } finally {
                    net.close();
                }
            }
        }
    }

    /** On a failure, prints what the port, interface and socket saw, and keeps the capture if asked. */
    private final class Diagnose implements AutoCloseable {
        final Setup setup;
        final TcpSocket socket;

        Diagnose(Setup setup, TcpSocket socket) {
            this.setup = setup;
            this.socket = socket;
        }

        @Override
        public void close() throws IOException {
            System.out.println("  port " + setup.raw.stats() + "; interface " + setup.loop.iface().stats() + "; "
                    + socket + " " + socket.state() + " " + socket.error());
            String keep = System.getProperty("jverbs.tcp.interop.keep");
            if (keep != null && setup.capture != null) {
                Files.createDirectories(Path.of(keep));
                Files.copy(setup.capture, Path.of(keep, "tcp-" + System.nanoTime() + ".pcap"));
            }
        }
    }

    /** The python peer: its lines, read on a thread of their own. */
    private static final class Peer implements AutoCloseable {
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final List<String> all = new ArrayList<>();
        final List<String> pending = new ArrayList<>();

        Peer(Process process) {
            this.process = process;
            Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) lines.add(l);
                } catch (IOException ignored) {
                    // the process is gone: expect() reports what it printed
                }
                lines.add("<exit>");
            });
        }

        /** The next line that starts with {@code prefix}, in the order printed; lines skipped stay for later calls. */
        String expect(String prefix, long seconds) throws InterruptedException {
            for (int i = 0; i < pending.size(); i++) {
                if (pending.get(i).startsWith(prefix)) return pending.remove(i);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (true) {
                String l = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (l == null || l.equals("<exit>")) {
                    if (l != null) lines.add(l);
                    fail("the kernel peer did not print '" + prefix + "' in " + seconds + " s; it printed " + all
                            + (l == null ? "" : " and exited"));
                }
                all.add(l);
                if (l.startsWith(prefix)) return l;
                pending.add(l);
            }
        }

        void say(String line) throws IOException {
            OutputStream o = process.getOutputStream();
            o.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            o.flush();
        }

        @Override
        public void close() throws InterruptedException {
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @TempDir
    Path dir;

    private Path script() throws IOException {
        Path p = dir.resolve("tcp_peer.py");
        try (InputStream in = TcpInteropKernelTest.class.getResourceAsStream("tcp_peer.py")) {
            Files.copy(in, p);
        }
        return p;
    }

    // ------------------------------------------------------------------ bulk, lossless and lossy

    /** Kernel client to our listener (true) and our client to a kernel listener (false), over each link. */
    @ParameterizedTest(name = "{0}, kernel connects: {1}")
    @CsvSource({"TAP,true", "TAP,false", "AF_PACKET,true", "AF_PACKET,false"})
    @Timeout(value = 1800, unit = TimeUnit.SECONDS)
    void bulkBothWays(Link link, boolean kernelConnects) throws Exception {
        bulk(link, kernelConnects, BYTES, false);
    }

    @ParameterizedTest(name = "{0}, kernel connects: {1}")
    @CsvSource({"TAP,true", "TAP,false", "AF_PACKET,true", "AF_PACKET,false"})
    @Timeout(value = 7200, unit = TimeUnit.SECONDS) // 1 GiB at today's ~1 MB/s through loss: ~20 min a case
    void bulkBothWaysThroughFivePercentLoss(Link link, boolean kernelConnects) throws Exception {
        bulk(link, kernelConnects, LOSS_BYTES, true);
    }

    /**
     * {@code bytes} each way on one connection, SHA-256 compared both ways; with {@code loss}, nftables
     * drops 5% of the namespace's TCP packets at input and at output, and counts what it dropped.
     */
    private void bulk(Link link, boolean kernelConnects, long bytes, boolean loss) throws Exception {
        Path script = script();
        boolean capture = bytes <= CAPTURE_LIMIT;
        long started = System.nanoTime();
        try (Setup s = new Setup(link, dir, capture)) {
            if (loss) {
                nft(s.ns, "add table inet jvloss",
                        "add chain inet jvloss in { type filter hook input priority 0; policy accept; }",
                        "add chain inet jvloss out { type filter hook output priority 0; policy accept; }",
                        "add rule inet jvloss in meta l4proto tcp counter numgen random mod 100 < 5 counter drop",
                        "add rule inet jvloss out meta l4proto tcp counter numgen random mod 100 < 5 counter drop");
            }
            // a lossy run: our RTO floor at 10 ms (the kernel's is 200 ms) so go-back-N recovery
            // does not make the run minutes long; RTT on this link is well under 1 ms
            TcpSocket ours = s.socket(loss ? 10_000_000L : 200_000_000L, 262_144);
            PollLoop.Stream app = new PollLoop.Stream(ours, bytes, 42, true);
            Peer peer;
            if (kernelConnects) {
                s.loop.call(() -> ours.listen(OUR_PORT));
                peer = s.peer(script, "connect", LOCAL.toString(), Integer.toString(OUR_PORT), "send=" + bytes, "seed=7");
            } else {
                peer = s.peer(script, "listen", Integer.toString(KERNEL_PORT), "send=" + bytes, "seed=7");
                peer.expect("ready", 20);
                s.loop.call(() -> ours.connect(41_000, KERNEL.value(), KERNEL_PORT));
            }
            try (peer; Diagnose d = new Diagnose(s, ours)) {
                long limit = 60 + bytes / (loss ? 100_000 : 5_000_000); // generous: 5 MB/s lossless, 100 kB/s lossy
                var finished = s.loop.run(app);
                String kernelSent = peer.expect("sent ", limit);
                String kernelGot = peer.expect("got ", limit);
                peer.expect("done", 30);
                s.loop.await(finished, limit);
                assertEquals(TcpSocket.Error.NONE, ours.error(), "our socket's error");
                assertEquals("got " + bytes + " " + app.sentHash, kernelGot, "what the kernel received from us");
                assertEquals("sent " + bytes + " " + app.gotHash, kernelSent, "what the kernel sent us");
                assertEquals(bytes, app.got);
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf(Locale.ROOT, "TCP interop %s %s, %d bytes each way%s: %.1f s (%.1f MB/s each way),"
                            + " %d segments sent, %d retransmitted, rto %d us, srtt %d us%n", link,
                    kernelConnects ? "kernel client -> our listener" : "our client -> kernel listener", bytes,
                    loss ? ", 5% loss" : "", seconds, bytes / seconds / 1e6, ours.segmentsSent(),
                    ours.segmentsRetransmitted(), ours.rto() / 1000, ours.srtt() / 1000);
            if (loss) {
                long[] in = counters(s.ns, "in");
                long[] out = counters(s.ns, "out");
                System.out.printf(Locale.ROOT, "  nftables: input %d of %d dropped, output %d of %d dropped%n",
                        in[1], in[0], out[1], out[0]);
                for (long[] c : List.of(in, out)) {
                    assertTrue(c[0] > 500, "TCP packets through the lossy hook: " + c[0]);
                    double rate = (double) c[1] / c[0];
                    assertTrue(rate > 0.025 && rate < 0.075, "dropped " + c[1] + " of " + c[0]);
                }
                assertTrue(ours.segmentsRetransmitted() > 0, "our retransmissions");
            } else {
                // lossless, but the kernel may drop under receive memory pressure (it counts that)
                String drops = kernelDrops(s.ns, link == Link.TAP ? IF_OURS : IF_KERNEL);
                System.out.println("  kernel drops: " + (drops.isEmpty() ? "none" : drops));
                assertTrue(ours.segmentsRetransmitted() == 0 || !drops.isEmpty(),
                        ours.segmentsRetransmitted() + " retransmissions, and the kernel dropped nothing");
            }
        }
        if (capture) {
            if (!loss) { // the kernel's tail loss probes are counted (KERNEL_PROBES); ours fail the run
                System.out.println("  kernel retransmissions (tail loss probes) in the capture: "
                        + tshark(dir.resolve("tcp.pcap"), KERNEL_PROBES, "frame.number").size());
            }
            checkCapture(dir.resolve("tcp.pcap"), loss ? LOSS_FLAGS + " || " + WINDOW_FLAGS
                    : WINDOW_FLAGS + " || " + KERNEL_PROBES, 100);
        }
    }

    // ------------------------------------------------------------------ close and reset

    /**
     * Both ends send their FIN before they see the other's (RFC 9293 figure 13): nftables holds our
     * FIN back at the kernel's input while the kernel closes, so both sides pass through CLOSING
     * (or FIN-WAIT-2) into TIME-WAIT once it lets our retransmitted FIN through.
     */
    @ParameterizedTest
    @EnumSource(Link.class)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void simultaneousClose(Link link) throws Exception {
        Path script = script();
        try (Setup s = new Setup(link, dir, true)) {
            TcpSocket ours = s.socket(20_000_000L, 65_535);
            PollLoop.Stream app = new PollLoop.Stream(ours, 10_000, 3, false);
            try (Peer peer = s.peer(script, "listen", Integer.toString(KERNEL_PORT), "send=20000", "go")) {
                peer.expect("ready", 20);
                s.loop.call(() -> ours.connect(41_001, KERNEL.value(), KERNEL_PORT));
                var finished = s.loop.run(app);
                peer.expect("connected", 20);
                s.loop.awaitCondition("our data acknowledged and theirs read", 30,
                        () -> app.sent == 10_000 && ours.sendQueued() == 0 && app.got == 20_000);
                nft(s.ns, "add table inet jvfin",
                        "add chain inet jvfin in { type filter hook input priority 0; policy accept; }",
                        "add rule inet jvfin in tcp flags & fin == fin counter drop");
                s.loop.call(() -> {
                    ours.close();
                    return null;
                });
                // our FIN is on its way and dropped; now the kernel's
                peer.say("go");
                s.loop.awaitCondition("the kernel's FIN in FIN-WAIT-1", 30,
                        () -> ours.state() == TcpSocket.State.CLOSING);
                long[] held = counters(s.ns, "jvfin", "in");
                assertTrue(held[0] >= 1, "our FINs dropped: " + held[0]);
                nft(s.ns, "delete table inet jvfin");
                peer.expect("got 10000", 30);
                peer.expect("done", 30);
                s.loop.await(finished, 30);
                assertEquals(TcpSocket.State.TIME_WAIT, ours.state(), "ours after a simultaneous close");
                assertEquals(TcpSocket.Error.NONE, ours.error());
                String ss = HostNet.run("ip", "netns", "exec", s.ns, "ss", "-tanH", "state", "time-wait");
                assertTrue(ss.contains(KERNEL + ":" + KERNEL_PORT) && ss.contains(LOCAL + ":41001"),
                        "the kernel's socket in TIME-WAIT too: " + ss);
            }
        }
        // our FIN was retransmitted after nftables dropped it, and its ACKs repeat ours
        checkCapture(dir.resolve("tcp.pcap"), "tcp.analysis.retransmission || tcp.analysis.lost_segment"
                + " || tcp.analysis.duplicate_ack || " + WINDOW_FLAGS, 10);
    }

    /** The kernel aborts (SO_LINGER 0, close) while we send: its RST ends our connection with RESET. */
    @ParameterizedTest
    @EnumSource(Link.class)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void kernelAbortResetsOurConnection(Link link) throws Exception {
        Path script = script();
        try (Setup s = new Setup(link, dir, true)) {
            TcpSocket ours = s.socket(200_000_000L, 65_535);
            PollLoop.Stream app = new PollLoop.Stream(ours, 64L << 20, 5, true);
            try (Peer peer = s.peer(script, "listen", Integer.toString(KERNEL_PORT), "abort_after=300000")) {
                peer.expect("ready", 20);
                s.loop.call(() -> ours.connect(41_002, KERNEL.value(), KERNEL_PORT));
                var finished = s.loop.run(app);
                assertTrue(peer.expect("aborted ", 30).matches("aborted \\d+"));
                s.loop.await(finished, 30);
                assertEquals(TcpSocket.State.CLOSED, ours.state());
                assertEquals(TcpSocket.Error.RESET, ours.error(), "our error after the kernel's RST");
                assertTrue(app.sent < 64L << 20, "we stopped sending: " + app.sent);
            }
        }
        List<String> resets = tshark(dir.resolve("tcp.pcap"), "tcp.flags.reset == 1 && ip.src == " + KERNEL, "frame.number");
        assertTrue(!resets.isEmpty(), "the kernel's RST in the capture");
        checkCapture(dir.resolve("tcp.pcap"), WINDOW_FLAGS + " || " + KERNEL_PROBES, 10);
    }

    /** We abort while the kernel sends: our RST makes the kernel's recv fail with ECONNRESET. */
    @ParameterizedTest
    @EnumSource(Link.class)
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void ourAbortResetsTheKernelsConnection(Link link) throws Exception {
        Path script = script();
        try (Setup s = new Setup(link, dir, true)) {
            TcpSocket ours = s.socket(200_000_000L, 65_535);
            PollLoop.Stream app = new PollLoop.Stream(ours, 0, 5, false);
            try (Peer peer = s.peer(script, "listen", Integer.toString(KERNEL_PORT), "send=" + (64L << 20))) {
                peer.expect("ready", 20);
                s.loop.call(() -> ours.connect(41_003, KERNEL.value(), KERNEL_PORT));
                s.loop.run(app);
                s.loop.awaitCondition("300 kB received", 30, () -> app.got >= 300_000);
                s.loop.call(() -> {
                    ours.abort();
                    return null;
                });
                peer.expect("reset ", 30);
                assertEquals(TcpSocket.State.CLOSED, s.loop.call(ours::state));
            }
        }
        List<String> resets = tshark(dir.resolve("tcp.pcap"), "tcp.flags.reset == 1 && ip.src == " + LOCAL, "frame.number");
        assertTrue(!resets.isEmpty(), "our RST in the capture");
        // the kernel's segments in flight after our RST are answered by the interface's RSTs
        checkCapture(dir.resolve("tcp.pcap"), WINDOW_FLAGS + " || " + KERNEL_PROBES, 10);
    }

    // ------------------------------------------------------------------ zero window

    /**
     * The kernel stops reading for 3 s with a small receive buffer: its window closes, our sender
     * probes it (persist timer), and once it reads again every byte arrives, SHA-256 equal.
     */
    @ParameterizedTest
    @EnumSource(Link.class)
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void kernelStopsReadingThenResumes(Link link) throws Exception {
        Path script = script();
        long bytes = 4L << 20;
        try (Setup s = new Setup(link, dir, true)) {
            TcpSocket ours = s.socket(200_000_000L, 65_535);
            PollLoop.Stream app = new PollLoop.Stream(ours, bytes, 11, true);
            try (Peer peer = s.peer(script, "listen", Integer.toString(KERNEL_PORT), "rcvbuf=16384", "pause=3")) {
                peer.expect("ready", 20);
                s.loop.call(() -> ours.connect(41_004, KERNEL.value(), KERNEL_PORT));
                var finished = s.loop.run(app);
                String got = peer.expect("got ", 120);
                peer.expect("done", 30);
                s.loop.await(finished, 30);
                assertEquals("got " + bytes + " " + app.sentHash, got);
                assertEquals(TcpSocket.Error.NONE, ours.error());
            }
        }
        Path pcap = dir.resolve("tcp.pcap");
        List<String> zero = tshark(pcap, "tcp.analysis.zero_window && ip.src == " + KERNEL, "frame.number");
        List<String> probes = tshark(pcap, "tcp.analysis.zero_window_probe && ip.src == " + LOCAL, "frame.number");
        System.out.println("TCP interop " + link + " zero window: " + zero.size() + " zero windows announced, "
                + probes.size() + " probes");
        assertTrue(!zero.isEmpty(), "the kernel announced a zero window");
        assertTrue(!probes.isEmpty(), "our zero window probes");
        checkCapture(pcap, WINDOW_FLAGS + " || " + KERNEL_PROBES, 100);
    }

    // ------------------------------------------------------------------ helpers

    private static void nft(String ns, String... commands) {
        for (String c : commands) {
            List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, "nft"));
            cmd.addAll(List.of(c.split(" ")));
            HostNet.run(cmd.toArray(String[]::new));
        }
    }

    /** The namespace's non-zero TCP drop counters (nstat) and its link's rx_dropped, or "". */
    private static String kernelDrops(String ns, String link) {
        StringBuilder b = new StringBuilder();
        for (String l : HostNet.run("ip", "netns", "exec", ns, "nstat", "-asz").lines().toList()) {
            String[] f = l.trim().split("\\s+");
            if (f.length >= 2 && f[0].startsWith("TcpExt") && (f[0].contains("Drop") || f[0].contains("Prune"))
                    && !f[1].equals("0")) {
                b.append(f[0]).append('=').append(f[1]).append(' ');
            }
        }
        String rx = HostNet.run("ip", "netns", "exec", ns, "cat", "/sys/class/net/" + link + "/statistics/rx_dropped").trim();
        if (!rx.equals("0")) b.append(link).append(" rx_dropped=").append(rx);
        return b.toString().trim();
    }

    /** The lossy chain's counters: {TCP packets seen, dropped}. */
    private static long[] counters(String ns, String chain) {
        return counters(ns, "jvloss", chain);
    }

    private static long[] counters(String ns, String table, String chain) {
        String listing = HostNet.run("ip", "netns", "exec", ns, "nft", "list", "chain", "inet", table, chain);
        Matcher m = Pattern.compile("counter packets (\\d+)").matcher(listing);
        long[] c = new long[2];
        for (int i = 0; i < 2 && m.find(); i++) c[i] = Long.parseLong(m.group(1));
        return c;
    }

    /**
     * tshark's fields for the frames {@code filter} matches, with the TCP checksums checked and nothing
     * above TCP dissected: a random payload is no protocol, and dissectors that guess by port number
     * would call it malformed.
     */
    static List<String> tshark(Path pcap, String filter, String... fields) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tshark", "-r", pcap.toString(), "-o", "tcp.check_checksum:TRUE",
                "-d", "tcp.port==1-65535,data", "-Y", filter,
                "-T", "fields"));
        for (String f : fields) cmd.addAll(List.of("-e", f));
        return Tools.run(cmd.toArray(String[]::new));
    }

    /**
     * tshark finds no broken segment and no TCP analysis flag other than {@code allowed}, among at
     * least {@code minTcp} TCP frames.
     */
    private static void checkCapture(Path pcap, String allowed, int minTcp) throws Exception {
        List<String> flagged = tshark(pcap, BROKEN + " || (tcp.analysis.flags && !(" + allowed + "))",
                "frame.number", "_ws.col.Info");
        assertEquals(List.of(), flagged.stream().limit(20).toList(), "tshark flagged");
        List<String> tcp = tshark(pcap, "tcp", "frame.number");
        assertTrue(tcp.size() >= minTcp, "TCP frames captured: " + tcp.size());
    }
}
