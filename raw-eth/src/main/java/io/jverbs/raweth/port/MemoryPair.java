package io.jverbs.raweth.port;

import io.jverbs.raweth.wire.MacAddress;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/**
 * Two {@link PacketPort}s joined by a simulated cable in native memory: what {@link #a()}
 * transmits {@link #b()} receives and the other way round, with no kernel and no threads. The
 * cable copies each frame into a receive slot of the far port, as a NIC's DMA would, and delivers
 * it {@link Builder#latency latency} nanoseconds later by the injected {@link NanoClock}; with a
 * {@link ManualClock} a test decides when frames arrive.
 *
 * <p>Each direction holds at most {@link Builder#queueDepth queueDepth} frames, counting those the
 * receiver still holds; beyond that transmit takes a prefix and leaves the rest in the burst,
 * which is how a full DPDK ring behaves. The simulated device fills the checksums of frames
 * flagged {@link FrameBurst#TX_IP_CHECKSUM}/{@link FrameBurst#TX_L4_CHECKSUM} when the builder
 * offers those offloads, and with {@link Builder#rxChecksumFlags} verifies received IPv4/TCP/UDP
 * checksums, flags the good frames and drops the bad ones into {@link PortStats#rxErrors()}. With
 * {@link Builder#tsoMaxFrame} the device also offers TCP segmentation offload: each port has
 * {@link Builder#tsoBuffers} transmit buffers of that size ({@link PacketPort#allocate(FrameBurst, int, int)}),
 * and a frame flagged {@link FrameBurst#TX_TCP_SEGMENTATION} crosses the cable as the MTU-sized
 * segments a NIC would cut from it, each in its own receive slot.
 *
 * <p>Each port's data path may run on its own thread (a two-stack test with a thread per stack):
 * the two directions are single-producer single-consumer queues. Nothing is allocated per burst.
 * {@link PacketPort#awaitReceive} waits in real time ({@link System#nanoTime()}) whatever the
 * clock, since only another thread can make a frame arrive during the wait; a single-threaded
 * simulation advances its clock and polls {@link PacketPort#receive} instead.
 *
 * {@snippet :
 * ManualClock clock = new ManualClock();
 * try (MemoryPair pair = MemoryPair.builder().clock(clock).latency(50_000).build()) {
 *     FrameBurst burst = new FrameBurst(32);
 *     pair.a().allocate(burst, 1);
 *     // ... write a frame at burst.memory(), burst.offset(0); then:
 *     burst.length(0, 60);
 *     pair.a().transmit(burst, 1);
 *     clock.advance(50_000);                  // the frame crosses the cable
 *     int n = pair.b().receive(burst);        // 1
 *     pair.b().release(burst);
 * }
 * }
 */
public final class MemoryPair implements AutoCloseable {
    private static final int SLOT_ALIGN = 64;
    private static final int TAG_TX = 1;
    private static final int TAG_RX = 2;

    private final Arena arena;
    private final MemorySegment memory;
    private final NanoClock clock;
    private final long latency;
    private final int queueDepth;
    private final int txBuffers;
    private final int tsoBuffers;
    private final Port a;
    private final Port b;

    /** A pair with the defaults of {@link Builder}. */
    public static MemoryPair create() {
        return builder().build();
    }

    /** Settings for a pair, every one with a default. */
    public static Builder builder() {
        return new Builder();
    }

