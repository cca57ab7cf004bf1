package io.jverbs.verbs;

import io.jverbs.verbs.ffi.ibv_recv_wr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A reusable chain of {@code struct ibv_recv_wr} for {@link QueuePair#postReceive} and
 * {@link SharedReceiveQueue#postReceive}; see {@link SendRequests} for the pattern.
 */
public final class ReceiveRequests {
    private static final long WR = ibv_recv_wr.sizeof();

    private final int capacity;
    private final MemorySegment wrs;
    private final SgeTable sges;
    private final MemorySegment bad;
    /** {@code wrs.address()} and {@code bad.address()}, read once: the post path loads a long, not a segment. */
    final long address, badAddress;
    private int count;

    public ReceiveRequests(int capacity, int maxSge) {
        Arena arena = Arena.ofAuto();
        this.sges = new SgeTable(arena, capacity, maxSge);
        this.capacity = capacity;
        this.wrs = arena.allocate(ibv_recv_wr.layout(), capacity);
        this.bad = arena.allocate(ValueLayout.ADDRESS);
        this.address = wrs.address();
        this.badAddress = bad.address();
    }

    public ReceiveRequests clear() {
        count = 0;
        return this;
    }

    public int size() {
        return count;
    }

    public int capacity() {
        return capacity;
    }

    /** Starts a new receive request. */
    public ReceiveRequests add(long wrId) {
        if (count == capacity) {
            throw new IllegalStateException("ReceiveRequests is full (" + capacity + " requests)");
        }
        long at = count * WR;
        wrs.set(ValueLayout.JAVA_LONG, at + ibv_recv_wr.wr_id$offset(), wrId);
        wrs.set(ValueLayout.JAVA_LONG, at + ibv_recv_wr.next$offset(), 0L);
        sges.reset(wrs, at, count);
        if (count > 0) {
            wrs.set(ValueLayout.JAVA_LONG, at - WR + ibv_recv_wr.next$offset(), address + at);
        }
        count++;
        return this;
    }

    /** Appends a scatter entry to the request just added. */
    public ReceiveRequests sge(long address, int length, int lkey) {
        if (count == 0) {
            throw new IllegalStateException("call add() first");
        }
        sges.append(wrs, (count - 1) * WR, count - 1, address, length, lkey);
        return this;
    }

    public ReceiveRequests sge(MemoryRegion mr, long offset, int length) {
        return sge(mr.address(offset), length, mr.lkey());
    }

    public MemorySegment segment() {
        return wrs;
    }

    int failedIndex() {
        long p = bad.get(ValueLayout.ADDRESS, 0).address();
        return p == 0 ? -1 : (int) ((p - address) / WR);
    }
}
