package io.jverbs.raweth.dpdk;

import io.jverbs.core.NativeResource;
import io.jverbs.dpdk.DeviceInfo;
import io.jverbs.dpdk.Eal;
import io.jverbs.dpdk.EthPort;
import io.jverbs.dpdk.Mbuf;
import io.jverbs.dpdk.MbufArray;
import io.jverbs.dpdk.MbufPool;
import io.jverbs.dpdk.PortConfig;
import io.jverbs.dpdk.RxOffload;
import io.jverbs.dpdk.TxOffload;
import io.jverbs.dpdk.ffi.RteMbuf;
import io.jverbs.raweth.port.FrameBurst;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.PortCapabilities;
import io.jverbs.raweth.port.PortCounters;
import io.jverbs.raweth.port.PortStats;
import io.jverbs.raweth.wire.MacAddress;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.EnumSet;
import java.util.Set;

/**
 * A {@link PacketPort} over one DPDK ethdev queue pair ({@link EthPort}: queue 0 for rx and tx).
 * Frames are mbufs: {@link FrameBurst#memory()} is {@link Mbuf#ADDRESS_SPACE}, an offset is an
 * mbuf's data address and a handle its {@code struct rte_mbuf *}. {@link #receive} is one
 * {@code rte_eth_rx_burst}, {@link #release} one {@code rte_pktmbuf_free_bulk}, {@link #allocate}
 * one bulk get from the pool, {@link #transmit} one {@code rte_eth_tx_burst}; nothing is
 * allocated per burst.
 *
 * <p>{@link #open} configures the port with the checksum and TSO offloads it offers and starts it.
 * Offload flags on transmit become {@code ol_flags} with the l2/l3/l4 lengths read from the frame
 * (IPv4, optionally behind one 802.1Q tag); asking for an offload the port does not offer throws
 * {@link IllegalArgumentException} before anything is sent. Received frames the device marked
 * with a bad IP or L4 checksum are freed and counted in {@link PortStats#rxErrors()}; good ones
 * carry {@link FrameBurst#RX_IP_CHECKSUM_GOOD}/{@link FrameBurst#RX_L4_CHECKSUM_GOOD}.
 *
 * <p>A child of its {@link EthPort} (closing the port or the EAL closes this first) that uses the
 * pool. {@link #close()} frees the frames it has not handed out and stops the ethdev, which stays
 * open for the EAL to close. Frames the caller still holds are not freed; they are mbufs of the
 * pool, reclaimed when it closes. A port opened by {@link DpdkOpener} ({@code dpdk:} specs) owns
 * its ethdev, pool and EAL and closes them too, in that order.
 */
public final class DpdkPort extends NativeResource implements PacketPort {
    private static final MemorySegment MEMORY = Mbuf.ADDRESS_SPACE;

    private static final long RX_IP_MASK = RteMbuf.RTE_MBUF_F_RX_IP_CKSUM_GOOD | RteMbuf.RTE_MBUF_F_RX_IP_CKSUM_BAD;
    private static final long RX_L4_MASK = RteMbuf.RTE_MBUF_F_RX_L4_CKSUM_GOOD | RteMbuf.RTE_MBUF_F_RX_L4_CKSUM_BAD;
    /** Flags that describe the mbuf's buffer, not the packet: an extbuf pool's mbufs keep them. */
    private static final long KEEP = RteMbuf.RTE_MBUF_F_EXTERNAL | RteMbuf.RTE_MBUF_F_INDIRECT;
    private static final int OFFLOAD_FLAGS = FrameBurst.TX_IP_CHECKSUM | FrameBurst.TX_L4_CHECKSUM | FrameBurst.TX_TCP_SEGMENTATION;

    private static final int RX_FRAMES = 0, RX_BYTES = 1, TX_FRAMES = 2, TX_BYTES = 3, RX_BAD = 4;

    private final EthPort port;
    private final MbufPool pool;
    private final String name;
    private final PortCapabilities capabilities;
    private final int txOffloadFlags;
    /** Received mbufs not yet handed out (after awaitReceive, or a burst smaller than what arrived). */
    private final MbufArray rx;
    private int rxNext;
    /** Where transmit and release gather mbuf pointers for one downcall. */
    private final MbufArray scratch;
    private final MemorySegment scratchTable;
    private final MemorySegment rxTable;
    private final Mbuf view = new Mbuf();
    private final MbufOffloads translation;
    /** Written by the data-path thread, read by {@link #stats()} from any thread (opaque). */
    private final PortCounters counters = new PortCounters(5);
    /** The EAL {@link DpdkOpener} created for this port alone, closed after the port, or null. */
    private final Eal ownedEal;

