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
 * {@link #interfaceMac()}. No offloads: the kernel fills every checksum of frames it sends to a
 * TAP without {@code IFF_VNET_HDR}, and checks the ones it receives.
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

    /**
     * @param buffers frame slots in the port's pool, shared by received frames and transmit buffers
     * @param maxBurst the burst size the port advertises
     * @param mac this end's MAC, or null for a random locally administered one
     */
    public record Options(int buffers, int maxBurst, MacAddress mac) {
        /** 512 slots, bursts of 64, a random MAC. */
        public static final Options DEFAULTS = new Options(512, 64, null);

        public Options {
            if (buffers < 1 || maxBurst < 1) {
                throw new IllegalArgumentException("buffers and maxBurst must be positive: " + this);
            }
        }

        public Options withMac(MacAddress mac) {
            return new Options(buffers, maxBurst, mac);
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
    private final PortCapabilities capabilities;
    private final MemorySegment pollFd;
    private final int[] free;
    private final boolean[] taken;
    private int freeCount;
    private long rxFrames, rxBytes, txFrames, txBytes, txErrors;

    private TapPort(String ifname, int fd, MacAddress interfaceMac, PortCapabilities caps, NativeBuffer pool,
                    int slots, int slotSize) {
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
        this.pollFd = memory.asSlice((long) slots * slotSize, pollfd.sizeof());
        pollfd.fd(pollFd, fd);
        pollfd.events(pollFd, POLLIN); // poll(2) writes only revents
        this.free = new int[slots];
        this.taken = new boolean[slots];
        for (int i = 0; i < slots; i++) {
            free[i] = slots - 1 - i;
        }
        this.freeCount = slots;
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
                ifreq.ifr_ifru_ifru_flags(req, (short) (LinuxLibc.IFF_TAP | LinuxLibc.IFF_NO_PI));
                Netdev.ioctl(fd, LinuxLibc.TUNSETIFF, req, LinuxCall.TUNSETIFF, name);
                ifname = req.getString(ifreq.ifr_ifrn_ifrn_name$offset(), StandardCharsets.UTF_8);
            }
            // MTU and MAC through an ordinary socket of this namespace, before anyone moves the interface.
            ctl = LinuxLibc.socket((int) LinuxLibc.AF_INET, (int) (LinuxLibc.SOCK_DGRAM | LinuxLibc.SOCK_CLOEXEC), 0);
            if (ctl < 0) {
                throw new NativeException(LinuxCall.DATAGRAM_SOCKET, Native.lastErrno());
            }
            int mtu = Netdev.mtu(ctl, ifname);
            MacAddress ifmac = Netdev.mac(ctl, ifname);
            int maxFrame = mtu + 18;
            int slot = (maxFrame + 63) & ~63;
            pool = NativeBuffer.allocate((long) slot * options.buffers() + pollfd.sizeof()); // the frames, then a pollfd
            MacAddress mac = options.mac() != null ? options.mac() : randomMac();
            PortCapabilities caps = new PortCapabilities(mac, mtu, maxFrame, Math.min(options.maxBurst(), options.buffers()),
                    false, false, false, 0);
            return new TapPort(ifname, fd, ifmac, caps, pool, options.buffers(), slot);
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
            long off = (long) s * slotSize;
            long rc = read(fd, base + off, slotSize);
            // A failure after frames is the queue running dry (EAGAIN); a real error shows on the next call.
            if (rc < 0 && (n > 0 || (rc = readAfterFailure(base + off)) < 0)) break;
            if (rc == 0) break;
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
            burst.set(i, (long) s * slotSize, 0, maxFrameLength, 0, s);
        }
        burst.count(k);
        return k;
    }

    @Override
    public int transmit(FrameBurst burst, int n) {
        checkOpen();
        PortChecks.checkTransmit(burst, n, name);
        if (n == 0) return 0;
        checkFrames(burst, n);
        int sent = 0;
        while (sent < n) {
            int len = burst.length(sent);
            long addr = base + burst.offset(sent);
            long rc = write(fd, addr, len);
            if (rc < 0) {
                rc = LinuxLibc.write(fd, addr, len); // again, to learn errno (see the class doc)
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
        long rc = LinuxLibc.read(fd, address, slotSize);
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
        free[freeCount++] = slot;
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
