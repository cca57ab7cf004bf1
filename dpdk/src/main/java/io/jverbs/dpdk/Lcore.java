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

    /**
     * One thread's lcore id. Only its thread changes {@link #id}, so a reader that has checked
     * {@code slot.thread == Thread.currentThread()} sees the current value without a barrier:
     * hot paths keep the slot of the last thread that used them (a plain field) and skip the
     * ThreadLocal lookup while the same thread comes back.
     */
    static final class Slot {
        final Thread thread;
        int id;

        private Slot(Thread thread, int id) {
            this.thread = thread;
            this.id = id;
        }
    }

    private static final ThreadLocal<Slot> SLOT = ThreadLocal.withInitial(() -> new Slot(Thread.currentThread(), RteErrno.lcoreId()));

    private Lcore() {}

    /** The calling thread's slot. */
    static Slot slot() {
        return SLOT.get();
    }

    /** The calling thread's lcore id, or {@link #ANY}. */
    static int current() {
        return SLOT.get().id;
    }

    /** Re-reads the calling thread's lcore id from DPDK and returns it. */
    static int refresh() {
        int id = RteErrno.lcoreId();
        SLOT.get().id = id;
        return id;
    }

    /** True when {@code id} indexes a mempool's per-lcore caches. */
    static boolean hasCache(int id) {
        return id >= 0 && id < MAX;
    }
}
