package io.jverbs.dpdk;

import io.jverbs.core.NativeBuffer;
import io.jverbs.core.NativeResource;
import io.jverbs.dpdk.ffi.RteEal;
import io.jverbs.dpdk.ffi.RteMbuf;
import io.jverbs.dpdk.ffi.RteMempool;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@link NativeBuffer} given to DPDK as external memory, an extbuf pool in it, frames through a
 * real net_ring port, and the order in which closing the buffer releases them.
 */
class ExternalMemoryTest {
    private static final int DATA_ROOM = MbufPool.DEFAULT_DATA_ROOM;
    private static final AtomicInteger PORTS = new AtomicInteger();
    private static Eal eal;

    @BeforeAll
    static void setUp() {
        eal = TestEal.get();
    }

    /** A net_ring port of its own (hot-plugged: closing a pool closes its port for good). */
    private static EthPort newRingPort() {
        String name = "net_ring_extmem" + PORTS.incrementAndGet();
        try (Arena arena = Arena.ofConfined()) {
            int rc = RteEal.rte_dev_probe(arena.allocateFrom(name));
            assertEquals(0, rc, "rte_dev_probe(" + name + ")");
        }
        return EthPort.byName(eal, name);
    }

    /** DPDK knows the page at {@code address} ({@code rte_mem_virt2memseg_list}): it is registered. */
    private static boolean dpdkKnows(long address) {
        return RteEal.rte_mem_virt2memseg_list(MemorySegment.ofAddress(address)).address() != 0;
    }

    private static boolean poolExists(String name) {
        try (Arena arena = Arena.ofConfined()) {
            return RteMempool.rte_mempool_lookup(arena.allocateFrom(name)).address() != 0;
        }
    }

    @Test
    void framesWrittenThroughTheBufferGoOutOfIt() {
        try (NativeBuffer buf = NativeBuffer.allocate(4L << 20)) {
            ExternalMemory ext = ExternalMemory.register(eal, buf);
            assertSame(buf, ext.buffer());
            assertEquals(buf.hugePages() ? NativeBuffer.HUGE_PAGE_SIZE : NativeBuffer.pageSize(), ext.pageSize(), buf.toString());
            assertTrue(dpdkKnows(buf.address()) && dpdkKnows(buf.address(buf.size() - 1)), "rte_extmem_register took the pages");
            MbufPool pool = MbufPool.createExternal(ext, "extmem-frames", 1023, DATA_ROOM);
            assertSame(ext, pool.externalMemory());
            EthPort port = newRingPort();
            port.configure(PortConfig.simple(pool));
            port.start();
            MemorySegment seg = buf.segment();
            try (MbufArray tx = new MbufArray(eal, 32); MbufArray rx = new MbufArray(eal, 64)) {
                pool.allocate(tx, 32);
                byte[][] frames = new byte[32][];
                Set<Long> buffers = new HashSet<>();
                for (int i = 0; i < 32; i++) {
                    Mbuf m = tx.get(i);
                    assertFalse(ext.contains(m.address(), 128), "the mbuf header lives in DPDK memory");
                    assertTrue(ext.contains(m.bufferAddress(), m.bufferLength()), "buffer of mbuf " + i + " is in the NativeBuffer");
                    assertEquals(0, (m.bufferAddress() - buf.address()) % DATA_ROOM, "buffers are laid end to end");
                    assertEquals(RteMbuf.RTE_MBUF_F_EXTERNAL, m.offloadFlags() & RteMbuf.RTE_MBUF_F_EXTERNAL, "an external-buffer mbuf");
                    buffers.add(m.bufferAddress());
                    byte[] f = new byte[60 + 7 * i];
                    for (int j = 0; j < f.length; j++) f[j] = (byte) (i * 13 + j * 7 + 1);
                    frames[i] = f;
                    m.length(f.length);
                    // Written through the buffer, not through the mbuf: the same bytes.
                    MemorySegment.copy(f, 0, seg, ValueLayout.JAVA_BYTE, ext.offsetOf(m), f.length);
                }
                assertEquals(32, buffers.size(), "every mbuf has a buffer of its own");
                assertEquals(32, port.txBurst(0, tx));
                assertEquals(32, port.rxBurst(0, rx));
                for (int i = 0; i < 32; i++) {
                    Mbuf m = rx.get(i);
                    long off = ext.offsetOf(m);
                    assertEquals(m.dataAddress(), buf.address() + off);
                    assertArrayEquals(frames[i], m.read(0, m.dataLength()), "frame " + i + " as DPDK delivered it");
                    assertArrayEquals(frames[i], seg.asSlice(off, frames[i].length).toArray(ValueLayout.JAVA_BYTE),
                            "frame " + i + " read back through the buffer");
                }
                rx.freeAll();
                assertEquals(0, pool.inUse(), "pinned external buffers go back to the pool");
            }
        }
    }

