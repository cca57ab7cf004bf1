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
 * Loss recovery against a receiver that keeps out-of-order data and SACKs it: our client sends
 * 4 MiB over a TAP to a Linux TCP server in a namespace whose nftables drop a share of our
 * segments at random; the server answers the SHA-256 of what it read. Fast retransmit against
 * the timeout alone (the same stack otherwise) at 2%, and RFC 6675 SACK recovery against NewReno
 * at 2% and 5%; the figures are printed. Needs root, ip, nft and python3.
 */
class TcpKernelLossTest {
    private static final String TAP = "jv" + HostNet.TAG + "cc";
    private static final int NET = (int) (ProcessHandle.current().pid() % 250);
    private static final Ipv4Address KERNEL = Ipv4Address.parse("10.237." + NET + ".1");
    private static final Ipv4Address LOCAL = Ipv4Address.parse("10.237." + NET + ".2");
    private static final int KERNEL_PORT = 9200;
    private static final int SIZE = 4 << 20;

    /** What one transfer took; {@code holes} and {@code rescues} are RFC 6675's retransmissions (0 for others). */
    record Run(long millis, long timeouts, long fastRetransmits, long retransmitted, long segments, long holes,
               long rescues, String recovery) {}

    /** Transfers from our stack to the kernel through {@code perMille}‰ loss, one per element of {@code recoveries} (null: the socket's own). */
    interface Transfers {
        void run(Interface iface, byte[] data, String sha, int port) throws Exception;
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void fastRetransmitRepairsLossesThatTheTimeoutAloneWaitsFor() throws Exception {
        againstKernel(20, 2, (iface, data, sha, port) -> {
            Run base = send(iface, port, data, sha, TimeoutOnlyRecovery::new);
            Run fast = send(iface, port + 1, data, sha, null);
            System.out.println("TCP 4 MiB to the Linux kernel, 2% of our segments dropped by nftables: timeout only "
                    + base + ", fast retransmit " + fast);
            assertEquals(0, base.fastRetransmits());
            assertTrue(base.timeouts() > 10, () -> "losses the baseline timed out on: " + base);
            assertTrue(fast.fastRetransmits() > 10, fast::toString);
            assertTrue(2 * fast.timeouts() < base.timeouts(), () -> "not far fewer timeouts: " + fast + " vs " + base);
        });
    }

    /**
     * RFC 6675 recovery against the kernel at 2% and 5% loss: SACK negotiated, the recovery is
     * SackRecovery, it retransmits holes the SACKs name (counters printed beside NewReno's run on
     * the same link) and the kernel reads exactly what was sent (SHA-256). At 5% it must time
     * out less often than NewReno: with the RTT far below the 200 ms RTO NewReno's hole per round
     * trip is fast enough, and what decides is a lost retransmission, which NewReno resends at the
     * next partial ACK and SackRecovery at the first SACK of data sent after it (RFC 6675 alone
     * would wait for the RTO).
     */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void sackRecoveryAgainstTheKernelAtTwoAndFivePercentLoss() throws Exception {
        for (int perMille : new int[] {20, 50}) {
            againstKernel(perMille, 2, (iface, data, sha, port) -> {
                Run reno = send(iface, port, data, sha, NewRenoRecovery::new);
                Run sack = send(iface, port + 1, data, sha, null);
                System.out.println("TCP 4 MiB to the Linux kernel, " + perMille / 10.0 + "% of our segments dropped by"
                        + " nftables: NewReno " + reno + ", RFC 6675 " + sack);
                assertEquals("SackRecovery", sack.recovery());
                assertTrue(sack.fastRetransmits() > 5, sack::toString);
                assertTrue(sack.holes() >= sack.fastRetransmits(), sack::toString);
                if (perMille == 50) {
                    assertTrue(sack.timeouts() < reno.timeouts(), () -> "not fewer timeouts: " + sack + " vs " + reno);
                }
            });
        }
    }

    /** A kernel server in a namespace reachable over our TAP, {@code perMille}‰ of our segments to it dropped, accepting {@code connections}. */
    private static void againstKernel(int perMille, int connections, Transfers transfers) throws Exception {
        try (HostNet net = new HostNet(); TapPort tap = TapPort.open(TAP)) {
            String ns = net.namespace("cc");
            HostNet.tapInto(TAP, ns, KERNEL + "/24");
            HostNet.run("ip", "netns", "exec", ns, "nft", String.join("\n",
                    "table ip loss {",
                    "  chain in {",
                    "    type filter hook input priority 0;",
                    "    ip saddr " + LOCAL + " tcp dport " + KERNEL_PORT + " numgen random mod 1000 < " + perMille + " drop",
                    "  }",
                    "}"));
            Process server = new ProcessBuilder("ip", "netns", "exec", ns, "python3", "-c", String.join("\n",
                    "import socket, hashlib",
                    "l = socket.socket()",
                    "l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
                    "l.bind(('0.0.0.0', " + KERNEL_PORT + "))",
                    "l.listen(2)",
                    "print('ready', flush=True)",
                    "for _ in range(" + connections + "):",
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
                transfers.run(iface, data, sha, 42_000 + 2 * perMille);
            } finally {
                server.destroy();
            }
        }
    }

    /** Sends {@code data} from local port {@code port} and checks the SHA-256 the server answers. */
    private static Run send(Interface iface, int port, byte[] data, String sha,
                            java.util.function.Supplier<? extends LossRecovery> recovery) {
        TcpConfig config = TcpConfig.defaults(new Random(port)).withRtoMin(200_000_000L);
        TcpSocket s = new TcpSocket(config, 4096, 256 * 1024);
        if (recovery != null) {
            s.lossRecovery(recovery.get());
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
        assertTrue(s.sackPermitted(), "Linux offers SACK");
        SackRecovery sack = s.recovery() instanceof SackRecovery r ? r : null;
        return new Run((System.nanoTime() - start) / 1_000_000, s.retransmissionTimeouts(), s.fastRetransmits(),
                s.segmentsRetransmitted(), s.segmentsSent(), sack == null ? 0 : sack.holeRetransmissions(),
                sack == null ? 0 : sack.rescueRetransmissions(), s.recovery().getClass().getSimpleName());
    }
}
