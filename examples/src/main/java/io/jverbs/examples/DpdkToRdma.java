package io.jverbs.examples;

import io.jverbs.core.NativeBuffer;
import io.jverbs.dpdk.Eal;
import io.jverbs.dpdk.EalOptions;
import io.jverbs.dpdk.EthPort;
import io.jverbs.dpdk.ExternalMemory;
import io.jverbs.dpdk.Mbuf;
import io.jverbs.dpdk.MbufArray;
import io.jverbs.dpdk.MbufPool;
import io.jverbs.dpdk.PortConfig;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.MemoryRegion;
import io.jverbs.verbs.PathSettings;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;
import io.jverbs.verbs.SendFlags;
import io.jverbs.verbs.SendRequests;
import io.jverbs.verbs.WorkCompletions;
import io.jverbs.verbs.WrOpcode;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Frames in through DPDK, their payload out by RDMA WRITE, from one buffer and without a copy.
 *
 * <p>One {@link NativeBuffer} is registered twice: as an ibverbs memory region and as DPDK
 * {@link ExternalMemory} holding an external-buffer {@link MbufPool}. DPDK receives UDP frames
 * through a {@code net_tap} port into mbufs whose data lie in that buffer; each frame's UDP
 * payload is the source of an RDMA WRITE (SGE address = the mbuf's data address + headers, lkey =
 * the MR's) to a peer QP, and the mbuf goes back to the pool only after the WRITE completed.
 * The frames come from the kernel: a UDP socket sends to an address behind the tap interface
 * (with a permanent neighbour entry, so no ARP). The peer is an RC QP on the same device in this
 * process; it checks that its memory holds the payloads the socket sent.
 *
 * <p>Closing the shared buffer releases both registrations first: the MR is deregistered, the
 * pool freed (and the port that refilled from it closed), the external memory unregistered, and
 * only then the memory unmapped.
 *
 * <p>Runs as root (tap interface, DPDK), e.g. in the Soft-RoCE VM:
 * {@code native-test/softroce-vm.sh -- examples/run.sh DpdkToRdma -d rxe0 -g 1 -n 8}.
 */
public final class DpdkToRdma {
    /** Addresses of the tap link: the kernel's side, and the one that leads into DPDK. */
    static final String KERNEL_IP = "10.199.0.1";
    static final String DPDK_IP = "10.199.0.2";
    static final int UDP_PORT = 7000;
    /** Bytes each payload may take in the peer's memory. */
    static final int SLOT = 2048;
    private static final int ETH_HEADER = 14;
    private static final int UDP_HEADER = 8;
    /** Room for the rx ring (RX_DESCRIPTORS) plus the bursts in flight. */
    private static final int POOL_MBUFS = 1023;
    private static final int RX_DESCRIPTORS = 256;
    private static final int DATA_ROOM = MbufPool.DEFAULT_DATA_ROOM;

    private static final String USAGE = """
            Usage: DpdkToRdma [-d DEV] [-i PORT] [-g GID] [-n FRAMES] [-s SIZE]
              Receives FRAMES UDP frames (payloads of up to SIZE bytes, default 1000) through a DPDK net_tap
              port into an mbuf pool in a NativeBuffer that is also an RDMA MR on DEV, and RDMA-WRITEs each
              payload from there to a peer QP, which checks the bytes. Runs as root.
            """;

    private DpdkToRdma() {}

    /** One frame's journey: where DPDK put it, what was written, where it landed. */
    public record Forwarded(int index, int frameLength, long mbufData, long bufferOffset, int payloadLength, int lkey, long peerAddress) {}

    /** The frames forwarded, and the peer's memory read back slot by slot. */
    public record Result(List<Forwarded> forwarded, List<byte[]> received, long framesIgnored) {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** The command line: returns the exit status (0: every payload reached the peer intact). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        PingPong.Options o = PingPong.parse(args, "d:i:g:n:s:", 1000, USAGE, out, err);
        if (o == null) {
            return 2;
        }
        if (o.serverName != null || o.size > SLOT) {
            err.println(o.serverName != null ? "DpdkToRdma takes no server name" : "-s is at most " + SLOT);
            out.print(USAGE);
            return 2;
        }
        int frames = o.iters == 1000 ? 8 : o.iters; // PingPong's default iteration count is not ours
        List<byte[]> payloads = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            byte[] text = ("frame " + i + " of " + frames + ": in by DPDK, out by RDMA WRITE, same memory; ").getBytes(StandardCharsets.US_ASCII);
            byte[] p = new byte[Math.max(1, o.size - (i % 4) * 100)];
            for (int j = 0; j < p.length; j++) p[j] = text[j % text.length];
            payloads.add(p);
        }
        String iface = "jvtap" + ProcessHandle.current().pid() % 100000;
        try {
            ensureTun(out);
        } catch (IOException ex) {
            err.println("DpdkToRdma: " + ex.getMessage());
            return 1;
        }
        EalOptions eal = EalOptions.builder().lcores("0").noHuge().memoryMb(128).noPci()
                .vdev("net_tap0,iface=" + iface).filePrefix("dpdk-to-rdma-" + ProcessHandle.current().pid()).logLevel(4).build();
        try (Eal e = Eal.init(eal); Context ctx = PingPong.open(o.ibDev)) {
            int gid = o.gidIndex >= 0 ? o.gidIndex : ctx.bestGid(o.ibPort).index();
            Result r = forward(e, "net_tap0", iface, ctx, o.ibPort, gid, payloads, out);
            int good = 0;
            for (int i = 0; i < payloads.size(); i++) {
                boolean same = java.util.Arrays.equals(payloads.get(i), r.received().get(i));
                if (same) good++;
                else err.println("payload " + i + " differs at the peer");
            }
            out.printf("peer: %d of %d payloads arrived intact (%d other frames ignored)%n", good, payloads.size(), r.framesIgnored());
            return good == payloads.size() ? 0 : 1;
        } catch (RuntimeException | IOException ex) {
            err.println("DpdkToRdma: " + ex);
            return 1;
        }
    }

    /**
     * Sends {@code payloads} as UDP datagrams from the kernel into the tap interface {@code iface}
     * of the DPDK port {@code portName}, receives them with DPDK into an external-buffer pool in a
     * buffer that is also an MR of {@code ctx}, and RDMA-WRITEs each payload from the mbuf to a
     * peer QP. Returns what happened and the peer's memory, payload by payload.
     */
    public static Result forward(Eal eal, String portName, String iface, Context ctx, int ibPort, int gidIndex, List<byte[]> payloads,
                                 PrintStream log) throws IOException {
        int n = payloads.size();
        long sharedBytes = roundUp((long) POOL_MBUFS * DATA_ROOM, NativeBuffer.pageSize());
        try (ProtectionDomain pd = ctx.allocateProtectionDomain();
             CompletionQueue cq = ctx.createCompletionQueue(16);
             QueuePair sender = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq));
             QueuePair peer = pd.createQueuePair(QueuePair.Config.of(QpType.RC, cq));
             NativeBuffer peerMemory = NativeBuffer.allocate((long) n * SLOT);
             MemoryRegion peerMr = pd.register(peerMemory, Access.LOCAL_WRITE | Access.REMOTE_WRITE)) {
            PathSettings path = new PathSettings().port(ibPort).gidIndex(gidIndex);
            Endpoint es = sender.endpoint(ibPort, gidIndex, 0x100), ep = peer.endpoint(ibPort, gidIndex, 0x200);
            sender.connect(es, ep, path);
            peer.connect(ep, es, path);

            // The spine: one buffer, two registrations, each a child of the buffer.
            NativeBuffer shared = NativeBuffer.allocate(sharedBytes);
            MemoryRegion mr = null;
            ExternalMemory ext = null;
            MbufPool pool = null;
            EthPort port = null;
            try {
                mr = pd.register(shared, Access.LOCAL_WRITE);
                ext = ExternalMemory.register(eal, shared);
                pool = MbufPool.createExternal(ext, "dpdk-to-rdma", POOL_MBUFS, DATA_ROOM);
                port = EthPort.byName(eal, portName);
                port.configure(PortConfig.simple(pool).withDescriptors(RX_DESCRIPTORS, RX_DESCRIPTORS));
                port.start();
                log.printf("shared buffer %s: MR lkey 0x%x on %s, DPDK external memory in %d-byte pages, pool '%s' of %d mbufs%n",
                        shared, mr.lkey(), ctx.device().name(), ext.pageSize(), pool.name(), pool.size());
                setUpTap(iface, port, log);
                List<Forwarded> done = new ArrayList<>();
                long ignored = receiveAndWrite(port, ext, mr, sender, cq, peerMemory, peerMr, payloads, done, log);
                List<byte[]> received = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    int len = i < done.size() ? done.get(i).payloadLength() : 0;
                    received.add(peerMemory.slice((long) i * SLOT, len).toArray(ValueLayout.JAVA_BYTE));
                }
                return new Result(done, received, ignored);
            } finally {
                shared.close();
                if (port != null) {
                    log.printf("closed the shared buffer: MR deregistered %b, pool freed %b, port closed %b, external memory unregistered %b%n",
                            mr.isClosed(), pool.isClosed(), port.isClosed(), ext.isClosed());
                }
            }
        }
    }

    /**
     * net_tap opens {@code /dev/net/tun}: loads the {@code tun} module when the device node is
     * missing (a minimal guest, such as the Soft-RoCE VM, does not load it at boot).
     */
    static void ensureTun(PrintStream log) throws IOException {
        if (Files.exists(TUN)) {
            return;
        }
        log.println("no " + TUN + ": modprobe tun");
        try {
            sh("modprobe", "tun");
        } catch (IOException e) {
            throw new IOException(e.getMessage() + "; net_tap needs " + TUN + " (the tun module) and root", e);
        }
    }

    private static final Path TUN = Path.of("/dev/net/tun");

    /** Brings the kernel's side of the tap up, addressed, with a permanent neighbour that leads into DPDK. */
    private static void setUpTap(String iface, EthPort port, PrintStream log) throws IOException {
        String mac = port.macAddress().toString();
        sh("sysctl", "-qw", "net.ipv6.conf." + iface + ".disable_ipv6=1"); // no router solicitations or MLD reports
        sh("ip", "link", "set", iface, "up");
        sh("ip", "addr", "replace", KERNEL_IP + "/24", "dev", iface);
        sh("ip", "neigh", "replace", DPDK_IP, "lladdr", mac, "dev", iface, "nud", "permanent");
        log.printf("kernel side: %s %s/24 up, neighbour %s at %s (the DPDK port %s)%n", iface, KERNEL_IP, DPDK_IP, mac, port.name());
    }

    private static long receiveAndWrite(EthPort port, ExternalMemory ext, MemoryRegion mr, QueuePair sender, CompletionQueue cq,
                                        NativeBuffer peerMemory, MemoryRegion peerMr, List<byte[]> payloads, List<Forwarded> done,
                                        PrintStream log) throws IOException {
        int n = payloads.size();
        long ignored = 0;
        SendRequests write = new SendRequests(1, 1);
        WorkCompletions wc = new WorkCompletions(4);
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(KERNEL_IP), 0));
             MbufArray rx = new MbufArray(ext.eal(), 32)) {
            InetSocketAddress to = new InetSocketAddress(InetAddress.getByName(DPDK_IP), UDP_PORT);
            for (byte[] p : payloads) {
                socket.send(new DatagramPacket(p, p.length, to));
            }
            log.printf("kernel: sent %d UDP datagrams %s -> %s:%d%n", n, KERNEL_IP, DPDK_IP, UDP_PORT);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (done.size() < n) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("DPDK received " + done.size() + " of " + n + " frames in 60 s (" + ignored
                            + " other frames): is " + port.name() + " up and its tap addressed?");
                }
                int got = port.rxBurst(0, rx);
                for (int i = 0; i < got; i++) {
                    Mbuf m = rx.get(i);
                    int payload = udpPayloadOffset(m);
                    if (payload < 0) {
                        ignored++;
                        continue;
                    }
                    int k = done.size();
                    int len = m.dataLength() - payload;
                    long source = m.dataAddress() + payload;
                    if (!ext.contains(source, len)) {
                        throw new IllegalStateException("frame " + k + " is not in the shared buffer: " + m.dataAddress());
                    }
                    long remote = peerMemory.address((long) k * SLOT);
                    // The WRITE reads the payload where DPDK put it: the SGE is the mbuf's memory, under the MR's lkey.
                    write.clear().add(k, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(source, len, mr.lkey()).rdma(remote, peerMr.rkey());
                    sender.postSend(write);
                    awaitOne(cq, wc, k);
                    Forwarded f = new Forwarded(k, m.dataLength(), m.dataAddress(), ext.offsetOf(m), len, mr.lkey(), remote);
                    done.add(f);
                    log.printf("frame %d: %d bytes at mbuf data 0x%x = shared buffer offset %d; RDMA WRITE of its %d-byte payload"
                            + " (sge 0x%x, lkey 0x%x) -> peer 0x%x: done%n", k, f.frameLength(), f.mbufData(), f.bufferOffset(),
                            len, source, f.lkey(), remote);
                    if (done.size() == n) {
                        break;
                    }
                }
                // Only now, with every WRITE from them complete, do the mbufs go back to the pool.
                rx.freeAll();
            }
        }
        return ignored;
    }

    /** The offset of the UDP payload in a one-segment IPv4 frame to {@link #DPDK_IP}:{@link #UDP_PORT}, or -1 for any other frame. */
    static int udpPayloadOffset(Mbuf m) {
        int len = m.dataLength();
        if (len < ETH_HEADER + 20 + UDP_HEADER || m.segmentCount() != 1) return -1;
        MemorySegment f = m.data();
        if (Short.toUnsignedInt(f.get(BE_SHORT, 12)) != 0x0800) return -1;
        int ihl = (f.get(ValueLayout.JAVA_BYTE, ETH_HEADER) & 0x0f) * 4;
        if (f.get(ValueLayout.JAVA_BYTE, ETH_HEADER + 9) != 17 || ETH_HEADER + ihl + UDP_HEADER > len) return -1;
        if (Short.toUnsignedInt(f.get(BE_SHORT, ETH_HEADER + ihl + 2)) != UDP_PORT) return -1;
        int udpLength = Short.toUnsignedInt(f.get(BE_SHORT, ETH_HEADER + ihl + 4));
        if (ETH_HEADER + ihl + udpLength > len) return -1;
        m.length(ETH_HEADER + ihl + udpLength); // drop Ethernet padding after a short datagram
        return ETH_HEADER + ihl + UDP_HEADER;
    }

    private static final ValueLayout.OfShort BE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    private static void awaitOne(CompletionQueue cq, WorkCompletions wc, long wrId) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            int c = cq.poll(wc);
            if (c > 0) {
                if (!wc.isSuccess(0) || wc.wrId(0) != wrId) throw new IllegalStateException("RDMA WRITE " + wrId + ": " + wc.describe(0));
                return;
            }
            if (System.nanoTime() > deadline) throw new IllegalStateException("RDMA WRITE " + wrId + " did not complete in 30 s");
            Thread.onSpinWait();
        }
    }

    private static void sh(String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        try {
            if (p.waitFor() != 0) throw new IOException(String.join(" ", cmd) + " failed: " + out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", cmd), e);
        }
    }

    private static long roundUp(long v, long m) {
        return (v + m - 1) / m * m;
    }
}
