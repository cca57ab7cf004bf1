package io.jverbs.dpdk;

import io.jverbs.dpdk.ffi.RteEal;

/**
 * The calling thread's lcore id, cached in Java: DPDK keeps it in a TLS variable that Java can
 * only reach through dlsym, too slow for every allocation. Read once per thread, and again when
 * {@link Eal#registerThread()} or {@link Eal#unregisterThread()} changes it.
 */
final class Lcore {
    /** {@code LCORE_ID_ANY}: the thread has no lcore id. */
    static final int ANY = (int) RteEal.LCORE_ID_ANY;
    private static final int MAX = (int) RteEal.RTE_MAX_LCORE;

    private static final ThreadLocal<int[]> ID = ThreadLocal.withInitial(() -> new int[] {RteErrno.lcoreId()});

    private Lcore() {}

    /** The calling thread's lcore id, or {@link #ANY}. */
    static int current() {
        return ID.get()[0];
    }

    /** Re-reads the calling thread's lcore id from DPDK and returns it. */
    static int refresh() {
        int id = RteErrno.lcoreId();
        ID.get()[0] = id;
        return id;
    }

    /** True when {@code id} indexes a mempool's per-lcore caches. */
    static boolean hasCache(int id) {
        return id >= 0 && id < MAX;
    }
}
