package io.jverbs.raweth.port;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * A {@link PacketPort} that damages what it receives, as a bad network would: seeded loss,
 * bit-flip corruption, duplication, reordering and delay (with jitter) timed by an injected
 * {@link NanoClock}, each with its own probability or amount and its own counter in
 * {@link #faults()}. The same seed and the same frames give the same faults every run. Modelled on
 * smoltcp's {@code phy::FaultInjector}; this kernel has no netem.
 *
 * <p>Faults apply to frames this port receives; wrap both ends of a link to damage both
 * directions. Transmit passes through. Every received frame is copied into the injector's own
 * buffers (so it can be held, duplicated or flipped) and the wrapped port's buffer released at
 * once: the caller's frames lie in the injector's memory and {@link #release} returns them there.
 * Nothing is allocated per burst.
 *
 * <p>Order of decisions for each frame, each drawn from the one generator: loss; corruption (one
 * random bit of the frame flipped); delay ({@code delay} plus a uniform jitter in
 * {@code [0, jitter]}); reordering (the frame waits until a later frame has been delivered, or
 * {@code reorderTimeout} past its time); duplication (a second copy, same time). Frames the
 * injector has no buffer for are dropped and counted as overflow.
 */
public final class FaultInjector extends ForwardingPort {
    private static final long TAG = 0x4641_5400_0000_0000L; // "FAT": the injector's handles

    private final Settings s;
    private final RandomGenerator random;
    private final Arena arena;
    private final MemorySegment memory;
    private final int slotSize;
    private final FrameBurst in;
    // Held frames, in arrival order.
    private final int[] order;
    private int held;
    private final long[] due;
    private final int[] lengths;
    private final boolean[] waits;
    private final boolean[] passed;
    private final int[] free;
    private int freeTop;
    private volatile boolean closed;
    private long rxFrames;
    private long rxBytes;
    private long dropped;
    private long corrupted;
    private long duplicated;
    private long delayed;
    private long reordered;
    private long overflowed;

    /**
     * What the injector did.
     *
     * @param dropped frames lost
     * @param corrupted frames with a bit flipped
     * @param duplicated extra copies delivered
     * @param delayed frames held for a delay above zero
     * @param reordered frames held back behind a later one
     * @param overflowed frames dropped because every injector buffer was held
     */
    public record Faults(long dropped, long corrupted, long duplicated, long delayed, long reordered, long overflowed) {
    }

    private FaultInjector(PacketPort inner, Settings s) {
        super(inner);
        this.s = s;
        random = s.random != null ? s.random : RandomGeneratorFactory.of("L64X128MixRandom").create(s.seed);
        PortCapabilities c = inner.capabilities();
        slotSize = (c.maxFrameLength() + 63) & ~63;
        arena = Arena.ofShared();
        memory = arena.allocate((long) s.buffers * slotSize, 64);
        in = new FrameBurst(c.maxBurst());
        order = new int[s.buffers];
        due = new long[s.buffers];
        lengths = new int[s.buffers];
        waits = new boolean[s.buffers];
        passed = new boolean[s.buffers];
        free = new int[s.buffers];
        for (int i = 0; i < s.buffers; i++) {
            free[i] = s.buffers - 1 - i;
        }
        freeTop = s.buffers;
    }

    /** Settings for {@link #wrap}: no faults until set. */
    public static Settings settings() {
        return new Settings();
    }

    /** Wraps {@code port} with the faults of {@code settings}; closing the result closes the port. */
    public static FaultInjector wrap(PacketPort port, Settings settings) {
        return new FaultInjector(port, settings.copy());
    }

    /** What was injected so far. */
    public Faults faults() {
        return new Faults(dropped, corrupted, duplicated, delayed, reordered, overflowed);
    }

    private void open() {
        if (closed) {
            throw new IllegalStateException(inner.name() + " (fault injector) is closed");
        }
    }

    @Override
    public int receive(FrameBurst burst) {
        open();
        if (burst.count() != 0) {
            throw new IllegalArgumentException(name() + ": receive into a burst that still holds " + burst.count()
                    + " frames; release them first");
        }
        long now = s.clock.nanos();
        pull(now);
        return deliver(burst, now);
    }

    /** Takes everything the wrapped port has, deciding each frame's fate. */
    private void pull(long now) {
        int n;
        while ((n = inner.receive(in)) > 0) {
            MemorySegment m = in.memory();
            for (int i = 0; i < n; i++) {
                if (s.loss > 0 && random.nextDouble() < s.loss) {
                    dropped++;
                    continue;
                }
                int slot = take();
                if (slot < 0) {
                    overflowed++;
                    continue;
                }
                int len = in.length(i);
                long at = (long) slot * slotSize;
                MemorySegment.copy(m, in.offset(i), memory, at, len);
                if (s.corruption > 0 && len > 0 && random.nextDouble() < s.corruption) {
                    int bit = random.nextInt(len * 8);
                    byte b = memory.get(ValueLayout.JAVA_BYTE, at + bit / 8);
                    memory.set(ValueLayout.JAVA_BYTE, at + bit / 8, (byte) (b ^ (1 << (bit & 7))));
                    corrupted++;
                }
                long t = now + s.delay + (s.jitter > 0 ? random.nextLong(s.jitter + 1) : 0);
                if (t != now) {
                    delayed++;
                }
                boolean wait = s.reorder > 0 && random.nextDouble() < s.reorder;
                if (wait) {
                    reordered++;
                }
                hold(slot, len, t, wait);
                if (s.duplication > 0 && random.nextDouble() < s.duplication) {
                    int copy = take();
                    if (copy < 0) {
                        overflowed++;
                    } else {
                        MemorySegment.copy(memory, at, memory, (long) copy * slotSize, len);
                        hold(copy, len, t, false);
                        duplicated++;
                    }
                }
            }
            inner.release(in);
        }
    }

    private int take() {
        return freeTop == 0 ? -1 : free[--freeTop];
    }

    private void hold(int slot, int len, long t, boolean wait) {
        lengths[slot] = len;
        due[slot] = t;
        waits[slot] = wait;
        passed[slot] = false;
        order[held++] = slot;
    }

    private boolean deliverable(int slot, long now) {
        return due[slot] - now <= 0
                && (!waits[slot] || passed[slot] || now - due[slot] >= s.reorderTimeout);
    }

    /** Hands out the held frames that are due, oldest first, and keeps the rest in order. */
    private int deliver(FrameBurst burst, long now) {
        int cap = Math.min(burst.capacity(), inner.capabilities().maxBurst());
        int out = 0;
        int kept = 0;
        long bytes = 0;
        burst.memory(memory);
        for (int j = 0; j < held; j++) {
            int slot = order[j];
            if (out < cap && deliverable(slot, now)) {
                burst.set(out++, (long) slot * slotSize, lengths[slot], slotSize, 0, TAG | slot);
                bytes += lengths[slot];
                for (int k = 0; k < kept; k++) { // those still held before it have now been overtaken
                    passed[order[k]] = true;
                }
            } else {
                order[kept++] = slot;
            }
        }
        held = kept;
        burst.count(out);
        rxFrames += out;
        rxBytes += bytes;
        return out;
    }

    @Override
    public void release(FrameBurst burst) {
        open();
        if (burst.count() == 0) {
            return;
        }
        if (!burst.memory().equals(memory)) {
            inner.release(burst); // transmit buffers are the wrapped port's
            return;
        }
        for (int i = 0; i < burst.count(); i++) {
            long h = burst.handle(i);
            if ((h & ~0xffff_ffffL) != TAG || (int) h < 0 || (int) h >= free.length) {
                throw new IllegalArgumentException(name() + ": frame " + i + " is not the fault injector's");
            }
            free[freeTop++] = (int) h;
        }
        burst.count(0);
    }

    @Override
    public int allocate(FrameBurst burst, int n) {
        open();
        return inner.allocate(burst, n);
    }

    @Override
    public int allocate(FrameBurst burst, int n, int length) {
        open();
        return inner.allocate(burst, n, length);
    }

    @Override
    public int transmit(FrameBurst burst, int n) {
        open();
        return inner.transmit(burst, n);
    }

    @Override
    public boolean awaitReceive(long timeoutNanos) {
        open();
        long end = System.nanoTime() + Math.max(0, timeoutNanos);
        while (true) {
            long now = s.clock.nanos();
            pull(now);
            for (int j = 0; j < held; j++) {
                if (deliverable(order[j], now)) {
                    return true;
                }
            }
            long left = end - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            // Short waits: a held frame may come due on the clock while the wire is quiet.
            if (held == 0 ? inner.awaitReceive(left) : inner.awaitReceive(Math.min(left, 100_000))) {
                continue;
            }
            if (held != 0) {
                LockSupport.parkNanos(1_000);
            }
        }
    }

    /**
     * The clock time when the next frame held here comes due (its delay, or its reorder timeout),
     * or {@link Long#MAX_VALUE} when none is held: a loop on virtual time advances its clock no
     * further, since the stack's own timers do not know these frames. Frames still in the wrapped
     * port are not seen until the next receive.
     */
    public long nextDue() {
        open();
        long next = Long.MAX_VALUE;
        for (int j = 0; j < held; j++) {
            int slot = order[j];
            long t = waits[slot] && !passed[slot] ? due[slot] + s.reorderTimeout : due[slot];
            next = Math.min(next, t);
        }
        return next;
    }

    @Override
    public PortStats stats() {
        open();
        PortStats w = inner.stats();
        return new PortStats(rxFrames, rxBytes, w.txFrames(), w.txBytes(), w.rxDropped(), w.rxErrors(), w.txErrors());
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            super.close();
        } finally {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "faults(" + inner + ")";
    }

    /** The faults to inject; each setter returns these settings. */
    public static final class Settings {
        private long seed;
        private RandomGenerator random;
        private NanoClock clock = NanoClock.system();
        private double loss;
        private double corruption;
        private double duplication;
        private double reorder;
        private long reorderTimeout = 1_000_000;
        private long delay;
        private long jitter;
        private int buffers = 1024;

        private Settings() {
        }

        private Settings copy() {
            Settings c = new Settings();
            c.seed = seed;
            c.random = random;
            c.clock = clock;
            c.loss = loss;
            c.corruption = corruption;
            c.duplication = duplication;
            c.reorder = reorder;
            c.reorderTimeout = reorderTimeout;
            c.delay = delay;
            c.jitter = jitter;
            c.buffers = buffers;
            return c;
        }

        /** Seeds the generator (L64X128MixRandom); default 0. */
        public Settings seed(long value) {
            seed = value;
            random = null;
            return this;
        }

        /** Draws from {@code generator} instead of a seeded one (a simulation's shared randomness). */
        public Settings random(RandomGenerator generator) {
            random = Objects.requireNonNull(generator, "generator");
            return this;
        }

        /** The clock delays are measured on; default {@link NanoClock#system()}. */
        public Settings clock(NanoClock value) {
            clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /** Probability a frame is lost. */
        public Settings loss(double p) {
            loss = probability("loss", p);
            return this;
        }

        /** Probability a frame has one random bit flipped. */
        public Settings corruption(double p) {
            corruption = probability("corruption", p);
            return this;
        }

        /** Probability a frame is delivered twice. */
        public Settings duplication(double p) {
            duplication = probability("duplication", p);
            return this;
        }

        /**
         * Probability a frame is held until a later frame has been delivered, or for at most
         * {@code timeoutNanos} of clock time past when it was due (1 ms by default) on a quiet link.
         */
        public Settings reorder(double p, long timeoutNanos) {
            reorder = probability("reorder", p);
            if (timeoutNanos < 0) {
                throw new IllegalArgumentException("reorder timeout " + timeoutNanos + " must not be negative");
            }
            reorderTimeout = timeoutNanos;
            return this;
        }

        /** Every frame waits {@code nanos} plus a uniform {@code [0, jitterNanos]} of clock time. */
        public Settings delay(long nanos, long jitterNanos) {
            if (nanos < 0 || jitterNanos < 0 || jitterNanos == Long.MAX_VALUE) {
                throw new IllegalArgumentException("delay " + nanos + " and jitter " + jitterNanos
                        + " must be non-negative");
            }
            delay = nanos;
            jitter = jitterNanos;
            return this;
        }

        /** Frames the injector can hold (delivered and not released, delayed, reordered); default 1024. */
        public Settings buffers(int n) {
            if (n < 1 || n > 1 << 20) {
                throw new IllegalArgumentException("buffers " + n + " outside [1, 1048576]");
            }
            buffers = n;
            return this;
        }

        private static double probability(String what, double p) {
            if (!(p >= 0 && p <= 1)) {
                throw new IllegalArgumentException(what + " probability " + p + " outside [0, 1]");
            }
            return p;
        }
    }
}
