package io.jverbs.verbs;

import io.jverbs.verbs.ffi.ibv_recv_wr;
import io.jverbs.verbs.ffi.ibv_send_wr;
import io.jverbs.verbs.ffi.ibv_sge;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The memory layout and scatter/gather slots shared by {@link SendRequests} and
 * {@link ReceiveRequests}: both structs begin with {@code wr_id, next, sg_list, num_sge}, so one
 * set of helpers serves both. A chain lives in one block of native memory:
 * {@code capacity} work requests, then {@code capacity * maxSge} {@code struct ibv_sge} (request
 * {@code i} owns slots {@code i*maxSge ..}), then the 8-byte {@code bad_wr} slot.
 */
final class SgeTable {
    static final long SGE = ibv_sge.sizeof();
    static final long WR_ID = ibv_send_wr.wr_id$offset();
    static final long NEXT = ibv_send_wr.next$offset();
    static final long SG_LIST = ibv_send_wr.sg_list$offset();
    static final long NUM_SGE = ibv_send_wr.num_sge$offset();
    static final long SGE_ADDR = ibv_sge.addr$offset();
    static final long SGE_LENGTH = ibv_sge.length$offset();
    static final long SGE_LKEY = ibv_sge.lkey$offset();
    /** Adjacent 32-bit fields are written as one 64-bit store (x86_64, aarch64, ppc64le). */
    static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    static {
        if (WR_ID != ibv_recv_wr.wr_id$offset() || NEXT != ibv_recv_wr.next$offset()
                || SG_LIST != ibv_recv_wr.sg_list$offset() || NUM_SGE != ibv_recv_wr.num_sge$offset()) {
            throw new AssertionError("ibv_send_wr and ibv_recv_wr no longer share their first four fields");
        }
        if (SGE_LKEY != SGE_LENGTH + 4) {
            throw new AssertionError("ibv_sge.lkey no longer follows length");
        }
    }

    private SgeTable() {}

    /** Bytes for {@code capacity} requests of {@code wrSize} bytes with {@code maxSge} SGEs each, and the bad_wr slot. */
    static long bytesNeeded(String what, long wrSize, int capacity, int maxSge) {
        if (capacity < 1 || maxSge < 0) {
            throw new IllegalArgumentException(what + ": capacity must be >= 1 and maxSge >= 0, got " + capacity + ", " + maxSge);
        }
        return capacity * wrSize + (long) capacity * maxSge * SGE + 8;
    }

    /** Offset of the SGE area in a chain's memory. */
    static long sgeStart(long wrSize, int capacity) {
        return capacity * wrSize;
    }

    /** Offset of the bad_wr slot in a chain's memory. */
    static long badOffset(long wrSize, int capacity, int maxSge) {
        return capacity * wrSize + (long) capacity * maxSge * SGE;
    }

    /** Writes two adjacent 32-bit fields at {@code offset} (the first at the lower address). */
    static void putInts(MemorySegment memory, long base, long offset, int first, int second) {
        if (LITTLE_ENDIAN) {
            BoundsChecks.putLong(memory, base, offset, (first & 0xffff_ffffL) | ((long) second << 32));
        } else {
            BoundsChecks.putInt(memory, base, offset, first);
            BoundsChecks.putInt(memory, base, offset + 4, second);
        }
    }

    /** Writes one {@code struct ibv_sge} at {@code offset}. */
    static void put(MemorySegment memory, long base, long offset, long address, int length, int lkey) {
        BoundsChecks.putLong(memory, base, offset + SGE_ADDR, address);
        putInts(memory, base, offset + SGE_LENGTH, length, lkey);
    }

    static IndexOutOfBoundsException outOfRange(String what, int index, int size) {
        return new IndexOutOfBoundsException(what + " " + index + " out of range: " + size + (size == 1 ? " is" : " are") + " built");
    }
}
