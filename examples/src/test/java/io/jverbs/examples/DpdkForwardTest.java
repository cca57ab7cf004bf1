package io.jverbs.examples;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DpdkForward as a user runs it: in a JVM of its own (EAL is one per process), on a net_tap port
 * inside a network namespace, with the namespace's kernel as the peer. The kernel sends UDP
 * datagrams to an address behind the tap (a static neighbour entry, so no ARP); only the program's
 * 5-tuple swap turns them back into datagrams for the sending socket, which must get every one back
 * byte for byte. Ctrl-C (SIGINT) must print the final counters, close the ports and EAL, and exit.
 */
class DpdkForwardTest {
    private static final String NETNS = "jvfwd-" + ProcessHandle.current().pid();
    private static final String IFACE = "jvfwd" + ProcessHandle.current().pid();
    private static final String PREFIX = "jvfwd-" + ProcessHandle.current().pid();
    private static final String LOCAL = "10.199.0.1";
    private static final String REMOTE = "10.199.0.2";
    private static final int DATAGRAMS = 20;
    private static final Pattern FINAL = Pattern.compile(
            "final port \\d+ \\(net_tap0\\): rx (\\d+) pkts (\\d+) B, tx (\\d+) pkts (\\d+) B, drops (\\d+) .*");

    private Process program;
    private final List<String> output = Collections.synchronizedList(new ArrayList<>());
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    @AfterEach
    void cleanUp() throws Exception {
        if (program != null && program.isAlive()) {
            program.descendants().forEach(ProcessHandle::destroyForcibly);
            program.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        command("ip", "netns", "del", NETNS); // a leftover namespace is not an error here
        Path runtime = Path.of("/var/run/dpdk", PREFIX); // EAL leaves its runtime files behind (root: /var/run)
        if (Files.isDirectory(runtime)) {
            try (Stream<Path> s = Files.walk(runtime)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void echoesTheKernelsDatagramsThroughANetTapPortAndStopsOnCtrlC() throws Exception {
        assertEquals(0, command("ip", "netns", "add", NETNS), "ip netns add " + NETNS + " (the test needs root): " + output);
        // Without IPv6 the kernel sends nothing on its own through the tap (no DAD, no MLD).
        assertEquals(0, command("ip", "netns", "exec", NETNS, "sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6"));

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        program = new ProcessBuilder("ip", "netns", "exec", NETNS, java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), DpdkForward.class.getName(),
                "-l", "0", "--no-huge", "-m", "256", "--no-pci", "--file-prefix", PREFIX, "--log-level=5",
                "--vdev", "net_tap0,iface=" + IFACE, "--", "--forward-mode", "5tswap", "--stats", "1")
                .redirectErrorStream(true).start();
        Thread.ofPlatform().daemon(true).start(this::readOutput);
        awaitLine("forwarding: mode ", 120);

        assertEquals(0, command("ip", "-n", NETNS, "addr", "add", LOCAL + "/24", "dev", IFACE), output.toString());
        assertEquals(0, command("ip", "-n", NETNS, "link", "set", IFACE, "up"), output.toString());
        assertEquals(0, command("ip", "-n", NETNS, "neigh", "replace", REMOTE, "lladdr", "02:00:00:00:00:02", "dev", IFACE,
                "nud", "permanent"), output.toString());

        long frameBytes = 0;
        try (DatagramChannel udp = openInNetns(NETNS)) {
            udp.bind(new InetSocketAddress(LOCAL, 0));
            udp.connect(new InetSocketAddress(REMOTE, 7));
            udp.configureBlocking(true);
            udp.socket().setSoTimeout(5000);
            ByteBuffer in = ByteBuffer.allocate(2048);
            for (int i = 0; i < DATAGRAMS; i++) {
                byte[] payload = payload(i, 1 + i * 70); // 1 .. 1331 bytes
                udp.write(ByteBuffer.wrap(payload));
                in.clear();
                SocketAddress from = receive(udp, in);
                assertEquals(new InetSocketAddress(REMOTE, 7), from, "datagram " + i + " came back from the swapped address");
                assertArrayEquals(payload, Arrays.copyOf(in.array(), in.position()), "datagram " + i + " byte for byte");
                frameBytes += 14 + 20 + 8 + payload.length;
            }
        }

        assertEquals(0, command("kill", "-INT", Long.toString(javaPid())), "SIGINT to the program");
        assertTrue(program.waitFor(60, TimeUnit.SECONDS), "the program did not exit within 60 s of Ctrl-C: " + output);
        Thread.sleep(200); // the reader thread drains the last lines
        String all = String.join("\n", output);
        System.out.println(all);
        assertEquals(130, program.exitValue(), "a JVM ended by SIGINT exits 128 + 2:\n" + all);
        Matcher m = output.stream().map(FINAL::matcher).filter(Matcher::matches).findFirst().orElse(null);
        assertNotNull(m, "no final statistics line:\n" + all);
        long rx = Long.parseLong(m.group(1)), rxBytes = Long.parseLong(m.group(2));
        long tx = Long.parseLong(m.group(3)), txBytes = Long.parseLong(m.group(4)), drops = Long.parseLong(m.group(5));
        // IPv6 off and a static neighbour: the datagrams are all the kernel sent through the tap.
        assertEquals(DATAGRAMS, rx, "rx counts the datagrams' frames:\n" + all);
        assertEquals(frameBytes, rxBytes, "rx bytes are the frames' (14 + 20 + 8 + payload each):\n" + all);
        assertEquals(rx, tx, "an echo sends every frame it receives:\n" + all);
        assertEquals(rxBytes, txBytes, all);
        assertEquals(0, drops, all);
        assertTrue(all.contains("ports closed, EAL cleaned up"), all);
        assertTrue(all.indexOf("ports closed") > all.indexOf(m.group()), "final stats before close:\n" + all);
    }

    @Test
    void commandLine() {
        DpdkForward.Options o = DpdkForward.parse(new String[] {"-l", "0", "--vdev", "net_null0", "--", "--forward-mode=io",
                "--burst", "64", "--stats=0"});
        assertEquals(List.of("-l", "0", "--vdev", "net_null0"), o.ealArgs());
        assertEquals(DpdkForward.Mode.IO, o.mode());
        assertEquals(64, o.burst());
        assertEquals(0, o.statsSeconds());
        DpdkForward.Options d = DpdkForward.parse(new String[] {"--vdev", "net_null0"});
        assertEquals(DpdkForward.Mode.MACSWAP, d.mode());
        assertEquals(32, d.burst());
        assertEquals(1, d.statsSeconds());
        assertNull(DpdkForward.parse(new String[] {"--", "--help"}));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DpdkForward.parse(new String[] {"--", "--burst", "0"}))
                .getMessage().contains("--burst must be a number in 1..512"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DpdkForward.parse(new String[] {"--", "--forward-mode", "rxonly"}))
                .getMessage().contains("unknown --forward-mode 'rxonly'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DpdkForward.parse(new String[] {"--", "--stats"}))
                .getMessage().contains("--stats needs a value"));
    }

    @Test
    void fiveTupleSwapOfVlanIpv4UdpAndIpv6Tcp() {
        try (Arena arena = Arena.ofConfined()) {
            byte[] v4 = hex("0000000000bb 0000000000aa 8100 0005 0800"
                    + "4500001c00004000401100000a0000010a000002" + "1111 2222 0008 0000");
            byte[] v4Want = hex("0000000000aa 0000000000bb 8100 0005 0800"
                    + "4500001c00004000401100000a0000020a000001" + "2222 1111 0008 0000");
            assertArrayEquals(v4Want, rewritten(arena, v4, DpdkForward.Mode.FIVE_TUPLE_SWAP));
            byte[] v6 = hex("0000000000bb 0000000000aa 86dd" + "60000000 0014 06 40"
                    + "20010db8000000000000000000000001" + "20010db8000000000000000000000002"
                    + "0050 c000 00000000 00000000 5000 0000 0000 0000");
            byte[] v6Want = hex("0000000000aa 0000000000bb 86dd" + "60000000 0014 06 40"
                    + "20010db8000000000000000000000002" + "20010db8000000000000000000000001"
                    + "c000 0050 00000000 00000000 5000 0000 0000 0000");
            assertArrayEquals(v6Want, rewritten(arena, v6, DpdkForward.Mode.FIVE_TUPLE_SWAP));
            // macswap leaves L3 alone; a truncated IPv4 header is left as it is after the MACs
            byte[] macOnly = Arrays.copyOf(v4Want, v4Want.length);
            System.arraycopy(hex("0000000000bb 0000000000aa"), 0, macOnly, 0, 12);
            assertArrayEquals(macOnly, rewritten(arena, v4Want, DpdkForward.Mode.MACSWAP));
            byte[] shortFrame = Arrays.copyOf(v4, 30);
            assertArrayEquals(Arrays.copyOf(v4Want, 12), Arrays.copyOf(rewritten(arena, shortFrame, DpdkForward.Mode.FIVE_TUPLE_SWAP), 12));
            assertArrayEquals(Arrays.copyOfRange(v4, 12, 30), Arrays.copyOfRange(rewritten(arena, shortFrame,
                    DpdkForward.Mode.FIVE_TUPLE_SWAP), 12, 30));
        }
    }

    private static byte[] rewritten(Arena arena, byte[] frame, DpdkForward.Mode mode) {
        MemorySegment s = arena.allocate(frame.length);
        MemorySegment.copy(frame, 0, s, JAVA_BYTE, 0, frame.length);
        DpdkForward.rewrite(s.address(), frame.length, mode);
        return s.toArray(JAVA_BYTE);
    }

    private static byte[] hex(String text) {
        String h = text.replace(" ", "");
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        return b;
    }

    private static byte[] payload(int seq, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte) (seq * 31 + i);
        return b;
    }

    private static SocketAddress receive(DatagramChannel udp, ByteBuffer in) throws IOException {
        // DatagramChannel ignores SO_TIMEOUT: read through its socket adaptor, which honours it.
        java.net.DatagramPacket p = new java.net.DatagramPacket(in.array(), in.capacity());
        udp.socket().receive(p);
        in.position(p.getLength());
        return p.getSocketAddress();
    }

    /** A UDP socket created in {@code netns}: a thread joins the namespace (setns(2)) and opens it there. */
    private static DatagramChannel openInNetns(String netns) throws Exception {
        Linker linker = Linker.nativeLinker();
        MethodHandle open = linker.downcallHandle(linker.defaultLookup().find("open").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        MethodHandle setns = linker.downcallHandle(linker.defaultLookup().find("setns").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        MethodHandle close = linker.downcallHandle(linker.defaultLookup().find("close").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        CompletableFuture<DatagramChannel> result = new CompletableFuture<>();
        // The thread stays in the namespace and ends; the socket keeps the namespace it was created in.
        Thread.ofPlatform().start(() -> {
            try (Arena arena = Arena.ofConfined()) {
                int fd = (int) open.invokeExact(arena.allocateFrom("/var/run/netns/" + netns), 0);
                if (fd < 0) throw new IOException("open /var/run/netns/" + netns + " failed");
                int rc = (int) setns.invokeExact(fd, 0x40000000); // CLONE_NEWNET
                int ignored = (int) close.invokeExact(fd);
                if (rc != 0) throw new IOException("setns(" + netns + ", CLONE_NEWNET) failed: the test needs root");
                result.complete(DatagramChannel.open());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result.get(30, TimeUnit.SECONDS);
    }

    /** The JVM's pid: {@code ip netns exec} may run it as a child instead of exec'ing it. */
    private long javaPid() {
        return Stream.concat(Stream.of(program.toHandle()), program.descendants())
                .filter(h -> h.info().command().map(c -> c.endsWith("/java")).orElse(false))
                .findFirst().orElseThrow(() -> new AssertionError("no java process under " + program.pid()))
                .pid();
    }

    private void readOutput() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(program.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) {
                output.add(l);
                lines.add(l);
            }
        } catch (IOException e) {
            output.add("(output read failed: " + e + ")");
        }
    }

    private void awaitLine(String prefix, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            String l = lines.poll(100, TimeUnit.MILLISECONDS);
            if (l != null && l.startsWith(prefix)) return;
            if (l == null && !program.isAlive()) break;
        }
        throw new AssertionError("the program did not print '" + prefix + "' within " + seconds + " s:\n" + String.join("\n", output));
    }

    private int command(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        if (p.exitValue() != 0) output.add("$ " + String.join(" ", cmd) + "\n" + out);
        return p.exitValue();
    }
}
