package io.jverbs.dpdk;

import io.jverbs.core.ffi.Native;
import io.jverbs.dpdk.ffi.RteEal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@code rte_errno} and the lcore id, both thread-local ({@code RTE_DEFINE_PER_LCORE} is
 * {@code __thread}) and exported as TLS symbols. dlsym of a TLS symbol resolves it for the
 * calling thread (glibc calls {@code __tls_get_addr}), so a lookup on the thread that made the
 * failing call reads that call's value. A lookup costs a dlsym: error and set-up paths only.
 */
final class RteErrno {
    /** {@code RTE_MIN_ERRNO}: DPDK's own codes start here. */
    private static final int RTE_MIN_ERRNO = (int) RteEal.RTE_MIN_ERRNO;

    private RteErrno() {}

    /** This thread's {@code rte_errno}. */
    static int get() {
        return RteEal.per_lcore__rte_errno().reinterpret(4).get(ValueLayout.JAVA_INT, 0);
    }

    /** Sets this thread's {@code rte_errno} (tests use it to tell the threads' copies apart). */
    static void set(int value) {
        RteEal.per_lcore__rte_errno().reinterpret(4).set(ValueLayout.JAVA_INT, 0, value);
    }

    /** This thread's {@code rte_lcore_id()}: {@code LCORE_ID_ANY} for a thread DPDK does not know. */
    static int lcoreId() {
        return RteEal.per_lcore__lcore_id().reinterpret(4).get(ValueLayout.JAVA_INT, 0);
    }

    /** {@code rte_strerror}: DPDK's text for its own codes, strerror's for the others. */
    static String describe(int errno) {
        MemorySegment s = RteEal.rte_strerror(errno);
        return Native.string(s);
    }

    /** Adds rte_strerror's text to {@code hint} for DPDK's own codes (strerror does not know them). */
    static String withDpdkText(int errno, String hint) {
        if (errno < RTE_MIN_ERRNO) {
            return hint;
        }
        String text = "DPDK error " + errno + ": " + describe(errno);
        return hint == null ? text : text + ". " + hint;
    }
}
