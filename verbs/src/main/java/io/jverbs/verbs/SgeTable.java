package io.jverbs.verbs;

import io.jverbs.verbs.ffi.ibv_recv_wr;
import io.jverbs.verbs.ffi.ibv_send_wr;
import io.jverbs.verbs.ffi.ibv_sge;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The {@code struct ibv_sge} slots behind a chain of work requests, {@code maxSge} per request,
 * shared by {@link SendRequests} and {@link ReceiveRequests}: both structs begin with
 * {@code wr_id, next, sg_list, num_sge}, so one append serves both.
 */
final class SgeTable {
    private static final long SGE = ibv_sge.sizeof();
    static final long SG_LIST = ibv_send_wr.sg_list$offset();
    static final long NUM_SGE = ibv_send_wr.num_sge$offset();

    static {
        if (SG_LIST != ibv_recv_wr.sg_list$offset() || NUM_SGE != ibv_recv_wr.num_sge$offset()) {
            throw new AssertionError("ibv_send_wr and ibv_recv_wr no longer share sg_list/num_sge offsets");
        }
    }

    private final MemorySegment sges;
    private final int maxSge;

    SgeTable(Arena arena, int capacity, int maxSge) {
        if (capacity < 1 || maxSge < 0) {
            throw new IllegalArgumentException("capacity must be >= 1 and maxSge >= 0, got " + capacity + ", " + maxSge);
        }
        this.maxSge = maxSge;
        this.sges = arena.allocate(ibv_sge.layout(), (long) capacity * Math.max(1, maxSge));
    }

    /** Points request {@code index} (at {@code wrAt} in {@code wrs}) at its own empty SGE slots. */
    void reset(MemorySegment wrs, long wrAt, int index) {
        wrs.set(ValueLayout.JAVA_LONG, wrAt + SG_LIST, sges.address() + (long) index * maxSge * SGE);
        wrs.set(ValueLayout.JAVA_INT, wrAt + NUM_SGE, 0);
    }

    /** Appends one entry to request {@code index}. */
    void append(MemorySegment wrs, long wrAt, int index, long address, int length, int lkey) {
        int n = wrs.get(ValueLayout.JAVA_INT, wrAt + NUM_SGE);
        if (n == maxSge) {
            throw new IllegalStateException("request already has maxSge=" + maxSge + " entries");
        }
        long s = ((long) index * maxSge + n) * SGE;
        sges.set(ValueLayout.JAVA_LONG, s + ibv_sge.addr$offset(), address);
        sges.set(ValueLayout.JAVA_INT, s + ibv_sge.length$offset(), length);
        sges.set(ValueLayout.JAVA_INT, s + ibv_sge.lkey$offset(), lkey);
        wrs.set(ValueLayout.JAVA_INT, wrAt + NUM_SGE, n + 1);
    }
}
