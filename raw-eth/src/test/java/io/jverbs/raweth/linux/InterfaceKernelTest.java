package io.jverbs.raweth.linux;

import io.jverbs.raweth.iface.Counter;
import io.jverbs.raweth.iface.Interface;
import io.jverbs.raweth.iface.InterfaceConfig;
import io.jverbs.raweth.port.NanoClock;
import io.jverbs.raweth.socket.UdpSocket;
import io.jverbs.raweth.wire.Ipv4Address;
import io.jverbs.raweth.wire.MacAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The interface against the Linux kernel over a TAP in a namespace: the kernel resolves and pings
 * our address, a kernel UDP socket (python3) exchanges datagrams with our UDP echo socket, and our
 * client socket resolves the kernel and gets its datagrams echoed by a kernel UDP echo server.
 * One thread polls the interface and owns its sockets, as an application would. Needs root, ip and
 * python3.
 */
class InterfaceKernelTest {
    private static final String TAP = "jv" + HostNet.TAG + "it";
    private static final Ipv4Address KERNEL = Ipv4Address.parse("10.235." + HostNet.SUBNET + ".1");
    private static final Ipv4Address LOCAL = Ipv4Address.parse("10.235." + HostNet.SUBNET + ".2");
    private static final int OUR_ECHO = 7;
    private static final int KERNEL_ECHO = 9009;
    private static final int ROUNDS = 5;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void kernelPingsResolvesAndExchangesUdpWithTheInterface() throws Exception {
        try (HostNet net = new HostNet(); TapPort port = TapPort.open(TAP)) {
            String ns = net.namespace("i");
            HostNet.tapInto(TAP, ns, KERNEL + "/24");
            Process echo = new ProcessBuilder("ip", "netns", "exec", ns, "python3", "-c", String.join("\n",
                    "import socket",
                    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
                    "s.bind(('0.0.0.0', " + KERNEL_ECHO + "))",
                    "print('ready', flush=True)",
                    "while True:",
                    "    d, a = s.recvfrom(65535)",
                    "    s.sendto(d, a)")).redirectErrorStream(true).start();
            try {
                assertEquals("ready\n", new String(echo.getInputStream().readNBytes(6), StandardCharsets.UTF_8));
                Interface iface = new Interface(port, InterfaceConfig.builder(LOCAL, 24).build(), NanoClock.system());
                Poller poller = new Poller(iface, port);
                Thread t = Thread.ofPlatform().name("iface-poll").start(poller);
                try {
                    // the kernel resolves us and pings (a raw ICMP socket: no ping binary here)
                    String ping = HostNet.run("ip", "netns", "exec", ns, "python3", "-c", String.join("\n",
                            "import socket, struct",
                            "def csum(b):",
                            "    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))",
                            "    s = (s & 0xffff) + (s >> 16); s = (s & 0xffff) + (s >> 16)",
                            "    return ~s & 0xffff",
                            "s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)",
                            "s.settimeout(3)",
                            "got = 0",
                            "for seq in range(3):",
                            "    data = bytes(range(56))",
                            "    h = struct.pack('!BBHHH', 8, 0, 0, 0x4a56, seq)",
                            "    h = struct.pack('!BBHHH', 8, 0, csum(h + data), 0x4a56, seq)",
                            "    s.sendto(h + data, ('" + LOCAL + "', 0))",
                            "    while True:",
                            "        p, a = s.recvfrom(2000)",
                            "        icmp = p[(p[0] & 15) * 4:]",
                            "        t, c, ck, i, q = struct.unpack('!BBHHH', icmp[:8])",
                            "        if t == 0 and i == 0x4a56 and q == seq:",
                            "            assert icmp[8:] == data and csum(icmp) == 0 and a[0] == '" + LOCAL + "'",
                            "            got += 1",
                            "            break",
                            "print(got, 'received')"));
                    assertEquals("3 received", ping.trim());
                    String neigh = HostNet.run("ip", "-n", ns, "neigh", "show", LOCAL.toString());
                    assertTrue(neigh.contains(port.capabilities().mac().toString()), "kernel's ARP entry: " + neigh);
                    // a kernel UDP client, our echo socket
                    String client = HostNet.run("ip", "netns", "exec", ns, "python3", "-c", String.join("\n",
                            "import socket",
                            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
                            "s.settimeout(3)",
                            "for i in range(" + ROUNDS + "):",
                            "    m = bytes((i * 7 + j) & 255 for j in range(100 + i * 300))",
                            "    s.sendto(m, ('" + LOCAL + "', " + OUR_ECHO + "))",
                            "    d, a = s.recvfrom(65535)",
                            "    assert d == m and a == ('" + LOCAL + "', " + OUR_ECHO + "), (len(d), a)",
                            "print('echoed', " + ROUNDS + ")"));
                    assertEquals("echoed " + ROUNDS, client.trim());
                    // our client, the kernel's echo server
                    poller.startClient.set(true);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    while (poller.clientDone == 0 && System.nanoTime() < deadline) {
                        Thread.sleep(10);
                    }
                } finally {
                    poller.stop = true;
                    t.join(10_000);
                }
                assertNull(poller.failure.get(), () -> "poll thread: " + poller.failure.get());
                assertEquals(ROUNDS, poller.clientDone, "our datagrams echoed by the kernel; " + iface.stats());
                assertEquals(port.interfaceMac(), poller.kernelMac, "we resolved the kernel's MAC");
                assertTrue(iface.stats().count(Counter.ICMP_ECHO_REPLIES_SENT) >= 3, iface.stats().toString());
                assertTrue(iface.stats().count(Counter.ARP_REPLIES_SENT) >= 1, iface.stats().toString());
                assertEquals(0, iface.stats().malformedTotal(), iface.stats().toString());
            } finally {
                echo.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Polls the interface, echoes datagrams to port 7, and on request runs the client exchange. */
    private static final class Poller implements Runnable {
        final Interface iface;
        final TapPort port;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final java.util.concurrent.atomic.AtomicBoolean startClient = new java.util.concurrent.atomic.AtomicBoolean();
        volatile boolean stop;
        volatile int clientDone;
        volatile MacAddress kernelMac;

        Poller(Interface iface, TapPort port) {
            this.iface = iface;
            this.port = port;
        }

        @Override
        public void run() {
            try {
                UdpSocket server = iface.sockets().add(new UdpSocket(16, 16, 1472)).bind(OUR_ECHO);
                UdpSocket client = iface.sockets().add(new UdpSocket(16, 16, 1472)).bind(40_123);
                MemorySegment buf = MemorySegment.ofArray(new byte[1472]);
                MemorySegment back = MemorySegment.ofArray(new byte[1472]);
                int round = 0;
                long sentAt = 0;
                while (!stop) {
                    long now = iface.clock().nanos();
                    iface.poll(now);
                    int n;
                    while ((n = server.receive(buf)) >= 0) {
                        server.send(buf.asSlice(0, n), server.sourceAddress(), server.sourcePort());
                    }
                    if (startClient.get() && round < ROUNDS) {
                        MemorySegment m = payload(round);
                        if (now - sentAt > 500_000_000L) { // (re)send every 0.5 s until echoed
                            client.send(m, KERNEL.value(), KERNEL_ECHO);
                            sentAt = now;
                        }
                        while ((n = client.receive(back)) >= 0) {
                            if (n == m.byteSize() && m.mismatch(back.asSlice(0, n)) == -1
                                    && client.sourceAddress() == KERNEL.value() && client.sourcePort() == KERNEL_ECHO) {
                                round++;
                                sentAt = 0;
                                if (round == ROUNDS) {
                                    kernelMac = iface.neighbour(KERNEL.value());
                                    clientDone = ROUNDS;
                                }
                                break;
                            }
                        }
                    }
                    port.awaitReceive(Math.min(iface.pollDelay(iface.clock().nanos()), 5_000_000L));
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        }

        private static MemorySegment payload(int round) {
            MemorySegment m = MemorySegment.ofArray(new byte[1 + round * 350]);
            for (int i = 0; i < m.byteSize(); i++) m.set(ValueLayout.JAVA_BYTE, i, (byte) (round * 13 + i));
            return m;
        }
    }
}
