package io.jverbs.dpdk;

import io.jverbs.core.NativeResource;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.dpdk.ffi.RteEal;
import io.jverbs.dpdk.ffi.RteMbuf;
import io.jverbs.dpdk.ffi.RteMempool;
import io.jverbs.dpdk.ffi.rte_mempool;
import io.jverbs.dpdk.ffi.rte_mempool_cache;
import io.jverbs.dpdk.ffi.rte_mempool_ops;
import io.jverbs.dpdk.ffi.rte_mempool_ops_table;
import io.jverbs.dpdk.ffi.rte_pktmbuf_extmem;
import io.jverbs.dpdk.ffi.rte_pktmbuf_pool_private;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Reference;
import java.util.concurrent.CopyOnWriteArrayList;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A pool of packet mbufs ({@code rte_pktmbuf_pool_create}), a child of the {@link Eal}.
 *
 * <p>{@link #allocate(MbufArray, int)} is {@code rte_pktmbuf_alloc_bulk} done in Java, since that
 * function and everything under it is inline in the headers: take from the calling thread's
 * per-lcore cache first (a thread has one after {@link Eal#registerThread()}), refill it through
 * the pool driver's {@code dequeue} (read from {@code rte_mempool_ops_table} once, called through
 * a cached function pointer), and reset each mbuf as {@code rte_pktmbuf_reset} does. All or
 * nothing, as in C: {@link #tryAllocate} returns 0 when the pool cannot give them all,
 * {@link #allocate} throws. Nothing is allocated on the Java heap per call.
 *
 * <p>Closing the pool first closes the ports whose rx queues take mbufs from it (a port must
 * not refill from freed memory), then {@code rte_mempool_free}.
 *
 * <p>{@link #createExternal} makes a pool whose mbufs' data buffers lie in {@link ExternalMemory}
 * (a {@link io.jverbs.core.NativeBuffer} registered with DPDK), while the mbuf headers stay in
 * DPDK memory; such a pool is also a child of that memory, so closing the buffer closes the pool.
 */
public final class MbufPool extends NativeResource {
    /** {@code RTE_MBUF_DEFAULT_BUF_SIZE}: 2048 bytes of data room plus the headroom. */
    public static final int DEFAULT_DATA_ROOM = (int) RteMbuf.RTE_MBUF_DEFAULT_BUF_SIZE;
    /** {@code RTE_MEMPOOL_CACHE_MAX_SIZE}. */
    public static final int MAX_CACHE_SIZE = (int) RteMempool.RTE_MEMPOOL_CACHE_MAX_SIZE;
    /** {@code SOCKET_ID_ANY}. */
    public static final int SOCKET_ANY = (int) RteEal.SOCKET_ID_ANY;

    /** {@code rte_mempool_dequeue_t}: {@code int (*)(struct rte_mempool *, void **, unsigned int)}; never blocks. */
    private static final MethodHandle DEQUEUE = Native.unbound(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT),
            Native.CRITICAL);

    private static final long CACHE_SIZEOF = rte_mempool_cache.sizeof();
    private static final long CACHE_SIZE = rte_mempool_cache.size$offset();
    private static final long CACHE_LEN = rte_mempool_cache.len$offset();
    private static final long CACHE_OBJS = rte_mempool_cache.objs$offset();
    private static final long EXTERNAL = RteMbuf.RTE_MBUF_F_EXTERNAL;
    /** data_off, refcnt, nb_segs and port are 4 consecutive u16 ("rearm_data"): one store resets them. */
    private static final boolean REARM_WORD = Mbuf.REFCNT == Mbuf.DATA_OFF + 2 && Mbuf.NB_SEGS == Mbuf.DATA_OFF + 4
            && Mbuf.PORT == Mbuf.DATA_OFF + 6;
    /** packet_type and pkt_len are consecutive u32: one 8-byte store zeroes both. */
    private static final boolean TYPE_LEN_WORD = Mbuf.PKT_LEN == Mbuf.PACKET_TYPE + 4;
    /** data_len and vlan_tci are consecutive u16: one 4-byte store zeroes both. */
    private static final boolean DATA_LEN_VLAN_WORD = Mbuf.VLAN_TCI == Mbuf.DATA_LEN + 2;

    private final Eal eal;
    private final ExternalMemory external;
    private final String name;
    private final long mp;
    private final int size;
    private final int cacheSize;
    private final int dataRoom;
    /** {@code mp->local_cache}, or 0 without a cache. */
    private final long localCache;
    /** The RTE_MAX_LCORE per-lcore caches from {@code localCache}, or null. */
    private final MemorySegment caches;
    /** {@code rte_mempool_ops_table.ops[mp->ops_index].dequeue}. */
    private final MemorySegment dequeue;
    final CopyOnWriteArrayList<EthPort> rxUsers = new CopyOnWriteArrayList<>();

    private MbufPool(Eal eal, ExternalMemory external, String name, long mp) {
        super(eal, external);
        this.eal = eal;
        this.external = external;
        this.name = name;
        this.mp = mp;
        MemorySegment pool = MemorySegment.ofAddress(mp).reinterpret(rte_mempool.sizeof());
        this.size = rte_mempool.size(pool);
        this.cacheSize = rte_mempool.cache_size(pool);
        this.localCache = cacheSize == 0 ? 0 : rte_mempool.local_cache(pool).address();
        this.caches = localCache == 0 ? null : Memory.ALL.asSlice(localCache, CACHE_SIZEOF * RteEal.RTE_MAX_LCORE);
        // rte_mempool_get_priv: the private area follows the header and, with a cache, the per-lcore caches
        long header = rte_mempool.sizeof() + (cacheSize == 0 ? 0 : CACHE_SIZEOF * RteEal.RTE_MAX_LCORE);
        MemorySegment priv = MemorySegment.ofAddress(mp + header).reinterpret(rte_pktmbuf_pool_private.sizeof());
        this.dataRoom = Short.toUnsignedInt(rte_pktmbuf_pool_private.mbuf_data_room_size(priv));
        MemorySegment table = RteMempool.rte_mempool_ops_table().reinterpret(rte_mempool_ops_table.sizeof());
        long ops = table.address() + rte_mempool_ops_table.ops$offset() + rte_mempool.ops_index(pool) * rte_mempool_ops.sizeof();
        this.dequeue = MemorySegment.ofAddress(Memory.getLong(ops + rte_mempool_ops.dequeue$offset()));
        attach();
    }

    /**
     * {@code rte_pktmbuf_pool_create(name, count, cacheSize, 0, dataRoom, socket)}.
     *
     * @param name      unique in the process (at most {@code RTE_MEMPOOL_NAMESIZE - 1} characters)
     * @param count     mbufs in the pool; {@code 2^k - 1} is the most memory-efficient for the ring driver
     * @param cacheSize per-lcore cache, 0..{@link #MAX_CACHE_SIZE} and at most {@code count / 1.5}
     * @param dataRoom  buffer bytes per mbuf, headroom included ({@link #DEFAULT_DATA_ROOM})
     * @param socket    NUMA socket, or {@link #SOCKET_ANY}
     */
    public static MbufPool create(Eal eal, String name, int count, int cacheSize, int dataRoom, int socket) {
        checkParameters(name, count, dataRoom);
        eal.checkLive();
        long mp;
        try (Arena arena = Arena.ofConfined()) {
            mp = RteMbuf.rte_pktmbuf_pool_create(arena.allocateFrom(name), count, cacheSize, (short) 0, (short) dataRoom, socket).address();
        }
        if (mp == 0) {
            throw createFailed(DpdkCall.PKTMBUF_POOL_CREATE, name, count, cacheSize, dataRoom);
        }
        return new MbufPool(eal, null, name, mp);
    }

    /**
     * {@code rte_pktmbuf_pool_create_extbuf}: a pool of {@code count} mbufs whose data buffers
     * ({@code dataRoom} bytes each, headroom included) are laid end to end in {@code memory}
     * from {@code offset}, so {@code count * dataRoom} bytes of it are used. Mbufs keep their
     * buffer for life ({@code RTE_PKTMBUF_POOL_F_PINNED_EXT_BUF}): whatever a port receives into
     * one of them is in {@code memory}. The pool is a child of {@code memory} and of its EAL.
     *
     * @param socket NUMA socket of the mbuf headers, or {@link #SOCKET_ANY}
     * @throws IllegalArgumentException when the buffers do not fit in {@code memory} from {@code offset}
     */
    public static MbufPool createExternal(ExternalMemory memory, long offset, String name, int count, int cacheSize, int dataRoom,
                                          int socket) {
        checkParameters(name, count, dataRoom);
        if (dataRoom == 0) {
            throw new IllegalArgumentException("an external-buffer pool needs a positive dataRoom");
        }
        memory.checkRange(offset, (long) count * dataRoom);
        Eal eal = memory.eal();
        eal.checkLive();
        long mp;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ext = arena.allocate(rte_pktmbuf_extmem.layout());
            rte_pktmbuf_extmem.buf_ptr(ext, MemorySegment.ofAddress(memory.address() + offset));
            rte_pktmbuf_extmem.buf_iova(ext, memory.iova(offset));
            rte_pktmbuf_extmem.buf_len(ext, (long) count * dataRoom);
            rte_pktmbuf_extmem.elt_size(ext, (short) dataRoom);
            mp = RteMbuf.rte_pktmbuf_pool_create_extbuf(arena.allocateFrom(name), count, cacheSize, (short) 0, (short) dataRoom,
                    socket, ext, 1).address();
        }
        if (mp == 0) {
            throw createFailed(DpdkCall.PKTMBUF_POOL_CREATE_EXTBUF, name, count, cacheSize, dataRoom);
        }
        return new MbufPool(eal, memory, name, mp);
    }

    /** {@link #createExternal(ExternalMemory, long, String, int, int, int, int)} from the start of {@code memory}, with a cache as {@link #create(Eal, String, int)} picks. */
    public static MbufPool createExternal(ExternalMemory memory, String name, int count, int dataRoom) {
        return createExternal(memory, 0, name, count, Math.min(256, (int) (count / 1.5)), dataRoom, SOCKET_ANY);
    }

    private static void checkParameters(String name, int count, int dataRoom) {
        if (name == null || name.isEmpty() || name.length() >= RteMempool.RTE_MEMPOOL_NAMESIZE) {
            throw new IllegalArgumentException("pool name must be 1.." + (RteMempool.RTE_MEMPOOL_NAMESIZE - 1) + " characters, got " + name);
        }
        if (count < 1) {
            throw new IllegalArgumentException("count must be positive, got " + count);
        }
        if (dataRoom < 0 || dataRoom > 0xFFFF) {
            throw new IllegalArgumentException("dataRoom must be 0..65535, got " + dataRoom);
        }
    }

    private static DpdkException createFailed(DpdkCall call, String name, int count, int cacheSize, int dataRoom) {
        int errno = RteErrno.get();
        return new DpdkException(call, errno, join(call.hint(errno), "pool '" + name + "', " + count + " mbufs of " + dataRoom
                + " bytes, cache " + cacheSize));
    }

    /** A pool with a cache of up to 256 (at most count / 1.5) and {@link #DEFAULT_DATA_ROOM}-byte buffers on any socket. */
    public static MbufPool create(Eal eal, String name, int count) {
        int cache = Math.min(256, (int) (count / 1.5));
        return create(eal, name, count, cache, DEFAULT_DATA_ROOM, SOCKET_ANY);
    }

    private static String join(String hint, String more) {
        return hint == null ? more : hint + "; " + more;
    }

    public String name() {
        return name;
    }

    /** The number of mbufs the pool was created with. */
    public int size() {
        return size;
    }

    public int cacheSize() {
        return cacheSize;
    }

    /** Buffer bytes per mbuf, headroom included. */
    public int dataRoom() {
        return dataRoom;
    }

    /** The {@code struct rte_mempool *}. */
    public long address() {
        checkOpen();
        return mp;
    }

    /** {@code rte_mempool_avail_count}: free mbufs, in the pool and in all lcore caches. */
    public int available() {
        checkOpen();
        return RteMempool.rte_mempool_avail_count(MemorySegment.ofAddress(mp));
    }

    /** {@code rte_mempool_in_use_count}: mbufs out of the pool. */
    public int inUse() {
        checkOpen();
        return RteMempool.rte_mempool_in_use_count(MemorySegment.ofAddress(mp));
    }

    /**
     * Allocates {@code n} mbufs into {@code into} from index 0 and sets its count
     * ({@code rte_pktmbuf_alloc_bulk}). Returns {@code n}, or 0 (and count 0) when the pool cannot
     * give all {@code n}: exhaustion is normal under load, so the hot path gets a number, not an
     * exception.
     */
    public int tryAllocate(MbufArray into, int n) {
        checkOpen();
        into.ensureOpen();
        into.checkRange(0, n);
        // Long-lived segments only on this path (the array's table, the pool's caches): a view
        // made per call is free only when the JIT inlines all of it, which it does not always do.
        MemorySegment t = into.table;
        // The array is used by one thread: it keeps that thread's lcore slot (no ThreadLocal lookup per burst).
        Lcore.Slot lcore = into.lcore;
        if (lcore == null || lcore.thread != Thread.currentThread()) {
            lcore = Lcore.slot();
            into.lcore = lcore;
        }
        int rc = getBulk(t, n, lcore.id);
        if (rc < 0) {
            Reference.reachabilityFence(into);
            into.count = 0;
            return 0;
        }
        for (int i = 0; i < n; i++) {
            reset(t.getAtIndex(Memory.LONG, i));
        }
        Reference.reachabilityFence(into);
        into.count = n;
        return n;
    }

    /**
     * {@link #tryAllocate} that throws when the pool cannot give {@code n} mbufs.
     *
     * @throws DpdkException ({@code ENOBUFS}) naming the pool, its size and what is left
     */
    public void allocate(MbufArray into, int n) {
        if (tryAllocate(into, n) != n && n != 0) {
            throw new DpdkException(DpdkCall.MEMPOOL_GET_BULK, io.jverbs.core.Errno.ENOBUFS,
                    "mbuf pool '" + name + "' (" + size + " mbufs, cache " + cacheSize + ") cannot give " + n + " mbufs: "
                            + available() + " are free. Free mbufs after use (MbufArray.free), or create a bigger pool");
        }
    }

    /** {@code rte_mempool_do_generic_get} with this thread's cache: 0, or a negative errno from the driver. */
    private int getBulk(MemorySegment t, int n, int lcore) {
        long cache = localCache != 0 && Lcore.hasCache(lcore) ? localCache + lcore * CACHE_SIZEOF : 0;
        long table = t.address();
        int remaining = n;
        if (cache != 0) {
            int cached = Memory.getInt(cache + CACHE_LEN);
            int len = Math.min(remaining, cached);
            long objs = cache + CACHE_OBJS;
            long objsAt = lcore * CACHE_SIZEOF + CACHE_OBJS; // in caches
            // The most recently freed (cache-hot) objects first, as in C.
            copyReversed(objsAt + 8L * (cached - len), t, 0, len);
            Memory.putInt(cache + CACHE_LEN, cached - len);
            remaining -= len;
            if (remaining == 0) {
                return 0;
            }
            table += 8L * len;
            if (remaining <= MAX_CACHE_SIZE) {
                int size = Memory.getInt(cache + CACHE_SIZE);
                if (dequeue(objs, size + remaining) >= 0) {
                    copyReversed(objsAt + 8L * size, t, len, remaining);
                    Memory.putInt(cache + CACHE_LEN, size);
                    return 0;
                }
            }
        }
        int rc = dequeue(table, remaining);
        if (rc < 0 && cache != 0) {
            // The objects taken from the cache are still in its array: give them back.
            Memory.putInt(cache + CACHE_LEN, n - remaining);
        }
        return rc;
    }

    private int dequeue(long table, int n) {
        try {
            return (int) DEQUEUE.invokeExact(dequeue, mp, table, n);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
    }

    /** Copies {@code n} pointers from {@code caches} at byte {@code from} to {@code to[index..]}, last first (the cache is a LIFO stack). */
    private void copyReversed(long from, MemorySegment to, int index, int n) {
        MemorySegment src = caches;
        long last = from + 8L * (n - 1);
        for (int i = 0; i < n; i++) {
            to.setAtIndex(Memory.LONG, index + i, src.get(Memory.LONG, last - 8L * i));
        }
    }

    /** {@code rte_pktmbuf_reset}: what a freshly allocated mbuf looks like. */
    private static void reset(long m) {
        // One bounds check for the mbuf: the view's length is a constant (the JIT keeps the view in
        // registers), so the accesses at constant offsets below need none.
        MemorySegment s = Memory.ALL.asSlice(m, Mbuf.SIZE);
        int headroom = Math.min(Mbuf.HEADROOM, Short.toUnsignedInt(s.get(Memory.SHORT, Mbuf.BUF_LEN)));
        s.set(Memory.LONG, Mbuf.NEXT, 0);
        s.set(Memory.LONG, Mbuf.TX_OFFLOAD, 0);
        s.set(Memory.SHORT, Mbuf.VLAN_TCI_OUTER, (short) 0);
        if (TYPE_LEN_WORD) {
            s.set(Memory.LONG, Mbuf.PACKET_TYPE, 0); // packet_type = 0, pkt_len = 0
        } else {
            s.set(Memory.INT, Mbuf.PACKET_TYPE, 0);
            s.set(Memory.INT, Mbuf.PKT_LEN, 0);
        }
        if (DATA_LEN_VLAN_WORD) {
            s.set(Memory.INT, Mbuf.DATA_LEN, 0); // data_len = 0, vlan_tci = 0
        } else {
            s.set(Memory.SHORT, Mbuf.DATA_LEN, (short) 0);
            s.set(Memory.SHORT, Mbuf.VLAN_TCI, (short) 0);
        }
        if (REARM_WORD) {
            // data_off = headroom, refcnt = 1 (what every pooled mbuf holds), nb_segs = 1, port = invalid
            s.set(Memory.LONG, Mbuf.DATA_OFF, headroom | 1L << 16 | 1L << 32 | (long) Mbuf.PORT_INVALID << 48);
        } else {
            s.set(Memory.SHORT, Mbuf.DATA_OFF, (short) headroom);
            s.set(Memory.SHORT, Mbuf.NB_SEGS, (short) 1);
            s.set(Memory.SHORT, Mbuf.PORT, (short) Mbuf.PORT_INVALID);
        }
        s.set(Memory.LONG, Mbuf.OL_FLAGS, s.get(Memory.LONG, Mbuf.OL_FLAGS) & EXTERNAL);
    }

    void ensureLive() {
        checkOpen();
    }

    /** The external memory that holds this pool's data buffers, or null for a pool in DPDK memory. */
    public ExternalMemory externalMemory() {
        return external;
    }

    /** The Eal this pool belongs to. */
    public Eal eal() {
        return eal;
    }

    @Override
    protected void destroy() {
        // Ports that refill rx rings from this pool stop first.
        for (EthPort p : rxUsers) {
            p.close();
        }
        RteMempool.rte_mempool_free(MemorySegment.ofAddress(mp));
    }

    @Override
    protected String describe() {
        return "MbufPool '" + name + "'";
    }
}
