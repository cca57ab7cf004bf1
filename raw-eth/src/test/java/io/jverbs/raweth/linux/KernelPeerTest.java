package io.jverbs.raweth.linux;

import io.jverbs.core.Errno;
import io.jverbs.core.NativeException;
import io.jverbs.raweth.port.FrameBurst;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.wire.ArpPacket;
import io.jverbs.raweth.wire.ArpRepr;
import io.jverbs.raweth.wire.EtherType;
import io.jverbs.raweth.wire.EthernetFrame;
import io.jverbs.raweth.wire.EthernetRepr;
import io.jverbs.raweth.wire.Icmpv4Packet;
import io.jverbs.raweth.wire.Icmpv4Repr;
import io.jverbs.raweth.wire.IpProtocol;
import io.jverbs.raweth.wire.Ipv4Address;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.Ipv4Repr;
import io.jverbs.raweth.wire.MacAddress;
import io.jverbs.raweth.wire.UdpPacket;
import io.jverbs.raweth.wire.UdpRepr;
import io.jverbs.raweth.wire.WireStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Both ports against the Linux stack in a namespace, with frames built and parsed by the wire
 * package: ARP, ICMP echo, and UDP both ways (a UDP echo server in the namespace sends each
 * datagram back, so the kernel both receives and originates UDP). Also what the AF_PACKET port does
 * with a veth peer that offloads checksums (drops and counts, see {@link AfPacketPort}), and the
 * errors of a missing interface and a bad name. Needs root, ip, ethtool, nft and python3.
 */
@Timeout(120)
class KernelPeerTest {
    private static final String LOCAL = "jv" + HostNet.TAG + "ua";
    private static final String KERNEL = "jv" + HostNet.TAG + "ub";
    private static final String TAP = "jv" + HostNet.TAG + "ut";
    private static final int ECHO_PORT = 7777;
    private static final Ipv4Address VETH_KERNEL = Ipv4Address.parse("10.233." + HostNet.SUBNET + ".1");
    private static final Ipv4Address VETH_LOCAL = Ipv4Address.parse("10.233." + HostNet.SUBNET + ".2");
    private static final Ipv4Address TAP_KERNEL = Ipv4Address.parse("10.234." + HostNet.SUBNET + ".1");
    private static final Ipv4Address TAP_LOCAL = Ipv4Address.parse("10.234." + HostNet.SUBNET + ".2");
    private static HostNet net;
    private static String ns;
    private static MacAddress kernelMac;
    private static Process echo;

    @BeforeAll
    static void setUp() throws Exception {
        net = new HostNet();
        ns = net.namespace("u");
        net.veth(LOCAL, KERNEL, ns);
        HostNet.run("ip", "-n", ns, "addr", "add", VETH_KERNEL + "/24", "dev", KERNEL);
        HostNet.run("ip", "-n", ns, "link", "set", KERNEL, "up");
        offloads(false);
        kernelMac = HostNet.mac(ns, KERNEL);
        echo = new ProcessBuilder("ip", "netns", "exec", ns, "python3", "-c", String.join("\n",
                "import socket, sys",
                "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
                "s.bind(('0.0.0.0', " + ECHO_PORT + "))",
                "print('ready', flush=True)",
                "while True:",
                "    d, a = s.recvfrom(65535)",
                "    s.sendto(d, a)")).redirectErrorStream(true).start();
        String ready = new String(echo.getInputStream().readNBytes(6), StandardCharsets.UTF_8);
        assertEquals("ready\n", ready, "the UDP echo server in " + ns + " did not start");
    }

