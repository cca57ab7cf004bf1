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
    private static final long CACHE_FLUSHTHRESH = rte_mempool_cache.flushthresh$offset();
    private static final long MP_LOCAL_CACHE = rte_mempool.local_cache$offset();
    /** An mbuf with either flag is not direct: freeing it detaches it first. */
    private static final long NOT_DIRECT = RteMbuf.RTE_MBUF_F_INDIRECT | RteMbuf.RTE_MBUF_F_EXTERNAL;
    private static final long EXTERNAL = RteMbuf.RTE_MBUF_F_EXTERNAL;
    /** data_off, refcnt, nb_segs and port are 4 consecutive u16 ("rearm_data"): one store resets them. */
    private static final boolean LITTLE = java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN;
    private static final boolean REARM_WORD = LITTLE && Mbuf.REFCNT == Mbuf.DATA_OFF + 2 && Mbuf.NB_SEGS == Mbuf.DATA_OFF + 4
            && Mbuf.PORT == Mbuf.DATA_OFF + 6;
    /** packet_type and pkt_len are consecutive u32: one 8-byte store zeroes both. */
    private static final boolean TYPE_LEN_WORD = LITTLE && Mbuf.PKT_LEN == Mbuf.PACKET_TYPE + 4;
    /** data_len and vlan_tci are consecutive u16: one 4-byte store zeroes both. */
    private static final boolean DATA_LEN_VLAN_WORD = LITTLE && Mbuf.VLAN_TCI == Mbuf.DATA_LEN + 2;

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
        long cache = cacheOf(into);
        if (cache != 0) {
            int cached = Memory.ALL.get(Memory.INT, cache + CACHE_LEN);
            if (cached >= n) {
                // The usual case: all n from this lcore's cache, taken and reset in one pass.
                Memory.ALL.set(Memory.INT, cache + CACHE_LEN, cached - n);
                takeAndReset(cache + CACHE_OBJS + 8L * (cached - 1), into.address, n);
                Reference.reachabilityFence(into);
                into.count = n;
                return n;
            }
        }
        return refillAndAllocate(into, n, cache, 0, null);
    }

    /**
     * Allocates {@code n} mbufs as {@link #tryAllocate(MbufArray, int)} does and makes each a
     * one-segment packet of {@code length} bytes whose data starts with a copy of
     * {@code template}: what a traffic generator does after {@code rte_pktmbuf_alloc_bulk} (set
     * {@code data_len} and {@code pkt_len}, copy the headers to {@code rte_pktmbuf_mtod}), in the
     * same pass that resets each mbuf. The data after the template is left as the buffer holds it.
     * The same result as {@link Mbuf#length(int)} then {@link Mbuf#write(int, MemorySegment)} on
     * each mbuf, for less: each mbuf is touched once and the checks are made once per call.
     *
     * @param length   bytes of data in each mbuf, at least {@code template.byteSize()} and at most
     *                 the room after the headroom ({@link #dataRoom()} minus {@link Mbuf#HEADROOM})
     * @param template the first bytes of every packet (e.g. its Ethernet, IP and UDP headers)
     * @throws IllegalArgumentException when {@code length} does not fit or is shorter than the template
     */
    public int tryAllocate(MbufArray into, int n, int length, MemorySegment template) {
        checkOpen();
        into.ensureOpen();
        into.checkRange(0, n);
        long size = template.byteSize();
        int room = dataRoom - Math.min(Mbuf.HEADROOM, dataRoom);
        if (length < size || length > room) {
            throw new IllegalArgumentException("a packet of " + length + " bytes with a " + size + "-byte template does not fit: "
                    + "pool '" + name + "' has " + room + " bytes after the headroom");
        }
        // Read before anything is taken: a template in a closed arena throws here and loses nothing.
        long first = size >= 8 ? template.get(Memory.LONG, 0) : 0;
        long last = size >= 8 ? template.get(Memory.LONG, size - 8) : 0;
        long cache = cacheOf(into);
        if (cache != 0) {
            int cached = Memory.ALL.get(Memory.INT, cache + CACHE_LEN);
            if (cached >= n) {
                if (takeAndFill(cache + CACHE_OBJS + 8L * (cached - 1), into.address, n, length, template, first, last) < n) {
                    // an mbuf with a smaller buffer than the pool's (only a broken invariant): nothing was taken
                    into.count = 0;
                    throw doesNotFit(length);
                }
                Memory.ALL.set(Memory.INT, cache + CACHE_LEN, cached - n);
                Reference.reachabilityFence(into);
                into.count = n;
                return n;
            }
        }
        return refillAndAllocate(into, n, cache, length, template);
    }

    /**
     * {@link #tryAllocate(MbufArray, int, int, MemorySegment)} that throws when the pool cannot
     * give {@code n} mbufs.
     *
     * @throws DpdkException ({@code ENOBUFS}) naming the pool, its size and what is left
     * @throws IllegalArgumentException when {@code length} does not fit or is shorter than the template
     */
    public void allocate(MbufArray into, int n, int length, MemorySegment template) {
        if (tryAllocate(into, n, length, template) != n && n != 0) {
            throw exhausted(n);
        }
    }

    /** The address of the calling thread's cache in this pool, or 0 without one. */
    private long cacheOf(MbufArray into) {
        int id = into.lcoreId();
        return localCache != 0 && Lcore.hasCache(id) ? localCache + id * CACHE_SIZEOF : 0;
    }

    /**
     * {@code rte_pktmbuf_free_bulk}'s common case, done in Java as {@link #tryAllocate} does the
     * get path: {@code n} mbufs at {@code table}, each a lone segment ({@code next} NULL,
     * {@code nb_segs} 1) with a reference count of 1, direct (neither indirect nor with an
     * external buffer) and from the pool of the first, go onto lcore {@code lcore}'s cache of that
     * pool when it has room below its flush threshold ({@code rte_pktmbuf_prefree_seg} changes
     * nothing on such an mbuf, and {@code rte_mempool_do_generic_put} then copies the pointers to
     * the cache). Returns false, having changed nothing the pool sees, for anything else (a NULL
     * entry, a chain, a shared or attached mbuf, mixed pools, no cache, a full cache): the caller
     * then frees them all through {@code rte_pktmbuf_free_bulk}.
     */
    static boolean freeToCache(long table, int n, int lcore) {
        // Memory.ALL directly, not the Memory helpers (see Memory): this runs deep in a burst loop's inlining.
        MemorySegment all = Memory.ALL;
        long first = all.get(Memory.LONG, table);
        if (first == 0 || !Lcore.hasCache(lcore)) {
            return false;
        }
        long mp = all.get(Memory.LONG, first + Mbuf.POOL);
        long local = all.get(Memory.LONG, mp + MP_LOCAL_CACHE);
        if (local == 0) {
            return false;
        }
        long cache = local + lcore * CACHE_SIZEOF;
        int len = all.get(Memory.INT, cache + CACHE_LEN);
        if (len + n > all.get(Memory.INT, cache + CACHE_FLUSHTHRESH)) {
            return false;
        }
        // Written above len, so nothing is in the cache until len moves: a failed check leaves it as it was.
        long objs = cache + CACHE_OBJS + 8L * len;
        for (int i = 0; i < n; i++) {
            long m = all.get(Memory.LONG, table + 8L * i);
            if (m == 0) {
                return false;
            }
            // One bounds check for the mbuf, as in reset().
            MemorySegment s = all.asSlice(m, Mbuf.SIZE);
            boolean single = REARM_WORD
                    // refcnt and nb_segs are bits 16..47 of the word at data_off
                    ? (s.get(Memory.LONG, Mbuf.DATA_OFF) & 0xFFFF_FFFF_0000L) == 0x0001_0001_0000L
                    : s.get(Memory.SHORT, Mbuf.REFCNT) == 1 && s.get(Memory.SHORT, Mbuf.NB_SEGS) == 1;
            if (!single || (s.get(Memory.LONG, Mbuf.OL_FLAGS) & NOT_DIRECT) != 0 || s.get(Memory.LONG, Mbuf.NEXT) != 0
                    || s.get(Memory.LONG, Mbuf.POOL) != mp) {
                return false;
            }
            all.set(Memory.LONG, objs + 8L * i, m);
        }
        all.set(Memory.INT, cache + CACHE_LEN, len + n);
        return true;
    }

    /**
     * Moves {@code n} mbuf pointers from the cache stack whose top entry is at {@code top} (the
     * most recently freed, cache-hot one first, as in C) to {@code table} and resets each: the
     * cache copy and {@code rte_pktmbuf_reset} in one loop, each mbuf touched once.
     */
    private static void takeAndReset(long top, long table, int n) {
        for (int i = 0; i < n; i++) {
            long m = Memory.ALL.get(Memory.LONG, top - 8L * i);
            Memory.ALL.set(Memory.LONG, table + 8L * i, m);
            reset(m, 0);
        }
    }

    /**
     * {@link #takeAndReset} that also gives each mbuf {@code length} bytes starting with
     * {@code template} ({@code first} and {@code last} are its first and last 8 bytes when it has
     * 8 or more). Returns {@code n}, or the index of an mbuf whose buffer is too small (which,
     * like those before it, is still a valid free mbuf: the caller leaves them all in the cache).
     */
    private static int takeAndFill(long top, long table, int n, int length, MemorySegment template, long first, long last) {
        long size = template.byteSize();
        for (int i = 0; i < n; i++) {
            long m = Memory.ALL.get(Memory.LONG, top - 8L * i);
            Memory.ALL.set(Memory.LONG, table + 8L * i, m);
            long data = reset(m, length);
            if (data == 0) {
                return i;
            }
            Mbuf.copyTemplate(template, size, first, last, data);
        }
        return n;
    }

    /** The rest of {@code rte_mempool_do_generic_get}: the cache holds fewer than {@code n}, or there is none. */
    private int refillAndAllocate(MbufArray into, int n, long cache, int length, MemorySegment template) {
        MemorySegment t = into.table;
        int rc = getBulk(t, n, cache);
        if (rc < 0) {
            Reference.reachabilityFence(into);
            into.count = 0;
            return 0;
        }
        into.count = n;
        long size = template == null ? 0 : template.byteSize();
        long first = size >= 8 ? template.get(Memory.LONG, 0) : 0;
        long last = size >= 8 ? template.get(Memory.LONG, size - 8) : 0;
        for (int i = 0; i < n; i++) {
            long data = reset(t.getAtIndex(Memory.LONG, i), length);
            if (data == 0) {
                into.freeAll();
                throw doesNotFit(length);
            }
            if (template != null) {
                Mbuf.copyTemplate(template, size, first, last, data);
            }
        }
        Reference.reachabilityFence(into);
        return n;
    }

    private IllegalStateException doesNotFit(int length) {
        return new IllegalStateException("pool '" + name + "' holds an mbuf whose buffer is smaller than its data room "
                + dataRoom + ": " + length + " bytes do not fit; nothing was allocated");
    }

    /**
     * {@link #tryAllocate} that throws when the pool cannot give {@code n} mbufs.
     *
     * @throws DpdkException ({@code ENOBUFS}) naming the pool, its size and what is left
     */
    public void allocate(MbufArray into, int n) {
        if (tryAllocate(into, n) != n && n != 0) {
            throw exhausted(n);
        }
    }

    private DpdkException exhausted(int n) {
        return new DpdkException(DpdkCall.MEMPOOL_GET_BULK, io.jverbs.core.Errno.ENOBUFS,
                "mbuf pool '" + name + "' (" + size + " mbufs, cache " + cacheSize + ") cannot give " + n + " mbufs: "
                        + available() + " are free. Free mbufs after use (MbufArray.free), or create a bigger pool");
    }

    /** {@code rte_mempool_do_generic_get} with the cache at {@code cache} (0: none): 0, or a negative errno from the driver. */
    private int getBulk(MemorySegment t, int n, long cache) {
        long table = t.address();
        int remaining = n;
        if (cache != 0) {
            int cached = Memory.getInt(cache + CACHE_LEN);
            int len = Math.min(remaining, cached);
            long objs = cache + CACHE_OBJS;
            long objsAt = cache - localCache + CACHE_OBJS; // in caches
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

    /**
     * {@code rte_pktmbuf_reset}: what a freshly allocated mbuf looks like, with {@code data_len}
     * and {@code pkt_len} set to {@code length} (0..65535). Returns the address of the first data
     * byte, or 0 (the mbuf untouched) when {@code length} does not fit after the headroom.
     */
    private static long reset(long m, int length) {
        // One bounds check for the mbuf: the view's length is a constant (the JIT keeps the view in
        // registers), so the accesses at constant offsets below need none.
        MemorySegment s = Memory.ALL.asSlice(m, Mbuf.SIZE);
        int bufLen = Short.toUnsignedInt(s.get(Memory.SHORT, Mbuf.BUF_LEN));
        int headroom = Math.min(Mbuf.HEADROOM, bufLen);
        if (length > bufLen - headroom) {
            return 0;
        }
        s.set(Memory.LONG, Mbuf.NEXT, 0);
        s.set(Memory.LONG, Mbuf.TX_OFFLOAD, 0);
        s.set(Memory.SHORT, Mbuf.VLAN_TCI_OUTER, (short) 0);
        if (TYPE_LEN_WORD) {
            s.set(Memory.LONG, Mbuf.PACKET_TYPE, (long) length << 32); // packet_type = 0, pkt_len = length
        } else {
            s.set(Memory.INT, Mbuf.PACKET_TYPE, 0);
            s.set(Memory.INT, Mbuf.PKT_LEN, length);
        }
        if (DATA_LEN_VLAN_WORD) {
            s.set(Memory.INT, Mbuf.DATA_LEN, length & 0xFFFF); // data_len = length, vlan_tci = 0
        } else {
            s.set(Memory.SHORT, Mbuf.DATA_LEN, (short) length);
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
        return s.get(Memory.LONG, Mbuf.BUF_ADDR) + headroom;
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
