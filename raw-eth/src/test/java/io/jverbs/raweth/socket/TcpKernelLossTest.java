package io.jverbs.raweth.socket;

import io.jverbs.raweth.iface.Interface;
import io.jverbs.raweth.iface.InterfaceConfig;
import io.jverbs.raweth.linux.HostNet;
import io.jverbs.raweth.linux.TapPort;
import io.jverbs.raweth.port.NanoClock;
import io.jverbs.raweth.wire.Ipv4Address;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fast retransmit against a receiver that keeps out-of-order data: our client sends 4 MiB over a
 * TAP to a Linux TCP server in a namespace whose nftables drop 2% of our segments at random; the
 * server answers the SHA-256 of what it read. Once with NewReno recovery, once with the timeout
 * alone (the same stack otherwise); the figures are printed, and fast retransmit must need far
 * fewer timeouts. Needs root, ip, nft and python3.
 */
class TcpKernelLossTest {
    private static final String TAP = "jv" + HostNet.TAG + "cc";
    private static final int NET = (int) (ProcessHandle.current().pid() % 250);
    private static final Ipv4Address KERNEL = Ipv4Address.parse("10.237." + NET + ".1");
    private static final Ipv4Address LOCAL = Ipv4Address.parse("10.237." + NET + ".2");
    private static final int KERNEL_PORT = 9200;
    private static final int SIZE = 4 << 20;

    /** What one transfer took. */
    record Run(long millis, long timeouts, long fastRetransmits, long retransmitted, long segments) {}

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void fastRetransmitRepairsLossesThatTheTimeoutAloneWaitsFor() throws Exception {
        try (HostNet net = new HostNet(); TapPort tap = TapPort.open(TAP)) {
            String ns = net.namespace("cc");
            HostNet.tapInto(TAP, ns, KERNEL + "/24");
            HostNet.run("ip", "netns", "exec", ns, "nft", String.join("\n",
                    "table ip loss {",
                    "  chain in {",
                    "    type filter hook input priority 0;",
                    "    ip saddr " + LOCAL + " tcp dport " + KERNEL_PORT + " numgen random mod 1000 < 20 drop",
                    "  }",
                    "}"));
            Process server = new ProcessBuilder("ip", "netns", "exec", ns, "python3", "-c", String.join("\n",
                    "import socket, hashlib",
                    "l = socket.socket()",
                    "l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
                    "l.bind(('0.0.0.0', " + KERNEL_PORT + "))",
                    "l.listen(2)",
                    "print('ready', flush=True)",
                    "for _ in range(2):",
                    "    c, a = l.accept()",
                    "    h = hashlib.sha256()",
                    "    while True:",
                    "        d = c.recv(65536)",
                    "        if not d: break",
                    "        h.update(d)",
                    "    c.sendall(h.hexdigest().encode())",
                    "    c.close()")).redirectErrorStream(true).start();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(server.getInputStream(),
                    StandardCharsets.UTF_8))) {
                assertEquals("ready", lines.readLine());
                byte[] data = new byte[SIZE];
                new Random(11).nextBytes(data);
                String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
                Interface iface = new Interface(tap, InterfaceConfig.builder(LOCAL, 24).build(), NanoClock.system());
                Run base = send(iface, 42_000, data, sha, false);
                Run fast = send(iface, 42_001, data, sha, true);
                System.out.println("TCP 4 MiB to the Linux kernel, 2% of our segments dropped by nftables: timeout only "
                        + base + ", NewReno " + fast);
                assertEquals(0, base.fastRetransmits());
                assertTrue(base.timeouts() > 10, () -> "losses the baseline timed out on: " + base);
                assertTrue(fast.fastRetransmits() > 10, fast::toString);
                assertTrue(2 * fast.timeouts() < base.timeouts(), () -> "not far fewer timeouts: " + fast + " vs " + base);
            } finally {
                server.destroy();
            }
        }
    }

    /** Sends {@code data} from local port {@code port} and checks the SHA-256 the server answers. */
    private static Run send(Interface iface, int port, byte[] data, String sha, boolean fastRetransmit) {
        TcpConfig config = TcpConfig.defaults(new Random(port)).withRtoMin(200_000_000L);
        TcpSocket s = new TcpSocket(config, 4096, 256 * 1024);
        if (!fastRetransmit) {
            s.lossRecovery(new TimeoutOnlyRecovery());
        }
        iface.sockets().add(s).connect(port, KERNEL.value(), KERNEL_PORT);
        MemorySegment out = MemorySegment.ofArray(data);
        byte[] in = new byte[65];
        MemorySegment inSeg = MemorySegment.ofArray(in);
        int sent = 0;
        int got = 0;
        boolean eof = false;
        long start = System.nanoTime();
        long deadline = start + 100_000_000_000L;
        while (!(eof && (s.state() == TcpSocket.State.TIME_WAIT || s.state() == TcpSocket.State.CLOSED))) {
            assertTrue(System.nanoTime() < deadline, () -> "stuck: " + s);
            assertEquals(TcpSocket.Error.NONE, s.error());
            long now = iface.clock().nanos();
            iface.poll(now);
            if (sent < data.length && s.canSend()) {
                sent += s.send(out.asSlice(sent, data.length - sent));
                if (sent == data.length) s.close();
            }
            if (!eof) {
                int n = s.receive(inSeg.asSlice(got, in.length - got));
                if (n < 0) eof = true;
                else got += n;
            }
            iface.port().awaitReceive(Math.min(iface.pollDelay(iface.clock().nanos()), 1_000_000L));
        }
        assertEquals(sha, new String(in, 0, got, StandardCharsets.US_ASCII), "SHA-256 of what the kernel read");
        return new Run((System.nanoTime() - start) / 1_000_000, s.retransmissionTimeouts(), s.fastRetransmits(),
                s.segmentsRetransmitted(), s.segmentsSent());
    }
}
