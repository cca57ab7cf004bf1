package io.jverbs.raweth.iface;

import java.lang.foreign.MemorySegment;

/**
 * Frames waiting for their next hop's MAC: a fixed number of slots, each a copy of a whole frame
 * (Ethernet destination still blank), with its next hop, offload flags and the time it was
 * queued. Copies rather than holding the port's transmit buffers, which a burst of unresolved
 * sends could otherwise exhaust. Heap memory; allocates nothing after construction.
 */
final class PendingQueue {
    private final MemorySegment memory;
    private final int slotSize;
    private final int[] nextHops;
    private final int[] lengths;
    private final int[] flags;
    private final long[] queuedAt;
    private final boolean[] used;
    private int size;

    PendingQueue(int slots, int slotSize) {
        this.slotSize = slotSize;
        memory = MemorySegment.ofArray(new byte[Math.multiplyExact(slots, slotSize)]);
        nextHops = new int[slots];
        lengths = new int[slots];
        flags = new int[slots];
        queuedAt = new long[slots];
        used = new boolean[slots];
    }

    int size() {
        return size;
    }

    int capacity() {
        return used.length;
    }

    /** Copies the frame in; false when every slot is taken. */
    boolean add(int nextHop, MemorySegment from, long offset, int length, int frameFlags, long now) {
        for (int i = 0; i < used.length; i++) {
            if (!used[i]) {
                MemorySegment.copy(from, offset, memory, (long) i * slotSize, length);
                nextHops[i] = nextHop;
                lengths[i] = length;
                flags[i] = frameFlags;
                queuedAt[i] = now;
                used[i] = true;
                size++;
                return true;
            }
        }
        return false;
    }

    /** The first slot at or after {@code from} waiting for {@code nextHop}, or -1. */
    int next(int nextHop, int from) {
        for (int i = from; i < used.length; i++) {
            if (used[i] && nextHops[i] == nextHop) {
                return i;
            }
        }
        return -1;
    }

    boolean used(int i) {
        return used[i];
    }

    int nextHop(int i) {
        return nextHops[i];
    }

    long queuedAt(int i) {
        return queuedAt[i];
    }

    int length(int i) {
        return lengths[i];
    }

    int flags(int i) {
        return flags[i];
    }

    MemorySegment memory() {
        return memory;
    }

    long offset(int i) {
        return (long) i * slotSize;
    }

    void remove(int i) {
        if (used[i]) {
            used[i] = false;
            size--;
        }
    }
}
