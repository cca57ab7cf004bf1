package io.jverbs.dpdk;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EalTest {
    @Test
    void initializedWithTheTypedOptions() {
        Eal eal = TestEal.get();
        assertSame(eal, Eal.current());
        assertEquals(0, eal.mainLcore());
        assertEquals(1, eal.lcoreCount());
        assertFalse(eal.hasHugepages(), "--no-huge");
        assertEquals(5, eal.portCount(), "five vdevs");
        assertEquals(5, eal.portIds().length);
        assertTrue(eal.options().args().containsAll(java.util.List.of("--no-huge", "--no-pci", "--file-prefix", TestEal.PREFIX)));
        // the test thread is no EAL thread: rte_eal_init ran on its own thread
        assertEquals(-1, Eal.currentLcore());
    }

    @Test
    void aSecondInitThrowsAndNamesTheLiveOne() {
        TestEal.get();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Eal.init(TestEal.options("jverbs-other").build()));
        assertTrue(e.getMessage().contains("already initialized") && e.getMessage().contains(TestEal.PREFIX), e.getMessage());
    }

    @Test
    void registeredThreadsGetTheirOwnLcore() throws Exception {
        Eal eal = TestEal.get();
        AtomicInteger a = new AtomicInteger(-2), b = new AtomicInteger(-2), after = new AtomicInteger(-2);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t1 = Thread.ofPlatform().start(() -> {
            try {
                a.set(eal.registerThread());
                assertEquals(a.get(), eal.registerThread(), "registering twice keeps the id");
                assertEquals(a.get(), RteErrno.lcoreId(), "DPDK's TLS agrees");
                Thread t2 = Thread.ofPlatform().start(() -> {
                    b.set(eal.registerThread());
                    eal.unregisterThread();
                });
                t2.join();
                eal.unregisterThread();
                after.set(Eal.currentLcore());
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        t1.join();
        if (failure.get() != null) throw new AssertionError(failure.get());
        assertTrue(a.get() > 0 && b.get() > 0, a + " " + b);
        assertNotEquals(a.get(), b.get());
        assertEquals(-1, after.get());
    }
}
