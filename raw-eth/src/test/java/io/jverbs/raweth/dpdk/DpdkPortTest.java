package io.jverbs.raweth.dpdk;

import io.jverbs.dpdk.Eal;
import io.jverbs.dpdk.EthPort;
import io.jverbs.dpdk.Mbuf;
import io.jverbs.dpdk.MbufPool;
import io.jverbs.raweth.port.AllocatedBytes;
import io.jverbs.raweth.port.FrameBurst;
import io.jverbs.raweth.port.PortCapabilities;
import io.jverbs.raweth.port.PortStats;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link DpdkPort} on a real net_ring port whose tx ring is its rx ring: what goes out comes back
 * byte for byte, in order, in the same mbufs' memory. Bursts, the receive stash, offload refusal,
 * mbuf accounting, 0 bytes allocated per burst, use after close.
 */
class DpdkPortTest {
    private static Eal eal;
    private static MbufPool pool;
    private static DpdkPort port;

    @BeforeAll
    static void setUp() {
        eal = DpdkTestEal.get();
        pool = MbufPool.create(eal, "dpdkport-test", 2047, 64, MbufPool.DEFAULT_DATA_ROOM, MbufPool.SOCKET_ANY);
        port = DpdkPort.open(EthPort.byName(eal, "net_ring0"), pool, 32);
    }

    @AfterAll
    static void tearDown() {
        pool.close(); // closes the ethdev, and the DpdkPort with it
        assertTrue(port.isClosed(), "the port closes with the pool's ethdev");
    }

    private static byte[] pattern(int i, int length) {
        byte[] f = new byte[length];
        for (int j = 0; j < length; j++) f[j] = (byte) (i * 31 + j * 7);
        return f;
    }

    /** Allocates {@code n} frames, writes pattern frames of {@code lengths}, transmits them all. */
    private static byte[][] send(FrameBurst tx, int n, int firstLength) {
        assertEquals(n, port.allocate(tx, n));
        byte[][] sent = new byte[n][];
        for (int i = 0; i < n; i++) {
            assertEquals(0, tx.length(i), "an allocated frame is empty");
            assertTrue(tx.capacity(i) >= port.capabilities().maxFrameLength(), "room for a full frame: " + tx.capacity(i));
            sent[i] = pattern(i, Math.min(firstLength + 47 * i, port.capabilities().maxFrameLength()));
            MemorySegment.copy(sent[i], 0, tx.memory(), ValueLayout.JAVA_BYTE, tx.offset(i), sent[i].length);
            tx.length(i, sent[i].length);
        }
        assertEquals(n, port.transmit(tx, n), "net_ring takes every frame");
        assertEquals(0, tx.count(), "nothing left in the burst");
        return sent;
    }

    @Test
    void framesComeBackByteForByte() {
        PortCapabilities caps = port.capabilities();
        assertEquals(1500, caps.mtu());
        assertEquals(1518, caps.maxFrameLength());
        assertEquals(32, caps.maxBurst());
        assertEquals("dpdk:net_ring0", port.name());
        PortStats before = port.stats();
        FrameBurst tx = new FrameBurst(32);
        FrameBurst rx = new FrameBurst(32);
        byte[][] sent = send(tx, 32, 60);
        assertTrue(port.awaitReceive(1_000_000_000L));
        assertEquals(32, port.receive(rx));
        assertSame(Mbuf.ADDRESS_SPACE, rx.memory());
        long bytes = 0;
        for (int i = 0; i < 32; i++) {
            byte[] got = new byte[rx.length(i)];
            MemorySegment.copy(rx.memory(), ValueLayout.JAVA_BYTE, rx.offset(i), got, 0, got.length);
            assertArrayEquals(sent[i], got, "frame " + i);
            assertEquals(0, rx.flags(i), "net_ring checks no checksums");
            assertEquals(rx.offset(i), new Mbuf().wrap(rx.handle(i)).dataAddress(), "the handle is the mbuf holding the frame");
            bytes += got.length;
        }
        port.release(rx);
        assertEquals(0, rx.count());
        assertEquals(0, port.receive(rx), "the ring is empty");
        PortStats after = port.stats();
        assertEquals(32, after.rxFrames() - before.rxFrames());
        assertEquals(32, after.txFrames() - before.txFrames());
        assertEquals(bytes, after.rxBytes() - before.rxBytes());
        assertEquals(bytes, after.txBytes() - before.txBytes());
        assertEquals(pool.size(), pool.available(), "every mbuf went back to the pool");
    }

    @Test
    void aSmallBurstTakesFramesInOrderAndTheRestWait() {
        FrameBurst tx = new FrameBurst(32);
        byte[][] sent = send(tx, 10, 100);
        assertTrue(port.awaitReceive(1_000_000_000L), "awaitReceive polls the ring and keeps what it found");
        FrameBurst small = new FrameBurst(4);
        int next = 0;
        for (int expect : new int[] {4, 4, 2}) {
            assertEquals(expect, port.receive(small));
            for (int i = 0; i < expect; i++, next++) {
                assertEquals(sent[next].length, small.length(i), "frame " + next);
                assertEquals(sent[next][5], small.memory().get(ValueLayout.JAVA_BYTE, small.offset(i) + 5), "frame " + next);
            }
            port.release(small);
        }
        assertEquals(0, port.receive(small));
        assertEquals(pool.size(), pool.available());
    }

