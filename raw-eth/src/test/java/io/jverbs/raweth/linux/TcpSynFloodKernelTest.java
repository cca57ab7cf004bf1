package io.jverbs.raweth.linux;

import io.jverbs.raweth.iface.InterfaceConfig;
import io.jverbs.raweth.socket.TcpConnection;
import io.jverbs.raweth.socket.TcpListener;
import io.jverbs.raweth.socket.TcpServer;
import io.jverbs.raweth.socket.TcpStack;
import io.jverbs.raweth.wire.Ipv4Address;
import io.jverbs.raweth.port.PacketPort;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A SYN flood from a second namespace at a {@link TcpStack} echo server over a TAP and over
 * AF_PACKET on a veth: python3 sends
 * SYNs from random spoofed sources (198.18.0.0/15, routed back through the kernel, which drops
 * our SYN-ACKs) and random ports, while a kernel client connects twenty times and
 * echoes 10 KB each time. The SYN queue never passes its backlog (the rest get SYN cookies), the
 * demux never holds more than the backlog plus the real connections, and every real connection
 * completes. Needs root, ip, ethtool and python3.
 */
class TcpSynFloodKernelTest {
    private static final String TAP = "jv" + HostNet.TAG + "sf";
    private static final String VETH = "jv" + HostNet.TAG + "sv";
    private static final Ipv4Address KERNEL = Ipv4Address.parse("10.238." + HostNet.SUBNET + ".1");
    private static final Ipv4Address LOCAL = Ipv4Address.parse("10.238." + HostNet.SUBNET + ".2");
    private static final int BACKLOG = 32;
    private static final int CLIENTS = 20;

    static final String FLOOD = String.join("\n",
            "import socket, struct, random, time, sys",
            "dst, port, dur = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])",
            "s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)",
            "def csum(b):",
            "    t = sum(struct.unpack('!%dH' % (len(b) // 2), b))",
            "    t = (t >> 16) + (t & 0xffff)",
            "    t += t >> 16",
            "    return ~t & 0xffff",
            "d = socket.inet_aton(dst)",
            "n = 0",
            "end = time.time() + dur",
            "while time.time() < end:",
            "    for _ in range(200):",
            "        src = struct.pack('!I', 0xC6120000 | random.getrandbits(17))",
            "        tcp = struct.pack('!HHIIBBHHH', random.randint(1024, 65535), port, random.getrandbits(32), 0, 0x50, 0x02, 64240, 0, 0)",
            "        c = csum(src + d + struct.pack('!BBH', 0, 6, 20) + tcp)",
            "        tcp = tcp[:16] + struct.pack('!H', c) + tcp[18:]",
            "        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 40, 0, 0x4000, 64, 6, 0, src, d)",
            "        s.sendto(ip + tcp, (dst, 0))",
            "        n += 1",
            "    if n % 20000 == 0: print(n, flush=True)");

    static final String CLIENT = String.join("\n",
            "import socket, time, os, sys",
            "dst, n = sys.argv[1], int(sys.argv[2])",
            "ok, worst = 0, 0.0",
            "for i in range(n):",
            "    data = os.urandom(10000)",
            "    t = time.time()",
            "    c = socket.create_connection((dst, 7), timeout=10)",
            "    worst = max(worst, time.time() - t)",
            "    c.sendall(data)",
            "    c.shutdown(socket.SHUT_WR)",
            "    got = b''",
            "    while True:",
            "        b = c.recv(65536)",
            "        if not b: break",
            "        got += b",
            "    c.close()",
            "    ok += got == data",
            "    time.sleep(0.05)",
            "print('ok', ok, 'worst_connect_ms', int(worst * 1000), flush=True)");