    private MemoryPair(Builder s) {
        clock = s.clock;
        latency = s.latency;
        queueDepth = s.queueDepth;
        txBuffers = s.txBuffers;
        tsoBuffers = s.tsoMaxFrame == 0 ? 0 : s.tsoBuffers;
        int maxFrame = s.mtu + 18;
        if (s.tsoMaxFrame != 0 && s.tsoMaxFrame <= maxFrame) {
            throw new IllegalArgumentException("tsoMaxFrame " + s.tsoMaxFrame + " must exceed mtu + 18 = " + maxFrame);
        }
        int slot = (maxFrame + SLOT_ALIGN - 1) / SLOT_ALIGN * SLOT_ALIGN;
        int bigSlot = (s.tsoMaxFrame + SLOT_ALIGN - 1) / SLOT_ALIGN * SLOT_ALIGN;
        PortCapabilities capsA = new PortCapabilities(s.macA, s.mtu, maxFrame, s.maxBurst, s.rxChecksumFlags,
                s.txIpChecksum, s.txL4Checksum, s.tsoMaxFrame);
        PortCapabilities capsB = new PortCapabilities(s.macB, s.mtu, maxFrame, s.maxBurst, s.rxChecksumFlags,
                s.txIpChecksum, s.txL4Checksum, s.tsoMaxFrame);
        // One segment: A's transmit buffers (plain, then TSO), B's, then the A->B and B->A receive slots.
        long pool = (long) txBuffers * slot + (long) tsoBuffers * bigSlot;
        long ring = (long) queueDepth * slot;
        arena = Arena.ofShared();
        memory = arena.allocate(2 * pool + 2 * ring, SLOT_ALIGN);
        Lane ab = new Lane(2 * pool, queueDepth, slot);
        Lane ba = new Lane(2 * pool + ring, queueDepth, slot);
        a = new Port(0, s.name + ":a", capsA, 0, slot, bigSlot, ab, ba);
        b = new Port(1, s.name + ":b", capsB, pool, slot, bigSlot, ba, ab);
    }

    /** The first port. */
    public PacketPort a() {
        return a;
    }

    /** The second port. */
    public PacketPort b() {
        return b;
    }

    /** The clock that times the cable. */
    public NanoClock clock() {
        return clock;
    }

    /** How many frames each direction holds. */
    public int queueDepth() {
        return queueDepth;
    }

    /** How many transmit buffers each port has. */
    public int txBuffers() {
        return txBuffers;
    }

    /** How many TSO transmit buffers each port has (0 without TSO). */
    public int tsoBuffers() {
        return tsoBuffers;
    }

    /** Closes both ports and frees the memory. */
    @Override
    public void close() {
        a.close();
        b.close();
    }

    private void portClosed() {
        if (a.closed && b.closed) {
            synchronized (this) {
                if (arena.scope().isAlive()) {
                    arena.close();
                }
            }
        }
    }

    /**
     * One direction of the cable: a ring of receive slots. The transmitting port's thread writes
     * slots and publishes {@code tail}; the receiving port's thread reads up to it, and publishes
     * {@code freed} as the frames it handed out come back, in any order.
     */
    private static final class Lane {
        private static final VarHandle TAIL;
        private static final VarHandle FREED;