    private DpdkPort(EthPort port, MbufPool pool, int maxBurst, PortCapabilities capabilities, int txOffloadFlags, Eal ownedEal) {
        super(port, pool);
        this.ownedEal = ownedEal;
        this.port = port;
        this.pool = pool;
        this.name = "dpdk:" + port.name();
        this.capabilities = capabilities;
        this.txOffloadFlags = txOffloadFlags;
        this.translation = new MbufOffloads(capabilities.mtu());
        MbufArray r = null;
        MbufArray s = null;
        try {
            r = new MbufArray(pool.eal(), maxBurst);
            s = new MbufArray(pool.eal(), maxBurst);
        } catch (RuntimeException e) {
            if (r != null) r.close();
            throw e;
        }
        this.rx = r;
        this.scratch = s;
        this.rxTable = r.segment();
        this.scratchTable = s.segment();
        attach();
    }

    /**
     * Configures {@code port} with one rx and one tx queue refilled from {@code pool}, enables the
     * checksum and TSO offloads it offers, starts it (promiscuous) and wraps it; at most
     * {@code maxBurst} frames per receive or transmit.
     *
     * @throws IllegalArgumentException when the pool's buffers cannot hold a frame of the port's MTU
     */
    public static DpdkPort open(EthPort port, MbufPool pool, int maxBurst) {
        return open(port, pool, maxBurst, null);
    }

    /**
     * {@link #open(EthPort, MbufPool, int)} for a port whose device has no MAC address of its own
     * (net_ring reports all zero and cannot be given one): {@code mac}, when not null, is the
     * address {@link #capabilities()} reports. The port receives in promiscuous mode, so frames to
     * {@code mac} arrive whatever the device thinks its address is.
     */
    public static DpdkPort open(EthPort port, MbufPool pool, int maxBurst, MacAddress mac) {
        return open(port, pool, maxBurst, mac, null);
    }

    /** As above; {@code ownedEal}, when not null, is closed with the port (after the ethdev and the pool). */
    static DpdkPort open(EthPort port, MbufPool pool, int maxBurst, MacAddress mac, Eal ownedEal) {
        if (maxBurst < 1 || maxBurst > MbufArray.MAX_CAPACITY) {
            throw new IllegalArgumentException("maxBurst must be 1.." + MbufArray.MAX_CAPACITY + ", got " + maxBurst);
        }
        DeviceInfo info = port.info();
        Set<RxOffload> rxOff = EnumSet.of(RxOffload.IPV4_CKSUM, RxOffload.UDP_CKSUM, RxOffload.TCP_CKSUM);
        rxOff.retainAll(info.rxOffloads());
        Set<TxOffload> txOff = EnumSet.of(TxOffload.IPV4_CKSUM, TxOffload.UDP_CKSUM, TxOffload.TCP_CKSUM, TxOffload.TCP_TSO);
        txOff.retainAll(info.txOffloads());
        port.stop();
        port.configure(PortConfig.simple(pool).withOffloads(rxOff, txOff));
        int mtu = port.mtu();
        int room = pool.dataRoom() - Mbuf.HEADROOM;
        int maxFrame = mtu + 18; // Ethernet header and one VLAN tag
        if (room < maxFrame) {
            throw new IllegalArgumentException("pool '" + pool.name() + "' has " + room + " bytes after the headroom; "
                    + port.name() + " with MTU " + mtu + " needs " + maxFrame + " per frame: create it with a dataRoom of at least "
                    + (maxFrame + Mbuf.HEADROOM));
        }
        boolean txL4 = txOff.contains(TxOffload.UDP_CKSUM) && txOff.contains(TxOffload.TCP_CKSUM);
        // TSO frames are single mbufs: only a pool whose buffers hold more than one MTU frame serves them
        boolean tso = txOff.contains(TxOffload.TCP_TSO) && room > maxFrame;
        int flags = (txOff.contains(TxOffload.IPV4_CKSUM) ? FrameBurst.TX_IP_CHECKSUM : 0) | (txL4 ? FrameBurst.TX_L4_CHECKSUM : 0)
                | (tso ? FrameBurst.TX_TCP_SEGMENTATION : 0);
        PortCapabilities caps = new PortCapabilities(mac != null ? mac : new MacAddress(port.macAddress().bits()), mtu, maxFrame, maxBurst,
                rxOff.size() == 3, (flags & FrameBurst.TX_IP_CHECKSUM) != 0, txL4,
                tso ? Math.min(room, PortCapabilities.TSO_FRAME_LIMIT) : 0);
        port.start();
        port.promiscuous(true);
        return new DpdkPort(port, pool, maxBurst, caps, flags, ownedEal);
    }

