package io.jverbs.raweth.linux;

import io.jverbs.core.Errno;
import io.jverbs.core.NativeBuffer;
import io.jverbs.core.NativeException;
import io.jverbs.core.NativeResource;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.raweth.linux.ffi.LinuxLibc;
import io.jverbs.raweth.linux.ffi.ifreq;
import io.jverbs.raweth.linux.ffi.pollfd;
import io.jverbs.raweth.port.FrameBurst;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.PortCapabilities;
import io.jverbs.raweth.port.PortStats;
import io.jverbs.raweth.wire.MacAddress;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A {@link PacketPort} on a TAP device ({@code /dev/net/tun} with {@code IFF_TAP | IFF_NO_PI}): this
 * port is the far end of an Ethernet link whose near end is the TAP interface in the kernel. Frames
 * the kernel sends out of the interface are {@link #receive received} here, and frames
 * {@link #transmit transmitted} here arrive at the kernel as if from a wire. Opening a name that
 * does not exist creates the interface, which lives as long as this port (it is not persistent);
 * the interface can be moved to another network namespace ({@code ip link set <name> netns <ns>})
 * and this port keeps working. Creating an interface needs {@code CAP_NET_ADMIN}.
 *
 * <p>TAP moves frames with {@code read}/{@code write}, so they are copied: between the kernel and
 * a pool of {@link Options#buffers()} slots in one {@link NativeBuffer} owned by the port. Received
 * frames and allocated transmit buffers come from the same pool, so a received frame may be
 * transmitted as it is (forwarded without a copy in Java). The descriptor is non-blocking;
 * {@link #awaitReceive} waits with {@code poll(2)}.
 *
 * <p>The port's {@link PortCapabilities#mac() MAC} is this end's own address (given in the
 * options, or a random locally administered one), not the interface's, which is
 * {@link #interfaceMac()}. By default no offloads: the kernel fills every checksum of frames it
 * sends to a TAP without {@code IFF_VNET_HDR}, and checks the ones it receives.
 *
 * <h2>Offloads: IFF_VNET_HDR</h2>
 * With {@link Options#tsoBuffers()} above 0 the device is opened with {@code IFF_VNET_HDR}: every
 * frame read or written is preceded by a {@code struct virtio_net_hdr} (kept in the slot before the
 * frame, so frames stay where the burst says). The port then offers TCP/UDP checksum offload
 * ({@code VIRTIO_NET_HDR_F_NEEDS_CSUM}) and TCP segmentation offload: frames of up to
 * {@link PortCapabilities#TSO_FRAME_LIMIT} bytes in that many extra buffers, written as one GSO packet
 * ({@code VIRTIO_NET_HDR_GSO_TCPV4}, {@code gso_size} the frame's segment size), which the kernel
 * takes as one large TCP packet (as from GRO) and segments only if it forwards it. Receive stays
 * MTU frames with their checksums filled: {@code TUNSETOFFLOAD} is set to no offloads, so the
 * kernel segments and checksums what it sends to the TAP (GRO/LRO on our side is not done).
 *
 * <p>The per-frame {@code read} and {@code write} capture no errno. A capturing downcall slices its
 * capture segment on every call, and that slice is freed by escape analysis only if C2 inlines the
 * whole downcall adapter, which it stops doing once the caller's loop is a few calls up (C2's
 * {@code MaxInlineLevel}): then every frame allocated. The port learns why a call failed without
 * errno on the hot path: a failed write is made again with errno capture (it fails the same way
 * or goes through), and a read that fails with no frame yet in the burst is followed by a zero
 * {@code poll(2)}; only if that shows something waiting is the read repeated with errno capture.
 */
public final class TapPort extends NativeResource implements PacketPort {
    // read(2) and write(2) without errno capture, from the generated bindings' symbols and descriptors.
    private static final MethodHandle READ = Native.LINKER.downcallHandle(LinuxLibc.read$address(),
            LinuxLibc.read$descriptor());
    private static final MethodHandle WRITE = Native.LINKER.downcallHandle(LinuxLibc.write$address(),
            LinuxLibc.write$descriptor());
    private static final short POLLIN = (short) LinuxLibc.POLLIN;
    /** Where a frame starts in its slot with IFF_VNET_HDR: 16-byte aligned, the 10-byte header just before it. */
    private static final int VNET_FRAME_AT = 16;

    /**
     * @param buffers frame slots in the port's pool, shared by received frames and transmit buffers
     * @param maxBurst the burst size the port advertises
     * @param mac this end's MAC, or null for a random locally administered one
     * @param tsoBuffers 0 for a plain TAP; else the device is opened with {@code IFF_VNET_HDR}, the
     *        port offers checksum and segmentation offload, and has this many transmit buffers of
     *        {@link PortCapabilities#TSO_FRAME_LIMIT} bytes (a write copies, so a few suffice)
     */
    public record Options(int buffers, int maxBurst, MacAddress mac, int tsoBuffers) {
        /** 512 slots, bursts of 64, a random MAC, no offloads. */
        public static final Options DEFAULTS = new Options(512, 64, null, 0);

        public Options {
            if (buffers < 1 || maxBurst < 1 || tsoBuffers < 0) {
                throw new IllegalArgumentException("buffers and maxBurst must be positive, tsoBuffers not negative: " + this);
            }
        }

        /** Without offloads. */
        public Options(int buffers, int maxBurst, MacAddress mac) {
            this(buffers, maxBurst, mac, 0);
        }

        public Options withMac(MacAddress mac) {
            return new Options(buffers, maxBurst, mac, tsoBuffers);
        }

        /** These options with {@code IFF_VNET_HDR} offloads and {@code n} TSO buffers (0: none). */
        public Options withTso(int n) {
            return new Options(buffers, maxBurst, mac, n);
        }
    }

    private final String name;
    private final String ifname;
    private final MacAddress interfaceMac;
    private final int fd;
    private final NativeBuffer pool;
    private final MemorySegment memory;
    private final long base;
    private final int slotSize;
    private final int maxFrameLength;
    private final int mtu;
    /** Plain slots; TSO buffers are numbered after them and lie after them in the pool. */
    private final int slots;
    private final int bigSlotSize;
    /** The virtio_net_hdr's length before each frame (0 without IFF_VNET_HDR), and where a frame starts in its slot. */
    private final int vnet;
    private final int frameAt;
    private final int[] bigFree;
    private int bigFreeCount;
    private final PortCapabilities capabilities;
    private final MemorySegment pollFd;
    private final int[] free;
    private final boolean[] taken;
    private int freeCount;
    private long rxFrames, rxBytes, txFrames, txBytes, txErrors;

    private TapPort(String ifname, int fd, MacAddress interfaceMac, PortCapabilities caps, NativeBuffer pool,
                    int slots, int slotSize, int tsoBuffers, int bigSlotSize) {
        super(null, pool);
        this.name = "tap:" + ifname;
        this.ifname = ifname;
        this.fd = fd;
        this.interfaceMac = interfaceMac;
        this.capabilities = caps;
        this.maxFrameLength = caps.maxFrameLength();
        this.pool = pool;
        this.memory = pool.segment();
        this.base = pool.address();
        this.slotSize = slotSize;
        this.mtu = caps.mtu();
        this.slots = slots;
        this.bigSlotSize = bigSlotSize;
        this.vnet = tsoBuffers > 0 ? VnetHeader.LENGTH : 0;
        this.frameAt = tsoBuffers > 0 ? VNET_FRAME_AT : 0;
        this.pollFd = memory.asSlice((long) slots * slotSize + (long) tsoBuffers * bigSlotSize, pollfd.sizeof());
        pollfd.fd(pollFd, fd);
        pollfd.events(pollFd, POLLIN); // poll(2) writes only revents
        this.free = new int[slots];
        this.taken = new boolean[slots + tsoBuffers];
        for (int i = 0; i < slots; i++) {
            free[i] = slots - 1 - i;
        }
        this.freeCount = slots;
        this.bigFree = new int[tsoBuffers];
        for (int i = 0; i < tsoBuffers; i++) {
            bigFree[i] = slots + tsoBuffers - 1 - i;
        }
        this.bigFreeCount = tsoBuffers;
        attach();
    }

    /** Opens (creating if needed) the TAP device {@code name} with {@link Options#DEFAULTS}. */
    public static TapPort open(String name) {
        return open(name, Options.DEFAULTS);
    }

    /**
     * Opens the TAP device {@code name}, creating it if there is none of that name.
     *
     * @throws NativeException naming the failed call: {@code ENOENT} from {@code open} without the tun
     *         driver, {@code EPERM} from {@code TUNSETIFF} without CAP_NET_ADMIN
     */
    public static TapPort open(String name, Options options) {
        Netdev.checkName(name);
        int fd;
        try (Arena a = Arena.ofConfined()) {
            fd = LinuxLibc.open(a.allocateFrom("/dev/net/tun"),
                    (int) (LinuxLibc.O_RDWR | LinuxLibc.O_NONBLOCK | LinuxLibc.O_CLOEXEC));
        }
        if (fd < 0) {
            throw new NativeException(LinuxCall.OPEN_TUN, Native.lastErrno());
        }
        int ctl = -1;
        NativeBuffer pool = null;
        try {
            String ifname;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment req = Netdev.ifreq(a, name);
                boolean vnet = options.tsoBuffers() > 0;
                ifreq.ifr_ifru_ifru_flags(req, (short) (LinuxLibc.IFF_TAP | LinuxLibc.IFF_NO_PI
                        | (vnet ? LinuxLibc.IFF_VNET_HDR : 0)));
                Netdev.ioctl(fd, LinuxLibc.TUNSETIFF, req, LinuxCall.TUNSETIFF, name);
                ifname = req.getString(ifreq.ifr_ifrn_ifrn_name$offset(), StandardCharsets.UTF_8);
                if (vnet) {
                    // What the kernel may hand us unfinished: nothing (the argument is the flags word
                    // itself), so received frames are MTU frames with their checksums filled.
                    Netdev.ioctl(fd, LinuxLibc.TUNSETOFFLOAD, MemorySegment.NULL, LinuxCall.TUNSETOFFLOAD, ifname);
                }
            }
            // MTU and MAC through an ordinary socket of this namespace, before anyone moves the interface.
            ctl = LinuxLibc.socket((int) LinuxLibc.AF_INET, (int) (LinuxLibc.SOCK_DGRAM | LinuxLibc.SOCK_CLOEXEC), 0);
            if (ctl < 0) {
                throw new NativeException(LinuxCall.DATAGRAM_SOCKET, Native.lastErrno());
            }
            int mtu = Netdev.mtu(ctl, ifname);
            MacAddress ifmac = Netdev.mac(ctl, ifname);
            int maxFrame = mtu + 18;
            boolean vnet = options.tsoBuffers() > 0;
            int at = vnet ? VNET_FRAME_AT : 0;
            int slot = (at + maxFrame + 63) & ~63;
            int bigSlot = vnet ? (at + PortCapabilities.TSO_FRAME_LIMIT + 63) & ~63 : 0;
            // the frames, the TSO buffers, then a pollfd
            pool = NativeBuffer.allocate((long) slot * options.buffers() + (long) bigSlot * options.tsoBuffers()
                    + pollfd.sizeof());
            MacAddress mac = options.mac() != null ? options.mac() : randomMac();
            PortCapabilities caps = new PortCapabilities(mac, mtu, maxFrame, Math.min(options.maxBurst(), options.buffers()),
                    false, false, vnet, vnet ? PortCapabilities.TSO_FRAME_LIMIT : 0);
            return new TapPort(ifname, fd, ifmac, caps, pool, options.buffers(), slot, options.tsoBuffers(), bigSlot);
        } catch (RuntimeException e) {
            if (pool != null) pool.close();
            Netdev.closeQuietly(fd);
            throw e;
        } finally {
            Netdev.closeQuietly(ctl);
        }
    }

    private static MacAddress randomMac() {
        // unicast, locally administered (IEEE 802: bits 0 and 1 of the first octet)
        long v = ThreadLocalRandom.current().nextLong() & 0xffff_ffff_ffffL;
        return new MacAddress((v & ~(1L << 40)) | (1L << 41));
    }

    @Override
    public String name() {
        return name;
    }

    /** The TAP interface's name in the kernel (the name asked for, or what a {@code tap%d} pattern became). */
    public String interfaceName() {
        return ifname;
    }

    /** The kernel interface's MAC when the port opened: the address this end talks to. */
    public MacAddress interfaceMac() {
        return interfaceMac;
    }

    @Override
    public PortCapabilities capabilities() {
        checkOpen();
        return capabilities;
    }

    @Override
    public int receive(FrameBurst burst) {
        checkOpen();
        burst.requireEmpty(name, "receive");
        burst.memory(memory);
        int cap = burst.capacity();
        int n = 0;
        long bytes = 0;
        while (n < cap && freeCount > 0) {
            int s = free[freeCount - 1];
            long off = (long) s * slotSize + frameAt; // the frame; with IFF_VNET_HDR its header just before
            long rc = read(fd, base + off - vnet, slotSize - frameAt + vnet);
            // A failure after frames is the queue running dry (EAGAIN); a real error shows on the next call.
            if (rc < 0 && (n > 0 || (rc = readAfterFailure(base + off - vnet)) < 0)) break;
            if (rc <= vnet) break;
            rc -= vnet;
            freeCount--;
            taken[s] = true;
            burst.set(n++, off, (int) rc, (int) rc, 0, s);
            bytes += rc;
        }
        burst.count(n);
        rxFrames += n;
        rxBytes += bytes;
        return n;
    }

    @Override
    public void release(FrameBurst burst) {
        checkOpen();
        int n = burst.count();
        if (n == 0) return;
        checkFrames(burst, n);
        for (int i = 0; i < n; i++) {
            giveBack((int) burst.handle(i));
        }
        burst.count(0);
    }

    @Override
    public int allocate(FrameBurst burst, int n) {
        checkOpen();
        PortChecks.checkAllocate(burst, n, name);
        burst.memory(memory);
        int k = Math.min(n, freeCount);
        for (int i = 0; i < k; i++) {
            int s = free[--freeCount];
            taken[s] = true;
            burst.set(i, (long) s * slotSize + frameAt, 0, maxFrameLength, 0, s);
        }
        burst.count(k);
        return k;
    }

    /** TSO buffers for lengths beyond {@link PortCapabilities#maxFrameLength()}, with {@link Options#tsoBuffers()}. */
    @Override
    public int allocate(FrameBurst burst, int n, int length) {
        if (length <= maxFrameLength) {
            return allocate(burst, n);
        }
        checkOpen();
        if (length > capabilities.tsoMaxFrame()) {
            throw new IllegalArgumentException(name + ": no transmit buffers of " + length + " bytes (maxFrameLength "
                    + maxFrameLength + ", tsoMaxFrame " + capabilities.tsoMaxFrame() + ")");
        }
        PortChecks.checkAllocate(burst, n, name);
        burst.memory(memory);
        int k = Math.min(n, bigFreeCount);
        long bigBase = (long) slots * slotSize;
        for (int i = 0; i < k; i++) {
            int s = bigFree[--bigFreeCount];
            taken[s] = true;
            burst.set(i, bigBase + (long) (s - slots) * bigSlotSize + frameAt, 0, capabilities.tsoMaxFrame(), 0, s);
        }
        burst.count(k);
        return k;
    }

    @Override
    public int transmit(FrameBurst burst, int n) {
        checkOpen();
        PortChecks.checkTransmit(burst, n, name, vnet != 0 ? PortChecks.VNET_OFFLOADS : 0);
        if (n == 0) return 0;
        checkFrames(burst, n);
        int sent = 0;
        while (sent < n) {
            int len = burst.length(sent);
            int flags = burst.flags(sent);
            if (vnet != 0) {
                VnetHeader.write(memory, burst.offset(sent) - vnet, len, flags, burst.segmentSize(sent), mtu, sent);
            } else if ((flags & FrameBurst.TX_TCP_SEGMENTATION) != 0) {
                throw new IllegalArgumentException("frame " + sent + " asks for TSO, which " + name
                        + " does not offer (open it with Options.withTso)");
            }
            long addr = base + burst.offset(sent) - vnet;
            long rc = write(fd, addr, len + vnet);
            if (rc < 0) {
                rc = LinuxLibc.write(fd, addr, len + vnet); // again, to learn errno (see the class doc)
            }
            if (rc < 0) {
                int errno = Native.lastErrno();
                if (errno == Errno.EINTR) continue;
                if (errno == Errno.EAGAIN) break; // the rest stay the caller's
                txErrors++; // e.g. EIO while the interface is down: the frame is lost, as on a wire without link
            } else {
                txFrames++;
                txBytes += len;
            }
            giveBack((int) burst.handle(sent));
            sent++;
        }
        burst.removeFirst(sent);
        return sent;
    }

    /**
     * After a read without errno failed with no frame in the burst yet: -1 when nothing is
     * waiting (the EAGAIN of an idle device), else the result of a read with errno capture, which
     * takes a frame that arrived meanwhile or throws the error (the device was removed).
     */
    private long readAfterFailure(long address) {
        if (LinuxLibc.poll(pollFd, 1, 0) <= 0) {
            return -1;
        }
        long rc = LinuxLibc.read(fd, address, slotSize - frameAt + vnet);
        if (rc < 0) {
            int errno = Native.lastErrno();
            if (errno != Errno.EAGAIN && errno != Errno.EINTR) {
                throw new NativeException(LinuxCall.READ, errno, "TAP device " + ifname);
            }
        }
        return rc;
    }

    private static long read(int fd, long address, long count) {
        try {
            return (long) READ.invokeExact(fd, address, count);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
    }

    private static long write(int fd, long address, long count) {
        try {
            return (long) WRITE.invokeExact(fd, address, count);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
    }

    private void giveBack(int slot) {
        taken[slot] = false;
        if (slot < slots) {
            free[freeCount++] = slot;
        } else {
            bigFree[bigFreeCount++] = slot;
        }
    }

    private void checkFrames(FrameBurst burst, int n) {
        if (burst.memory() != memory) {
            throw new IllegalArgumentException("the burst holds frames of another port, not of " + name);
        }
        for (int i = 0; i < n; i++) {
            long h = burst.handle(i);
            if (h < 0 || h >= taken.length || !taken[(int) h]) {
                throw new IllegalArgumentException("frame " + i + " of the burst is not a frame held from " + name);
            }
        }
    }


    @Override
    public boolean awaitReceive(long timeoutNanos) {
        checkOpen();
        return LibC.awaitReadable(fd, PortChecks.pollMillis(timeoutNanos));
    }

    /** Counters; TAP reports no drops or receive errors here ({@code ip -s link} has the kernel's side). */
    @Override
    public PortStats stats() {
        checkOpen();
        return new PortStats(rxFrames, rxBytes, txFrames, txBytes, 0, 0, txErrors);
    }

    @Override
    protected void destroy() {
        // closing the last descriptor of a non-persistent TAP removes the interface
        LinuxLibc.close(fd);
        pool.close();
    }

    @Override
    protected String describe() {
        return name;
    }

    @Override
    public String toString() {
        return name;
    }
}