    @Test
    void awaitReceiveTimesOutOnAnEmptyPort() {
        long t0 = System.nanoTime();
        assertFalse(port.awaitReceive(20_000_000L));
        assertTrue(System.nanoTime() - t0 >= 20_000_000L, "waited the whole timeout");
        assertFalse(port.awaitReceive(0));
    }

    @Test
    void offloadsTheDeviceLacksAreRefusedBeforeAnythingIsSent() {
        PortCapabilities caps = port.capabilities();
        assertFalse(caps.txIpChecksum() || caps.txL4Checksum() || caps.rxChecksumFlags() || caps.tso(),
                "net_ring offers no offloads: " + caps);
        FrameBurst tx = new FrameBurst(4);
        assertEquals(2, port.allocate(tx, 2));
        tx.length(0, TestFrames.udp(tx.memory(), tx.offset(0), 1, 2, 3, 4, 5, 6, 10, true));
        tx.length(1, TestFrames.udp(tx.memory(), tx.offset(1), 1, 2, 3, 4, 5, 6, 10, false));
        tx.flags(1, FrameBurst.TX_L4_CHECKSUM);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> port.transmit(tx, 2));
        assertTrue(e.getMessage().contains("frame 1") && e.getMessage().contains("capabilities()"), e.getMessage());
        assertEquals(2, tx.count(), "the frames stay the caller's");
        assertFalse(port.awaitReceive(5_000_000L), "nothing was sent");
        port.release(tx);
        assertEquals(pool.size(), pool.available());
    }

    @Test
    void aPartOfTheBurstAndBoundsAreChecked() {
        FrameBurst tx = new FrameBurst(8);
        assertEquals(8, port.allocate(tx, 8));
        for (int i = 0; i < 8; i++) tx.length(i, 64);
        assertThrows(IndexOutOfBoundsException.class, () -> port.transmit(tx, 9));
        assertEquals(3, port.transmit(tx, 3));
        assertEquals(5, tx.count(), "the frames not asked for moved to the front");
        assertEquals(64, tx.length(0));
        port.release(tx);
        FrameBurst rx = new FrameBurst(8);
        assertTrue(port.awaitReceive(1_000_000_000L));
        assertEquals(3, port.receive(rx));
        port.release(rx);
        assertEquals(pool.size(), pool.available());
    }

    /** One allocate + write + transmit + receive + release cycle of 32 frames; returns the frames received. */
    private static int cycle(FrameBurst tx, FrameBurst rx, long stamp) {
        int n = port.allocate(tx, 32);
        for (int j = 0; j < n; j++) {
            tx.memory().set(ValueLayout.JAVA_LONG_UNALIGNED, tx.offset(j), stamp);
            tx.length(j, 64);
        }
        port.transmit(tx, n);
        port.release(tx);
        int got = port.receive(rx);
        port.release(rx);
        return got;
    }

    @Test
    void aWarmLoopAllocatesNothing() {
        FrameBurst tx = new FrameBurst(32);
        FrameBurst rx = new FrameBurst(32);
        long[] frames = new long[1];
        for (int i = 0; i < 30_000; i++) frames[0] += cycle(tx, rx, i); // warm-up: C2 compiles cycle()
        int windows = AllocatedBytes.assertWarmWindowAllocatesNothing(
                "10,000 allocate+transmit+receive+release cycles of 32 frames", () -> {
                    for (int i = 0; i < 10_000; i++) frames[0] += cycle(tx, rx, i);
                }).length;
        assertEquals((30_000L + windows * 10_000L) * 32, frames[0], "every cycle sent and received 32 frames");
        assertEquals(pool.size(), pool.available());
    }

    @Test
    void aClosedPortThrows() {
        MbufPool p = MbufPool.create(eal, "dpdkport-closed", 511, 0, MbufPool.DEFAULT_DATA_ROOM, MbufPool.SOCKET_ANY);
        try {
            DpdkPort q = DpdkPort.open(EthPort.byName(eal, "net_ring1"), p, 8);
            FrameBurst b = new FrameBurst(8);
            assertEquals(8, q.allocate(b, 8));
            for (int i = 0; i < 8; i++) b.length(i, 60);
            assertEquals(8, q.transmit(b, 8));
            assertTrue(q.awaitReceive(1_000_000_000L));
            q.close();
            q.close();
            assertEquals(p.size(), p.available(), "close freed the frames it had not handed out");
            assertThrows(IllegalStateException.class, () -> q.receive(b));
            assertThrows(IllegalStateException.class, () -> q.allocate(b, 1));
            assertThrows(IllegalStateException.class, () -> q.transmit(b, 0));
            assertThrows(IllegalStateException.class, () -> q.release(b));
            assertThrows(IllegalStateException.class, () -> q.awaitReceive(0));
            assertThrows(IllegalStateException.class, q::stats);
            assertFalse(q.ethPort().isStarted(), "close stopped the ethdev");
        } finally {
            p.close();
        }
    }
}
