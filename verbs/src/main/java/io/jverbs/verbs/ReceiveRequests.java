package io.jverbs.verbs;

import io.jverbs.verbs.ffi.ibv_recv_wr;
import io.jverbs.verbs.ffi.ibv_sge;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A reusable chain of {@code struct ibv_recv_wr} for {@link QueuePair#postReceive} and
 * {@link SharedReceiveQueue#postReceive}; see {@link SendRequests} for the pattern.
 */
public final class ReceiveRequests {
    private static final long WR = ibv_recv_wr.sizeof();
    private static final long SGE = ibv_sge.sizeof();

    private final int capacity;
    private final int maxSge;
    private final MemorySegment wrs;
    private final MemorySegment sges;
    private final MemorySegment bad;
    private int count;

    public ReceiveRequests(int capacity, int maxSge) {
        if (capacity < 1 || maxSge < 0) {
            throw new IllegalArgumentException("capacity must be >= 1 and maxSge >= 0, got " + capacity + ", " + maxSge);
        }
        Arena arena = Arena.ofAuto();
        this.capacity = capacity;
        this.maxSge = maxSge;
        this.wrs = arena.allocate(ibv_recv_wr.layout(), capacity);
        this.sges = arena.allocate(ibv_sge.layout(), (long) capacity * Math.max(1, maxSge));
        this.bad = arena.allocate(ValueLayout.ADDRESS);
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
        wrs.set(ValueLayout.JAVA_LONG, at + ibv_recv_wr.sg_list$offset(), sges.address() + count * maxSge * SGE);
        wrs.set(ValueLayout.JAVA_INT, at + ibv_recv_wr.num_sge$offset(), 0);
        if (count > 0) {
            wrs.set(ValueLayout.JAVA_LONG, at - WR + ibv_recv_wr.next$offset(), wrs.address() + at);
        }
        count++;
        return this;
    }

    /** Appends a scatter entry to the request just added. */
    public ReceiveRequests sge(long address, int length, int lkey) {
        if (count == 0) {
            throw new IllegalStateException("call add() first");
        }
        long at = (count - 1) * WR;
        int n = wrs.get(ValueLayout.JAVA_INT, at + ibv_recv_wr.num_sge$offset());
        if (n == maxSge) {
            throw new IllegalStateException("request already has maxSge=" + maxSge + " entries");
        }
        long s = ((count - 1L) * maxSge + n) * SGE;
        sges.set(ValueLayout.JAVA_LONG, s + ibv_sge.addr$offset(), address);
        sges.set(ValueLayout.JAVA_INT, s + ibv_sge.length$offset(), length);
        sges.set(ValueLayout.JAVA_INT, s + ibv_sge.lkey$offset(), lkey);
        wrs.set(ValueLayout.JAVA_INT, at + ibv_recv_wr.num_sge$offset(), n + 1);
        return this;
    }

    public ReceiveRequests sge(MemoryRegion mr, long offset, int length) {
        return sge(mr.address(offset), length, mr.lkey());
    }

    public MemorySegment segment() {
        return wrs;
    }

    MemorySegment badSlot() {
        return bad;
    }

    int failedIndex() {
        long p = bad.get(ValueLayout.ADDRESS, 0).address();
        return p == 0 ? -1 : (int) ((p - wrs.address()) / WR);
    }
}