    @Test
    void smallPagesAreRegisteredPageByPage() {
        try (NativeBuffer buf = NativeBuffer.allocate(64 * NativeBuffer.pageSize(), NativeBuffer.Backing.PAGES)) {
            ExternalMemory half = ExternalMemory.register(eal, buf, 32 * NativeBuffer.pageSize(), 32 * NativeBuffer.pageSize());
            assertEquals(NativeBuffer.pageSize(), half.pageSize());
            assertFalse(dpdkKnows(buf.address()), "the first half is not registered");
            assertTrue(dpdkKnows(buf.address(32 * NativeBuffer.pageSize())));
            assertEquals(buf.address(32 * NativeBuffer.pageSize()), half.address());
            int iovaMode = RteEal.rte_eal_iova_mode();
            assertEquals(iovaMode == RteEal.RTE_IOVA_VA ? half.address() + 100 : -1L, half.iova(100), "IOVA mode " + iovaMode);
            IllegalArgumentException overlap = assertThrows(IllegalArgumentException.class, () -> ExternalMemory.register(eal, buf));
            assertTrue(overlap.getMessage().contains("overlaps ExternalMemory"), overlap.getMessage());
            IllegalArgumentException same = assertThrows(IllegalArgumentException.class,
                    () -> ExternalMemory.register(eal, half.address(), half.length()));
            assertTrue(same.getMessage().contains("register each range once"), same.getMessage());
            ExternalMemory.register(eal, buf, 0, 32 * NativeBuffer.pageSize()).close(); // the neighbour is free
            half.close();
            assertFalse(dpdkKnows(half.buffer().address(32 * NativeBuffer.pageSize())), "unregistered");
            ExternalMemory.register(eal, buf).close(); // the pages are free to register again
        }
    }

    /**
     * Stands for "what has happened by now": when closed, logs whether the pool still exists,
     * whether DPDK still knows the pages, and reads the buffer through a raw pointer (were it
     * unmapped already, the JVM would crash rather than pass).
     */
    private static final class Witness extends NativeResource {
        private final String tag;
        private final long address;
        private final String pool;
        private final List<String> log;

        Witness(NativeResource under, String tag, long address, String pool, List<String> log) {
            super(under);
            this.tag = tag;
            this.address = address;
            this.pool = pool;
            this.log = log;
            attach();
        }

        @Override
        protected void destroy() {
            long marker = MemorySegment.ofAddress(address).reinterpret(8).get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
            log.add(tag + ": pool " + (poolExists(pool) ? "alive" : "freed") + ", pages " + (dpdkKnows(address) ? "registered" : "unregistered")
                    + ", memory reads " + marker);
        }
    }

    @Test
    void closingTheBufferFreesThePoolThenUnregistersThenUnmaps() {
        List<String> log = new ArrayList<>();
        NativeBuffer buf = NativeBuffer.allocate(2L << 20);
        long address = buf.address();
        buf.segment().set(ValueLayout.JAVA_LONG, 0, 42L);
        new Witness(buf, "after unregister", address, "extmem-order", log); // older than the registration: closes after it
        ExternalMemory ext = ExternalMemory.register(eal, buf);
        new Witness(ext, "after pool free", address, "extmem-order", log); // older than the pool: closes after it
        MbufPool pool = MbufPool.createExternal(ext, "extmem-order", 511, DATA_ROOM);
        EthPort port = newRingPort();
        port.configure(PortConfig.simple(pool));
        port.start();
        ext.dmaMap(port); // the vdev bus accepts it (a no-op for net_ring): the mapping is a child of both
        assertTrue(ext.isDmaMapped(port));
        assertTrue(poolExists("extmem-order") && dpdkKnows(address));

        buf.close();

        assertEquals(List.of("after pool free: pool freed, pages registered, memory reads 42",
                "after unregister: pool freed, pages unregistered, memory reads 42"), log);
        assertTrue(port.isClosed(), "the port refilled from the pool: closed first");
        assertTrue(pool.isClosed() && ext.isClosed());
        assertFalse(ext.isDmaMapped(port));
        assertFalse(poolExists("extmem-order"));
        assertFalse(dpdkKnows(address));
        assertNull(NativeBuffer.covering(address, 8), "and the buffer is gone");
    }

    @Test
    void closingThePortUnmapsItsDmaMappingOnly() {
        try (NativeBuffer buf = NativeBuffer.allocate(1L << 20, NativeBuffer.Backing.PAGES)) {
            ExternalMemory ext = ExternalMemory.register(eal, buf);
            EthPort port = newRingPort();
            ext.dmaMap(port);
            ext.dmaMap(port);
            assertEquals(1, ext.liveChildren(), "one mapping per port");
            port.close();
            assertFalse(ext.isDmaMapped(port));
            assertEquals(0, ext.liveChildren());
            assertFalse(ext.isClosed());
            assertThrows(IllegalStateException.class, () -> ext.dmaMap(port));
        }
    }

