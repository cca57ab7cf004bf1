package io.jverbs.soft.transport;

import io.jverbs.raweth.port.ManualClock;
import io.jverbs.soft.wire.RocePacket;
import io.jverbs.soft.wire.RoceStatus;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * An in-memory network between soft QPs on a virtual clock: every packet is laid out as RoCEv2 bytes
 * by {@link PacketCodec}, carried with a latency, and parsed again by the wire package on delivery,
 * where it goes to the QP its BTH names. Seeded loss, duplication and reordering (an extra delay)
 * make runs repeatable. Slots are preallocated: carrying a packet allocates nothing.
 */
final class Link implements PacketSink {
    private static final int SLOTS = 8192;
    private static final int SLOT_BYTES = 4096 + 128;

    private final ManualClock clock;
    private final SplittableRandom random;
    private final double loss;
    private final double duplicate;
    private final double reorder;
    private final long latency;
    private final PacketCodec codec = new PacketCodec();
    private final RocePacket roce = new RocePacket();
    private final TransportPacket rx = new TransportPacket();
    private final SoftQp[] qps = new SoftQp[16];
    private final int[] qpNums = new int[16];
    private int qpCount;

    private final MemorySegment[] buffers = new MemorySegment[SLOTS];
    private final int[] lengths = new int[SLOTS];
    private final long[] due = new long[SLOTS];
    private final long[] order = new long[SLOTS]; // send order: packets due at the same time keep it
    private long nextOrder;
    private final int[] free = new int[SLOTS];
    private int freeCount;
    private final int[] inFlight = new int[SLOTS];
    private int inFlightCount;

    long sent;
    long lost;
    long duplicated;
    long reordered;
    long delivered;
    boolean dead;   // every packet is lost (a peer that went away)

    Link(ManualClock clock, long seed, double loss, double duplicate, double reorder, long latency) {
        this.clock = clock;
        this.random = new SplittableRandom(seed);
        this.loss = loss;
        this.duplicate = duplicate;
        this.reorder = reorder;
        this.latency = latency;
        for (int i = SLOTS - 1; i >= 0; i--) {
            free[freeCount++] = i;
        }
    }

    void attach(SoftQp qp) {
        qps[qpCount] = qp;
        qpNums[qpCount++] = qp.qpNum();
    }

    @Override
    public boolean send(TransportPacket p) {
        sent++;
        if (dead || random.nextDouble() < loss) {
            lost++;
            return true;
        }
        int copies = random.nextDouble() < duplicate ? 2 : 1;
        duplicated += copies - 1;
        for (int c = 0; c < copies; c++) {
            if (freeCount == 0) {
                lost++;
                return false;
            }
            int s = free[--freeCount];
            if (buffers[s] == null) {
                // Native, as a device's frame buffers are; made on first use (a warm link allocates nothing).
                buffers[s] = Arena.ofAuto().allocate(SLOT_BYTES);
            }
            lengths[s] = codec.layout(p, buffers[s], 0);
            long delay = latency;
            if (random.nextDouble() < reorder) {
                delay += latency * (1 + random.nextInt(4));
                reordered++;
            }
            due[s] = clock.nanos() + delay;
            order[s] = nextOrder++;
            inFlight[inFlightCount++] = s;
        }
        return true;
    }

    /** Delivers every packet due by now, earliest first; returns how many. */
    int deliver() {
        int n = 0;
        long now = clock.nanos();
        while (true) {
            int best = -1;
            for (int i = 0; i < inFlightCount; i++) {
                int s = inFlight[i];
                if (due[s] - now <= 0 && (best < 0 || due[s] - due[inFlight[best]] < 0
                        || due[s] == due[inFlight[best]] && order[s] < order[inFlight[best]])) {
                    best = i;
                }
            }
            if (best < 0) {
                return n;
            }
            int s = inFlight[best];
            inFlight[best] = inFlight[--inFlightCount];
            RoceStatus st = roce.wrapTransport(buffers[s], 0, lengths[s]);
            if (st != RoceStatus.OK) {
                throw new AssertionError("the wire package refused a packet the transport made: " + st);
            }
            codec.read(roce, 0, rx);
            for (int q = 0; q < qpCount; q++) {
                if (qpNums[q] == rx.destQp) {
                    qps[q].receive(now, rx);
                }
            }
            free[freeCount++] = s;
            delivered++;
            n++;
        }
    }

    /** The earliest time a packet in flight is due, or {@code Long.MAX_VALUE}. */
    long nextDue() {
        long t = Long.MAX_VALUE;
        for (int i = 0; i < inFlightCount; i++) {
            long d = due[inFlight[i]];
            if (t == Long.MAX_VALUE || d - t < 0) {
                t = d;
            }
        }
        return t;
    }

    int inFlight() {
        return inFlightCount;
    }

    /**
     * One step of the simulation: every QP polls (timers, transmission), due packets are delivered,
     * and the clock moves to the next delivery or by {@code idleStep} when nothing is in flight.
     */
    void step(long idleStep) {
        long now = clock.nanos();
        for (int q = 0; q < qpCount; q++) {
            qps[q].poll(now);
        }
        if (deliver() > 0) {
            return;
        }
        long next = nextDue();
        clock.advance(next == Long.MAX_VALUE ? idleStep : Math.max(0, Math.min(next - now, idleStep)));
    }
}
