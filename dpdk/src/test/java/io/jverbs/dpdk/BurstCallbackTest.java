package io.jverbs.dpdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.jverbs.dpdk.ffi.RteEthdev;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * rte_eth_rx_burst/tx_burst run the callbacks installed with rte_eth_add_rx/tx_callback (the
 * inline functions check {@code fp_ops.rxq.clbk[queue]}); EthPort's bursts must do the same. A
 * Java upcall is installed as each callback: the rx one drops the last frame of every burst (frees
 * it and returns one fewer), the tx one counts. Without the callbacks installed nothing is seen.
 */
class BurstCallbackTest {
    static final AtomicInteger RX_SEEN = new AtomicInteger();
    static final AtomicInteger TX_SEEN = new AtomicInteger();
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT;
    /** Where the rx callback frees the frame it drops (rte_pktmbuf_free_bulk). */
    static MbufArray dropped;

    /** rte_rx_callback_fn: (port, queue, pkts[], nb_pkts, max_pkts, user_param) -> nb_pkts kept. */
    static short onRx(short port, short queue, MemorySegment pkts, short nb, short max, MemorySegment user) {
        int n = Short.toUnsignedInt(nb);
        RX_SEEN.addAndGet(n);
        if (n == 0) {
            return 0;
        }
        MemorySegment table = pkts.reinterpret(8L * n);
        dropped.set(0, table.getAtIndex(ValueLayout.JAVA_LONG, n - 1));
        dropped.count(1);
        dropped.freeAll();
        return (short) (n - 1);
    }

    /** rte_tx_callback_fn: (port, queue, pkts[], nb_pkts, user_param) -> nb_pkts to send. */
    static short onTx(short port, short queue, MemorySegment pkts, short nb, MemorySegment user) {
        TX_SEEN.addAndGet(Short.toUnsignedInt(nb));
        return nb;
    }

    @Test
    void burstsRunInstalledCallbacks() throws Throwable {
        Eal eal = TestEal.get();
        eal.probe("net_ring_cb");
        EthPort port = EthPort.byName(eal, "net_ring_cb");
        try (MbufPool pool = MbufPool.create(eal, "callback-test", 1023);
             MbufArray burst = new MbufArray(eal, 32);
             MbufArray drop = new MbufArray(eal, 1);
             Arena arena = Arena.ofShared()) {
            dropped = drop;
            port.configure(PortConfig.simple(pool));
            port.start();

            // Without callbacks: 8 out, 8 back, nothing counted.
            pool.allocate(burst, 8);
            for (int i = 0; i < 8; i++) burst.get(i).length(64);
            assertEquals(8, port.txBurst(0, burst));
            assertEquals(8, port.rxBurst(0, burst));
            burst.freeAll();
            assertEquals(0, RX_SEEN.get() + TX_SEEN.get());

            Linker linker = Linker.nativeLinker();
            MemorySegment rxFn = linker.upcallStub(MethodHandles.lookup().findStatic(BurstCallbackTest.class, "onRx",
                            MethodType.methodType(short.class, short.class, short.class, MemorySegment.class, short.class,
                                    short.class, MemorySegment.class)),
                    FunctionDescriptor.of(U16, U16, U16, ValueLayout.ADDRESS, U16, U16, ValueLayout.ADDRESS), arena);
            MemorySegment txFn = linker.upcallStub(MethodHandles.lookup().findStatic(BurstCallbackTest.class, "onTx",
                            MethodType.methodType(short.class, short.class, short.class, MemorySegment.class, short.class,
                                    MemorySegment.class)),
                    FunctionDescriptor.of(U16, U16, U16, ValueLayout.ADDRESS, U16, ValueLayout.ADDRESS), arena);
            short id = (short) port.id();
            MemorySegment rxCb = RteEthdev.rte_eth_add_rx_callback(id, (short) 0, rxFn, MemorySegment.NULL);
            MemorySegment txCb = RteEthdev.rte_eth_add_tx_callback(id, (short) 0, txFn, MemorySegment.NULL);
            assertNotEquals(0L, rxCb.address(), "rte_eth_add_rx_callback");
            assertNotEquals(0L, txCb.address(), "rte_eth_add_tx_callback");

            pool.allocate(burst, 8);
            for (int i = 0; i < 8; i++) burst.get(i).length(64);
            assertEquals(8, port.txBurst(0, burst));
            assertEquals(8, TX_SEEN.get(), "the tx callback saw the burst");
            assertEquals(7, port.rxBurst(0, burst), "the rx callback dropped the last frame");
            assertEquals(8, RX_SEEN.get(), "the rx callback saw all eight");
            burst.freeAll();
            assertEquals(0, pool.inUse(), "the dropped frame went back to the pool");

            // Removed (unlinked; DPDK leaves freeing the callback to the caller, after bursts stop):
            // bursts go back to the plain path.
            assertEquals(0, RteEthdev.rte_eth_remove_rx_callback(id, (short) 0, rxCb));
            assertEquals(0, RteEthdev.rte_eth_remove_tx_callback(id, (short) 0, txCb));
            pool.allocate(burst, 4);
            for (int i = 0; i < 4; i++) burst.get(i).length(64);
            assertEquals(4, port.txBurst(0, burst));
            assertEquals(4, port.rxBurst(0, burst));
            burst.freeAll();
            assertEquals(8, TX_SEEN.get());
            assertEquals(8, RX_SEEN.get());
            port.stop();
        } finally {
            port.close();
        }
    }
}
