package io.jverbs.perftest.engine;

import io.jverbs.raweth.port.FrameBurst;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.PortCapabilities;
import io.jverbs.raweth.port.PortStats;
import io.jverbs.raweth.wire.MacAddress;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Two packet ports joined by a wire in memory, for the raw engine's tests until raw-eth's own
 * in-memory pair lands: each port owns a slab of receive slots the peer's transmit copies into,
 * handed over through single-producer single-consumer rings (one thread per port, as the SPI
 * says). A full receive slab pushes back on the sender (transmit takes fewer); {@code dropEvery}
 * > 0 loses every n-th frame instead of delivering it, as a lossy link would. Allocation-free
 * after construction.
 */
final class PipePorts implements AutoCloseable {
    static final int MTU = 1500;
    static final int SLOTS = 256;
    static final int FRAME = MTU + 18;

    private final Arena arena = Arena.ofShared();
    final End a;
    final End b;

    PipePorts(MacAddress macA, MacAddress macB, int dropEvery) {
        a = new End("pipe:a", macA, dropEvery);
        b = new End("pipe:b", macB, dropEvery);
        a.peer = b;
        b.peer = a;
    }

    @Override
    public void close() {
        a.close();
        b.close();
        arena.close();
    }

    /** A single-producer single-consumer ring of slot numbers. */
    private static final class Ring {
        private final int[] slots = new int[SLOTS + 1];
        private volatile long head;
        private volatile long tail;

        boolean offer(int slot) {
            long t = tail;
            if (t - head == slots.length) {
                return false;
            }
            slots[(int) (t % slots.length)] = slot;
            tail = t + 1;
            return true;
        }

        int poll() {
            long h = head;
            if (h == tail) {
                return -1;
            }
            int slot = slots[(int) (h % slots.length)];
            head = h + 1;
            return slot;
        }
    }

    final class End implements PacketPort {
        private final String name;
        private final PortCapabilities caps;
        private final MemorySegment rxSlab = arena.allocate((long) SLOTS * FRAME, 64);
        private final MemorySegment txSlab = arena.allocate((long) SLOTS * FRAME, 64);
        private final int[] rxLength = new int[SLOTS];
        /** Receive slots free for the peer to fill (this end releases, the peer's transmit takes). */
        private final Ring rxFree = new Ring();
        /** Receive slots filled (the peer's transmit puts, this end's receive takes). */
        private final Ring rxFull = new Ring();
        private final int[] txFree = new int[SLOTS];
        private int txFreeCount = SLOTS;
        private final int dropEvery;
        private End peer;
        private volatile boolean closed;
        private long txFrames;
        private long rxFrames;
        private long dropped;

        End(String name, MacAddress mac, int dropEvery) {
            this.name = name;
            this.caps = PortCapabilities.plain(mac, MTU, 32);
            this.dropEvery = dropEvery;
            for (int i = 0; i < SLOTS; i++) {
                rxFree.offer(i);
                txFree[i] = i;
            }
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
            burst.memory(rxSlab);
            int n = 0;
            int slot;
            while (n < burst.capacity() && (slot = rxFull.poll()) >= 0) {
                burst.set(n++, (long) slot * FRAME, rxLength[slot], FRAME, 0, slot);
            }
            burst.count(n);
            rxFrames += n;
            return n;
        }

        @Override
        public void release(FrameBurst burst) {
            open();
            for (int i = 0; i < burst.count(); i++) {
                int slot = (int) burst.handle(i);
                if (burst.memory() == rxSlab) {
                    rxFree.offer(slot);
                } else {
                    txFree[txFreeCount++] = slot;
                }
            }
            burst.count(0);
        }

        @Override
        public int allocate(FrameBurst burst, int n) {
            open();
            burst.memory(txSlab);
            int got = Math.min(Math.min(n, burst.capacity()), txFreeCount);
            for (int i = 0; i < got; i++) {
                burst.set(i, (long) txFree[--txFreeCount] * FRAME, 0, FRAME, 0, txFree[txFreeCount]);
            }
            burst.count(got);
            return got;
        }

        @Override
        public int transmit(FrameBurst burst, int n) {
            open();
            int took = 0;
            while (took < n) {
                int txSlot = (int) burst.handle(took);
                int length = burst.length(took);
                if (dropEvery > 0 && (txFrames + 1) % dropEvery == 0) {
                    dropped++;
                } else {
                    int slot = peer.rxFree.poll();
                    if (slot < 0) {
                        break; // the peer's receive slots are all in use: push back
                    }
                    MemorySegment.copy(txSlab, (long) txSlot * FRAME, peer.rxSlab, (long) slot * FRAME, length);
                    peer.rxLength[slot] = length;
                    peer.rxFull.offer(slot);
                }
                txFree[txFreeCount++] = txSlot;
                txFrames++;
                took++;
            }
            burst.removeFirst(took);
            return took;
        }

        @Override
        public boolean awaitReceive(long timeoutNanos) {
            open();
            long end = System.nanoTime() + timeoutNanos;
            while (rxFull.head == rxFull.tail) {
                if (System.nanoTime() >= end) {
                    return false;
                }
                Thread.onSpinWait();
            }
            return true;
        }

        @Override
        public PortStats stats() {
            return new PortStats(rxFrames, 0, txFrames, 0, 0, 0, dropped);
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
