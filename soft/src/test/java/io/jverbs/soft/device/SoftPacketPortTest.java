package io.jverbs.soft.device;

import io.jverbs.core.NativeBuffer;
import io.jverbs.raweth.iface.Counter;
import io.jverbs.raweth.linux.HostNet;
import io.jverbs.raweth.wire.EthernetFrame;
import io.jverbs.raweth.wire.Ipv4Packet;
import io.jverbs.raweth.wire.MacAddress;
import io.jverbs.raweth.wire.UdpPacket;
import io.jverbs.soft.wire.Opcode;
import io.jverbs.soft.wire.RocePacket;
import io.jverbs.soft.wire.RoceStatus;
import io.jverbs.soft.wire.RxeCapture;
import io.jverbs.soft.wire.SourcePort;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.ReceiveRequests;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.WrOpcode;
import io.jverbs.verbs.WorkCompletions;
import jdk.net.ExtendedSocketOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The soft device on raw-eth packet ports, against the kernel's UDP stack: a veth pair in the root
 * namespace, one end ({@link #RAW}) owned by a soft device on AF_PACKET (nftables drops its
 * ingress, so the kernel leaves its frames alone; it has no address), the other ({@link #KERNEL})
 * with the kernel's address, where a soft device on the UDP socket path binds port 4791. RC
 * SEND/WRITE/READ/atomics with data checked both ways, the frames on the wire checked (tcpdump),
 * a datagram with a corrupted ICRC dropped and counted while the same one with a good ICRC is
 * received, and the same RC traffic with a DPDK port ({@code net_af_packet} vdev, no hugepages)
 * on a second veth. Needs root (veth, nftables, CAP_NET_RAW), ethtool, nft and tcpdump: without
 * them the tests fail saying so.
 */
class SoftPacketPortTest {
    private static final int NET = (int) (ProcessHandle.current().pid() % 250);
    private static final String A = "10.77." + NET + ".";
    private static final String B = "10.78." + NET + ".";
    private static final String RAW = "jv" + HostNet.TAG + "sr";
    private static final String KERNEL = "jv" + HostNet.TAG + "sk";
    private static final String RAW2 = "jv" + HostNet.TAG + "dr";
    private static final String KERNEL2 = "jv" + HostNet.TAG + "dk";
    private static final String TABLE = "jv" + HostNet.TAG + "soft";
    private static final PathSettings PATH = new PathSettings().gidIndex(1);
    private static HostNet net;

    /** The EAL's --file-prefix: this run's own (HostNet.TAG), so concurrent runs do not collide. */
    private static final String DPDK_PREFIX = "jvsoft" + HostNet.TAG;

    @BeforeAll
    static void link() {
        assertEquals("0", HostNet.run("id", "-u"),
                "SoftPacketPortTest needs root: it makes veth pairs and nftables rules and opens AF_PACKET sockets (CAP_NET_RAW)");
        net = new HostNet();
        giveToUserspace(RAW, KERNEL, A);
        giveToUserspace(RAW2, KERNEL2, B);
        SoftProvider.add(SoftDeviceConfig.onPort("jsoftraw", A + "3", 24, "afpacket:" + RAW));
        SoftProvider.add(SoftDeviceConfig.of("jsoftudp", A + "2"));
        SoftProvider.add(SoftDeviceConfig.onPort("jsoftdpdk", B + "3", 24, "dpdk:--no-huge -m 256 --no-pci -l 0 --file-prefix "
                + DPDK_PREFIX + " --vdev net_af_packet0,iface=" + RAW2));
        SoftProvider.add(SoftDeviceConfig.of("jsoftudp2", B + "2"));
    }

    /** A veth pair: {@code raw} for a userspace stack (no address, the kernel's ingress dropped), {@code kernel} with {@code prefix}.2/24. */
    private static void giveToUserspace(String raw, String kernel, String prefix) {
        net.veth(raw, kernel, null);
        HostNet.run("ip", "addr", "add", prefix + "2/24", "dev", kernel);
        // the kernel's frames to AF_PACKET: complete checksums, no GSO (docs/raw-eth.md)
        HostNet.run("ethtool", "-K", kernel, "tx", "off", "tso", "off", "gso", "off");
        HostNet.tryRun("nft", "delete", "table", "netdev", TABLE + raw);
        HostNet.run("nft", "add", "table", "netdev", TABLE + raw);
        HostNet.run("nft", "add", "chain", "netdev", TABLE + raw, "in",
                "{ type filter hook ingress device " + raw + " priority 0 ; policy drop ; }");
    }

    @AfterAll
    static void unlink() {
        for (String d : List.of("jsoftraw", "jsoftudp", "jsoftdpdk", "jsoftudp2")) {
            SoftProvider.remove(d);
        }
        HostNet.tryRun("nft", "delete", "table", "netdev", TABLE + RAW);
        HostNet.tryRun("nft", "delete", "table", "netdev", TABLE + RAW2);
        if (net != null) net.close();
        // The JVM's one EAL outlives the device and leaves /var/run/dpdk/PREFIX behind (one per
        // run, piling up): remove it as the JVM exits, as the dpdk module's TestEal does.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> HostNet.tryRun("rm", "-rf", "/var/run/dpdk/" + DPDK_PREFIX)));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void rcBetweenAfPacketAndTheKernelsUdpBothWaysWithTheFramesChecked() throws Exception {
        Path pcap = Files.createTempFile("soft-afpacket", ".pcap");
        // immediate mode: without it frames wait in libpcap's ring block, and SIGTERM loses them
        Process dump = new ProcessBuilder("tcpdump", "-i", KERNEL, "--immediate-mode", "-U", "-n", "-Z", "root", "-w",
                pcap.toString(), "udp port 4791")
                .redirectErrorStream(true).start();
        try {
            // tcpdump says "listening on" once its socket is open
            assertTrue(new String(dump.getInputStream().readNBytes(40)).contains("listening"), "tcpdump did not start");
            SoftQpTest.rcOperations("jsoftraw", "jsoftudp");
            Thread.sleep(200);
        } finally {
            dump.destroy();
            dump.waitFor(5, TimeUnit.SECONDS);
        }
        SoftQpTest.rcOperations("jsoftudp", "jsoftraw");
        PortIo io = SoftProvider.engine("jsoftraw").port();
        assertEquals(0, io.icrcErrors, "ICRC errors on packets from the kernel's UDP socket");
        assertEquals(0, io.malformed);
        assertTrue(io.roceReceived >= 20, "RoCE packets received " + io.roceReceived);
        // the device answered the kernel's ARP, and learned the kernel's MAC
        assertEquals(HostNet.mac(null, KERNEL), io.iface().neighbour(ipv4(A + "2")));

        // Frames from the raw device as the kernel's side saw them.
        MacAddress ours = HostNet.mac(null, RAW);
        RocePacket roce = new RocePacket();
        EthernetFrame eth = new EthernetFrame();
        int ourFrames = 0;
        Set<Integer> toUs = new HashSet<>(), fromUs = new HashSet<>(), ports = new HashSet<>();
        List<byte[]> frames = RxeCapture.frames(pcap);
        for (byte[] f : frames) {
            MemorySegment s = MemorySegment.ofArray(f);
            assertEquals(RoceStatus.OK, roce.wrapFrame(s, 0, f.length), "a captured frame does not parse or its ICRC is wrong");
            eth.wrap(s, 0, f.length);
            Ipv4Packet ip = roce.ipv4();
            UdpPacket udp = roce.udp();
            if (ip.source() == ipv4(A + "3")) {
                ourFrames++;
                assertEquals(ours.value(), eth.source(), "source MAC");
                assertEquals(0, ip.identification(), "IPv4 ID");
                assertTrue(ip.dontFragment(), "DF");
                assertEquals(64, ip.ttl(), "TTL");
                assertEquals(0, udp.checksum(), "UDP checksum");
                fromUs.add(roce.bth().destinationQp());
                ports.add(udp.sourcePort());
            } else {
                toUs.add(roce.bth().destinationQp());
            }
        }
        assertTrue(ourFrames >= 10, "frames from the raw device captured: " + ourFrames + " of " + frames.size());
        // one connection: rxe's RC source port of its two QP numbers, on every frame
        assertEquals(1, toUs.size(), "QPs addressed on the raw device " + toUs);
        assertEquals(1, fromUs.size(), "QPs addressed by the raw device " + fromUs);
        assertEquals(Set.of(SourcePort.rc(toUs.iterator().next(), fromUs.iterator().next())), ports, "UDP source ports");
        Files.deleteIfExists(pcap);
    }

    /**
     * SEND 2000 B + WRITE 3000 B rounds from the AF_PACKET device to the socket-path one: once warm,
     * neither the posting thread (post, poll, and the frames it writes and flushes) nor the raw
     * device's progress thread (frames received, ICRC checked, ACKs delivered) allocates, but for
     * what the progress thread's idle wait (poll(2) through core's LibC) may allocate, bounded per
     * wait. Three windows, the best one asserted, as SoftAllocationTest does (the JIT may allocate in one).
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void thePacketPortPathAllocatesNothingPerOperation() {
        try (Context ca = Context.open("jsoftraw"); Context cb = Context.open("jsoftudp");
             ProtectionDomain pa = ca.allocateProtectionDomain(); ProtectionDomain pb = cb.allocateProtectionDomain();
             CompletionQueue qa = ca.createCompletionQueue(64); CompletionQueue qb = cb.createCompletionQueue(64);
             QueuePair a = pa.createQueuePair(QueuePair.Config.of(QpType.RC, qa));
             QueuePair b = pb.createQueuePair(QueuePair.Config.of(QpType.RC, qb));
             NativeBuffer ba = NativeBuffer.allocate(1 << 16); NativeBuffer bb = NativeBuffer.allocate(1 << 16)) {
            MemoryRegion ma = pa.register(ba, Access.LOCAL_WRITE), mb = pb.register(bb, Access.LOCAL_WRITE | Access.ALL_REMOTE);
            Endpoint ea = a.endpoint(1, 1, 1), eb = b.endpoint(1, 1, 2);
            a.connect(ea, eb, PATH);
            b.connect(eb, ea, PATH);
            SendRequests send = new SendRequests(1, 1).add(1, WrOpcode.SEND, SendFlags.SIGNALED).sge(ma, 0, 2000);
            SendRequests write = new SendRequests(1, 1).add(2, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(ma, 0, 3000)
                    .rdma(mb.address(32768), mb.rkey());
            ReceiveRequests recv = new ReceiveRequests(1, 1).add(3).sge(mb, 0, 4096);
            WorkCompletions wc = new WorkCompletions(8);
            IntConsumer r = n -> rounds(a, b, qa, qb, send, write, recv, wc, n);
            Thread engine = SoftAllocationTest.progressThread("jsoftraw");
            PortIo port = SoftProvider.engine("jsoftraw").port();
            r.accept(3000);
            long bestPoster = Long.MAX_VALUE, bestEngine = Long.MAX_VALUE;
            for (int window = 0; window < 3; window++) {
                long waits = port.idleWaits;
                long[] w = SoftAllocationTest.window("afpacket -> udp socket, 2000 rounds (SEND 2000 B + WRITE 3000 B)",
                        "jsoftraw", engine, r, 2000);
                waits = port.idleWaits - waits;
                System.out.printf("  the progress thread waited on the port %d times: %.1f B per wait%n", waits, (double) w[1] / waits);
                bestPoster = Math.min(bestPoster, w[0]);
                // What the packet path allocates, beside the idle wait's poll(2) (core's LibC.awaitReadable:
                // the JDK slices its errno-capture segment per call, a ~48 B object when C2 does not
                // scalar-replace it; 0 B in some runs, ~50 B per wait in others).
                bestEngine = Math.min(bestEngine, Math.max(0, w[1] - 64 * waits));
            }
            assertTrue(bestPoster < 256, "the posting thread allocated at least " + bestPoster + " B in every window");
            assertTrue(bestEngine < 256, "the raw device's progress thread allocated at least " + bestEngine
                    + " B beyond 64 B per idle wait in every window");
        }
    }

    private static void rounds(QueuePair a, QueuePair b, CompletionQueue qa, CompletionQueue qb, SendRequests send,
                               SendRequests write, ReceiveRequests recv, WorkCompletions wc, int n) {
        for (int i = 0; i < n; i++) {
            b.postReceive(recv);
            a.postSend(send);
            a.postSend(write);
            int sent = 0, received = 0;
            while (sent < 2 || received < 1) {
                int k = qa.poll(wc);
                for (int j = 0; j < k; j++) {
                    if (!wc.isSuccess(j)) throw new AssertionError(wc.describe(j));
                }
                sent += k;
                k = qb.poll(wc);
                for (int j = 0; j < k; j++) {
                    if (!wc.isSuccess(j)) throw new AssertionError(wc.describe(j));
                }
                received += k;
            }
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void qpsOfOneDeviceOnAPortReachEachOtherThroughItsLoopback() {
        SoftEngine engine = SoftProvider.engine("jsoftraw");
        long framesBefore = engine == null ? 0 : engine.port().interfaceStats().count(Counter.TX_FRAMES);
        SoftQpTest.rcOperations("jsoftraw", "jsoftraw");
        PortIo port = SoftProvider.engine("jsoftraw").port();
        assertEquals(0, port.icrcErrors);
        // nothing went to the wire but, at most, ARP and another test's ICMP
        long frames = port.interfaceStats().count(Counter.TX_FRAMES) - framesBefore;
        assertTrue(frames < 5, "frames sent: " + frames);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aCorruptedIcrcIsDroppedAndCountedAndTheSamePacketWithAGoodOneIsReceived() throws Exception {
        try (Context ctx = Context.open("jsoftraw"); Context peer = Context.open("jsoftudp");
             ProtectionDomain pd = ctx.allocateProtectionDomain();
             CompletionQueue cq = ctx.createCompletionQueue(16);
             QueuePair qp = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq));
             NativeBuffer buf = NativeBuffer.allocate(4096);
             MemoryRegion mr = pd.register(buf, Access.LOCAL_WRITE)) {
            // The remote QP is a UDP socket of this test, 0x999 on the kernel's address.
            Endpoint remote = new Endpoint(0, 0x999, 0x300, peer.queryGid(1, 1).gid());
            qp.connect(qp.endpoint(1, 1, 0x100), remote, PATH);
            qp.postReceive(new ReceiveRequests(1, 1).add(42).sge(mr, 0, 4096));
            PortIo io = SoftProvider.engine("jsoftraw").port();
            long icrcBefore = io.icrcErrors, roceBefore = io.roceReceived, notRoceBefore = io.notRoce;

            byte[] payload = new byte[100];
            for (int i = 0; i < payload.length; i++) payload[i] = (byte) (i * 13 + 1);
            try (DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET)) {
                // unconnected with DF: the kernel sends IPv4 ID 0, the header computeDatagram assumes
                ch.setOption(ExtendedSocketOptions.IP_DONTFRAGMENT, true);
                ch.bind(new InetSocketAddress(A + "2", 0));
                int sport = ((InetSocketAddress) ch.getLocalAddress()).getPort();
                InetSocketAddress to = new InetSocketAddress(A + "3", UdpPacket.ROCE_V2_PORT);
                MemorySegment good = sendOnly(qp.qpNumber(), 0x300, payload, sport);
                MemorySegment bad = MemorySegment.ofArray(good.toArray(ValueLayout.JAVA_BYTE));
                bad.set(ValueLayout.JAVA_BYTE, 20, (byte) (bad.get(ValueLayout.JAVA_BYTE, 20) ^ 0x10)); // a payload bit

                ch.send(bad.asByteBuffer(), to);
                waitFor(() -> io.icrcErrors, icrcBefore + 1, "the corrupted packet counted as an ICRC error");
                assertEquals(roceBefore, io.roceReceived, "the corrupted packet reached the transport");
                assertEquals(0, cq.poll(new WorkCompletions(1)), "a completion for the corrupted packet");

                ch.send(good.asByteBuffer(), to);
                WorkCompletions wc = SoftQpTest.await(cq, 1);
                assertTrue(wc.isSuccess(0), wc.describe(0));
                assertEquals(42, wc.wrId(0));
                assertEquals(payload.length, wc.byteLength(0));
                assertEquals(-1, MemorySegment.mismatch(MemorySegment.ofArray(payload), 0, payload.length, buf.segment(), 0, payload.length));
                assertEquals(icrcBefore + 1, io.icrcErrors);
                assertEquals(roceBefore + 1, io.roceReceived);

                // UDP to another port: not RoCE, counted (and answered port-unreachable by the interface)
                ch.send(ByteBuffer.wrap(new byte[]{1, 2, 3}), new InetSocketAddress(A + "3", 9999));
                waitFor(() -> io.notRoce, notRoceBefore + 1, "a datagram to port 9999 counted as not RoCE");
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void rcBetweenADpdkPortAndTheKernelsUdpBothWays() {
        SoftQpTest.rcOperations("jsoftdpdk", "jsoftudp2");
        SoftQpTest.rcOperations("jsoftudp2", "jsoftdpdk");
        PortIo io = SoftProvider.engine("jsoftdpdk").port();
        assertTrue(io.portName().startsWith("dpdk"), io.portName());
        assertEquals(0, io.icrcErrors);
        assertTrue(io.roceReceived >= 20, "RoCE packets received " + io.roceReceived);
    }

    @Test
    void aPortThatCannotOpenOrCarryTheMtuFailsContextOpenSayingWhy() {
        SoftProvider.add(SoftDeviceConfig.onPort("jsoftnoif", A + "9", 24, "afpacket:jvnosuch0"));
        SoftProvider.add(new SoftDeviceConfig("jsoftbig", SoftDeviceConfig.of("x", A + "8").address(), 4096, 24, "afpacket:" + KERNEL));
        try {
            RuntimeException e = assertThrows(RuntimeException.class, () -> Context.open("jsoftnoif").close());
            assertTrue(e.getMessage().contains("jsoftnoif") && e.getMessage().contains("afpacket:jvnosuch0"), e.getMessage());
            e = assertThrows(RuntimeException.class, () -> Context.open("jsoftbig").close());
            assertTrue(e.getMessage().contains("MTU 4096 needs an interface MTU of 4160"), e.getMessage());
        } finally {
            SoftProvider.remove("jsoftnoif");
            SoftProvider.remove("jsoftbig");
        }
    }

    /** An RC SEND ONLY with AckReq to {@code qpn} at {@code psn}, the ICRC as the kernel will send it from {@code sport}. */
    private static MemorySegment sendOnly(int qpn, int psn, byte[] payload, int sport) {
        RocePacket p = new RocePacket();
        MemorySegment m = MemorySegment.ofArray(new byte[RocePacket.transportLength(Opcode.RC_SEND_ONLY, payload.length)]);
        p.layoutTransport(m, 0, Opcode.RC_SEND_ONLY, payload.length);
        p.bth().setDestinationQp(qpn).setPsn(psn).setAckRequest(true);
        MemorySegment.copy(MemorySegment.ofArray(payload), 0, m, p.payloadOffset(), payload.length);
        p.finishDatagram(ipv4(A + "2"), ipv4(A + "3"), sport);
        return m;
    }

    private static int ipv4(String a) {
        try {
            return ByteBuffer.wrap(InetAddress.getByName(a).getAddress()).getInt();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static void waitFor(LongSupplier counter, long value, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (counter.getAsLong() < value) {
            if (System.nanoTime() > deadline) fail(what + ": still " + counter.getAsLong() + " after 5 s, expected " + value);
            Thread.sleep(5);
        }
        assertEquals(value, counter.getAsLong(), what);
    }
}