    @Test
    void memoryNoLiveBufferHoldsIsRefused() {
        try (Arena arena = Arena.ofConfined()) {
            long address = arena.allocate(8192, 4096).address();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExternalMemory.register(eal, address, 4096));
            assertTrue(e.getMessage().contains("held by no live NativeBuffer"), e.getMessage());
            assertFalse(dpdkKnows(address));
        }
        NativeBuffer closed = NativeBuffer.allocate(1L << 16);
        long gone = closed.address();
        closed.close();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExternalMemory.register(eal, gone, 1L << 16));
        assertTrue(e.getMessage().contains("held by no live NativeBuffer"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> ExternalMemory.register(eal, closed));

        try (NativeBuffer buf = NativeBuffer.allocate(NativeBuffer.pageSize() + 100, NativeBuffer.Backing.PAGES)) {
            IllegalArgumentException ragged = assertThrows(IllegalArgumentException.class, () -> ExternalMemory.register(eal, buf));
            assertTrue(ragged.getMessage().contains("not aligned"), ragged.getMessage());
            IllegalArgumentException past = assertThrows(IllegalArgumentException.class,
                    () -> ExternalMemory.register(eal, buf.address(), 2 * NativeBuffer.pageSize()));
            assertTrue(past.getMessage().contains("run past the end"), past.getMessage());
            assertEquals(0, buf.liveChildren());
        }
    }

    @Test
    void aPoolMustFitInItsMemory() {
        try (NativeBuffer buf = NativeBuffer.allocate(1L << 20, NativeBuffer.Backing.PAGES)) {
            ExternalMemory ext = ExternalMemory.register(eal, buf);
            int fits = (int) (buf.size() / DATA_ROOM);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MbufPool.createExternal(ext, "extmem-toobig", fits + 1, DATA_ROOM));
            assertTrue(e.getMessage().contains("do not fit"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> MbufPool.createExternal(ext, DATA_ROOM, "extmem-off", fits, 0, DATA_ROOM,
                    MbufPool.SOCKET_ANY));
            // Two pools side by side in one registration.
            MbufPool a = MbufPool.createExternal(ext, 0, "extmem-a", fits / 2, 0, DATA_ROOM, MbufPool.SOCKET_ANY);
            MbufPool b = MbufPool.createExternal(ext, (long) (fits / 2) * DATA_ROOM, "extmem-b", fits / 2, 0, DATA_ROOM,
                    MbufPool.SOCKET_ANY);
            try (MbufArray one = new MbufArray(eal, 1)) {
                b.allocate(one, 1);
                assertTrue(one.get(0).bufferAddress() >= buf.address() + (long) (fits / 2) * DATA_ROOM, "b's buffers follow a's");
                one.freeAll();
            }
            assertEquals(2, ext.liveChildren());
            ext.close();
            assertTrue(a.isClosed() && b.isClosed());
        }
    }

    @Test
    void useAfterCloseThrows() {
        NativeBuffer buf = NativeBuffer.allocate(1L << 20, NativeBuffer.Backing.PAGES);
        ExternalMemory ext = ExternalMemory.register(eal, buf);
        MbufPool pool = MbufPool.createExternal(ext, "extmem-closed", 255, DATA_ROOM);
        Mbuf m;
        try (MbufArray one = new MbufArray(eal, 1)) {
            pool.allocate(one, 1);
            m = new Mbuf().wrap(one.address(0));
            ext.close();
            assertTrue(pool.isClosed(), "the pool closed with its memory");
            assertThrows(IllegalStateException.class, () -> ext.offsetOf(m));
            assertThrows(IllegalStateException.class, ext::address);
            assertThrows(IllegalStateException.class, () -> ext.iova(0));
            assertThrows(IllegalStateException.class, () -> ext.contains(buf.address(), 1));
            assertThrows(IllegalStateException.class, () -> MbufPool.createExternal(ext, "extmem-late", 15, DATA_ROOM));
            assertThrows(IllegalStateException.class, () -> pool.allocate(one, 1));
            assertThrows(IllegalStateException.class, pool::available);
            ext.close(); // idempotent
            assertFalse(buf.isClosed(), "closing the registration leaves the buffer");
            buf.segment().set(ValueLayout.JAVA_LONG, 0, 7L);
            assertEquals(7L, buf.segment().get(ValueLayout.JAVA_LONG, 0));
        }
        buf.close();
    }

    @Test
    void anMbufOfAnotherPoolIsNotInTheMemory() {
        try (NativeBuffer buf = NativeBuffer.allocate(1L << 20, NativeBuffer.Backing.PAGES);
             MbufPool plain = MbufPool.create(eal, "extmem-plain", 63, 0, DATA_ROOM, MbufPool.SOCKET_ANY);
             MbufArray one = new MbufArray(eal, 1)) {
            ExternalMemory ext = ExternalMemory.register(eal, buf);
            plain.allocate(one, 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ext.offsetOf(one.get(0)));
            assertTrue(e.getMessage().contains("is not in ExternalMemory"), e.getMessage());
            one.freeAll();
        }
    }
}