    /** {@code ethtool -K} on the kernel's veth: checksum offload and segmentation on or off. */
    private static void offloads(boolean on) {
        String v = on ? "on" : "off";
        HostNet.run("ip", "netns", "exec", ns, "ethtool", "-K", KERNEL, "tx", v, "tso", v, "gso", v);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (echo != null) {
            echo.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (net != null) net.close();
    }

    @Test
    void afPacketTalksArpIcmpAndUdpWithTheKernel() {
        try (AfPacketPort port = AfPacketPort.open(LOCAL)) {
            talk(new Peer(port, VETH_LOCAL, VETH_KERNEL), kernelMac);
            assertEquals(0, port.stats().rxErrors(), "with offloads off the kernel's frames are whole: " + port.stats());
        }
    }

    /**
     * docs/tcp.md's "giving an interface to the stack": a netdev ingress chain that drops every
     * frame keeps them from the kernel's IP layer, and AF_PACKET still sees them (its tap comes
     * first).
     */
    @Test
    void afPacketStillReceivesWhatTheKernelDropsAtIngress() {
        String table = "jv" + HostNet.TAG + "stack";
        HostNet.run("nft", "add", "table", "netdev", table);
        try {
            HostNet.run("nft", "add", "chain", "netdev", table, "in", "{ type filter hook ingress device \"" + LOCAL
                    + "\" priority 0; policy accept; }");
            HostNet.run("nft", "add", "rule", "netdev", table, "in", "counter", "drop");
            try (AfPacketPort port = AfPacketPort.open(LOCAL)) {
                talk(new Peer(port, VETH_LOCAL, VETH_KERNEL), kernelMac);
            }
            String listed = HostNet.run("nft", "list", "chain", "netdev", table, "in");
            Matcher m = Pattern.compile("counter packets (\\d+)").matcher(listed);
            assertTrue(m.find() && Long.parseLong(m.group(1)) >= 6,
                    "the chain dropped the kernel's replies (ARP, ICMP, 4 UDP) after AF_PACKET saw them: " + listed);
        } finally {
            HostNet.run("nft", "delete", "table", "netdev", table);
        }
    }

    @Test
    void tapTalksArpIcmpAndUdpWithTheKernel() {
        try (TapPort port = TapPort.open(TAP)) {
            HostNet.run("ip", "link", "set", TAP, "netns", ns);
            HostNet.run("ip", "-n", ns, "addr", "add", TAP_KERNEL + "/24", "dev", TAP);
            HostNet.run("ip", "-n", ns, "link", "set", TAP, "up");
            assertEquals(TAP, port.interfaceName());
            talk(new Peer(port, TAP_LOCAL, TAP_KERNEL), port.interfaceMac());
        }
        // closing the port removed the interface from the namespace
        assertTrue(HostNet.tryRun("ip", "-n", ns, "link", "show", TAP).exit() != 0, "the TAP outlived its port");
    }

    private static void talk(Peer p, MacAddress expectedKernelMac) {
        assertEquals(expectedKernelMac.value(), p.resolve(), "the kernel's MAC in its ARP reply");
        byte[] data = "ping from jverbs".getBytes(StandardCharsets.US_ASCII);
        byte[] reply = p.ping(0x4a56, 1, data);
        assertArrayEquals(data, reply, "echoed ICMP data");
        for (int size : new int[] {1, 18, 512, 1472}) { // 1472: a full 1500-byte IPv4 packet
            byte[] payload = new byte[size];
            for (int i = 0; i < size; i++) payload[i] = (byte) (i * 7 + size);
            byte[] back = p.udpEcho(40000 + size, payload);
            assertArrayEquals(payload, back, "UDP payload of " + size + " bytes echoed by the kernel");
        }
    }

    @Test
    void afPacketDropsAndCountsFramesWhosePeerOffloadsChecksums() {
        offloads(true);
        try (AfPacketPort port = AfPacketPort.open(LOCAL)) {
            Peer p = new Peer(port, VETH_LOCAL, VETH_KERNEL);
            p.resolve();
            long before = port.stats().rxErrors();
            p.sendUdp(41000, new byte[100]);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (port.stats().rxErrors() == before && System.nanoTime() < deadline) {
                p.poll(f -> false);
            }
            assertEquals(before + 1, port.stats().rxErrors(),
                    "the echo with an unfilled UDP checksum is dropped and counted, not delivered");
        } finally {
            offloads(false);
        }
    }

    @Test
    void aMissingInterfaceIsNamed() {
        String missing = "jv" + HostNet.TAG + "none";
        NativeException e = assertThrows(NativeException.class, () -> AfPacketPort.open(missing));
        assertEquals(LinuxCall.GET_IFINDEX, e.call());
        assertEquals(Errno.ENODEV, e.errno());
        assertTrue(e.getMessage().contains(missing) && e.getMessage().contains("ENODEV")
                && e.getMessage().contains("no network interface"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AfPacketPort.open("a/b"));
        assertThrows(IllegalArgumentException.class, () -> TapPort.open("sixteen-chars-xx"));
    }

    @Test
    void framesOfAnotherPortOrOutOfOrderAreRefused() {
        try (AfPacketPort port = AfPacketPort.open(LOCAL); TapPort tap = TapPort.open(TAP)) {
            FrameBurst tx = new FrameBurst(4);
            assertEquals(4, port.allocate(tx, 4));
            for (int i = 0; i < 4; i++) tx.length(i, 60);
            assertThrows(IllegalArgumentException.class, () -> tap.transmit(tx, 1), "a frame of the AF_PACKET port");
            FrameBurst second = new FrameBurst(1);
            assertEquals(1, port.allocate(second, 1));
            second.length(0, 60);
            assertThrows(IllegalArgumentException.class, () -> port.transmit(second, 1), "slot after four unsent ones");
            FrameBurst stale = new FrameBurst(1); // a copy of tx's first entry, to release it twice
            stale.memory(tx.memory());
            stale.set(0, tx.offset(0), 0, tx.capacity(0), 0, tx.handle(0));
            stale.count(1);
            port.release(tx); // unsent frames go back in any order, the older ones first here
            port.release(second);
            assertThrows(IllegalArgumentException.class, () -> port.release(stale), "a frame released already");
            assertThrows(IllegalArgumentException.class, () -> port.allocate(second, 2), "n beyond capacity");
            assertEquals(1, port.allocate(second, 1));
            assertThrows(IllegalStateException.class, () -> port.receive(second), "the burst still holds a frame");
            second.length(0, 13);
            assertThrows(IllegalArgumentException.class, () -> port.transmit(second, 1), "shorter than a header");
            port.release(second);
        }
    }

    /**
     * AF_PACKET's TX ring is sent in ring order: frames released unsent before newer ones leave
     * holes, a burst past frames still held is refused, and newer frames sent past the holes reach
     * the wire whole (copied down into them), after which the ring is not stuck.
     */
    @Test
    void afPacketSendsPastReleasedOlderFrames() {
        try (AfPacketPort port = AfPacketPort.open(LOCAL)) {
            Peer p = new Peer(port, VETH_LOCAL, VETH_KERNEL);
            p.resolve();
            FrameBurst older = new FrameBurst(3);
            FrameBurst newer = new FrameBurst(2);
            assertEquals(3, port.allocate(older, 3));
            assertEquals(2, port.allocate(newer, 2));
            byte[][] data = {"first after the holes".getBytes(StandardCharsets.US_ASCII), new byte[300]};
            Arrays.fill(data[1], (byte) 0x5a);
            for (int i = 0; i < 2; i++) {
                newer.length(i, p.writePing(newer.memory(), newer.offset(i), 0x4a57, i + 1, data[i]));
            }
            assertThrows(IllegalArgumentException.class, () -> port.transmit(newer, 2), "older frames still held");
            assertEquals(2, newer.count(), "a refused transmit keeps the burst");
            port.release(older);
            assertEquals(2, port.transmit(newer, 2));
            boolean[] seen = new boolean[3];
            p.awaitIp(IpProtocol.ICMP, () -> {
                if (p.icmp.wrap(p.ip.segment(), p.ip.payloadOffset(), p.ip.payloadLength()) == WireStatus.OK
                        && p.icmp.checksumValid() && Icmpv4Repr.parse(p.icmp) instanceof Icmpv4Repr.EchoReply r
                        && r.identifier() == 0x4a57 && (r.sequence() == 1 || r.sequence() == 2)) {
                    byte[] d = data[r.sequence() - 1];
                    assertArrayEquals(d, Peer.copy(p.icmp.segment(), p.icmp.offset() + Icmpv4Packet.HEADER_LENGTH,
                            p.icmp.payloadLength()), "echo " + r.sequence());
                    seen[r.sequence()] = true;
                }
                return seen[1] && seen[2] ? new byte[0] : null;
            });
            byte[] after = "the ring moves on".getBytes(StandardCharsets.US_ASCII);
            assertArrayEquals(after, p.ping(0x4a57, 3, after), "a ping after the holes closed");
        }
    }

    /** One port, its address and the kernel's: frames built and parsed with the wire package. */
    private static final class Peer {
        final PacketPort port;
        final long mac;
        final Ipv4Address local;
        final Ipv4Address kernel;
        long kernelMac;
        final FrameBurst rx = new FrameBurst(64);
        final FrameBurst tx = new FrameBurst(1);
        final EthernetFrame eth = new EthernetFrame();
        final ArpPacket arp = new ArpPacket();
        final Ipv4Packet ip = new Ipv4Packet();
        final Icmpv4Packet icmp = new Icmpv4Packet();
        final UdpPacket udp = new UdpPacket();
        byte[] got;

        Peer(PacketPort port, Ipv4Address local, Ipv4Address kernel) {
            this.port = port;
            this.mac = port.capabilities().mac().value();
            this.local = local;
            this.kernel = kernel;
        }

        long resolve() {
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() < deadline) {
                send(EthernetFrame.MIN_FRAME_LENGTH, (m, off) -> {
                    new EthernetRepr(MacAddress.BROADCAST.value(), mac, EtherType.ARP)
                            .emit(eth.wrapUnchecked(m, off, EthernetFrame.MIN_FRAME_LENGTH));
                    new ArpRepr(ArpPacket.REQUEST, mac, local.value(), 0, kernel.value())
                            .emit(arp.wrapUnchecked(m, off + 14, ArpPacket.HEADER_LENGTH));
                });
                if (poll(f -> isArpReplyFromKernel())) {
                    return kernelMac;
                }
            }
            return fail(port.name() + ": no ARP reply from " + kernel);
        }

        private boolean isArpReplyFromKernel() {
            if (eth.etherType() != EtherType.ARP || arp.wrap(eth.segment(), eth.payloadOffset(), eth.payloadLength()) != WireStatus.OK
                    || arp.operation() != ArpPacket.REPLY || arp.senderProtocolAddress() != kernel.value()) {
                return false;
            }
            assertEquals(mac, arp.targetHardwareAddress());
            kernelMac = arp.senderHardwareAddress();
            return true;
        }

        byte[] ping(int id, int seq, byte[] data) {
            send(frameLength(Icmpv4Packet.HEADER_LENGTH + data.length), (m, off) -> writePing(m, off, id, seq, data));
            awaitIp(IpProtocol.ICMP, () -> icmp.wrap(ip.segment(), ip.payloadOffset(), ip.payloadLength()) == WireStatus.OK
                    && icmp.checksumValid() && Icmpv4Repr.parse(icmp).equals(new Icmpv4Repr.EchoReply(id, seq, data.length))
                    ? copy(icmp.segment(), icmp.offset() + Icmpv4Packet.HEADER_LENGTH, data.length) : null);
            return got;
        }

        void sendUdp(int sourcePort, byte[] payload) {
            int udpLen = UdpPacket.HEADER_LENGTH + payload.length;
            sendIp(IpProtocol.UDP, udpLen, (m, off) -> {
                MemorySegment.copy(payload, 0, m, ValueLayout.JAVA_BYTE, off + UdpPacket.HEADER_LENGTH, payload.length);
                new UdpRepr(sourcePort, ECHO_PORT, payload.length).emit(udp.wrapUnchecked(m, off, udpLen), local.value(),
                        kernel.value());
            });
        }

        byte[] udpEcho(int sourcePort, byte[] payload) {
            sendUdp(sourcePort, payload);
            awaitIp(IpProtocol.UDP, () -> {
                if (udp.wrap(ip.segment(), ip.payloadOffset(), ip.payloadLength()) != WireStatus.OK
                        || udp.sourcePort() != ECHO_PORT || udp.destinationPort() != sourcePort) {
                    return null;
                }
                assertTrue(udp.checksumValid(kernel.value(), local.value()), "the kernel's UDP checksum");
                return copy(udp.segment(), udp.offset() + UdpPacket.HEADER_LENGTH, udp.payloadLength());
            });
            return got;
        }

        private interface Writer { void write(MemorySegment m, long off); }
        private interface Match { byte[] match(); }

        /** Writes an ICMP echo request to the kernel at {@code off} (zeroed first); returns the frame's length. */
        int writePing(MemorySegment m, long off, int id, int seq, byte[] data) {
            int icmpLen = Icmpv4Packet.HEADER_LENGTH + data.length;
            return writeIp(m, off, IpProtocol.ICMP, icmpLen, (s, at) -> {
                MemorySegment.copy(data, 0, s, ValueLayout.JAVA_BYTE, at + Icmpv4Packet.HEADER_LENGTH, data.length);
                new Icmpv4Repr.EchoRequest(id, seq, data.length).emit(icmp.wrapUnchecked(s, at, icmpLen));
            });
        }

        private static int frameLength(int ipPayloadLength) {
            return Math.max(EthernetFrame.MIN_FRAME_LENGTH, 14 + Ipv4Packet.MIN_HEADER_LENGTH + ipPayloadLength);
        }

        private void sendIp(int protocol, int payloadLength, Writer payload) {
            send(frameLength(payloadLength), (m, off) -> writeIp(m, off, protocol, payloadLength, payload));
        }

        private int writeIp(MemorySegment m, long off, int protocol, int payloadLength, Writer payload) {
            int len = frameLength(payloadLength);
            m.asSlice(off, len).fill((byte) 0);
            new EthernetRepr(kernelMac, mac, EtherType.IPV4).emit(eth.wrapUnchecked(m, off, len));
            int ipLen = Ipv4Packet.MIN_HEADER_LENGTH + payloadLength;
            new Ipv4Repr(local.value(), kernel.value(), protocol, payloadLength, 64).emit(ip.wrapUnchecked(m, off + 14, ipLen));
            payload.write(m, off + 14 + Ipv4Packet.MIN_HEADER_LENGTH);
            return len;
        }

        private void awaitIp(int protocol, Match match) {
            got = null;
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() < deadline) {
                if (poll(f -> eth.etherType() == EtherType.IPV4
                        && ip.wrap(eth.segment(), eth.payloadOffset(), eth.payloadLength()) == WireStatus.OK
                        && ip.checksumValid() && ip.protocol() == protocol && ip.source() == kernel.value()
                        && ip.destination() == local.value() && (got = match.match()) != null)) {
                    return;
                }
            }
            fail(port.name() + ": no reply of protocol " + protocol + " from " + kernel + "; " + port.stats());
        }

        private void send(int len, Writer frame) {
            assertEquals(1, port.allocate(tx, 1));
            MemorySegment m = tx.memory();
            m.asSlice(tx.offset(0), len).fill((byte) 0);
            frame.write(m, tx.offset(0));
            tx.length(0, len);
            assertEquals(1, port.transmit(tx, 1));
        }

        /** One wait and receive; answers the kernel's ARP for our address; true when a frame matched. */
        boolean poll(Predicate<Void> matches) {
            port.awaitReceive(50_000_000L);
            int n = port.receive(rx);
            boolean hit = false;
            for (int i = 0; i < n && !hit; i++) {
                if (eth.wrap(rx.memory(), rx.offset(i), rx.length(i)) != WireStatus.OK) continue;
                if (eth.etherType() == EtherType.ARP && arp.wrap(rx.memory(), eth.payloadOffset(), eth.payloadLength()) == WireStatus.OK
                        && arp.operation() == ArpPacket.REQUEST && arp.targetProtocolAddress() == local.value()) {
                    ArpRepr req = ArpRepr.parse(arp);
                    long asker = req.senderHardwareAddress();
                    int askerIp = req.senderProtocolAddress();
                    port.release(rx);
                    send(EthernetFrame.MIN_FRAME_LENGTH, (m, off) -> {
                        new EthernetRepr(asker, mac, EtherType.ARP).emit(eth.wrapUnchecked(m, off, EthernetFrame.MIN_FRAME_LENGTH));
                        new ArpRepr(ArpPacket.REPLY, mac, local.value(), asker, askerIp)
                                .emit(arp.wrapUnchecked(m, off + 14, ArpPacket.HEADER_LENGTH));
                    });
                    return false;
                }
                hit = matches.test(null);
            }
            port.release(rx);
            return hit;
        }

        private static byte[] copy(MemorySegment m, long off, int len) {
            byte[] b = new byte[len];
            MemorySegment.copy(m, ValueLayout.JAVA_BYTE, off, b, 0, len);
            return b;
        }
    }
}
