package io.jverbs.raweth.linux;

import io.jverbs.raweth.iface.Counter;
import io.jverbs.raweth.iface.Interface;
import io.jverbs.raweth.iface.InterfaceConfig;
import io.jverbs.raweth.port.NanoClock;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.socket.TcpConfig;
import io.jverbs.raweth.socket.TcpSocket;
import io.jverbs.raweth.wire.Ipv4Address;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TCP segmentation offload against the Linux kernel: our client sends 64 MiB to a kernel server
 * (python3 in a namespace, which prints the SHA-256 of what it read) over a TAP and over AF_PACKET
 * on a veth, with and without TSO. With TSO the port must have taken TSO frames (the interface's
 * {@link Counter#TX_SEGMENTATION_FRAMES}), and the digest must match either way. Prints the
 * throughput of each run (a figure, not an assertion). Needs root, ip and python3.
 */
class TcpTsoKernelTest {
    private static final String LINK = "jv" + HostNet.TAG + "ts";
    private static final Ipv4Address KERNEL = Ipv4Address.parse("10.237." + HostNet.SUBNET + ".1");
    private static final Ipv4Address LOCAL = Ipv4Address.parse("10.237." + HostNet.SUBNET + ".2");
    private static final int KERNEL_PORT = 9200;
    private static final int BLOCK = 1 << 20;
    private static final long TOTAL = 64L << 20;

    /** Our end: a TAP moved into {@code ns}, or AF_PACKET on a veth whose peer is in {@code ns}; with TSO or not. */
    private static PacketPort link(HostNet net, String kind, boolean tso, String ns) {
        if (kind.equals("tap")) {
            TapPort tap = TapPort.open(LINK, tso ? TapPort.Options.DEFAULTS.withTso(8) : TapPort.Options.DEFAULTS);
            HostNet.tapInto(LINK, ns, KERNEL + "/24");
            return tap;
        }
        String kernel = LINK + "k";
        net.veth(LINK, kernel, ns);
        HostNet.run("ip", "-n", ns, "addr", "add", KERNEL + "/24", "dev", kernel);
        HostNet.run("ip", "-n", ns, "link", "set", kernel, "up");
        // the kernel's segments to us (ACKs here) as whole frames: AF_PACKET receives no GSO frames
        HostNet.run("ip", "netns", "exec", ns, "ethtool", "-K", kernel, "tx", "off", "tso", "off", "gso", "off");
        // V2 rings: each ACK is seen at once (a V3 block waits up to its 1 ms retire timeout), which a 64 KiB window feels
        AfPacketPort.Options v2 = AfPacketPort.Options.DEFAULTS.lowLatency();
        return AfPacketPort.open(LINK, tso ? v2.withTso(true) : v2);
    }

    @ParameterizedTest(name = "{0}, TSO {1}")
    @CsvSource({"tap,false", "tap,true", "afpacket,false", "afpacket,true"})
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void sixtyFourMegabytesToAKernelServer(String kind, boolean tso) throws Exception {
        byte[] block = new byte[BLOCK];
        new Random(77).nextBytes(block);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (long i = 0; i < TOTAL / BLOCK; i++) sha.update(block);
        String expected = HexFormat.of().formatHex(sha.digest());
        try (HostNet net = new HostNet()) {
            String ns = net.namespace("s");
            try (PacketPort port = link(net, kind, tso, ns)) {
                assertEquals(tso, port.capabilities().tso(), "the port offers TSO as asked");
                Process server = new ProcessBuilder("ip", "netns", "exec", ns, "python3", "-c", String.join("\n",
                        "import socket, hashlib",
                        "l = socket.socket()",
                        "l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
                        "l.bind(('0.0.0.0', " + KERNEL_PORT + "))",
                        "l.listen(1)",
                        "print('ready', flush=True)",
                        "c, a = l.accept()",
                        "h = hashlib.sha256()",
                        "n = 0",
                        "while True:",
                        "    d = c.recv(1 << 20)",
                        "    if not d: break",
                        "    h.update(d)",
                        "    n += len(d)",
                        "c.close()",
                        "print(n, h.hexdigest(), flush=True)")).redirectErrorStream(true).start();
                try {
                    assertEquals("ready\n", new String(server.getInputStream().readNBytes(6), StandardCharsets.UTF_8));
                    Interface iface = new Interface(port, InterfaceConfig.builder(LOCAL, 24).build(), NanoClock.system());
                    TcpConfig config = TcpConfig.defaults(new SecureRandom()).withRtoMin(200_000_000L);
                    TcpSocket client = iface.sockets().add(new TcpSocket(config, 65_535, 1 << 20))
                            .connect(41_000, KERNEL.value(), KERNEL_PORT);
                    MemorySegment data = MemorySegment.ofArray(block);
                    long sent = 0;
                    long start = 0;
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                    while (client.state() != TcpSocket.State.TIME_WAIT && client.state() != TcpSocket.State.CLOSED) {
                        assertTrue(System.nanoTime() < deadline, () -> "stuck: " + client);
                        iface.poll();
                        if (start == 0 && client.state() == TcpSocket.State.ESTABLISHED) {
                            start = System.nanoTime();
                        }
                        while (sent < TOTAL && client.canSend()) {
                            int off = (int) (sent % BLOCK);
                            int n = client.send(data.asSlice(off, (int) Math.min(BLOCK - off, TOTAL - sent)));
                            if (n == 0) break;
                            sent += n;
                            if (sent == TOTAL) client.close();
                        }
                        port.awaitReceive(Math.min(iface.pollDelay(iface.clock().nanos()), 1_000_000L));
                    }
                    long nanos = System.nanoTime() - start;
                    assertEquals(TcpSocket.Error.NONE, client.error());
                    String result = new String(server.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                    assertEquals(TOTAL + " " + expected, result, "bytes and SHA-256 the kernel read");
                    long superFrames = iface.stats().count(Counter.TX_SEGMENTATION_FRAMES);
                    long frames = iface.stats().count(Counter.TX_FRAMES);
                    System.out.printf("TSO kernel test, %s, TSO %s: 64 MiB in %.1f ms = %.0f MB/s; %,d frames to the port"
                                    + " (%,d TSO frames), %,d retransmitted, %,d RTOs%n", kind, tso, nanos / 1e6,
                            TOTAL * 1e3 / nanos, frames, superFrames, client.segmentsRetransmitted(),
                            client.retransmissionTimeouts());
                    if (tso) {
                        assertTrue(superFrames > TOTAL / 65_536, "TSO frames: " + superFrames);
                        assertTrue(frames < TOTAL / 1460 / 2, "frames to the port with TSO: " + frames);
                    } else {
                        assertEquals(0, superFrames);
                    }
                } finally {
                    server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }
}
