package io.jverbs.dpdk;

import io.jverbs.core.Errno;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real vdevs: net_ring (a port's tx ring is its rx ring) and net_null (rx makes packets, tx drops them). */
class EthPortTest {
    private static Eal eal;
    private static MbufPool pool;

    @BeforeAll
    static void setUp() {
        eal = TestEal.get();
        pool = MbufPool.create(eal, "port-test", 4095, 128, MbufPool.DEFAULT_DATA_ROOM, MbufPool.SOCKET_ANY);
    }

    @AfterAll
    static void tearDown() {
        pool.close(); // closes the ports that refill from it first
    }

    @Test
    void netRingLoopsFramesBackByteForByte() {
        EthPort port = EthPort.byName(eal, "net_ring0");
        assertSame(port, EthPort.of(eal, port.id()), "one object per port");
        DeviceInfo info = port.info();
        assertEquals("net_ring", info.driverName());
        assertTrue(info.maxRxQueues() >= 1 && info.maxTxQueues() >= 1, info.toString());
        port.configure(PortConfig.simple(pool));
        port.start();
        LinkStatus link = port.link();
        assertTrue(link.up(), link.toString());
        port.promiscuous(true);
        assertTrue(port.isPromiscuous());
        port.resetStats();
        try (MbufArray tx = new MbufArray(eal, 32); MbufArray rx = new MbufArray(eal, 64)) {
            pool.allocate(tx, 32);
            byte[][] frames = new byte[32][];
            for (int i = 0; i < 32; i++) {
                byte[] f = new byte[60 + i];
                for (int j = 0; j < f.length; j++) f[j] = (byte) (i * 31 + j);
                frames[i] = f;
                Mbuf m = tx.get(i).length(f.length);
                m.write(0, f);
            }
            assertEquals(32, port.txBurst(0, tx));
            assertThrows(IllegalArgumentException.class, () -> port.rxBurst(0, rx, 65), "max beyond the array");
            assertThrows(IllegalArgumentException.class, () -> port.rxBurst(0, rx, 0));
            assertEquals(5, port.rxBurst(0, rx, 5), "at most max");
            assertEquals(5, rx.count());
            rx.freeAll();
            frames = java.util.Arrays.copyOfRange(frames, 5, 32);
            int got = port.rxBurst(0, rx);
            assertEquals(27, got);
            assertEquals(27, rx.count());
            for (int i = 0; i < 27; i++) {
                Mbuf m = rx.get(i);
                assertEquals(frames[i].length, m.packetLength(), "frame " + i);
                assertArrayEquals(frames[i], m.read(0, m.dataLength()), "frame " + i);
            }
            rx.freeAll();
            assertEquals(0, port.rxBurst(0, rx), "the ring is empty again");
            PortStats s = port.stats();
            assertEquals(32, s.txPackets());
            assertEquals(32, s.rxPackets());
            Map<String, Long> x = port.xstats();
            assertEquals(32L, x.get("rx_good_packets"), x.toString());
            assertEquals(32L, port.xstat("tx_good_packets"));
            assertThrows(IllegalArgumentException.class, () -> port.xstat("no_such_counter"));
        }
        assertEquals(6, port.macAddress().bytes().length);
        // net_ring has no MAC (all zero) and no mac_addr_set: the error names the call and the errno.
        DpdkException e = assertThrows(DpdkException.class, () -> port.macAddress(MacAddress.parse("02:6a:76:00:00:01")));
        assertTrue(e.getMessage().startsWith("rte_eth_dev_default_mac_addr_set failed: EOPNOTSUPP"), e.getMessage());
    }

    @Test
    void netNullBurstsCountInStats() {
        EthPort port = EthPort.byName(eal, "net_null0");
        assertEquals("net_null", port.info().driverName());
        port.configure(PortConfig.simple(pool).withDescriptors(512, 512));
        port.start();
        port.resetStats();
        int bursts = 200;
        long received = 0;
        try (MbufArray a = new MbufArray(eal, 32)) {
            for (int i = 0; i < bursts; i++) {
                pool.allocate(a, 32);
                for (int j = 0; j < 32; j++) a.get(j).length(64);
                assertEquals(32, port.txBurst(0, a), "net_null takes every packet");
                int n = port.rxBurst(0, a);
                received += n;
                for (int j = 0; j < n; j++) assertEquals(64, a.get(j).packetLength(), "net_null's default size");
                a.freeAll();
            }
        }
        PortStats s = port.stats();
        assertEquals(32L * bursts, s.txPackets());
        assertEquals(32L * bursts, received);
        assertEquals(received, s.rxPackets());
        assertEquals(0, s.rxNoMbuf());
        assertEquals(pool.size(), pool.available(), "every mbuf came back");
    }

    @Test
    void stopAndStartRereadsTheFastPath() {
        EthPort port = EthPort.byName(eal, "net_ring1");
        port.stop(); // another test may have started it
        port.configure(PortConfig.simple(pool));
        try (MbufArray a = new MbufArray(eal, 8)) {
            assertThrows(IllegalStateException.class, () -> port.rxBurst(0, a), "not started");
            port.start();
            pool.allocate(a, 8);
            assertEquals(8, port.txBurst(0, a));
            port.stop();
            assertThrows(IllegalStateException.class, () -> port.txBurst(0, a));
            port.start();
            assertEquals(8, port.rxBurst(0, a), "the ring kept its packets across stop/start");
            a.freeAll();
            assertThrows(IndexOutOfBoundsException.class, () -> port.rxBurst(1, a));
            assertThrows(IndexOutOfBoundsException.class, () -> port.rxBurst(-1, a));
            assertThrows(IndexOutOfBoundsException.class, () -> port.txBurst(-1, a));
            assertThrows(IllegalStateException.class, () -> port.configure(PortConfig.simple(pool)), "started");
        }
    }

    /** A warm forwarding loop (alloc, tx, rx, free) allocates nothing on the Java heap. */
    @Test
    void aBurstAllocatesNothing() {
        EthPort port = EthPort.byName(eal, "net_ring1");
        if (!port.isStarted()) {
            port.configure(PortConfig.simple(pool));
            port.start();
        }
        try (MbufArray tx = new MbufArray(eal, 32); MbufArray rx = new MbufArray(eal, 32)) {
            long sink = 0;
            for (int i = 0; i < 20_000; i++) sink += loop(port, tx, rx);
            // Rounds until one allocates nothing, for at most 20 s: on a loaded machine the JIT may
            // still be compiling the loop (and the bound burst classes) after the first rounds.
            long best = Long.MAX_VALUE;
            int rounds = 0;
            long end = System.nanoTime() + 20_000_000_000L;
            while (best != 0 && (rounds < 5 || System.nanoTime() < end)) {
                long before = AllocatedBytes.current();
                for (int i = 0; i < 10_000; i++) sink += loop(port, tx, rx);
                best = Math.min(best, AllocatedBytes.current() - before);
                rounds++;
            }
            assertEquals(32L * (20_000 + 10_000L * rounds), sink, "every loop sent and received 32");
            assertEquals(0, best, best + " bytes allocated over 10000 alloc+tx+rx+free bursts");
        }
    }

    private static int loop(EthPort port, MbufArray tx, MbufArray rx) {
        pool.allocate(tx, 32);
        for (int j = 0; j < 32; j++) tx.get(j).length(64);
        int sent = port.txBurst(0, tx);
        int got = port.rxBurst(0, rx);
        rx.freeAll();
        return sent + got - 32;
    }

    @Test
    void aMissingPortIsAClearError() {
        DpdkException e = assertThrows(DpdkException.class, () -> EthPort.byName(eal, "net_ring9"));
        assertEquals(Errno.ENODEV, e.errno());
        assertTrue(e.getMessage().contains("rte_eth_dev_get_port_by_name failed: ENODEV") && e.getMessage().contains("net_ring0 ("),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> EthPort.of(eal, 31));
    }

    @Test
    void unsupportedOffloadsAreNamed() {
        EthPort port = EthPort.byName(eal, "net_null2");
        Set<RxOffload> offered = port.info().rxOffloads();
        RxOffload missing = java.util.Arrays.stream(RxOffload.values()).filter(o -> !offered.contains(o)).findFirst().orElseThrow();
        var e = assertThrows(io.jverbs.core.NotSupportedException.class,
                () -> port.configure(PortConfig.simple(pool).withOffloads(Set.of(missing), Set.of())));
        assertTrue(e.getMessage().contains(missing.name()), e.getMessage());
    }

    @Test
    void useAfterCloseThrows() {
        EthPort port = EthPort.byName(eal, "net_null1");
        port.configure(PortConfig.simple(pool));
        port.start();
        try (MbufArray a = new MbufArray(eal, 4)) {
            assertEquals(4, port.rxBurst(0, a));
            a.freeAll();
            port.close();
            port.close();
            assertThrows(IllegalStateException.class, () -> port.rxBurst(0, a));
            assertThrows(IllegalStateException.class, () -> port.txBurst(0, a));
            assertThrows(IllegalStateException.class, port::stats);
            assertThrows(IllegalStateException.class, port::start);
            assertThrows(IllegalStateException.class, port::link);
        }
        assertFalse(eal.isClosed());
    }
}
