package io.jverbs.dpdk;

import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Java's end of a conversation with the Linux kernel over a DPDK port: sends hand-built frames,
 * waits (bounded) for the one it expects, and answers the kernel's ARP requests for Java's
 * address meanwhile. The ARP, ping and UDP exchanges are here once, for every PMD test.
 */
final class KernelPeer {
    final EthPort port;
    final MbufPool pool;
    final MacAddress mac;
    final Inet4Address ip;
    final Inet4Address kernelIp;
    /** Learnt from the kernel's ARP reply. */
    MacAddress kernelMac;
    /** Every frame received (hex, ethertype/protocol), for failure messages and isolation checks. */
    final List<byte[]> seen = new ArrayList<>();

    KernelPeer(EthPort port, MbufPool pool, Inet4Address ip, Inet4Address kernelIp) {
        this.port = port;
        this.pool = pool;
        this.mac = port.macAddress();
        this.ip = ip;
        this.kernelIp = kernelIp;
    }

    void send(byte[] frame) {
        try (MbufArray a = new MbufArray(pool.eal(), 1)) {
            pool.allocate(a, 1);
            a.get(0).length(frame.length).write(0, frame);
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (port.txBurst(0, a) == 0) {
                if (System.nanoTime() > deadline) {
                    a.freeAll();
                    fail(port.name() + " took no frame for 2 s");
                }
                Thread.onSpinWait();
            }
        }
    }

    /** Polls until a frame matches {@code want} or {@code millis} pass; answers ARP for {@link #ip}. */
    byte[] await(String what, long millis, Predicate<byte[]> want) {
        byte[] f = poll(millis, want);
        if (f == null) {
            fail("no " + what + " on " + port.name() + " within " + millis + " ms; received " + summary());
        }
        return f;
    }

    /** Polls for {@code millis}: the first frame matching {@code want}, or null. */
    byte[] poll(long millis, Predicate<byte[]> want) {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        try (MbufArray rx = new MbufArray(pool.eal(), 32)) {
            while (System.nanoTime() < deadline) {
                int n = port.rxBurst(0, rx);
                byte[] found = null;
                for (int i = 0; i < n; i++) {
                    Mbuf m = rx.get(i);
                    byte[] f = m.read(0, m.dataLength());
                    seen.add(f);
                    if (found == null && want.test(f)) {
                        found = f;
                    } else if (Frames.isArpRequestFor(f, ip)) {
                        send(Frames.arpReply(mac, ip, Frames.srcMac(f), arpSenderIp(f)));
                    }
                }
                rx.free(0, n);
                if (found != null) return found;
                if (n == 0) sleepBriefly();
            }
        }
        return null;
    }

    private static Inet4Address arpSenderIp(byte[] f) {
        return Frames.ip((f[28] & 0xFF) + "." + (f[29] & 0xFF) + "." + (f[30] & 0xFF) + "." + (f[31] & 0xFF));
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String summary() {
        List<String> s = new ArrayList<>();
        for (byte[] f : seen.subList(Math.max(0, seen.size() - 8), seen.size())) {
            s.add(String.format("type 0x%04x proto %d len %d %s", Frames.etherType(f), Frames.ipProto(f), f.length,
                    HexFormat.of().formatHex(f, 0, Math.min(f.length, 42))));
        }
        return seen.size() + " frames, the last: " + s;
    }

    // --- the exchanges ---------------------------------------------------------------------------

    /** Java asks who has the kernel's address; the kernel's ARP reply arrives. */
    void arp(MacAddress expectedKernelMac) {
        send(Frames.arpRequest(mac, ip, kernelIp));
        byte[] reply = await("ARP reply from " + kernelIp, 5000, f -> Frames.isArpReply(f, kernelIp, mac));
        kernelMac = MacAddress.of(Arrays.copyOfRange(reply, 22, 28));
        assertEquals(expectedKernelMac, kernelMac, "the kernel answers with its interface's MAC");
        assertEquals(expectedKernelMac, Frames.srcMac(reply));
    }

    /** Java pings the kernel; its echo reply carries the same id, sequence and data. */
    void ping(int seq) {
        byte[] data = new byte[56];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (seq + i);
        int id = 0x4a56;
        send(Frames.icmpEcho(kernelMac, mac, ip, kernelIp, id, seq, data));
        byte[] reply = await("ICMP echo reply " + seq, 5000, f -> {
            if (Frames.ipProto(f) != Frames.PROTO_ICMP) return false;
            byte[] icmp = Frames.l4(f);
            return icmp[0] == 0 && Frames.u16(icmp, 4) == id && Frames.u16(icmp, 6) == seq;
        });
        assertTrue(Frames.ipChecksumOk(reply), "the reply's IPv4 header checksum");
        byte[] icmp = Frames.l4(reply);
        assertEquals(0, Frames.checksum(icmp, 0, icmp.length, 0), "the reply's ICMP checksum");
        assertArrayEquals(data, Arrays.copyOfRange(icmp, 8, icmp.length), "the echoed data");
        assertArrayEquals(Frames.ip(kernelIp.getHostAddress()).getAddress(), Arrays.copyOfRange(reply, 26, 30));
    }

    /** Waits for a UDP datagram to {@code port} from the kernel and returns the frame. */
    byte[] awaitUdp(int dstPort, long millis) {
        return await("UDP datagram to port " + dstPort, millis, f -> Frames.ipProto(f) == Frames.PROTO_UDP
                && Frames.u16(Frames.l4(f), 2) == dstPort);
    }

    /** The payload of a UDP frame. */
    static byte[] udpPayload(byte[] f) {
        byte[] u = Frames.l4(f);
        return Arrays.copyOfRange(u, 8, Frames.u16(u, 4));
    }

    /**
     * UDP both ways: a kernel socket in {@code ns} (null: root namespace) sends {@code hello} to
     * Java's {@code javaPort}; Java checks the bytes and replies to the sender's port; the kernel
     * socket prints what it got, which must be Java's reply byte for byte.
     */
    void udpBothWays(String ns, int javaPort) throws Exception {
        byte[] hello = ("hello from the kernel " + port.name()).getBytes();
        String script = "import socket,sys\n"
                + "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                + "s.bind(('" + kernelIp.getHostAddress() + "',0))\n"
                + "s.settimeout(8)\n"
                + "s.sendto(bytes.fromhex('" + HexFormat.of().formatHex(hello) + "'),('" + ip.getHostAddress() + "'," + javaPort + "))\n"
                + "d,a=s.recvfrom(2048)\n"
                + "print(d.hex(), a[0], a[1])\n";
        List<String> cmd = new ArrayList<>();
        if (ns != null) cmd.addAll(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(python(), "-c", script));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            byte[] got = awaitUdp(javaPort, 8000);
            assertArrayEquals(hello, udpPayload(got), "the kernel's datagram, byte for byte");
            int kernelPort = Frames.u16(Frames.l4(got), 0);
            byte[] reply = ("reply from java via " + port.name() + " to " + kernelPort).getBytes();
            send(Frames.udp(kernelMac, mac, ip, kernelIp, javaPort, kernelPort, reply));
            assertTrue(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "the kernel socket did not finish in 10 s");
            String out = new String(p.getInputStream().readAllBytes()).trim();
            assertEquals(0, p.exitValue(), "kernel socket: " + out);
            assertEquals(HexFormat.of().formatHex(reply) + " " + ip.getHostAddress() + " " + javaPort, out,
                    "the kernel socket got Java's reply byte for byte");
        } finally {
            p.destroyForcibly();
        }
    }

    static String python() {
        return java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }
}
