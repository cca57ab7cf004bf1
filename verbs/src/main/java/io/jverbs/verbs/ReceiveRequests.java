package io.jverbs.verbs;

import io.jverbs.verbs.ffi.ibv_recv_wr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.jverbs.verbs.SgeTable.NEXT;
import static io.jverbs.verbs.SgeTable.NUM_SGE;
import static io.jverbs.verbs.SgeTable.SG_LIST;
import static io.jverbs.verbs.SgeTable.SGE;
import static io.jverbs.verbs.SgeTable.WR_ID;

/**
 * A reusable chain of {@code struct ibv_recv_wr} for {@link QueuePair#postReceive} and
 * {@link SharedReceiveQueue#postReceive}; see {@link SendRequests} for the pattern: build with
 * {@link #add}/{@link #sge}, or patch request {@code i} in place with {@link #wrId(int, long)},
 * {@link #sgeAddress(int, int, long)}, {@link #sgeLength(int, int, int)} and
 * {@link #sgeLkey(int, int, int)}; memory of its own or the caller's ({@link #wrap}); indexes
 * checked unless {@link BoundsChecks} are off. Not thread-safe: one per thread.
 */
public final class ReceiveRequests {
    private static final long WR = ibv_recv_wr.sizeof();

    static {
        if (WR != NUM_SGE + 8) {
            throw new AssertionError("struct ibv_recv_wr changed: update ReceiveRequests.add");
        }
    }

    private final MemorySegment memory;
    private final long base;
    private final int capacity, maxSge;
    private final long sgeStart, badOffset;
    private final MemorySegment wrs;
    /** The chain and the bad_wr slot, read once: the post path loads a long, not a segment. */
    final long address, badAddress;
    private int count;
    private int currentSges;

    /** Room for {@code capacity} requests of up to {@code maxSge} SGEs each, in memory of its own. */
    public ReceiveRequests(int capacity, int maxSge) {
        this(Arena.ofAuto().allocate(bytesNeeded(capacity, maxSge), 64), capacity, maxSge);
    }

    private ReceiveRequests(MemorySegment memory, int capacity, int maxSge) {
        long needed = bytesNeeded(capacity, maxSge);
        BoundsChecks.checkWrappable("ReceiveRequests", memory, needed);
        this.memory = memory.asSlice(0, needed).fill((byte) 0);
        this.base = memory.address();
        this.capacity = capacity;
        this.maxSge = maxSge;
        this.sgeStart = SgeTable.sgeStart(WR, capacity);
        this.badOffset = SgeTable.badOffset(WR, capacity, maxSge);
        this.wrs = this.memory.asSlice(0, capacity * WR);
        this.address = base;
        this.badAddress = base + badOffset;
    }

    /**
     * Lays a chain of {@code capacity} receives with {@code maxSge} SGEs each into the first
     * {@link #bytesNeeded(int, int)} bytes of {@code memory}, which it zeroes; the memory must be
     * native, writable, 8-byte aligned, and outlive the chain (see {@link SendRequests#wrap}).
     *
     * @throws IllegalArgumentException if {@code memory} is too small, misaligned, on the heap or read-only
     */
    public static ReceiveRequests wrap(MemorySegment memory, int capacity, int maxSge) {
        return new ReceiveRequests(memory, capacity, maxSge);
    }

    /** The bytes {@link #wrap} needs: {@code capacity * (32 + 16 * maxSge) + 8}. */
    public static long bytesNeeded(int capacity, int maxSge) {
        return SgeTable.bytesNeeded("ReceiveRequests", WR, capacity, maxSge);
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

    public int maxSge() {
        return maxSge;
    }

    /** Starts a new receive request. */
    public ReceiveRequests add(long wrId) {
        int i = count;
        if (BoundsChecks.ENABLED && i >= capacity) {
            throw new IllegalStateException("ReceiveRequests is full (" + capacity + " requests)");
        }
        long at = i * WR;
        put(at + WR_ID, wrId);
        put(at + NEXT, 0L);
        put(at + SG_LIST, base + sgeStart + (long) i * maxSge * SGE);
        put(at + NUM_SGE, 0L); // num_sge and the padding after it
        if (i > 0) {
            put(at - WR + NEXT, base + at);
        }
        currentSges = 0;
        count = i + 1;
        return this;
    }

    /** Appends a scatter entry to the request just added. */
    public ReceiveRequests sge(long address, int length, int lkey) {
        int n = currentSges;
        if (BoundsChecks.ENABLED) {
            if (count == 0) {
                throw new IllegalStateException("call add() first");
            }
            if (n >= maxSge) {
                throw new IllegalStateException("request already has maxSge=" + maxSge + " entries");
            }
        }
        int i = count - 1;
        SgeTable.put(memory, base, sgeStart + ((long) i * maxSge + n) * SGE, address, length, lkey);
        BoundsChecks.putInt(memory, base, i * WR + NUM_SGE, n + 1);
        currentSges = n + 1;
        return this;
    }

    public ReceiveRequests sge(MemoryRegion mr, long offset, int length) {
        return sge(mr.address(offset), length, mr.lkey());
    }

    // ---- Patching request i of the built chain (0 <= i < size()) ----

    /** Sets the {@code wr_id} of request {@code i}. */
    public ReceiveRequests wrId(int i, long wrId) {
        put(wr(i) + WR_ID, wrId);
        return this;
    }

    /** Sets the address of SGE {@code j} of request {@code i} ({@code 0 <= j <} the SGEs it was built with). */
    public ReceiveRequests sgeAddress(int i, int j, long address) {
        put(sgeAt(i, j) + SgeTable.SGE_ADDR, address);
        return this;
    }

    /** Sets the length of SGE {@code j} of request {@code i}. */
    public ReceiveRequests sgeLength(int i, int j, int length) {
        BoundsChecks.putInt(memory, base, sgeAt(i, j) + SgeTable.SGE_LENGTH, length);
        return this;
    }

    /** Sets the lkey of SGE {@code j} of request {@code i}. */
    public ReceiveRequests sgeLkey(int i, int j, int lkey) {
        BoundsChecks.putInt(memory, base, sgeAt(i, j) + SgeTable.SGE_LKEY, lkey);
        return this;
    }

    /** The {@code wr_id} of request {@code i}. */
    public long wrId(int i) {
        return BoundsChecks.getLong(memory, base, wr(i) + WR_ID);
    }

    /** The first request of the chain. */
    public MemorySegment segment() {
        return wrs;
    }

    int failedIndex() {
        long p = BoundsChecks.getLong(memory, base, badOffset);
        return p == 0 ? -1 : (int) ((p - address) / WR);
    }

    private long wr(int i) {
        if (BoundsChecks.ENABLED && Integer.compareUnsigned(i, count) >= 0) {
            throw SgeTable.outOfRange("request", i, count);
        }
        return i * WR;
    }

    private long sgeAt(int i, int j) {
        if (BoundsChecks.ENABLED) {
            int n = BoundsChecks.getInt(memory, base, wr(i) + NUM_SGE);
            if (Integer.compareUnsigned(j, n) >= 0) {
                throw SgeTable.outOfRange("SGE", j, n);
            }
        }
        return sgeStart + ((long) i * maxSge + j) * SGE;
    }

    private void put(long offset, long value) {
        BoundsChecks.putLong(memory, base, offset, value);
    }
}