        static {
            try {
                MethodHandles.Lookup l = MethodHandles.lookup();
                TAIL = l.findVarHandle(Lane.class, "tail", long.class);
                FREED = l.findVarHandle(Lane.class, "freed", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final long base;
        final int depth;
        final int slotSize;
        final int[] lengths;
        final int[] flags;
        final long[] due;
        final boolean[] released;
        @SuppressWarnings("unused") // through TAIL
        private long tail;
        @SuppressWarnings("unused") // through FREED
        private long freed;
        /** Receiver's: the next frame to hand out. */
        long head;

        Lane(long base, int depth, int slotSize) {
            this.base = base;
            this.depth = depth;
            this.slotSize = slotSize;
            lengths = new int[depth];
            flags = new int[depth];
            due = new long[depth];
            released = new boolean[depth];
        }

        long tail() {
            return (long) TAIL.getAcquire(this);
        }

        void publishTail(long t) {
            TAIL.setRelease(this, t);
        }

        long freed() {
            return (long) FREED.getAcquire(this);
        }

        int slot(long seq) {
            return (int) (seq % depth);
        }

        long offset(int slot) {
            return base + (long) slot * slotSize;
        }

        /** Receiver: frame {@code slot} is back; frees the run of returned slots at the ring's end. */
        void release(int slot) {
            released[slot] = true;
            long f = (long) FREED.getOpaque(this);
            while (f < head && released[slot(f)]) {
                released[slot(f)] = false;
                f++;
            }
            FREED.setRelease(this, f);
        }
    }

    private final class Port implements PacketPort {
        private final int id;
        private final String name;
        private final PortCapabilities caps;
        private final long poolBase;
        private final int slotSize;
        private final int bigSlotSize;
        private final Lane out;
        private final Lane in;
        private final int[] free;
        private int freeTop;
        /** Free TSO buffers, numbered from txBuffers on. */
        private final int[] bigFree;
        private int bigFreeTop;
        private final DeviceOffloads offloads = new DeviceOffloads();
        private final long txTag;
        private final long rxTag;
        /** The transmit offloads this device offers: other requested flags are ignored, as a NIC would. */
        private final int txOffloads;
        volatile boolean closed;
        private volatile long rxFrames;
        private volatile long rxBytes;
        private volatile long txFrames;
        private volatile long txBytes;
        private volatile long rxErrors;

        Port(int id, String name, PortCapabilities caps, long poolBase, int slotSize, int bigSlotSize, Lane out, Lane in) {
            this.id = id;
            this.name = name;
            this.caps = caps;
            this.poolBase = poolBase;
            this.slotSize = slotSize;
            this.bigSlotSize = bigSlotSize;
            this.out = out;
            this.in = in;
            free = new int[txBuffers];
            for (int i = 0; i < txBuffers; i++) {
                free[i] = txBuffers - 1 - i;
            }
            freeTop = txBuffers;
            bigFree = new int[tsoBuffers];
            for (int i = 0; i < tsoBuffers; i++) {
                bigFree[i] = txBuffers + tsoBuffers - 1 - i;
            }
            bigFreeTop = tsoBuffers;
            txTag = (long) (id << 2 | TAG_TX) << 32;
            rxTag = (long) (id << 2 | TAG_RX) << 32;
            txOffloads = (caps.txIpChecksum() ? FrameBurst.TX_IP_CHECKSUM : 0)
                    | (caps.txL4Checksum() ? FrameBurst.TX_L4_CHECKSUM : 0)
                    | (caps.tso() ? FrameBurst.TX_TCP_SEGMENTATION : 0);
        }

        private void open() {
            if (closed) {
                throw new IllegalStateException(name + " is closed");
            }
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public PortCapabilities capabilities() {
            return caps;
        }

        @Override
        public int receive(FrameBurst burst) {
            open();
            burst.requireEmpty(name, "receive");
            int max = Math.min(burst.capacity(), caps.maxBurst());
            long tail = in.tail();
            long now = latency == 0 ? 0 : clock.nanos();
            int n = 0;
            long bytes = 0;
            int errors = 0;
            burst.memory(memory);
            while (n < max && in.head < tail) {
                int slot = in.slot(in.head);
                if (latency != 0 && in.due[slot] - now > 0) {
                    break; // still on the cable; later frames are later still
                }
                in.head++;
                long off = in.offset(slot);
                int len = in.lengths[slot];
                int flags = 0;
                if (caps.rxChecksumFlags()) {
                    flags = offloads.check(memory, off, len);
                    if (flags == DeviceOffloads.BAD) {
                        errors++;
                        in.release(slot);
                        continue;
                    }
                }
                burst.set(n++, off, len, slotSize, flags, rxTag | slot);
                bytes += len;
            }
            burst.count(n);
            if (n != 0) {
                rxFrames += n;
                rxBytes += bytes;
            }
            if (errors != 0) {
                rxErrors += errors;
            }
            return n;
        }

        @Override
        public void release(FrameBurst burst) {
            open();
            int n = burst.count();
            for (int i = 0; i < n; i++) {
                long h = burst.handle(i);
                int index = (int) h;
                long tag = h & 0xffff_ffff_0000_0000L;
                if (tag == txTag && index >= 0 && index < txBuffers + tsoBuffers) {
                    giveBack(index);
                } else if (tag == rxTag && index >= 0 && index < in.depth) {
                    in.release(index);
                } else {
                    throw new IllegalArgumentException(name + ": frame " + i + " of the burst is not this port's");
                }
            }
            burst.count(0);
        }

        @Override
        public int allocate(FrameBurst burst, int n) {
            open();
            burst.requireEmpty(name, "allocate");
            int k = Math.min(Math.min(n, burst.capacity()), freeTop);
            burst.memory(memory);
            for (int i = 0; i < k; i++) {
                int index = free[--freeTop];
                burst.set(i, poolBase + (long) index * slotSize, 0, caps.maxFrameLength(), 0, txTag | index);
            }
            burst.count(Math.max(k, 0));
            return Math.max(k, 0);
        }

        @Override
        public int allocate(FrameBurst burst, int n, int length) {
            if (length <= caps.maxFrameLength()) {
                return allocate(burst, n);
            }
            open();
            burst.requireEmpty(name, "allocate");
            if (length > caps.tsoMaxFrame()) {
                throw new IllegalArgumentException(name + ": no transmit buffers of " + length + " bytes (tsoMaxFrame "
                        + caps.tsoMaxFrame() + ")");
            }
            int k = Math.min(Math.min(n, burst.capacity()), bigFreeTop);
            burst.memory(memory);
            for (int i = 0; i < k; i++) {
                int index = bigFree[--bigFreeTop];
                burst.set(i, bigOffset(index), 0, caps.tsoMaxFrame(), 0, txTag | index);
            }
            burst.count(Math.max(k, 0));
            return Math.max(k, 0);
        }

        private long bigOffset(int index) {
            return poolBase + (long) txBuffers * slotSize + (long) (index - txBuffers) * bigSlotSize;
        }

        private void giveBack(int index) {
            if (index < txBuffers) {
                free[freeTop++] = index;
            } else {
                bigFree[bigFreeTop++] = index;
            }
        }

        @Override
        public int transmit(FrameBurst burst, int n) {
            open();
            Objects.checkFromToIndex(0, n, burst.count());
            long tail = out.tail();
            long room = out.depth - (tail - out.freed());
            long due = latency == 0 ? 0 : clock.nanos() + latency;
            long bytes = 0;
            long used = 0;
            int segments = 0;
            MemorySegment m = burst.memory();
            int k = 0;
            for (; k < n && used < room; k++) {
                long h = burst.handle(k);
                if ((h & 0xffff_ffff_0000_0000L) != txTag) {
                    throw new IllegalArgumentException(name + ": frame " + k
                            + " is not one of this port's transmit buffers (received frames are copied to be sent)");
                }
                int len = burst.length(k);
                int flags = burst.flags(k) & txOffloads;
                long from = burst.offset(k);
                if ((flags & FrameBurst.TX_TCP_SEGMENTATION) != 0) {
                    int count = offloads.prepareSegmentation(m, from, len, burst.segmentSize(k), caps.mtu());
                    if (count < 0) {
                        throw new IllegalArgumentException(name + ": frame " + k + " asks for TSO at segment size "
                                + burst.segmentSize(k) + " but is no IPv4/TCP frame with payload whose segments fit the MTU");
                    }
                    if (count > out.depth) {
                        throw new IllegalArgumentException(name + ": frame " + k + " makes " + count
                                + " segments, more than the queue depth " + out.depth + " holds");
                    }
                    if (used + count > room) {
                        break; // the ring has no room for all its segments: the frame stays the caller's
                    }
                    for (int j = 0; j < count; j++) {
                        int slot = out.slot(tail + used++);
                        int segment = offloads.segment(m, from, j, memory, out.offset(slot));
                        publishSlot(slot, segment, due);
                        bytes += segment;
                    }
                    segments += count;
                } else {
                    if (len > caps.maxFrameLength()) {
                        throw new IllegalArgumentException(name + ": frame " + k + " is " + len
                                + " bytes, beyond maxFrameLength " + caps.maxFrameLength() + ", without TX_TCP_SEGMENTATION");
                    }
                    int slot = out.slot(tail + used++);
                    long to = out.offset(slot);
                    MemorySegment.copy(m, from, memory, to, len);
                    offloads.fill(memory, to, len, flags);
                    publishSlot(slot, len, due);
                    bytes += len;
                    segments++;
                }
                giveBack((int) h);
            }
            out.publishTail(tail + used);
            burst.removeFirst(k);
            if (k != 0) {
                txFrames += segments; // frames on the wire: a TSO frame counts its segments
                txBytes += bytes;
            }
            return k;
        }

        private void publishSlot(int slot, int len, long due) {
            out.lengths[slot] = len;
            out.flags[slot] = 0;
            out.due[slot] = due;
        }

        private boolean ready() {
            if (in.head >= in.tail()) {
                return false;
            }
            return latency == 0 || in.due[in.slot(in.head)] - clock.nanos() <= 0;
        }

        @Override
        public boolean awaitReceive(long timeoutNanos) {
            open();
            if (ready()) {
                return true;
            }
            long end = System.nanoTime() + Math.max(0, timeoutNanos);
            while (true) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return ready();
                }
                LockSupport.parkNanos(Math.min(left, 50_000));
                if (ready()) {
                    return true;
                }
                open();
            }
        }

        @Override
        public PortStats stats() {
            open();
            return new PortStats(rxFrames, rxBytes, txFrames, txBytes, 0, rxErrors, 0);
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                portClosed();
            }
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** How a {@link MemoryPair} is made; each setter returns this builder. */
    public static final class Builder {
        private String name = "memory";
        private int mtu = 1500;
        private int maxBurst = 32;
        private int queueDepth = 256;
        private int txBuffers = 256;
        private long latency;
        private NanoClock clock = NanoClock.system();
        private boolean rxChecksumFlags;
        private boolean txIpChecksum;
        private boolean txL4Checksum;
        private int tsoMaxFrame;
        private int tsoBuffers = 16;
        private MacAddress macA = MacAddress.parse("02:00:00:00:00:0a");
        private MacAddress macB = MacAddress.parse("02:00:00:00:00:0b");

        private Builder() {
        }

        /** The ports' names are {@code name + ":a"} and {@code ":b"}; default {@code memory}. */
        public Builder name(String value) {
            name = Objects.requireNonNull(value, "name");
            return this;
        }

        /** The MTU, 68..65000; default 1500. Frames are up to mtu + 18 bytes (a VLAN tag's room). */
        public Builder mtu(int value) {
            mtu = check("mtu", value, 68, 65_000);
            return this;
        }

        /** The most frames one receive hands out; default 32. */
        public Builder maxBurst(int value) {
            maxBurst = check("maxBurst", value, 1, 1 << 16);
            return this;
        }

        /** Frames one direction holds, in flight or held by the receiver; default 256. */
        public Builder queueDepth(int value) {
            queueDepth = check("queueDepth", value, 1, 1 << 20);
            return this;
        }

        /** Transmit buffers per port; default 256. */
        public Builder txBuffers(int value) {
            txBuffers = check("txBuffers", value, 1, 1 << 20);
            return this;
        }

        /** One-way delay in nanoseconds of {@link #clock}; default 0 (receivable at once). */
        public Builder latency(long nanos) {
            if (nanos < 0) {
                throw new IllegalArgumentException("latency " + nanos + " must not be negative");
            }
            latency = nanos;
            return this;
        }

        /** The clock that times latency; default {@link NanoClock#system()}. */
        public Builder clock(NanoClock value) {
            clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /** Whether the device checks received checksums (flags good frames, drops bad ones); default off. */
        public Builder rxChecksumFlags(boolean value) {
            rxChecksumFlags = value;
            return this;
        }

        /** Whether the device fills IPv4 header checksums on request; default off. */
        public Builder txIpChecksum(boolean value) {
            txIpChecksum = value;
            return this;
        }

        /** Whether the device fills TCP/UDP checksums on request; default off. */
        public Builder txL4Checksum(boolean value) {
            txL4Checksum = value;
            return this;
        }

        /**
         * Offers TCP segmentation offload for frames of up to {@code maxFrame} bytes (above mtu + 18,
         * at most {@link PortCapabilities#TSO_FRAME_LIMIT}); 0, the default, offers none.
         */
        public Builder tsoMaxFrame(int maxFrame) {
            tsoMaxFrame = maxFrame == 0 ? 0 : check("tsoMaxFrame", maxFrame, 1, PortCapabilities.TSO_FRAME_LIMIT);
            return this;
        }

        /** TSO transmit buffers per port, used only with {@link #tsoMaxFrame}; default 16. */
        public Builder tsoBuffers(int value) {
            tsoBuffers = check("tsoBuffers", value, 1, 1 << 12);
            return this;
        }

        /** The ports' MAC addresses; default 02:00:00:00:00:0a and :0b. */
        public Builder macs(MacAddress a, MacAddress b) {
            macA = Objects.requireNonNull(a, "a");
            macB = Objects.requireNonNull(b, "b");
            return this;
        }

        /** A new pair with these settings. */
        public MemoryPair build() {
            return new MemoryPair(this);
        }

        private static int check(String what, int value, int min, int max) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(what + " " + value + " outside [" + min + ", " + max + "]");
            }
            return value;
        }
    }
}
