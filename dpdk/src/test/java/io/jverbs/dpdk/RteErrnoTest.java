package io.jverbs.dpdk;

import io.jverbs.core.Errno;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** rte_errno is thread-local; jverbs reads it through dlsym on the failing thread. */
class RteErrnoTest {
    @Test
    void eachThreadReadsItsOwnCopy() throws Exception {
        TestEal.get();
        RteErrno.set(4321);
        AtomicInteger seen = new AtomicInteger(-1);
        AtomicInteger afterSet = new AtomicInteger(-1);
        Thread t = Thread.ofPlatform().start(() -> {
            seen.set(RteErrno.get());
            RteErrno.set(77);
            afterSet.set(RteErrno.get());
        });
        t.join();
        assertEquals(0, seen.get(), "a new thread starts with rte_errno 0, not this thread's 4321");
        assertEquals(77, afterSet.get());
        assertEquals(4321, RteErrno.get(), "the other thread's write did not reach this thread's copy");
        RteErrno.set(0);
    }

    @Test
    void aFailedCallReportsItsRteErrnoOnAnyThread() throws Exception {
        Eal eal = TestEal.get();
        // cache > RTE_MEMPOOL_CACHE_MAX_SIZE: rte_mempool_create_empty sets rte_errno = EINVAL
        DpdkException here = assertThrows(DpdkException.class, () -> MbufPool.create(eal, "bad-cache", 4095, 1000, 2176, -1));
        assertEquals(Errno.EINVAL, here.errno());
        assertSame(DpdkCall.PKTMBUF_POOL_CREATE, here.call());
        assertTrue(here.getMessage().startsWith("rte_pktmbuf_pool_create failed: EINVAL"), here.getMessage());
        assertTrue(here.getMessage().contains("'bad-cache'"), here.getMessage());

        AtomicReference<Throwable> other = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            RteErrno.set(0);
            try {
                MbufPool p = MbufPool.create(eal, "dup-name2", 63, 0, 2176, -1);
                try {
                    MbufPool.create(eal, "dup-name2", 63, 0, 2176, -1);
                } finally {
                    p.close();
                }
            } catch (Throwable e) {
                other.set(e);
            }
        });
        t.join();
        DpdkException e = (DpdkException) other.get();
        assertEquals(Errno.EEXIST, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains("unique"), e.getMessage());
    }

    @Test
    void dpdkOwnCodesAreNamedByRteStrerror() {
        TestEal.get();
        DpdkException e = new DpdkException(DpdkCall.EAL_INIT, (int) io.jverbs.dpdk.ffi.RteEal.E_RTE_SECONDARY);
        assertTrue(e.getMessage().contains("DPDK error 1001: Invalid call in secondary process"), e.getMessage());
    }
}