    /** {@link #open(EthPort, MbufPool, int)} with bursts of up to 32 frames. */
    public static DpdkPort open(EthPort port, MbufPool pool) {
        return open(port, pool, 32);
    }

    /** The ethdev underneath. */
    public EthPort ethPort() {
        return port;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public PortCapabilities capabilities() {
        return capabilities;
    }

    @Override
    public int receive(FrameBurst burst) {
        checkOpen();
        burst.requireEmpty(name(), "receive");
        if (rxNext >= rx.count()) {
            rxNext = 0;
            port.rxBurst(0, rx, Math.min(burst.capacity(), rx.capacity()));
        }
        int available = rx.count();
        int out = 0;
        int bad = 0;
        long bytes = 0;
        int i = rxNext;
        int room = burst.capacity();
        for (; i < available && out < room; i++) {
            long m = rxTable.getAtIndex(ValueLayout.JAVA_LONG, i);
            Mbuf v = view.wrap(m);
            long ol = v.offloadFlags();
            int length = v.packetLength();
            long ip = ol & RX_IP_MASK;
            long l4 = ol & RX_L4_MASK;
            if (ip == RteMbuf.RTE_MBUF_F_RX_IP_CKSUM_BAD || l4 == RteMbuf.RTE_MBUF_F_RX_L4_CKSUM_BAD || v.next() != 0) {
                // A bad checksum the device found, or a chained frame (no scatter is configured): dropped.
                scratchTable.setAtIndex(ValueLayout.JAVA_LONG, bad++, m);
                continue;
            }
            int flags = (ip == RteMbuf.RTE_MBUF_F_RX_IP_CKSUM_GOOD ? FrameBurst.RX_IP_CHECKSUM_GOOD : 0)
                    | (l4 == RteMbuf.RTE_MBUF_F_RX_L4_CKSUM_GOOD ? FrameBurst.RX_L4_CHECKSUM_GOOD : 0);
            burst.set(out++, v.dataAddress(), length, length, flags, m);
            bytes += length;
        }
        rxNext = i;
        if (bad > 0) {
            scratch.count(bad);
            scratch.freeAll();
            counters.add(RX_BAD, bad);
        }
        burst.memory(MEMORY);
        burst.count(out);
        counters.add(RX_FRAMES, out);
        counters.add(RX_BYTES, bytes);
        return out;
    }

    @Override
    public void release(FrameBurst burst) {
        checkOpen();
        int n = burst.count();
        int chunk = scratch.capacity();
        for (int from = 0; from < n; from += chunk) {
            int k = Math.min(chunk, n - from);
            for (int j = 0; j < k; j++) {
                scratchTable.setAtIndex(ValueLayout.JAVA_LONG, j, burst.handle(from + j));
            }
            scratch.count(k);
            scratch.freeAll();
        }
        burst.count(0);
    }

    @Override
    public int allocate(FrameBurst burst, int n) {
        checkOpen();
        burst.requireEmpty(name(), "allocate");
        int want = Math.min(Math.min(n, burst.capacity()), scratch.capacity());
        if (want <= 0) {
            burst.count(0);
            return 0;
        }
        int got = pool.tryAllocate(scratch, want);
        if (got == 0) {
            // All or nothing in DPDK: take what is left instead.
            int left = Math.min(want, pool.available());
            got = left > 0 ? pool.tryAllocate(scratch, left) : 0;
        }
        for (int i = 0; i < got; i++) {
            long m = scratchTable.getAtIndex(ValueLayout.JAVA_LONG, i);
            Mbuf v = view.wrap(m);
            burst.set(i, v.dataAddress(), 0, v.bufferLength() - v.dataOffset(), 0, m);
        }
        scratch.count(0);
        burst.memory(MEMORY);
        burst.count(got);
        return got;
    }

    /** Every mbuf of the pool has the same room: TSO frames up to {@link PortCapabilities#tsoMaxFrame()} fit any. */
    @Override
    public int allocate(FrameBurst burst, int n, int length) {
        if (length > Math.max(capabilities.maxFrameLength(), capabilities.tsoMaxFrame())) {
            throw new IllegalArgumentException(name + ": no transmit buffers of " + length + " bytes (maxFrameLength "
                    + capabilities.maxFrameLength() + ", tsoMaxFrame " + capabilities.tsoMaxFrame() + ")");
        }
        return allocate(burst, n);
    }

    @Override
    public int transmit(FrameBurst burst, int n) {
        checkOpen();
        if (n < 0 || n > burst.count()) {
            throw new IndexOutOfBoundsException("transmit " + n + " of " + burst.count() + " frames");
        }
        int k = Math.min(n, scratch.capacity());
        long bytes = 0;
        for (int i = 0; i < k; i++) {
            long m = burst.handle(i);
            int length = burst.length(i);
            int flags = burst.flags(i);
            Mbuf v = view.wrap(m).length(length);
            if ((flags & OFFLOAD_FLAGS) != 0) {
                offload(v, flags, burst.segmentSize(i), i);
            } else {
                v.offloadFlags(v.offloadFlags() & KEEP).txOffload(0);
            }
            scratchTable.setAtIndex(ValueLayout.JAVA_LONG, i, m);
            bytes += length;
        }
        int sent = port.txBurst(0, scratch, 0, k);
        for (int i = sent; i < k; i++) {
            bytes -= burst.length(i);
        }
        burst.removeFirst(sent);
        counters.add(TX_FRAMES, sent);
        counters.add(TX_BYTES, bytes);
        return sent;
    }

    /** Frame {@code i}'s offload flags as the mbuf's {@code ol_flags} and {@code tx_offload} ({@link MbufOffloads}). */
    private void offload(Mbuf v, int flags, int segmentSize, int i) {
        if ((flags & ~txOffloadFlags & OFFLOAD_FLAGS) != 0) {
            throw new IllegalArgumentException("frame " + i + " asks for offloads 0x" + Integer.toHexString(flags & OFFLOAD_FLAGS)
                    + " but " + name + " offers only 0x" + Integer.toHexString(txOffloadFlags) + " (see capabilities())");
        }
        translation.translate(MEMORY, v.dataAddress(), v.dataLength(), flags, segmentSize, i);
        v.offloadFlags(v.offloadFlags() & KEEP | translation.olFlags());
        v.txOffload(translation.txOffload());
    }

    @Override
    public boolean awaitReceive(long timeoutNanos) {
        checkOpen();
        if (rxNext < rx.count()) {
            return true;
        }
        long deadline = System.nanoTime() + Math.max(0, timeoutNanos);
        // A polled device has nothing to block on: poll, spin a little, then yield the core.
        for (int spins = 0; ; spins++) {
            rxNext = 0;
            if (port.rxBurst(0, rx, rx.capacity()) > 0) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            PortCounters.pause(spins);
        }
    }

    @Override
    public PortStats stats() {
        checkOpen();
        io.jverbs.dpdk.PortStats d = port.stats();
        return new PortStats(counters.get(RX_FRAMES), counters.get(RX_BYTES), counters.get(TX_FRAMES), counters.get(TX_BYTES),
                d.rxMissed() + d.rxNoMbuf(), d.rxErrors() + counters.get(RX_BAD), d.txErrors());
    }


    @Override
    protected void destroy() {
        try {
            if (!rx.isClosed() && rxNext < rx.count()) {
                rx.free(rxNext, rx.count() - rxNext);
            }
        } finally {
            rx.close();
            scratch.close();
            if (!port.isClosed()) {
                port.stop();
            }
            if (ownedEal != null) {
                // This port is the EAL's only user (DpdkOpener made it): the ethdev, its pool, then
                // rte_eal_cleanup. Their children lists still hold this port, which is closed already.
                try {
                    port.close();
                    pool.close();
                } finally {
                    ownedEal.close();
                }
            }
        }
    }

    @Override
    protected String describe() {
        return "DpdkPort(" + name + ")";
    }
}
