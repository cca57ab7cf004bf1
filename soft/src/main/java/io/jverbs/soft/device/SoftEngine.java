package io.jverbs.soft.device;

import io.jverbs.soft.transport.MemoryKeys;
import io.jverbs.soft.transport.PacketCodec;
import io.jverbs.soft.transport.PacketSink;
import io.jverbs.soft.transport.SoftQp;
import io.jverbs.soft.transport.TransportPacket;
import io.jverbs.soft.wire.Icrc;
import io.jverbs.soft.wire.Opcode;
import io.jverbs.soft.wire.RocePacket;
import io.jverbs.soft.wire.RoceStatus;
import io.jverbs.soft.wire.SourcePort;
import jdk.net.ExtendedSocketOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * The progress engine of one soft device: its UDP socket on port 4791 and the thread that
 * receives datagrams and runs the QPs' timers, so that one-sided operations complete without the
 * target application polling.
 *
 * <p>Every transport call runs under the device lock ({@link #acquire}) (the transport's QPs and its
 * {@link MemoryKeys} are driven from one thread at a time). Posting threads send their packets
 * themselves, under the lock, right after posting: a send costs the poster one {@code sendto}
 * instead of a hand-off and a wake-up of this thread (tens of microseconds); ACKs, responses and
 * retransmissions leave from this thread. Each QP sends from rxe's UDP source port for it, through
 * a send-only socket per port ({@link QpSender}); every socket is unconnected with
 * {@code IP_DONTFRAGMENT}: the kernel then sends IPv4 ID 0 with DF, the header the ICRC was
 * computed over (ROCEV2.md). The receiving socket's buffer bounds the QPs' send windows
 * ({@link #window(int, int)}). On this path the kernel has stripped the IPv4 header before we see a
 * packet, so the ICRC of received packets cannot be checked (docs/soft-device.md).
 *
 * <p>A device configured with a {@code @port} has no socket: {@link PortIo} moves whole frames on
 * a raw-eth packet port (and verifies every ICRC); the engine keeps the QPs, their source ports,
 * the lock and the thread.
 */
final class SoftEngine implements PacketSink {
    /** How long the thread sleeps in select when idle: the granularity of the transport's timers. */
    private static final long IDLE_MILLIS = 1;
    /** The largest datagram: a 4096-byte MTU payload and RoCEv2 headers. */
    private static final int MAX_DATAGRAM = 4096 + 128;
    /**
     * The system property with the socket buffer size to ask for, in bytes ({@code SO_RCVBUF} and
     * {@code SO_SNDBUF}); default 4 MiB. Linux caps it at {@code net.core.rmem_max} /
     * {@code wmem_max} (and then doubles it for its bookkeeping).
     */
    static final String SOCKET_BUFFER_PROPERTY = "jverbs.soft.socketBuffer";
    private static final int DEFAULT_SOCKET_BUFFER = 4 << 20;
    /**
     * The system property with the most packets an RC QP may keep unacknowledged: default 1024,
     * when the receive buffer holds them; above rxe's 128 the window adapts to loss
     * ({@link SoftQp#sendWindow(int)}); 128 gives rxe's fixed window.
     */
    static final String WINDOW_PROPERTY = "jverbs.soft.window";
    private static final int MAX_WINDOW = Math.clamp(Integer.getInteger(WINDOW_PROPERTY, 1024), SoftQp.MIN_WINDOW, SoftQp.MAX_WINDOW);
    /**
     * The system property with how long, in microseconds, the progress thread keeps polling its
     * socket after the last datagram before it sleeps in the selector (default 0: it sleeps at
     * once). Busy-polling saves a sleep and a wake-up (a context switch each) per burst at the
     * cost of a core while traffic flows: worth it with cores to spare, not on a crowded host.
     */
    static final String BUSY_POLL_PROPERTY = "jverbs.soft.busyPollMicros";
    private static final long BUSY_POLL_NANOS = Math.max(0, Long.getLong(BUSY_POLL_PROPERTY, 0)) * 1000;
    /**
     * The system property that turns rxe's per-QP UDP source ports off ({@code false}): every
     * packet then leaves from the device socket's port 4791, and no socket is bound per port.
     */
    static final String SOURCE_PORTS_PROPERTY = "jverbs.soft.sourcePorts";
    private static final boolean SOURCE_PORTS = !"false".equals(System.getProperty(SOURCE_PORTS_PROPERTY));
    /** Bytes of headers a datagram carries in the kernel beyond its UDP payload, and its sk_buff's overhead. */
    private static final int SKB_OVERHEAD = 448, SKB_STRUCT = 256;

    /** The device lock: 1 while held ({@link #acquire}, {@link #release}). */
    @SuppressWarnings("unused")
    private volatile int held;
    private static final VarHandle HELD;

    static {
        try {
            HELD = MethodHandles.lookup().findVarHandle(SoftEngine.class, "held", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    final MemoryKeys keys = new MemoryKeys(1 << 16);
    private final SoftDevice device;
    private final DatagramChannel channel;
    private final Selector selector;
    /** The raw-frame path (a {@code @port} in the config), or null: the UDP socket path. */
    private final PortIo portIo;
    private final Thread thread;
    private volatile boolean running = true;
    private static final java.util.function.Consumer<SelectionKey> IGNORE = key -> { };

    // Owned by whoever holds the device lock.
    private final PacketCodec codec = new PacketCodec();
    private final Icrc icrc = new Icrc();
    private final ByteBuffer tx = ByteBuffer.allocateDirect(MAX_DATAGRAM);
    private final MemorySegment txSegment = MemorySegment.ofBuffer(tx);
    private final ByteBuffer rx = ByteBuffer.allocateDirect(MAX_DATAGRAM);
    private final MemorySegment rxSegment = MemorySegment.ofBuffer(rx);
    private final RocePacket roce = new RocePacket();
    private final TransportPacket received = new TransportPacket();
    /** Destinations seen, by IPv4 address: sending allocates no socket address after the first packet to a peer. */
    private int[] peerIps = new int[8];
    private InetSocketAddress[] peers = new InetSocketAddress[8];
    private int peerCount;
    /**
     * The QPs, by slot: the low 16 bits of a QP number ({@link #nextQpn}); {@link #qp} finds the
     * one a received packet names without a map.
     */
    private SoftQp[] qps = new SoftQp[64];
    /** Their senders, by slot. */
    private QpSender[] senders = new QpSender[64];
    /** By slot: the generation (bits 16-23 of the number) the slot's next QP gets. */
    private byte[] generations = new byte[64];
    /** The first slot: the first QP is number 17 (0x11), as on rxe (numbers 0 and 1 are QP0 and QP1). */
    static final int FIRST_QPN = 17;
    private static final int SLOT_MASK = 0xffff;
    /** Send-only sockets by source port (less {@link SourcePort#BASE}), shared by the QPs on the port, and how many use each. */
    private final DatagramChannel[] portChannels = new DatagramChannel[1 << 14];
    private final int[] portUsers = new int[1 << 14];
    /** Times a QP's source port could not be bound and its packets left from 4791 instead. */
    long sourcePortFallbacks;
    private boolean fallbackLogged;

    long packetsSent, packetsReceived, packetsDropped, sendFailures;
    /** The IPv4 header of the UD datagram being delivered, as the sender's kernel wrote it. */
    private final MemorySegment ipv4 = MemorySegment.ofArray(new byte[20]);
    /** This device's IPv4 address. */
    final int localIp;
    /** The socket buffer size asked for ({@link #SOCKET_BUFFER_PROPERTY}). */
    private final int socketBuffer;
    /** The receive buffer the kernel granted, in its own accounting (bytes of sk_buff truesize). */
    final int receiveBuffer;
    /** The send window of this device's RC QPs: what a peer's receive buffer like ours holds ({@link #window}). */
    final int window;

    SoftEngine(SoftDevice device) throws IOException {
        this.device = device;
        SoftDeviceConfig c = device.config();
        this.localIp = ipv4(c.address());
        this.socketBuffer = Integer.getInteger(SOCKET_BUFFER_PROPERTY, DEFAULT_SOCKET_BUFFER);
        this.thread = Thread.ofPlatform().daemon().name("jverbs-soft-" + c.name()).unstarted(this::run);
        if (c.port() != null) {
            // Seam to the raw-frame path: PortIo does the I/O, the engine keeps the QPs and the thread.
            // No socket buffer of ours bounds the window there: rxe's fixed 128.
            this.portIo = PortIo.open(c, this::toQp);
            this.channel = null;
            this.selector = null;
            this.receiveBuffer = 0;
            this.window = SoftQp.MIN_WINDOW;
            thread.start();
            return;
        }
        this.portIo = null;
        DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET);
        try {
            ch.setOption(ExtendedSocketOptions.IP_DONTFRAGMENT, true);
            int asked = socketBuffer;
            ch.setOption(StandardSocketOptions.SO_RCVBUF, asked);
            ch.setOption(StandardSocketOptions.SO_SNDBUF, asked);
            // Linux grants min(asked, rmem_max) and keeps twice that as sk_rcvbuf, the budget its
            // truesize accounting fills; getsockopt reports the doubled figure, which the JDK
            // halves again on Linux (net_util_md.c). Less than asked: rmem_max capped it.
            int granted = ch.getOption(StandardSocketOptions.SO_RCVBUF);
            this.receiveBuffer = 2 * granted;
            if (granted < asked) {
                System.getLogger(SoftEngine.class.getName()).log(System.Logger.Level.INFO,
                        "soft device " + c.name() + ": UDP receive buffer " + granted + " bytes, asked " + asked
                        + " (capped by net.core.rmem_max; raise it with sysctl -w net.core.rmem_max=" + asked
                        + "): RC send windows are capped at " + window(receiveBuffer, c.mtu()) + " packets");
            }
            this.window = window(receiveBuffer, c.mtu());
            ch.bind(new InetSocketAddress(c.address(), SoftDeviceConfig.ROCE_PORT));
            ch.configureBlocking(false);
            this.selector = Selector.open();
            ch.register(selector, SelectionKey.OP_READ);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        this.channel = ch;
        thread.start();
    }

    /**
     * The RC send window for a receive buffer of {@code bytes} (as the kernel accounts it) and a
     * port MTU: the datagrams of a full window fit in three quarters of it (the rest for other
     * QPs and ACKs), at most {@link #WINDOW_PROPERTY}'s. A 1040-byte datagram takes 2304 bytes there (measured in
     * /proc/net/udp on Linux 6.x): the default 208 KiB buffer holds 92 of them.
     */
    static int window(int bytes, int mtu) {
        int datagram = mtu + 64;
        int truesize = Integer.highestOneBit(datagram + SKB_OVERHEAD - 1) * 2 + SKB_STRUCT;
        long fits = (long) bytes * 3 / 4 / truesize;
        return (int) Math.max(SoftQp.MIN_WINDOW, Math.min(MAX_WINDOW, fits));
    }

    static int ipv4(InetAddress a) {
        // An Inet4Address's hash code is its address: no byte[] per packet.
        return ((Inet4Address) a).hashCode();
    }

    /**
     * Takes the device lock: spins, then yields, then parks 10 us at a time. The holder keeps it
     * for microseconds (a post and its sends, a batch of datagrams); a {@code ReentrantLock} would
     * allocate a queue node every time a waiter parks (measured: ~60 B per round trip on the
     * progress thread), this allocates nothing. Not reentrant, not fair.
     */
    void acquire() {
        for (int spins = 0; !HELD.compareAndSet(this, 0, 1); spins++) {
            if (spins < 1000) {
                Thread.onSpinWait();
            } else if (spins < 1100) {
                Thread.yield();
            } else {
                LockSupport.parkNanos(10_000);
            }
        }
    }

    /** Releases the device lock; on a packet port, first sends the frames written under it (one burst). */
    void release() {
        if (portIo != null) portIo.flush(System.nanoTime());
        HELD.setRelease(this, 0);
    }

    /**
     * The number of the QP about to be created, which {@link #add} must get before the device lock
     * is released; -1 when all 65,519 slots hold a QP. The low 16 bits are the lowest free slot
     * from 17, the high 8 a generation that grows each time the slot is given again: a destroyed
     * QP's number comes back only after 256 QPs have held its slot, so a late packet for it does
     * not reach the QP created after it (rxe hands numbers out cyclically for the same reason).
     * The slot keeps lookup and the progress loop over a dense array.
     */
    int nextQpn() {
        int slot = FIRST_QPN;
        while (slot < qps.length && qps[slot] != null) slot++;
        if (slot > SLOT_MASK) return -1;
        if (slot >= qps.length) {
            int n = Math.min(SLOT_MASK + 1, qps.length * 2);
            qps = java.util.Arrays.copyOf(qps, n);
            senders = java.util.Arrays.copyOf(senders, n);
            generations = java.util.Arrays.copyOf(generations, n);
        }
        return (generations[slot] & 0xff) << 16 | slot;
    }

    /** Adds {@code qp}, numbered by {@link #nextQpn}. Call with the device lock held. */
    void add(SoftQp qp) {
        qps[qp.qpNum() & SLOT_MASK] = qp;
        qp.sendWindow(window);
    }

    /** Removes the QP numbered {@code n} and releases its source port. Call with the device lock held. */
    void remove(int n) {
        int slot = n & SLOT_MASK;
        if (qp(n) == null) return;
        qps[slot] = null;
        generations[slot]++;
        if (senders[slot] != null) {
            release(senders[slot]);
            senders[slot] = null;
        }
    }

    /**
     * The sender of a new QP numbered {@code qpn}: from rxe's port for a QP without a path yet
     * (the UD rule, which a UD QP keeps; RC and UC move at {@link #route}). Call with the device
     * lock held.
     */
    QpSender sender(int qpn) {
        QpSender s = new QpSender(this, qpn);
        use(s, SourcePort.ud(qpn));
        senders[qpn & SLOT_MASK] = s;
        return s;
    }

    /**
     * A connected QP got its path ({@code ibv_modify_qp} with the AV): as rxe, its source port is
     * the GRH's flow label folded to 14 bits, or without one the flow label of the QP pair.
     * Call with the device lock held.
     */
    void route(int qpn, int flowLabel, int destQpn) {
        QpSender s = qp(qpn) != null ? senders[qpn & SLOT_MASK] : null;
        if (s == null) return;
        int port = (flowLabel & 0xf_ffff) != 0 ? SourcePort.fold(flowLabel & 0xf_ffff) : SourcePort.rc(qpn, destQpn);
        if (port != s.wanted) {
            release(s);
            use(s, port);
        }
    }

    /** Points {@code s} at the socket of source port {@code port}, bound now if no QP has it; 4791 if it cannot be. */
    private void use(QpSender s, int port) {
        s.wanted = port;
        s.channel = channel;
        s.port = SoftDeviceConfig.ROCE_PORT;
        if (!SOURCE_PORTS) return;
        if (portIo != null) {
            s.port = port;  // whole frames: the port is just a header field
            return;
        }
        int i = port - SourcePort.BASE;
        if (portChannels[i] == null) {
            DatagramChannel ch = null;
            try {
                ch = DatagramChannel.open(StandardProtocolFamily.INET);
                ch.setOption(ExtendedSocketOptions.IP_DONTFRAGMENT, true);
                ch.setOption(StandardSocketOptions.SO_SNDBUF, socketBuffer);
                ch.bind(new InetSocketAddress(device.config().address(), port));
                ch.configureBlocking(false);
            } catch (IOException e) {
                closeQuietly(ch);
                sourcePortFallbacks++;
                if (!fallbackLogged) {
                    fallbackLogged = true;
                    System.getLogger(SoftEngine.class.getName()).log(System.Logger.Level.WARNING,
                            "soft device " + device.config().name() + ": QP " + s.qpNum + " sends from UDP port "
                            + SoftDeviceConfig.ROCE_PORT + ", not from rxe's source port " + port + " for it: binding "
                            + device.config().address().getHostAddress() + ":" + port + " failed (" + e
                            + "; another socket has it). Peers accept it; only ECMP spreading differs."
                            + " Logged once per device; the count is in the engine's sourcePortFallbacks");
                }
                return;
            }
            portChannels[i] = ch;
        }
        portUsers[i]++;
        s.channel = portChannels[i];
        s.port = port;
    }

    /** {@code s} leaves its source port's socket, which closes when no QP uses it. */
    private void release(QpSender s) {
        if (s.port == SoftDeviceConfig.ROCE_PORT || portIo != null) return;
        int i = s.port - SourcePort.BASE;
        if (--portUsers[i] == 0) {
            closeQuietly(portChannels[i]);
            portChannels[i] = null;
        }
        s.channel = channel;
        s.port = SoftDeviceConfig.ROCE_PORT;
    }

    private static void closeQuietly(DatagramChannel ch) {
        if (ch == null) return;
        try {
            ch.close();
        } catch (IOException ignored) {
            // a send-only socket: nothing was pending on it
        }
    }

    /** The QP numbered {@code n}, or null (none, or its slot holds a later QP). */
    private SoftQp qp(int n) {
        int slot = n & SLOT_MASK;
        SoftQp q = slot < qps.length ? qps[slot] : null;
        return q != null && q.qpNum() == n ? q : null;
    }

    private void run() {
        long lastBusy = 0;
        while (running) {
            boolean busy;
            long now;
            acquire();
            try {
                now = System.nanoTime();
                busy = portIo != null ? portIo.poll(now) : receive(64) > 0;
                for (SoftQp qp : qps) {
                    // read again for each: receiving, and each QP before it, may have sent for milliseconds
                    if (qp != null) qp.poll(System.nanoTime());
                }
            } finally {
                release();
            }
            if (busy) {
                lastBusy = now;
            } else if (now - lastBusy < BUSY_POLL_NANOS) {
                Thread.onSpinWait(); // busy-polling: no sleep and wake-up between datagrams
            } else if (running && portIo != null) {
                portIo.await(IDLE_MILLIS * 1_000_000);
            } else if (running) {
                try {
                    // The form with an action: no selected-key set, whose HashSet allocates a node per ready key.
                    selector.select(IGNORE, IDLE_MILLIS);
                } catch (IOException e) {
                    if (running) throw new UncheckedIOException(e);
                }
            }
        }
    }

    /**
     * Receives and delivers up to {@code max} datagrams waiting on the socket; returns how many.
     * Call with the device lock held.
     */
    private int receive(int max) {
        int n = 0;
        try {
            for (; n < max; n++) {
                rx.clear();
                SocketAddress from = channel.receive(rx);
                if (from == null) break;
                deliver(ipv4(((InetSocketAddress) from).getAddress()), rx.position());
            }
        } catch (IOException e) {
            if (running) {
                System.getLogger(SoftEngine.class.getName()).log(System.Logger.Level.WARNING,
                        "soft device " + device.config().name() + ": receive failed", e);
            }
        }
        return n;
    }

    /**
     * Progress from a thread that polled an empty CQ: the datagrams already waiting, if the
     * device lock is free at once (never waits for it). A busy-polling application then moves
     * its own traffic instead of waiting for the progress thread to be scheduled, which on a
     * machine with fewer cores than spinning threads takes milliseconds. Costs one
     * {@code recvfrom} that finds nothing when there is nothing.
     */
    void progressFromPoll() {
        if (!HELD.compareAndSet(this, 0, 1)) return;
        try {
            if (portIo != null) {
                portIo.poll(System.nanoTime());
            } else {
                receive(16);
            }
        } finally {
            release();
        }
    }

    /** One received datagram of {@code length} bytes from {@code sourceIp}: to the QP its BTH names, or dropped. */
    private void deliver(int sourceIp, int length) {
        packetsReceived++;
        if (roce.wrapTransport(rxSegment, 0, length) != RoceStatus.OK) {
            packetsDropped++;
            return;
        }
        codec.read(roce, sourceIp & 0xFFFFFFFFL, received);
        if (received.opcode.transport() == Opcode.Transport.UD) {
            // The socket kept the IPv4 header; a UD receive's GRH holds it (the transport writes it).
            received.ipv4Header = ipv4Header(sourceIp, length);
            received.ipv4HeaderOffset = 0;
        }
        toQp(received);
    }

    /**
     * A checked packet to the QP its BTH names, or dropped (no such QP). The clock is read here,
     * for each packet, not once per batch: one batch of up to 64 datagrams can take milliseconds,
     * since each ACK in it may send a window's worth, and a retransmit timer armed from a reading
     * taken before the batch expired that much early (CI saw a go-back-N 0.1 ms after the ACK
     * covering it had been sent; readings 8-35 ms old were measured in SoftLossTest).
     */
    private void toQp(TransportPacket packet) {
        if (portIo != null) packetsReceived++;   // the socket path counted it in deliver()
        SoftQp qp = qp(packet.destQp);
        if (qp == null) {
            packetsDropped++;
            return;
        }
        qp.receive(System.nanoTime(), packet);
        // An ACK opened the window: what it allows leaves now, from whichever thread received it
        // (read again: a NAK's go-back-N has just sent up to a window).
        qp.poll(System.nanoTime());
    }

    /** The raw-frame path's I/O, or null on the socket path (tests: its counters). */
    PortIo port() {
        return portIo;
    }

    /**
     * The IPv4 header a datagram of {@code udpPayload} bytes from {@code sourceIp} to this device
     * came with: what a soft or rxe sender's kernel writes for RoCEv2 (ID 0, DF, TTL 64, UDP),
     * with its checksum.
     */
    private MemorySegment ipv4Header(int sourceIp, int udpPayload) {
        MemorySegment h = ipv4;
        h.set(BE_INT, 0, 0x45 << 24 | (20 + 8 + udpPayload));
        h.set(BE_INT, 4, 0x4000);
        h.set(BE_INT, 8, 64 << 24 | 17 << 16);
        h.set(BE_INT, 12, sourceIp);
        h.set(BE_INT, 16, localIp);
        int sum = 0;
        for (int i = 0; i < 20; i += 2) sum += Short.toUnsignedInt(h.get(BE_SHORT, i));
        while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
        h.set(BE_SHORT, 10, (short) ~sum);
        return h;
    }

    private static final java.lang.foreign.ValueLayout.OfInt BE_INT =
            java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private static final java.lang.foreign.ValueLayout.OfShort BE_SHORT =
            java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    /** Sends one packet from the device socket, port 4791 (the transport calls this with the device lock held). */
    @Override
    public boolean send(TransportPacket p) {
        return send(p, channel, SoftDeviceConfig.ROCE_PORT);
    }

    /** Sends one packet from {@code from}, a socket bound to {@code sourcePort}, which the ICRC covers. Device lock held. */
    boolean send(TransportPacket p, DatagramChannel from, int sourcePort) {
        if (portIo != null) {
            if (portIo.send(sourcePort, p)) {
                packetsSent++;
                return true;
            }
            sendFailures++;
            return false;
        }
        int length = codec.layout(p, txSegment, 0);
        int destination = (int) p.address;
        txSegment.set(Icrc.LAYOUT, length - Icrc.LENGTH,
                icrc.computeDatagram(localIp, destination, sourcePort, txSegment, 0, length));
        tx.clear().limit(length);
        try {
            if (from.send(tx, peer(destination)) == 0) {
                sendFailures++;    // the socket buffer is full: lost on the wire, the transport retries
                return false;
            }
            packetsSent++;
            return true;
        } catch (IOException e) {
            sendFailures++;
            return false;
        }
    }

    private InetSocketAddress peer(int ip) {
        for (int i = 0; i < peerCount; i++) {
            if (peerIps[i] == ip) return peers[i];
        }
        if (peerCount == peers.length) {
            peerIps = java.util.Arrays.copyOf(peerIps, peerCount * 2);
            peers = java.util.Arrays.copyOf(peers, peerCount * 2);
        }
        byte[] a = {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip};
        try {
            peers[peerCount] = new InetSocketAddress(InetAddress.getByAddress(a), SoftDeviceConfig.ROCE_PORT);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // four bytes are always an address
        }
        peerIps[peerCount] = ip;
        return peers[peerCount++];
    }

    /** Stops the thread and closes the socket. */
    void close() {
        running = false;
        if (portIo != null) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            portIo.close();
            return;
        }
        selector.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (int i = 0; i < portChannels.length; i++) {
            closeQuietly(portChannels[i]);
            portChannels[i] = null;
        }
        try {
            selector.close();
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