    /** Our end of the link: a TAP moved into {@code ns}, or AF_PACKET on a veth whose peer is in {@code ns}. */
    private static PacketPort link(HostNet net, String kind, String ns) {
        if (kind.equals("tap")) {
            TapPort tap = TapPort.open(TAP);
            HostNet.tapInto(TAP, ns, KERNEL + "/24");
            return tap;
        }
        String kernel = VETH + "k";
        net.veth(VETH, kernel, ns);
        HostNet.run("ip", "-n", ns, "addr", "add", KERNEL + "/24", "dev", kernel);
        HostNet.run("ip", "-n", ns, "link", "set", kernel, "up");
        HostNet.run("ip", "netns", "exec", ns, "ethtool", "-K", kernel, "tx", "off", "tso", "off", "gso", "off");
        return AfPacketPort.open(VETH);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tap", "afpacket"})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void realClientsConnectDuringAFloodAndTheQueuesStayBounded(String kind) throws Exception {
        try (HostNet net = new HostNet(); PacketPort port = link(net, kind, net.namespace("f"));
             TcpStack stack = TcpStack.start(port, InterfaceConfig.builder(LOCAL, 24).gateway(KERNEL).build())) {
            String ns = "jv" + HostNet.TAG + "f";
            TcpServer server = stack.listen(7, BACKLOG);
            TcpListener l = server.listener();
            AtomicInteger echoed = new AtomicInteger();
            Thread.startVirtualThread(() -> {
                try {
                    while (true) {
                        TcpConnection c = server.accept();
                        Thread.startVirtualThread(() -> {
                            try (c) {
                                c.inputStream().transferTo(c.outputStream());
                                echoed.incrementAndGet();
                            } catch (IOException e) {
                                // counted as not echoed
                            }
                        });
                    }
                } catch (IOException e) {
                    // the server closed
                }
            });
            int[] maxConnections = new int[1];
            int[] maxSyn = new int[1];
            Thread sampler = Thread.startVirtualThread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    stack.locked(() -> {
                        maxConnections[0] = Math.max(maxConnections[0], stack.demux().connections());
                        maxSyn[0] = Math.max(maxSyn[0], l.synQueued());
                        return null;
                    });
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            Path floodOut = Files.createTempFile("synflood", ".txt");
            Process flood = new ProcessBuilder("ip", "netns", "exec", ns, "python3", "-c", FLOOD, LOCAL.toString(),
                    "7", "60").redirectErrorStream(true).redirectOutput(floodOut.toFile()).start(); // stopped after the clients
            Thread.sleep(1500);
            long synsBefore = stack.locked(l::synsReceived);
            // a client's SYN lost to the flood waits 1 s for the kernel's retransmission: the 20
            // clients may take well over 10 s on a loaded host (python's own limit is 60 s)
            String clients = HostNet.runWithin(70, "ip", "netns", "exec", ns, "timeout", "60", "python3", "-c", CLIENT,
                    LOCAL.toString(), Integer.toString(CLIENTS));
            long synsDuring = stack.locked(l::synsReceived) - synsBefore;
            boolean floodStillRunning = flood.isAlive();
            flood.destroy();
            assertTrue(flood.waitFor(30, TimeUnit.SECONDS), "the flood did not end");
            String out = Files.readString(floodOut).trim();
            Files.delete(floodOut);
            String sent = out.isEmpty() ? "?" : out.substring(out.lastIndexOf('\n') + 1);
            Thread.sleep(200);
            sampler.interrupt();
            sampler.join();
            String summary = stack.locked(() -> "flood sent " + sent + " SYNs; " + l + ", max SYN queue " + maxSyn[0]
                    + ", max connections " + maxConnections[0] + ", SYNs received " + l.synsReceived()
                    + " (" + synsDuring + " while the clients ran), cookies sent " + l.cookiesSent() + ", accepted "
                    + l.cookiesAccepted() + ", rejected " + l.cookiesRejected() + ", SYNs dropped " + l.synsDropped()
                    + "; clients: " + clients);
            System.out.println("SYN flood over " + kind + ": " + summary);
            assertTrue(floodStillRunning, "the flood must outlast the clients: " + summary);
            assertEquals("ok " + CLIENTS, clients.substring(0, clients.indexOf(" worst")), summary);
            assertEquals(CLIENTS, echoed.get(), summary);
            assertTrue(synsDuring > 1000, "a flood while the clients ran: " + summary);
            assertTrue(stack.locked(l::maxSynQueued) <= BACKLOG, summary);
            assertTrue(maxConnections[0] <= BACKLOG + 4, "the demux stayed bounded: " + summary);
            assertTrue(stack.locked(l::cookiesSent) > 1000, summary);
        }
    }
}
