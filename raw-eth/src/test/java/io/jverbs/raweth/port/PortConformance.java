package io.jverbs.raweth.port;

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
import io.jverbs.raweth.wire.WireStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The contract of {@link PacketPort}, run against any port: a subclass says how to open a
 * {@link Link} (two connected ports, one port looped back to itself, or one port facing the Linux
 * kernel) and inherits every test.
 *
 * <ul>
 *   <li>{@link Link#pair}: what {@code a} transmits {@code b} receives and the other way round
 *       (an in-memory pair, AF_PACKET on both ends of a veth, two DPDK vdevs on one ring).</li>
 *   <li>{@link Link#loopback}: one port receives what it transmits (DPDK net_ring on one ring pair).</li>
 *   <li>{@link Link#kernel}: one port whose far side is a Linux interface with an IPv4 address (TAP,
 *       AF_PACKET on a veth whose peer the kernel owns). The kernel is the echo: the suite sends
 *       ARP requests and ICMP echo requests and checks the kernel's replies byte for byte; it
 *       answers the kernel's ARP requests for its own address.</li>
 * </ul>
 *
 * <p>In pair and loopback mode the suite's frames carry the IEEE local experimental EtherType
 * 0x88B5 and a per-test nonce, so frames the kernel sends on its own (IPv6 neighbour discovery on
 * a veth) are received, counted and otherwise ignored. Every wait is bounded by
 * {@link #timeout()}.
 *
 * <p>A subclass:
 * {@snippet :
 * class MemoryPairConformanceTest extends PortConformance {
 *     protected Link openLink() {
 *         MemoryPair pair = MemoryPair.builder().build();
 *         return Link.pair(pair.a(), pair.b(), pair.config().queueDepth());
 *     }
 * }
 * }
 * Each test opens a fresh link and closes it after (the link closes its ports and then runs its
 * teardown); costly setup (namespaces, an EAL) belongs in the subclass's {@code @BeforeAll}.
 */
@Timeout(120)
public abstract class PortConformance {
    /** The IEEE 802 local experimental EtherType the suite's own frames carry. */
    public static final int EXPERIMENTAL_ETHER_TYPE = 0x88b5;
    private static final int VLAN_TPID = 0x8100;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /**
     * Addresses of a kernel peer.
     *
     * @param localIp the IPv4 address the Java side uses (in the kernel interface's subnet, not its own)
     * @param kernelIp the kernel interface's IPv4 address
     * @param kernelMac the kernel interface's MAC address
     */
    public record KernelPeer(Ipv4Address localIp, Ipv4Address kernelIp, MacAddress kernelMac) {
    }

    /**
     * What the port under test talks to.
     *
     * @param a the port under test
     * @param b the port that receives what {@code a} transmits and transmits what {@code a} receives
     *        ({@code a} itself for a loopback), or null when the peer is the kernel
     * @param kernel the kernel peer's addresses, or null for a pair or loopback
     * @param buffers how many frame buffers the port under test has (the release test cycles ten
     *        times as many frames through it)
     * @param teardown run after both ports are closed, or null
     */
    public record Link(PacketPort a, PacketPort b, KernelPeer kernel, int buffers, AutoCloseable teardown)
            implements AutoCloseable {
        public Link {
            if (a == null || (b == null) == (kernel == null)) {
                throw new IllegalArgumentException("a link is a port and either a peer port or a kernel peer");
            }
            if (buffers <= 0) {
                throw new IllegalArgumentException("buffers " + buffers + " must be positive");
            }
        }

        /** Two connected ports. */
        public static Link pair(PacketPort a, PacketPort b, int buffers) {
            return new Link(a, b, null, buffers, null);
        }

        /** One port that receives what it transmits. */
        public static Link loopback(PacketPort port, int buffers) {
            return new Link(port, port, null, buffers, null);
        }

        /** One port facing a Linux interface that answers ARP and ICMP echo. */
        public static Link kernel(PacketPort port, KernelPeer peer, int buffers) {
            return new Link(port, null, peer, buffers, null);
        }

        /** This link with {@code action} run when it closes, after its ports. */
        public Link onClose(AutoCloseable action) {
            return new Link(a, b, kernel, buffers, action);
        }

        /** Whether the far side is the kernel. */
        public boolean kernelPeer() {
            return kernel != null;
        }

        @Override
        public void close() throws Exception {
            try {
                a.close();
                if (b != null) {
                    b.close();
                }
            } finally {
                if (teardown != null) {
                    teardown.close();
                }
            }
        }
    }

    /** Opens a fresh link for one test. */
    protected abstract Link openLink() throws Exception;

    /** The bound on every wait for frames; 5 s unless a slow port asks for more. */
    protected Duration timeout() {
        return Duration.ofSeconds(5);
    }

    private Link link;
    private long timeoutNanos;
    private PacketPort a;
    private PacketPort b;
    private int nonce;
    private int echoId;
    private final Tally tallyA = new Tally();
    private final Tally tallyB = new Tally();
    /** Frames received that were not the suite's (kernel chatter). */
    private long noise;

    // Views and bursts the receive loops reuse, so the warm loop allocates nothing.
    private final EthernetFrame eth = new EthernetFrame();
    private final ArpPacket arp = new ArpPacket();
    private final Ipv4Packet ip = new Ipv4Packet();
    private final Icmpv4Packet icmp = new Icmpv4Packet();
    private final FrameBurst arpTx = new FrameBurst(1);
    private FrameBurst quietA;
    private FrameBurst quietB;

    private static final class Tally {
        long txFrames;
        long txBytes;
        long rxFrames;
        long rxBytes;
    }

    @BeforeEach
    final void openTheLink() throws Exception {
        timeoutNanos = timeout().toNanos();
        link = openLink();
        assertNotNull(link, "openLink() returned null");
        a = link.a();
        b = link.kernelPeer() ? link.a() : link.b();
        nonce = ThreadLocalRandom.current().nextInt() | 1;
        echoId = nonce >>> 16;
        quietA = new FrameBurst(a.capabilities().maxBurst());
        quietB = new FrameBurst(b.capabilities().maxBurst());
    }

    @AfterEach
    final void closeTheLink() throws Exception {
        if (link != null) {
            link.close();
        }
    }

    /** The link of the running test. */
    protected final Link link() {
        return link;
    }

    private Tally tally(PacketPort port) {
        return port == a ? tallyA : tallyB;
    }

    private long deadline() {
        return System.nanoTime() + timeoutNanos; // a field: Duration.toNanos per call would allocate unless inlined
    }

    // ---------------------------------------------------------------- tests

    @Test
    void capabilitiesAreSane() {
        for (PacketPort port : ports()) {
            String name = port.name();
            assertNotNull(name);
            assertFalse(name.isBlank(), "name is blank");
            PortCapabilities c = port.capabilities();
            assertNotNull(c.mac(), name + ": mac");
            assertFalse(c.mac().isMulticast(), name + ": a port's MAC is unicast: " + c.mac());
            assertTrue(c.mac().value() != 0, name + ": MAC is zero");
            assertTrue(c.mtu() >= 68, name + ": mtu " + c.mtu() + " below IPv4's minimum 68");
            assertTrue(c.maxFrameLength() >= c.mtu() + EthernetFrame.HEADER_LENGTH,
                    name + ": maxFrameLength " + c.maxFrameLength() + " cannot hold an mtu " + c.mtu() + " packet");
            assertTrue(c.maxFrameLength() <= c.mtu() + 22,
                    name + ": maxFrameLength " + c.maxFrameLength() + " beyond mtu + two VLAN tags");
            if (c.tso()) {
                assertTrue(c.tsoMaxFrame() > c.maxFrameLength() && c.tsoMaxFrame() <= PortCapabilities.TSO_FRAME_LIMIT,
                        name + ": tsoMaxFrame " + c.tsoMaxFrame() + " outside (maxFrameLength, 18 + 65535]");
                FrameBurst big = new FrameBurst(c.maxBurst());
                int k = port.allocate(big, 1, c.tsoMaxFrame());
                assertEquals(1, k, name + ": allocate of one TSO buffer");
                assertTrue(big.capacity(0) >= c.tsoMaxFrame(), name + ": TSO buffer of " + big.capacity(0) + " bytes");
                port.release(big);
            } else {
                FrameBurst big = new FrameBurst(1);
                assertThrows(IllegalArgumentException.class, () -> port.allocate(big, 1, c.maxFrameLength() + 1),
                        name + ": a buffer beyond maxFrameLength without TSO");
            }
            assertTrue(c.maxBurst() >= 1, name + ": maxBurst " + c.maxBurst());
            PortStats s = port.stats();
            assertTrue(s.rxFrames() >= 0 && s.rxBytes() >= 0 && s.txFrames() >= 0 && s.txBytes() >= 0
                    && s.rxDropped() >= 0 && s.rxErrors() >= 0 && s.txErrors() >= 0, name + ": negative counter " + s);
            // Transmit buffers: empty, maxFrameLength long, inside the burst's memory.
            FrameBurst tx = new FrameBurst(c.maxBurst());
            int n = port.allocate(tx, c.maxBurst());
            assertTrue(n >= 1 && n <= c.maxBurst(), name + ": allocate(" + c.maxBurst() + ") gave " + n);
            assertEquals(n, tx.count());
            for (int i = 0; i < n; i++) {
                assertEquals(0, tx.length(i), name + ": allocated buffer " + i + " not empty");
                assertTrue(tx.capacity(i) >= c.maxFrameLength(),
                        name + ": buffer " + i + " holds " + tx.capacity(i) + " < maxFrameLength " + c.maxFrameLength());
                assertTrue(tx.offset(i) >= 0 && tx.offset(i) + tx.capacity(i) <= tx.memory().byteSize(),
                        name + ": buffer " + i + " outside the burst's memory");
                tx.memory().set(ValueLayout.JAVA_BYTE, tx.offset(i) + tx.capacity(i) - 1, (byte) 1); // writable
            }
            assertThrows(IllegalArgumentException.class, () -> tx.length(0, tx.capacity(0) + 1));
            port.release(tx);
            assertEquals(0, tx.count(), name + ": release leaves the burst empty");
        }
    }

    @Test
    void framesOfEverySizeRoundTripByteForByte() {
        PortCapabilities c = a.capabilities();
        if (link.kernelPeer()) {
            resolveKernel();
            // ICMP echo is at most mtu + 14 on the wire.
            List<byte[]> pings = new ArrayList<>();
            int seq = 0;
            for (int size : sizes(c.mtu() + EthernetFrame.HEADER_LENGTH)) {
                pings.add(echoRequest(size, seq++));
            }
            List<byte[]> replies = exchange(a, a, pings);
            for (int i = 0; i < pings.size(); i++) {
                verifyEchoReply(pings.get(i), replies.get(i));
            }
            return;
        }
        // Longer than mtu + 14 only with a VLAN tag, as on a wire.
        int max = Math.min(Math.min(c.maxFrameLength(), b.capabilities().maxFrameLength()), c.mtu() + 18);
        for (PacketPort[] dir : directions()) {
            List<byte[]> frames = new ArrayList<>();
            int seq = 0;
            for (int size : sizes(max)) {
                frames.add(marked(dir[0], dir[1], size, seq++));
            }
            List<byte[]> got = exchange(dir[0], dir[1], frames);
            for (int i = 0; i < frames.size(); i++) {
                assertArrayEquals(frames.get(i), got.get(i), dir[0].name() + " -> " + dir[1].name() + ": frame " + i
                        + " of " + frames.get(i).length + " bytes changed on the way");
            }
        }
    }

    @Test
    void burstsArriveWholeAndInOrder() {
        int rounds = 4;
        if (link.kernelPeer()) {
            resolveKernel();
            List<byte[]> pings = new ArrayList<>();
            for (int i = 0; i < rounds * a.capabilities().maxBurst(); i++) {
                pings.add(echoRequest(64 + i % 200, i));
            }
            List<byte[]> replies = exchange(a, a, pings);
            for (int i = 0; i < pings.size(); i++) {
                verifyEchoReply(pings.get(i), replies.get(i));
            }
            return;
        }
        for (PacketPort[] dir : directions()) {
            int burst = Math.min(dir[0].capabilities().maxBurst(), dir[1].capabilities().maxBurst());
            List<byte[]> frames = new ArrayList<>();
            for (int i = 0; i < rounds * burst; i++) {
                frames.add(marked(dir[0], dir[1], 60 + (i * 37) % 1000, i));
            }
            List<byte[]> got = exchange(dir[0], dir[1], frames);
            for (int i = 0; i < frames.size(); i++) {
                assertArrayEquals(frames.get(i), got.get(i), dir[0].name() + " -> " + dir[1].name() + ": frame " + i);
            }
        }
    }

    @Test
    void transmitOfAPrefixLeavesTheRestAtTheFront() {
        if (link.kernelPeer()) {
            resolveKernel();
        }
        PacketPort receiver = link.kernelPeer() ? a : b;
        FrameBurst tx = new FrameBurst(4);
        int n = a.allocate(tx, 4);
        assertTrue(n >= 2, a.name() + ": allocate(4) gave " + n + " buffers; the test needs 2");
        List<byte[]> frames = new ArrayList<>();
        long[] offsets = new long[n];
        long[] handles = new long[n];
        for (int i = 0; i < n; i++) {
            byte[] f = link.kernelPeer() ? echoRequest(100 + i, i) : marked(a, b, 100 + i, i);
            frames.add(f);
            write(tx, i, f);
            tx.flags(i, 0);
            offsets[i] = tx.offset(i);
            handles[i] = tx.handle(i);
        }
        assertEquals(0, a.transmit(tx, 0), "transmit of 0 frames");
        assertEquals(n, tx.count(), "transmit of 0 frames keeps the burst");
        // Transmit only the first frame: whatever it took, the rest is at the front in order.
        int taken = a.transmit(tx, 1);
        assertTrue(taken == 0 || taken == 1, "transmit(burst, 1) took " + taken);
        tally(a).txFrames += taken;
        tally(a).txBytes += taken == 1 ? frames.get(0).length : 0;
        assertEquals(n - taken, tx.count(), "frames not taken stay in the burst");
        for (int i = 0; i < tx.count(); i++) {
            assertEquals(offsets[i + taken], tx.offset(i), "entry " + i + " after a transmit of " + taken);
            assertEquals(handles[i + taken], tx.handle(i), "entry " + i + " after a transmit of " + taken);
            assertEquals(frames.get(i + taken).length, tx.length(i), "entry " + i + " length");
        }
        List<byte[]> rest = frames.subList(taken, n);
        transmitAll(a, tx, receiver, rest.size(), new ArrayList<>());
        List<byte[]> got = collect(receiver, n, deadline(), new ArrayList<>());
        for (int i = 0; i < n; i++) {
            if (link.kernelPeer()) {
                verifyEchoReply(frames.get(i), got.get(i));
            } else {
                assertArrayEquals(frames.get(i), got.get(i), "frame " + i);
            }
        }

        // Flood without draining the receiver: wherever the port stops taking frames, the burst
        // holds exactly the ones it did not take, at the front, in order.
        int limit = 10 * link.buffers();
        int sent = 0;
        int partials = 0;
        int burst = a.capabilities().maxBurst();
        FrameBurst flood = new FrameBurst(burst);
        byte[] frame = link.kernelPeer() ? echoRequest(60, 0) : marked(a, b, 60, 0);
        long[] floodHandles = new long[burst];
        while (sent < limit && partials < 3) {
            int m = a.allocate(flood, burst);
            if (m == 0) {
                break; // transmit memory busy: the port is full, which is what we wanted
            }
            for (int i = 0; i < m; i++) {
                write(flood, i, frame);
                floodHandles[i] = flood.handle(i);
            }
            int k = a.transmit(flood, m);
            assertTrue(k >= 0 && k <= m, "transmit took " + k + " of " + m);
            assertEquals(m - k, flood.count(), "burst count after taking " + k + " of " + m);
            for (int i = 0; i < flood.count(); i++) {
                assertEquals(floodHandles[k + i], flood.handle(i), "leftover " + i + " after taking " + k + " of " + m);
                assertEquals(frame.length, flood.length(i), "leftover " + i + " length");
            }
            tally(a).txFrames += k;
            tally(a).txBytes += (long) k * frame.length;
            sent += k;
            if (k < m) {
                partials++;
                a.release(flood);
                assertEquals(0, flood.count());
            }
        }
        // The port still works: drain, then one more frame goes through.
        drain(receiver, Duration.ofMillis(200));
        byte[] last = link.kernelPeer() ? echoRequest(99, 7) : marked(a, b, 99, 1_000_001);
        List<byte[]> after = exchange(a, receiver, List.of(last));
        if (!link.kernelPeer()) {
            assertArrayEquals(last, after.getFirst(), "a frame after the flood");
        }
    }

    @Test
    void releaseGivesMemoryBack() {
        if (link.kernelPeer()) {
            resolveKernel();
        }
        int cycles = 10 * link.buffers();
        // Transmit buffers: allocate and release, never transmit.
        for (PacketPort port : ports()) {
            int burst = port.capabilities().maxBurst();
            FrameBurst tx = new FrameBurst(burst);
            int first = allocatable(port);
            for (int done = 0; done < cycles; ) {
                int n = port.allocate(tx, burst);
                assertTrue(n > 0, port.name() + ": allocate gave nothing after " + done
                        + " buffers allocated and released: release does not return them");
                done += n;
                port.release(tx);
            }
            // As many as at first (a port whose transmit memory comes back asynchronously gets time).
            long end = deadline();
            int last;
            while ((last = allocatable(port)) < first && System.nanoTime() - end < 0) {
                Thread.onSpinWait();
            }
            assertEquals(first, last, port.name() + ": " + first + " transmit buffers at first, " + last + " after "
                    + cycles + " were allocated and released");
        }
        // Receive buffers: every frame received and released, ten times the buffer count.
        PacketPort receiver = link.kernelPeer() ? a : b;
        int burst = Math.min(a.capabilities().maxBurst(), receiver.capabilities().maxBurst());
        FrameBurst tx = new FrameBurst(burst);
        byte[] frame = link.kernelPeer() ? echoRequest(60, 1) : marked(a, b, 60, 1);
        long end = deadline() + timeoutNanos * 4;
        int received = 0;
        while (received < cycles) {
            int n = a.allocate(tx, burst);
            assertTrue(n > 0, a.name() + ": allocate gave nothing after " + received + " frames cycled");
            for (int i = 0; i < n; i++) {
                write(tx, i, frame);
            }
            int seen = transmitAll(a, tx, receiver, n, null);
            received += seen + countOurs(receiver, n - seen, end);
        }
    }

    @Test
    void statsCountFramesAndBytesExactly() {
        if (link.kernelPeer()) {
            resolveKernel();
        }
        PortStats a0 = a.stats();
        PortStats b0 = b.stats();
        long[] t0 = {tallyA.txFrames, tallyA.txBytes, tallyA.rxFrames, tallyA.rxBytes,
                     tallyB.txFrames, tallyB.txBytes, tallyB.rxFrames, tallyB.rxBytes};
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            frames.add(link.kernelPeer() ? echoRequest(60 + i * 13, i) : marked(a, b, 60 + i * 13, i));
        }
        exchange(a, b, frames);
        if (!link.kernelPeer() && a != b) {
            List<byte[]> back = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                back.add(marked(b, a, 200 + i, i));
            }
            exchange(b, a, back);
        }
        drain(a, Duration.ZERO);
        if (b != a) {
            drain(b, Duration.ZERO);
        }
        PortStats a1 = a.stats();
        PortStats b1 = b.stats();
        if (a == b) {
            assertEquals(tallyA.txFrames - t0[0], a1.txFrames() - a0.txFrames(), a.name() + ": txFrames " + a1);
            assertEquals(tallyA.txBytes - t0[1], a1.txBytes() - a0.txBytes(), a.name() + ": txBytes " + a1);
            assertEquals(tallyA.rxFrames - t0[2], a1.rxFrames() - a0.rxFrames(), a.name() + ": rxFrames " + a1);
            assertEquals(tallyA.rxBytes - t0[3], a1.rxBytes() - a0.rxBytes(), a.name() + ": rxBytes " + a1);
        } else {
            assertEquals(tallyA.txFrames - t0[0], a1.txFrames() - a0.txFrames(), a.name() + ": txFrames " + a1);
            assertEquals(tallyA.txBytes - t0[1], a1.txBytes() - a0.txBytes(), a.name() + ": txBytes " + a1);
            assertEquals(tallyA.rxFrames - t0[2], a1.rxFrames() - a0.rxFrames(), a.name() + ": rxFrames " + a1);
            assertEquals(tallyA.rxBytes - t0[3], a1.rxBytes() - a0.rxBytes(), a.name() + ": rxBytes " + a1);
            assertEquals(tallyB.txFrames - t0[4], b1.txFrames() - b0.txFrames(), b.name() + ": txFrames " + b1);
            assertEquals(tallyB.txBytes - t0[5], b1.txBytes() - b0.txBytes(), b.name() + ": txBytes " + b1);
            assertEquals(tallyB.rxFrames - t0[6], b1.rxFrames() - b0.rxFrames(), b.name() + ": rxFrames " + b1);
            assertEquals(tallyB.rxBytes - t0[7], b1.rxBytes() - b0.rxBytes(), b.name() + ": rxBytes " + b1);
        }
        assertTrue(tallyA.txFrames - t0[0] >= 50, "the suite counted its own transmits");
    }

    @Test
    void awaitReceiveReturnsWithinItsTimeoutWhenIdle() {
        drain(a, Duration.ofMillis(50));
        for (long timeout : new long[] {0, 1_000_000, 50_000_000}) {
            long t0 = System.nanoTime();
            boolean ready = a.awaitReceive(timeout);
            long took = System.nanoTime() - t0;
            // Generous: the bound is that it returns, not how fast (a true result is kernel chatter).
            assertTrue(took < timeout + Duration.ofSeconds(2).toNanos(),
                    a.name() + ": awaitReceive(" + timeout + " ns) took " + took + " ns (ready " + ready + ")");
            if (ready) {
                drain(a, Duration.ZERO);
            }
        }
        FrameBurst rx = new FrameBurst(a.capabilities().maxBurst());
        if (!link.kernelPeer()) {
            int n = a.receive(rx);
            // A pair's ports see nothing but the suite's frames, unless the kernel chatters on a veth.
            for (int i = 0; i < n; i++) {
                assertFalse(classify(rx.memory(), rx.offset(i), rx.length(i)) == OURS,
                        a.name() + ": a frame of the suite's arrived with nothing sent");
            }
            a.release(rx);
        }
    }

    @Test
    void awaitReceiveIsTrueWhenAFrameIsWaiting() {
        if (link.kernelPeer()) {
            resolveKernel();
        }
        drain(a, Duration.ofMillis(20));
        byte[] frame = link.kernelPeer() ? echoRequest(80, 3) : marked(b, a, 80, 3);
        FrameBurst tx = new FrameBurst(1);
        assertEquals(1, b.allocate(tx, 1));
        write(tx, 0, frame);
        transmitAll(b, tx, a, 1, null);
        assertTrue(a.awaitReceive(timeout().toNanos()),
                a.name() + ": awaitReceive was false though a frame was sent to it " + timeout() + " ago");
        // Still not received: still waiting.
        assertTrue(a.awaitReceive(timeout().toNanos()), a.name() + ": a second awaitReceive with the frame unread");
        List<byte[]> got = collect(a, 1, deadline(), new ArrayList<>());
        if (link.kernelPeer()) {
            verifyEchoReply(frame, got.getFirst());
        } else {
            assertArrayEquals(frame, got.getFirst());
        }
    }

    @Test
    void useAfterCloseThrowsIllegalStateException() {
        FrameBurst burst = new FrameBurst(4);
        assertTrue(a.allocate(burst, 1) >= 1);
        a.release(burst);
        a.close();
        a.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> a.receive(burst), "receive after close");
        assertThrows(IllegalStateException.class, () -> a.allocate(burst, 1), "allocate after close");
        assertThrows(IllegalStateException.class, () -> a.transmit(burst, 0), "transmit after close");
        assertThrows(IllegalStateException.class, () -> a.release(burst), "release after close");
        assertThrows(IllegalStateException.class, () -> a.awaitReceive(0), "awaitReceive after close");
        assertThrows(IllegalStateException.class, a::stats, "stats after close");
        if (b != a) {
            // The peer outlives it and still works (it may see nothing more).
            FrameBurst other = new FrameBurst(1);
            assertTrue(b.allocate(other, 1) >= 0);
            b.release(other);
            b.receive(other);
            b.release(other);
        }
    }

    @Test
    void warmBurstsAllocateNothing() {
        if (link.kernelPeer()) {
            resolveKernel();
        }
        PacketPort receiver = link.kernelPeer() ? a : b;
        int burst = Math.min(8, Math.min(a.capabilities().maxBurst(), receiver.capabilities().maxBurst()));
        FrameBurst tx = new FrameBurst(burst);
        try (Arena arena = Arena.ofConfined()) {
            byte[] bytes = link.kernelPeer() ? echoRequest(128, 9) : marked(a, b, 128, 9);
            MemorySegment template = arena.allocate(bytes.length);
            MemorySegment.copy(bytes, 0, template, ValueLayout.JAVA_BYTE, 0, bytes.length);
            long end = deadline() + timeoutNanos * 6 + AllocatedBytes.MAX_NANOS; // past every window
            for (int i = 0; i < 5_000; i++) { // warm: C2 compiles the ports' paths and this loop
                round(receiver, tx, burst, template, end);
            }
            AllocatedBytes.assertWarmWindowAllocatesNothing(a.name() + " -> " + receiver.name() + ", 500 bursts of " + burst
                    + " (allocate, transmit, receive, release)", () -> {
                        for (int i = 0; i < 500; i++) {
                            round(receiver, tx, burst, template, end);
                        }
                    });
        }
    }

    /** One allocation-free burst: allocate, fill from the template, transmit all, receive as many. */
    private void round(PacketPort receiver, FrameBurst tx, int burst, MemorySegment template, long end) {
        int n = a.allocate(tx, burst);
        if (n == 0) {
            fail(a.name() + ": allocate gave nothing in the warm loop");
        }
        int len = (int) template.byteSize();
        for (int i = 0; i < n; i++) {
            MemorySegment.copy(template, 0, tx.memory(), tx.offset(i), len);
            tx.length(i, len);
            tx.flags(i, 0);
        }
        int seen = transmitAll(a, tx, receiver, n, null);
        countOurs(receiver, n - seen, end);
    }

    // ---------------------------------------------------------------- helpers

    private List<PacketPort> ports() {
        return a == b ? List.of(a) : List.of(a, b);
    }

    private List<PacketPort[]> directions() {
        return a == b ? List.<PacketPort[]>of(new PacketPort[] {a, a})
                : List.of(new PacketPort[] {a, b}, new PacketPort[] {b, a});
    }

    /** 60 up to max: the edges (minimum, powers of two and one less, the maximum) and a spread between. */
    private static int[] sizes(int max) {
        TreeSet<Integer> s = new TreeSet<>();
        for (int v : new int[] {60, 61, 63, 64, 65, 100, 127, 128, 129, 255, 256, 511, 512, 513, 1000, 1023, 1024,
                1025, 1400, 1499, 1500, 1513, 1514, 1515, 1517, 1518, 2048, 4096, 8192, 9000, 9014, 9018}) {
            if (v <= max) {
                s.add(v);
            }
        }
        for (int v = 60; v <= max; v += 97) {
            s.add(v);
        }
        s.add(max);
        s.add(max - 1);
        return s.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * A frame of the suite's: to {@code to}'s MAC from {@code from}'s, EtherType 0x88B5 (after an
     * 802.1Q tag when longer than mtu + 14), then nonce, sequence, length and a pattern.
     */
    private byte[] marked(PacketPort from, PacketPort to, int size, int seq) {
        byte[] f = new byte[size];
        MemorySegment s = MemorySegment.ofArray(f);
        int mtu = Math.min(from.capabilities().mtu(), to.capabilities().mtu());
        new EthernetRepr(to.capabilities().mac().value(), from.capabilities().mac().value(),
                size > mtu + EthernetFrame.HEADER_LENGTH ? VLAN_TPID : EXPERIMENTAL_ETHER_TYPE)
                .emit(new EthernetFrame().wrapUnchecked(s, 0, size));
        int at = EthernetFrame.HEADER_LENGTH;
        if (size > mtu + EthernetFrame.HEADER_LENGTH) {
            s.set(U16, at, (short) 100); // PCP 0, VID 100
            s.set(U16, at + 2, (short) EXPERIMENTAL_ETHER_TYPE);
            at += 4;
        }
        s.set(U32, at, nonce);
        s.set(U32, at + 4, seq);
        s.set(U16, at + 8, (short) size);
        for (int i = at + 10; i < size; i++) {
            f[i] = (byte) (seq * 31 + i);
        }
        return f;
    }

    /** An ICMP echo request of {@code size} frame bytes to the kernel, from the suite's address. */
    private byte[] echoRequest(int size, int seq) {
        KernelPeer k = link.kernel();
        byte[] f = new byte[size];
        MemorySegment s = MemorySegment.ofArray(f);
        new EthernetRepr(k.kernelMac().value(), a.capabilities().mac().value(), EtherType.IPV4)
                .emit(new EthernetFrame().wrapUnchecked(s, 0, size));
        int ipLength = size - EthernetFrame.HEADER_LENGTH;
        Ipv4Repr ipr = new Ipv4Repr(k.localIp().value(), k.kernelIp().value(), IpProtocol.ICMP,
                ipLength - Ipv4Packet.MIN_HEADER_LENGTH, 64);
        ipr.emit(new Ipv4Packet().wrapUnchecked(s, EthernetFrame.HEADER_LENGTH, ipLength));
        int icmpAt = EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH;
        for (int i = icmpAt + Icmpv4Packet.HEADER_LENGTH; i < size; i++) {
            f[i] = (byte) (seq * 31 + i);
        }
        int icmpLength = size - icmpAt;
        new Icmpv4Repr.EchoRequest(echoId, seq & 0xffff, icmpLength - Icmpv4Packet.HEADER_LENGTH)
                .emit(new Icmpv4Packet().wrapUnchecked(s, icmpAt, icmpLength));
        return f;
    }

    /** The kernel's reply has the request's identifier, sequence and data, from the kernel to us. */
    private void verifyEchoReply(byte[] request, byte[] reply) {
        KernelPeer k = link.kernel();
        String hex = HexFormat.of().formatHex(reply);
        assertEquals(request.length, reply.length, "echo reply length: " + hex);
        MemorySegment s = MemorySegment.ofArray(reply);
        EthernetFrame e = new EthernetFrame().wrapOrThrow(s, 0, reply.length);
        assertEquals(a.capabilities().mac().value(), e.destination(), "reply's destination MAC");
        assertEquals(k.kernelMac().value(), e.source(), "reply's source MAC");
        assertEquals(EtherType.IPV4, e.etherType());
        Ipv4Packet p = new Ipv4Packet().wrapOrThrow(s, e.payloadOffset(), e.payloadLength());
        assertTrue(p.checksumValid(), "reply's IPv4 checksum: " + hex);
        assertEquals(k.kernelIp().value(), p.source());
        assertEquals(k.localIp().value(), p.destination());
        assertEquals(IpProtocol.ICMP, p.protocol());
        Icmpv4Packet m = new Icmpv4Packet().wrapOrThrow(s, p.payloadOffset(), p.payloadLength());
        assertTrue(m.checksumValid(), "reply's ICMP checksum: " + hex);
        Icmpv4Packet q = new Icmpv4Packet().wrapOrThrow(MemorySegment.ofArray(request),
                EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH,
                request.length - EthernetFrame.HEADER_LENGTH - Ipv4Packet.MIN_HEADER_LENGTH);
        assertEquals(new Icmpv4Repr.EchoRequest(q.identifier(), q.sequence(), q.payloadLength()).reply(),
                Icmpv4Repr.parse(m));
        int dataAt = (int) m.payloadOffset();
        int requestDataAt = (int) q.payloadOffset();
        assertArrayEquals(Arrays.copyOfRange(request, requestDataAt, request.length),
                Arrays.copyOfRange(reply, dataAt, reply.length), "echoed data");
    }

    /** ARP for the kernel's address: the kernel answers with its MAC (and learns ours). */
    private void resolveKernel() {
        KernelPeer k = link.kernel();
        byte[] f = new byte[EthernetFrame.MIN_FRAME_LENGTH];
        MemorySegment s = MemorySegment.ofArray(f);
        long mac = a.capabilities().mac().value();
        new EthernetRepr(MacAddress.BROADCAST.value(), mac, EtherType.ARP)
                .emit(new EthernetFrame().wrapUnchecked(s, 0, f.length));
        new ArpRepr(ArpPacket.REQUEST, mac, k.localIp().value(), 0, k.kernelIp().value())
                .emit(new ArpPacket().wrapUnchecked(s, EthernetFrame.HEADER_LENGTH, ArpPacket.HEADER_LENGTH));
        FrameBurst tx = new FrameBurst(1);
        FrameBurst rx = new FrameBurst(a.capabilities().maxBurst());
        long end = deadline();
        long nextRequest = 0;
        while (true) {
            long now = System.nanoTime();
            if (now - end > 0) {
                fail(a.name() + ": the kernel at " + k.kernelIp() + " did not answer ARP from " + k.localIp()
                        + " within " + timeout());
            }
            if (now - nextRequest > 0) { // ask again every 200 ms: the first may race the link coming up
                assertEquals(1, a.allocate(tx, 1), a.name() + ": no transmit buffer");
                write(tx, 0, f);
                transmitAll(a, tx, a, 1, null);
                nextRequest = now + 200_000_000L;
            }
            int n = a.receive(rx);
            count(a, rx, n);
            for (int i = 0; i < n; i++) {
                if (eth.wrap(rx.memory(), rx.offset(i), rx.length(i)) == WireStatus.OK && eth.etherType() == EtherType.ARP
                        && arp.wrap(rx.memory(), eth.payloadOffset(), eth.payloadLength()) == WireStatus.OK
                        && arp.operation() == ArpPacket.REPLY && arp.senderProtocolAddress() == k.kernelIp().value()) {
                    assertEquals(k.kernelMac().value(), arp.senderHardwareAddress(), "the kernel's MAC in its ARP reply");
                    assertEquals(mac, eth.destination(), "ARP reply's destination");
                    a.release(rx);
                    return;
                }
                answerArp(a, rx, i);
            }
            a.release(rx);
            if (n == 0) {
                a.awaitReceive(10_000_000);
            }
        }
    }

    /** How many transmit buffers the port hands out before allocate gives none (up to 4x the link's buffers). */
    private int allocatable(PacketPort port) {
        List<FrameBurst> held = new ArrayList<>();
        int total = 0;
        while (total < 4 * link.buffers()) {
            FrameBurst f = new FrameBurst(port.capabilities().maxBurst());
            int n = port.allocate(f, f.capacity());
            if (n == 0) {
                break;
            }
            held.add(f);
            total += n;
        }
        for (FrameBurst f : held) {
            port.release(f);
        }
        return total;
    }

    private static void write(FrameBurst burst, int i, byte[] frame) {
        MemorySegment.copy(frame, 0, burst.memory(), ValueLayout.JAVA_BYTE, burst.offset(i), frame.length);
        burst.length(i, frame.length);
    }

    /**
     * Sends {@code frames} from {@code from} and collects as many of the suite's frames at
     * {@code to} (the kernel's replies when the peer is the kernel), in arrival order.
     */
    private List<byte[]> exchange(PacketPort from, PacketPort to, List<byte[]> frames) {
        long end = deadline();
        int burst = from.capabilities().maxBurst();
        FrameBurst tx = new FrameBurst(burst);
        List<byte[]> got = new ArrayList<>();
        int next = 0;
        while (next < frames.size()) {
            int n = from.allocate(tx, Math.min(burst, frames.size() - next));
            if (n == 0) {
                receiveSome(to, got, end);
                continue;
            }
            for (int i = 0; i < n; i++) {
                write(tx, i, frames.get(next + i));
            }
            next += n;
            transmitAll(from, tx, to, n, got);
        }
        return collect(to, frames.size(), end, got);
    }

    /**
     * Transmits the first {@code n} frames of {@code tx} until all are taken, receiving at
     * {@code to} meanwhile (into {@code got}, or only counting them when null) so a full queue
     * drains; returns how many of the suite's frames it received that way.
     */
    private int transmitAll(PacketPort from, FrameBurst tx, PacketPort to, int n, List<byte[]> got) {
        long end = deadline();
        int left = n;
        int seen = 0;
        if (prefix.length <= n) {
            prefix = new long[n + 1];
        }
        while (left > 0) {
            int before = tx.count();
            for (int i = 0; i < left; i++) { // bytes of each prefix, for the taken count
                prefix[i + 1] = prefix[i] + tx.length(i);
            }
            int k = from.transmit(tx, left);
            if (k < 0 || k > left || tx.count() != before - k) {
                fail(from.name() + ": transmit(" + left + ") returned " + k + " and left " + tx.count() + " of " + before);
            }
            tally(from).txFrames += k;
            tally(from).txBytes += prefix[k];
            left -= k;
            if (left > 0) {
                if (System.nanoTime() - end > 0) {
                    fail(from.name() + ": transmit took nothing for " + timeout() + " with " + left + " frames left");
                }
                if (got != null) {
                    receiveSome(to, got, end);
                } else {
                    seen += receiveCounting(to);
                }
            }
        }
        return seen;
    }

    private long[] prefix = new long[65];

    private void receiveSome(PacketPort port, List<byte[]> got, long end) {
        FrameBurst rx = new FrameBurst(port.capabilities().maxBurst());
        int n = port.receive(rx);
        keepOurs(port, rx, n, got);
        if (n == 0 && System.nanoTime() - end > 0) {
            fail(port.name() + ": nothing received within " + timeout());
        }
    }

    /** Receives until {@code want} of the suite's frames are in {@code got}, or fails at {@code end}. */
    private List<byte[]> collect(PacketPort port, int want, long end, List<byte[]> got) {
        FrameBurst rx = new FrameBurst(port.capabilities().maxBurst());
        while (got.size() < want) {
            int n = port.receive(rx);
            keepOurs(port, rx, n, got);
            if (n == 0) {
                if (System.nanoTime() - end > 0) {
                    fail(port.name() + ": " + got.size() + " of " + want + " frames arrived within " + timeout()
                            + " (" + noise + " other frames)");
                }
                port.awaitReceive(1_000_000);
            }
        }
        assertEquals(want, got.size(), port.name() + ": more of the suite's frames than were sent");
        return got;
    }

    private void keepOurs(PacketPort port, FrameBurst rx, int n, List<byte[]> got) {
        assertEquals(n, rx.count(), port.name() + ": receive's result and the burst's count differ");
        count(port, rx, n);
        for (int i = 0; i < n; i++) {
            int len = rx.length(i);
            assertTrue(len <= rx.capacity(i) && rx.offset(i) >= 0 && rx.offset(i) + len <= rx.memory().byteSize(),
                    port.name() + ": received frame " + i + " outside its buffer");
            int kind = classify(rx.memory(), rx.offset(i), len);
            if (kind == OURS) {
                byte[] f = new byte[len];
                MemorySegment.copy(rx.memory(), ValueLayout.JAVA_BYTE, rx.offset(i), f, 0, len);
                got.add(f);
            } else {
                noise++;
                if (kind == ARP_FOR_US) {
                    answerArp(port, rx, i);
                }
            }
        }
        port.release(rx);
        assertEquals(0, rx.count(), port.name() + ": release leaves the burst empty");
    }

    /** Receives (without allocating) until {@code want} of the suite's frames came; returns how many. */
    private int countOurs(PacketPort port, int want, long end) {
        int ours = 0;
        while (ours < want) {
            int n = receiveCounting(port);
            ours += n;
            if (n == 0) {
                if (System.nanoTime() - end > 0) {
                    fail(port.name() + ": " + ours + " of " + want + " frames arrived in time");
                }
                port.awaitReceive(1_000_000);
            }
        }
        return ours;
    }

    private void count(PacketPort port, FrameBurst rx, int n) {
        Tally t = tally(port);
        t.rxFrames += n;
        for (int i = 0; i < n; i++) {
            t.rxBytes += rx.length(i);
        }
    }

    /** Receives and releases everything until the port has been quiet for {@code quiet}. */
    private void drain(PacketPort port, Duration quiet) {
        long end = deadline();
        FrameBurst rx = new FrameBurst(port.capabilities().maxBurst());
        while (true) {
            int n = port.receive(rx);
            count(port, rx, n);
            for (int i = 0; i < n; i++) {
                if (classify(rx.memory(), rx.offset(i), rx.length(i)) == ARP_FOR_US) {
                    answerArp(port, rx, i);
                }
            }
            port.release(rx);
            if (n == 0 && !port.awaitReceive(quiet.toNanos())) {
                return;
            }
            if (System.nanoTime() - end > 0) {
                fail(port.name() + ": frames kept arriving for " + timeout());
            }
        }
    }

    /** One receive without allocating; answers ARP and returns how many of the suite's frames came. */
    private int receiveCounting(PacketPort port) {
        FrameBurst quiet = port == a ? quietA : quietB;
        int n = port.receive(quiet);
        count(port, quiet, n);
        int ours = 0;
        for (int i = 0; i < n; i++) {
            int kind = classify(quiet.memory(), quiet.offset(i), quiet.length(i));
            if (kind == OURS) {
                ours++;
            } else if (kind == ARP_FOR_US) {
                answerArp(port, quiet, i);
            }
        }
        port.release(quiet);
        return ours;
    }

    private static final int OTHER = 0;
    private static final int OURS = 1;
    private static final int ARP_FOR_US = 2;

    /** Whether a frame is the suite's (its marker, or the kernel's echo reply to it) or an ARP request for us. */
    private int classify(MemorySegment m, long off, int len) {
        if (eth.wrap(m, off, len) != WireStatus.OK) {
            return OTHER;
        }
        int type = eth.etherType();
        if (!link.kernelPeer()) {
            long at = eth.payloadOffset();
            if (type == VLAN_TPID && len >= 18) {
                type = m.get(U16, off + 16) & 0xffff;
                at += 4;
            }
            return type == EXPERIMENTAL_ETHER_TYPE && at + 4 <= off + len && m.get(U32, at) == nonce ? OURS : OTHER;
        }
        KernelPeer k = link.kernel();
        if (type == EtherType.ARP) {
            return arp.wrap(m, eth.payloadOffset(), eth.payloadLength()) == WireStatus.OK
                    && arp.operation() == ArpPacket.REQUEST && arp.targetProtocolAddress() == k.localIp().value()
                    ? ARP_FOR_US : OTHER;
        }
        if (type == EtherType.IPV4 && ip.wrap(m, eth.payloadOffset(), eth.payloadLength()) == WireStatus.OK
                && ip.protocol() == IpProtocol.ICMP && ip.source() == k.kernelIp().value()
                && ip.destination() == k.localIp().value() && !ip.isFragment()
                && icmp.wrap(m, ip.payloadOffset(), ip.payloadLength()) == WireStatus.OK) {
            return icmp.type() == Icmpv4Packet.TYPE_ECHO_REPLY && icmp.identifier() == echoId ? OURS : OTHER;
        }
        return OTHER;
    }

    /** Answers the kernel's ARP request (frame {@code i} of {@code rx}, just classified) for our address. */
    private void answerArp(PacketPort port, FrameBurst rx, int i) {
        if (!link.kernelPeer() || classify(rx.memory(), rx.offset(i), rx.length(i)) != ARP_FOR_US) {
            return;
        }
        long asker = arp.senderHardwareAddress();
        int askerIp = arp.senderProtocolAddress();
        if (port.allocate(arpTx, 1) != 1) {
            return; // the kernel asks again
        }
        MemorySegment m = arpTx.memory();
        long off = arpTx.offset(0);
        for (int j = 0; j < EthernetFrame.MIN_FRAME_LENGTH; j++) {
            m.set(ValueLayout.JAVA_BYTE, off + j, (byte) 0);
        }
        long mac = port.capabilities().mac().value();
        eth.wrapUnchecked(m, off, EthernetFrame.MIN_FRAME_LENGTH).setDestination(asker).setSource(mac)
                .setEtherType(EtherType.ARP);
        arp.wrapUnchecked(m, off + EthernetFrame.HEADER_LENGTH, ArpPacket.HEADER_LENGTH).setEthernetIpv4()
                .setOperation(ArpPacket.REPLY).setSenderHardwareAddress(mac)
                .setSenderProtocolAddress(link.kernel().localIp().value())
                .setTargetHardwareAddress(asker).setTargetProtocolAddress(askerIp);
        arpTx.length(0, EthernetFrame.MIN_FRAME_LENGTH);
        arpTx.flags(0, 0);
        int k = port.transmit(arpTx, 1);
        tally(port).txFrames += k;
        tally(port).txBytes += (long) k * EthernetFrame.MIN_FRAME_LENGTH;
        port.release(arpTx);
    }
}
