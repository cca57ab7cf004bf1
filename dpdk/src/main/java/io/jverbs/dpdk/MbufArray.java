package io.jverbs.dpdk;

import io.jverbs.core.NativeResource;
import io.jverbs.core.ffi.Native;
import io.jverbs.dpdk.ffi.RteMbuf;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * A native array of {@code struct rte_mbuf *} for bursts: {@link EthPort#rxBurst} and
 * {@link MbufPool#allocate} fill it from index 0 and set {@link #count()}, {@link EthPort#txBurst}
 * sends from it, {@link #free} returns mbufs to their pools ({@code rte_pktmbuf_free_bulk}). Read
 * an entry with {@link #get(int)}, which re-points this array's one {@link Mbuf} flyweight: no
 * object per packet. Not thread-safe: one array per thread.
 *
 * <p>A child of the {@link Eal}: it closes with it, and a closed array throws
 * {@link IllegalStateException} instead of handing DPDK a pointer into freed memory.
 */
public final class MbufArray extends NativeResource {
    private static final MethodHandle FREE_BULK = Native.LINKER.downcallHandle(RteMbuf.rte_pktmbuf_free_bulk$address(),
            FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT), Native.CRITICAL);
    /** Bursts count in {@code uint16_t}. */
    public static final int MAX_CAPACITY = 0xFFFF;

    private final Arena arena = Arena.ofShared();
    /** The pointers; accesses through it check the array is open (its shared arena) without a volatile read. */
    final MemorySegment table;
    /** {@code table.address()}, read once for the burst path. */
    final long address;
    private final int capacity;
    int count;
    /** The lcore slot of the thread that last allocated into or freed from this array. */
    private Lcore.Slot lcore;
    private final Mbuf view = new Mbuf();

    /** An array of {@code capacity} mbuf pointers (1..65535), empty. */
    public MbufArray(Eal eal, int capacity) {
        super(eal);
        if (capacity < 1 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("capacity must be 1.." + MAX_CAPACITY + " (a burst counts in uint16_t), got " + capacity);
        }
        this.capacity = capacity;
        this.table = arena.allocate(8L * capacity, 64);
        this.address = table.address();
        attach();
    }

    public int capacity() {
        return capacity;
    }

    /** How many entries, from index 0, hold mbufs (set by rx burst and allocation). */
    public int count() {
        return count;
    }

    /** Sets {@link #count()}, e.g. after filling entries with {@link #set(int, long)}. */
    public void count(int count) {
        if (count < 0 || count > capacity) {
            throw new IndexOutOfBoundsException("count " + count + " outside 0.." + capacity);
        }
        this.count = count;
    }

    /** The {@code rte_mbuf *} at {@code index}. */
    public long address(int index) {
        checkIndex(index);
        try {
            // The table's own liveness check (a shared arena: closing it is safe against readers)
            // instead of the volatile closed flag, which would be read once per packet.
            return table.getAtIndex(ValueLayout.JAVA_LONG, index);
        } catch (IllegalStateException closed) {
            throw closedException();
        }
    }

    /** Stores an {@code rte_mbuf *} at {@code index} (ownership moves into this array). */
    public void set(int index, long mbuf) {
        checkIndex(index);
        try {
            table.setAtIndex(ValueLayout.JAVA_LONG, index, mbuf);
        } catch (IllegalStateException closed) {
            throw closedException();
        }
    }

    /** The mbuf at {@code index}, through this array's one flyweight (re-pointed by every call). */
    public Mbuf get(int index) {
        return view.wrap(address(index));
    }

    /**
     * Frees {@code n} mbufs from {@code offset} ({@code rte_pktmbuf_free_bulk}: segments of a chain
     * too, each to its own pool, honouring reference counts) and, when they were the last ones,
     * lowers {@link #count()} to {@code offset}. The common case, lone unshared segments of one
     * pool going back to the calling lcore's cache, is done in Java without a native call.
     */
    public void free(int offset, int n) {
        checkOpen();
        checkRange(offset, n);
        long at = address + 8L * offset;
        if (n > 0 && !MbufPool.freeToCache(at, n, lcoreId())) {
            try {
                FREE_BULK.invokeExact(at, n);
            } catch (Throwable t) {
                throw io.jverbs.core.ffi.LibC.rethrow(t);
            }
        }
        if (offset + n >= count) {
            count = Math.min(count, offset);
        }
    }

    /** Frees the {@link #count()} mbufs from index 0 and empties the array. */
    public void freeAll() {
        free(0, count);
    }

    /** The {@code struct rte_mbuf *[]} itself, for calls jverbs does not wrap. */
    public MemorySegment segment() {
        checkOpen();
        return table;
    }

    void ensureOpen() {
        checkOpen();
    }

    /**
     * The calling thread's lcore id. The array is used by one thread: it keeps that thread's slot,
     * so a burst needs no ThreadLocal lookup while the same thread comes back.
     */
    int lcoreId() {
        Lcore.Slot s = lcore;
        if (s == null || s.thread != Thread.currentThread()) {
            s = Lcore.slot();
            lcore = s;
        }
        return s.id;
    }

    private void checkIndex(int index) {
        if (index < 0 || index >= capacity) {
            throw new IndexOutOfBoundsException("index " + index + " outside 0.." + (capacity - 1));
        }
    }

    void checkRange(int offset, int n) {
        if (offset < 0 || n < 0 || offset + n > capacity) {
            throw new IndexOutOfBoundsException("entries " + offset + ".." + (offset + n) + " outside 0.." + capacity);
        }
    }

    @Override
    protected void destroy() {
        count = 0;
        arena.close();
    }

    @Override
    protected String describe() {
        return "MbufArray[" + capacity + "]";
    }
}
