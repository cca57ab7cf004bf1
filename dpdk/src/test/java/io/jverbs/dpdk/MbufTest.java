package io.jverbs.dpdk;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rte_pktmbuf_* mutators, on real mbufs, checked with DPDK's rte_mbuf_check after each. */
class MbufTest {
    private static MbufPool pool;
    private static MbufArray a;

    @BeforeAll
    static void pool() {
        Eal eal = TestEal.get();
        pool = MbufPool.create(eal, "mbuf-test", 255, 0, 2176, MbufPool.SOCKET_ANY);
        a = new MbufArray(eal, 4);
    }

    @AfterAll
    static void close() {
        a.close();
        pool.close();
    }

    /** The data accessors store in network byte order, and only within data_len. */
    @Test
    void networkOrderFieldsWithinTheData() {
        pool.allocate(a, 1);
        Mbuf m = a.get(0);
        m.length(14).putLong(0, 0x0200_0000_0002_0200L).putInt(8, 1).putShort(12, 0x0800);
        assertArrayEquals(new byte[] {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0}, m.read(0, 14));
        assertEquals(0x0800, m.getShort(12));
        assertEquals(1, m.getInt(8));
        assertEquals(0x0200_0000_0002_0200L, m.getLong(0));
        assertThrows(IndexOutOfBoundsException.class, () -> m.putLong(7, 0), "bytes 7..15 of 14");
        assertThrows(IndexOutOfBoundsException.class, () -> m.putShort(-1, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> m.getInt(11));
        assertThrows(IndexOutOfBoundsException.class, () -> m.length(2176 - Mbuf.HEADROOM + 1));
        assertEquals(0x0800, m.getShort(12), "a refused store changed nothing");
        MbufPoolTest.assertValid(m.address());
        a.freeAll();
    }

    /**
     * write(offset, segment) copies exactly the segment's bytes, for every size on both sides of
     * the word-store path (up to 64 bytes) and the bulk copy, from heap and native segments, and
     * refuses bytes outside data_len without writing any.
     */
    @Test
    void writeCopiesExactlyTheSegmentsBytes() {
        pool.allocate(a, 1);
        Mbuf m = a.get(0);
        m.length(100);
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            for (int n = 0; n <= 80; n++) {
                byte[] src = new byte[n];
                for (int i = 0; i < n; i++) src[i] = (byte) (n * 7 + i + 1);
                java.lang.foreign.MemorySegment nat = arena.allocate(Math.max(1, n)).asSlice(0, n);
                nat.copyFrom(java.lang.foreign.MemorySegment.ofArray(src));
                for (java.lang.foreign.MemorySegment s : new java.lang.foreign.MemorySegment[] {
                        java.lang.foreign.MemorySegment.ofArray(src), nat}) {
                    m.write(0, new byte[100]);
                    assertSame(m, m.write(3, s));
                    byte[] want = new byte[100];
                    System.arraycopy(src, 0, want, 3, n);
                    assertArrayEquals(want, m.read(0, 100), n + " bytes from " + (s.isNative() ? "native" : "heap"));
                }
            }
        }
        byte[] before = m.read(0, 100);
        java.lang.foreign.MemorySegment fourteen = java.lang.foreign.MemorySegment.ofArray(new byte[14]);
        assertThrows(IndexOutOfBoundsException.class, () -> m.write(87, fourteen), "bytes 87..101 of 100");
        assertThrows(IndexOutOfBoundsException.class, () -> m.write(-1, fourteen));
        assertThrows(IndexOutOfBoundsException.class, () -> m.write(0, java.lang.foreign.MemorySegment.ofArray(new byte[101])));
        assertArrayEquals(before, m.read(0, 100), "a refused write changed nothing");
        MbufPoolTest.assertValid(m.address());
        a.freeAll();
    }

    /** A closed array throws its own IllegalStateException instead of reading freed memory. */
    @Test
    void aClosedArrayThrows() {
        MbufArray b = new MbufArray(TestEal.get(), 2);
        b.set(1, 0x1000);
        assertEquals(0x1000, b.address(1));
        b.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.address(1));
        assertTrue(e.getMessage().contains("MbufArray[2] is closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> b.set(0, 0x1000));
        assertThrows(IndexOutOfBoundsException.class, () -> a.address(4));
    }

    @Test
    void appendPrependAdjTrim() {
        pool.allocate(a, 1);
        Mbuf m = a.get(0);
        int room = m.tailroom();
        assertEquals(2176 - Mbuf.HEADROOM, room);
        long tail = m.append(60);
        assertEquals(m.dataAddress(), tail);
        assertEquals(60, m.dataLength());
        assertEquals(60, m.packetLength());
        m.write(0, new byte[] {1, 2, 3});
        assertEquals(0, m.append(room), "no room: nothing changes");
        assertEquals(60, m.dataLength());
        long start = m.prepend(14);
        assertEquals(m.dataAddress(), start);
        assertEquals(Mbuf.HEADROOM - 14, m.headroom());
        assertEquals(74, m.packetLength());
        assertArrayEquals(new byte[] {1, 2, 3}, m.read(14, 3));
        assertEquals(0, m.prepend(Mbuf.HEADROOM), "headroom too small");
        m.adj(14);
        assertEquals(1, m.getByte(0));
        assertEquals(60, m.dataLength());
        assertTrue(m.trim(10));
        assertFalse(m.trim(51));
        assertEquals(50, m.packetLength());
        assertThrows(IndexOutOfBoundsException.class, () -> m.read(45, 6));
        MbufPoolTest.assertValid(m.address());
        a.freeAll();
    }

    @Test
    void chainingTwoSegments() {
        pool.allocate(a, 2);
        Mbuf head = new Mbuf().wrap(a.address(0));
        Mbuf tail = new Mbuf().wrap(a.address(1));
        head.append(100);
        tail.append(40);
        assertTrue(head.chain(tail.address()));
        assertEquals(2, head.segmentCount());
        assertEquals(140, head.packetLength());
        assertEquals(tail.address(), head.next());
        assertEquals(tail.address(), head.lastSegment());
        // append and trim work on the last segment
        head.append(10);
        assertEquals(50, tail.dataLength());
        assertEquals(150, head.packetLength());
        assertTrue(head.trim(5));
        assertEquals(45, tail.dataLength());
        MbufPoolTest.assertValid(head.address());
        // free the chain through its head only: both segments go back
        int before = pool.available();
        a.free(0, 1);
        assertEquals(before + 2, pool.available());
        a.count(0);
    }

    @Test
    void anUnwrappedViewThrows() {
        assertThrows(IllegalStateException.class, () -> new Mbuf().packetLength());
        assertThrows(IllegalArgumentException.class, () -> new Mbuf().wrap(0));
        assertNotEquals("", new Mbuf().toString());
    }
}
