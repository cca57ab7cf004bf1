package io.jverbs.dpdk;

import io.jverbs.core.Errno;
import io.jverbs.dpdk.ffi.RteMbuf;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MbufPoolTest {
    /** rte_mbuf_check: DPDK's own validation of an mbuf header (0 = valid). */
    static void assertValid(long mbuf) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment reason = a.allocate(ValueLayout.ADDRESS);
            int rc = RteMbuf.rte_mbuf_check(MemorySegment.ofAddress(mbuf), 1, reason);
            assertEquals(0, rc, () -> "rte_mbuf_check: " + reason.get(ValueLayout.ADDRESS, 0).reinterpret(200).getString(0));
        }
    }

    @Test
    void allocatedMbufsAreResetAndValid() {
        Eal eal = TestEal.get();
        try (MbufPool pool = MbufPool.create(eal, "reset-pool", 511);
             MbufArray a = new MbufArray(eal, 32)) {
            assertEquals(511, pool.size());
            assertEquals(256, pool.cacheSize());
            assertEquals(MbufPool.DEFAULT_DATA_ROOM, pool.dataRoom());
            assertEquals(511, pool.available());
            pool.allocate(a, 32);
            assertEquals(32, a.count());
            assertEquals(32, pool.inUse());
            Set<Long> distinct = new HashSet<>();
            for (int i = 0; i < 32; i++) {
                Mbuf m = a.get(i);
                distinct.add(m.address());
                assertValid(m.address());
                assertEquals(Mbuf.HEADROOM, m.headroom());
                assertEquals(0, m.dataLength());
                assertEquals(0, m.packetLength());
                assertEquals(1, m.segmentCount());
                assertEquals(1, m.refcnt());
                assertEquals(Mbuf.PORT_INVALID, m.port());
                assertEquals(0, m.next());
                assertEquals(pool.address(), m.pool());
                assertEquals(MbufPool.DEFAULT_DATA_ROOM, m.bufferLength());
                // dirty it: the next allocation must reset what a user changed
                m.length(100).port(3).offloadFlags(RteMbuf.RTE_MBUF_F_TX_IPV4).packetType(0x11).vlanTci(7).txOffload(14);
                m.prepend(4);
            }
            assertEquals(32, distinct.size());
            a.freeAll();
            assertEquals(0, a.count());
            assertEquals(511, pool.available());
            // Take the whole pool: every mbuf, including the dirtied ones, comes back reset.
            MbufArray all = new MbufArray(eal, 511);
            pool.allocate(all, 511);
            for (int i = 0; i < 511; i++) {
                Mbuf m = all.get(i);
                assertEquals(Mbuf.HEADROOM, m.headroom());
                assertEquals(0, m.packetLength());
                assertEquals(0, m.offloadFlags());
                assertEquals(0, m.packetType());
                assertEquals(0, m.vlanTci());
                assertEquals(0, m.txOffload());
                assertEquals(Mbuf.PORT_INVALID, m.port());
            }
            all.freeAll();
            all.close();
        }
    }

    @Test
    void anExhaustedPoolThrowsNamingItOrReturnsZero() {
        Eal eal = TestEal.get();
        try (MbufPool pool = MbufPool.create(eal, "tiny-pool", 63, 0, 2176, MbufPool.SOCKET_ANY);
             MbufArray a = new MbufArray(eal, 64);
             MbufArray b = new MbufArray(eal, 8)) {
            pool.allocate(a, 60);
            assertEquals(0, pool.tryAllocate(b, 8), "all or nothing, as rte_pktmbuf_alloc_bulk");
            assertEquals(0, b.count());
            assertEquals(3, pool.available(), "a failed allocation takes nothing");
            DpdkException e = assertThrows(DpdkException.class, () -> pool.allocate(b, 8));
            assertEquals(Errno.ENOBUFS, e.errno());
            assertTrue(e.getMessage().contains("'tiny-pool' (63 mbufs") && e.getMessage().contains("3 are free"), e.getMessage());
            assertEquals(3, pool.tryAllocate(b, 3));
            a.freeAll();
            b.freeAll();
            assertEquals(63, pool.available());
        }
    }

    @Test
    void aRegisteredThreadAllocatesThroughItsCache() throws Exception {
        Eal eal = TestEal.get();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (MbufPool pool = MbufPool.create(eal, "cached-pool", 2047, 64, 2176, MbufPool.SOCKET_ANY)) {
            Thread t = Thread.ofPlatform().start(() -> {
                try (MbufArray a = new MbufArray(eal, 48)) {
                    eal.registerThread();
                    try {
                        // first get: cache empty, refilled with cache size + n from the ring
                        pool.allocate(a, 48);
                        long lastFreed = a.address(47);
                        a.freeAll(); // into this lcore's cache
                        assertEquals(2047, pool.available(), "avail_count counts the caches");
                        pool.allocate(a, 48);
                        assertEquals(lastFreed, a.address(0), "the cache is LIFO: the last mbuf freed comes back first");
                        for (int i = 0; i < 48; i++) assertValid(a.address(i));
                        // drain the pool across cache and ring, then over-ask: all or nothing
                        MbufArray rest = new MbufArray(eal, 2047);
                        pool.allocate(rest, 2047 - 48);
                        assertEquals(0, pool.available());
                        MbufArray one = new MbufArray(eal, 1);
                        assertEquals(0, pool.tryAllocate(one, 1));
                        rest.freeAll();
                        a.freeAll();
                        assertEquals(2047, pool.available());
                        Set<Long> seen = new HashSet<>();
                        pool.allocate(rest, 2047);
                        for (int i = 0; i < 2047; i++) assertTrue(seen.add(rest.address(i)), "an mbuf handed out twice");
                        rest.freeAll();
                        rest.close();
                        one.close();
                    } finally {
                        eal.unregisterThread();
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            t.join();
            if (failure.get() != null) throw new AssertionError(failure.get());
            assertEquals(2047, pool.available());
        }
    }

    /**
     * MbufArray.free on a registered thread puts lone, unshared mbufs of one pool straight onto the
     * lcore's cache in Java and leaves everything else to rte_pktmbuf_free_bulk: a chain frees its
     * tail too, a shared mbuf only loses a reference, mbufs of two pools each go home, a NULL entry
     * is skipped, and bursts past the cache's flush threshold reach the ring. Each case counts the
     * pools' free mbufs, which a wrong Java free would leave short or over.
     */
    @Test
    void freeTakesTheCacheOnlyForPlainMbufs() throws Exception {
        Eal eal = TestEal.get();
        try (MbufPool pool = MbufPool.create(eal, "free-pool", 1023, 64, 2176, MbufPool.SOCKET_ANY);
             MbufPool other = MbufPool.create(eal, "free-other", 255, 32, 2176, MbufPool.SOCKET_ANY)) {
            onRegisteredThread(eal, () -> {
                try (MbufArray a = new MbufArray(eal, 64); MbufArray hold = new MbufArray(eal, 16);
                     MbufArray big = new MbufArray(eal, 1023)) {
                    // plain: into the cache, LIFO
                    pool.allocate(a, 32);
                    long last = a.address(31);
                    a.freeAll();
                    assertEquals(0, a.count());
                    assertEquals(1023, pool.available());
                    pool.allocate(a, 1);
                    assertEquals(last, a.address(0), "the cache is LIFO: the last mbuf freed comes back first");
                    a.freeAll();

                    // a chain: freeing its head frees the tail too
                    pool.allocate(a, 2);
                    assertTrue(a.get(0).chain(a.address(1)));
                    a.free(0, 1);
                    assertEquals(1023, pool.available(), "the chain's tail was not freed");

                    // shared (refcnt 2): the free drops one reference, the mbuf stays out
                    pool.allocate(a, 1);
                    long shared = a.address(0);
                    Mbuf.ADDRESS_SPACE.set(Memory.SHORT, shared + Mbuf.REFCNT, (short) 2);
                    a.free(0, 1);
                    assertEquals(1022, pool.available(), "a shared mbuf went back to the pool");
                    assertEquals(1, new Mbuf().wrap(shared).refcnt());
                    a.set(0, shared);
                    a.count(1);
                    a.freeAll();
                    assertEquals(1023, pool.available());

                    // a next pointer on a one-segment mbuf: rte_pktmbuf_free_bulk follows it, so must we
                    pool.allocate(hold, 16); // room in the cache, so the Java path could take what follows
                    pool.allocate(a, 2);
                    Mbuf.ADDRESS_SPACE.set(Memory.LONG, a.address(0) + Mbuf.NEXT, a.address(1));
                    a.free(0, 1);
                    assertEquals(1023 - 16, pool.available(), "the mbuf behind next was not freed");

                    // two pools in one array: each mbuf goes back to its own
                    pool.allocate(a, 4);
                    MbufArray b = new MbufArray(eal, 4);
                    other.allocate(b, 4);
                    for (int i = 0; i < 4; i++) a.set(4 + i, b.address(i));
                    a.count(8);
                    a.freeAll();
                    assertEquals(1023 - 16, pool.available());
                    assertEquals(255, other.available());
                    b.close();

                    // a NULL entry is skipped, as rte_pktmbuf_free_bulk does
                    pool.allocate(a, 3);
                    long middle = a.address(1);
                    a.set(1, 0L);
                    a.freeAll();
                    assertEquals(1023 - 16 - 1, pool.available());
                    a.set(0, middle);
                    a.count(1);
                    a.freeAll();
                    hold.freeAll();
                    assertEquals(1023, pool.available());

                    // the whole pool, freed in bursts that overflow the cache (flush threshold 96) and in one call
                    pool.allocate(big, 1022);
                    for (int off = 0; off < 1022; off += 32) big.free(off, Math.min(32, 1022 - off));
                    assertEquals(1023, pool.available());
                    pool.allocate(big, 1023);
                    Set<Long> seen = new HashSet<>();
                    for (int i = 0; i < 1023; i++) {
                        assertTrue(seen.add(big.address(i)), "an mbuf handed out twice");
                        assertValid(big.address(i));
                    }
                    big.freeAll();
                    assertEquals(1023, pool.available());
                }
            });
            assertEquals(1023, pool.available());
        }
    }

    /** Runs {@code body} on a new thread registered with {@code eal} (it has an lcore, so mempool caches) and rethrows its failure. */
    private static void onRegisteredThread(Eal eal, org.junit.jupiter.api.function.Executable body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            eal.registerThread();
            try {
                body.execute();
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                eal.unregisterThread();
            }
        });
        t.join();
        if (failure.get() != null) throw new AssertionError(failure.get());
    }

    /**
     * allocate(into, n, length, template) gives valid, reset one-segment packets of length bytes
     * that start with the template, for templates on both sides of each copy path (two 8-byte
     * words, small stores, bulk copy), through the lcore cache and without one; bad lengths and a
     * closed template throw before anything is taken.
     */
    @Test
    void allocateWithATemplateFillsEachPacket() throws Exception {
        Eal eal = TestEal.get();
        try (MbufPool pool = MbufPool.create(eal, "template-pool", 1023, 64, 2176, MbufPool.SOCKET_ANY)) {
            checkTemplates(pool, eal); // this thread has no lcore: no cache
            onRegisteredThread(eal, () -> checkTemplates(pool, eal)); // through this lcore's cache
            assertEquals(1023, pool.available());
        }
    }

    private static void checkTemplates(MbufPool pool, Eal eal) {
        int room = 2176 - Mbuf.HEADROOM;
        try (MbufArray a = new MbufArray(eal, 48); MbufArray all = new MbufArray(eal, 1023); Arena arena = Arena.ofConfined()) {
            for (int size : new int[] {0, 1, 2, 3, 5, 7, 8, 13, 14, 16, 17, 40, 64, 65, 200}) {
                byte[] bytes = new byte[size];
                for (int i = 0; i < size; i++) bytes[i] = (byte) (size * 31 + i + 1);
                MemorySegment nat = arena.allocate(Math.max(1, size)).asSlice(0, size).copyFrom(MemorySegment.ofArray(bytes));
                for (MemorySegment template : new MemorySegment[] {MemorySegment.ofArray(bytes), nat}) {
                    // dirty every mbuf of the pool: the template allocation must reset what it hands out
                    pool.allocate(all, 1023);
                    for (int i = 0; i < 1023; i++) {
                        all.get(i).length(room).port(3).vlanTci(7).txOffload(14).packetType(0x11).write(0, new byte[room]);
                        all.get(i).putByte(size, (byte) 0x5A);
                    }
                    all.freeAll();
                    int length = Math.max(60, size);
                    pool.allocate(a, 48, length, template);
                    assertEquals(48, a.count());
                    for (int i = 0; i < 48; i++) {
                        Mbuf m = a.get(i);
                        assertValid(m.address());
                        assertEquals(Mbuf.HEADROOM, m.headroom());
                        assertEquals(length, m.dataLength());
                        assertEquals(length, m.packetLength());
                        assertEquals(1, m.segmentCount());
                        assertEquals(Mbuf.PORT_INVALID, m.port());
                        assertEquals(0, m.vlanTci());
                        assertEquals(0, m.txOffload());
                        assertEquals(0, m.packetType());
                        assertEquals(0, m.next());
                        assertArrayEquals(bytes, m.read(0, size), size + "-byte template, " + (template.isNative() ? "native" : "heap"));
                        if (size < length) assertEquals((byte) 0x5A, m.getByte(size), "a byte after the template was written");
                    }
                    a.freeAll();
                }
            }
            int free = pool.available();
            MemorySegment fourteen = MemorySegment.ofArray(new byte[14]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pool.allocate(a, 8, room + 1, fourteen));
            assertTrue(e.getMessage().contains(room + " bytes after the headroom"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> pool.allocate(a, 8, 13, fourteen), "shorter than the template");
            assertThrows(IllegalArgumentException.class, () -> pool.allocate(a, 8, -1, MemorySegment.ofArray(new byte[0])));
            pool.allocate(a, 8, room, fourteen);
            a.freeAll();
            Arena closed = Arena.ofConfined();
            MemorySegment gone = closed.allocate(14);
            closed.close();
            assertThrows(IllegalStateException.class, () -> pool.allocate(a, 8, 64, gone));
            assertEquals(free, pool.available(), "a refused allocation takes nothing");
            assertEquals(0, a.count());
        }
    }

    @Test
    void useAfterCloseThrows() {
        Eal eal = TestEal.get();
        MbufPool pool = MbufPool.create(eal, "closed-pool", 127, 0, 2176, MbufPool.SOCKET_ANY);
        MbufArray a = new MbufArray(eal, 4);
        pool.close();
        pool.close();
        assertTrue(pool.isClosed());
        assertThrows(IllegalStateException.class, () -> pool.allocate(a, 1));
        assertThrows(IllegalStateException.class, pool::available);
        a.close();
        assertThrows(IllegalStateException.class, () -> a.get(0));
        assertThrows(IllegalStateException.class, a::freeAll);
        assertThrows(IllegalStateException.class, () -> new Mbuf().dataLength());
        assertFalse(eal.isClosed());
    }
}
