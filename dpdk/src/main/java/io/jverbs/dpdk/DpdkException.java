package io.jverbs.dpdk;

import io.jverbs.core.NativeCall;
import io.jverbs.core.NativeException;

/**
 * A DPDK call failed. {@link #errno()} is the value DPDK reported: {@code rte_errno} (read on the
 * thread that made the call, where it is thread-local) for calls that return NULL or -1, or the
 * negated return value of the ethdev calls. Values from {@code RTE_MIN_ERRNO} (1000) on are
 * DPDK's own ({@code E_RTE_SECONDARY}, {@code E_RTE_NO_CONFIG}); the message then carries
 * {@code rte_strerror}'s text.
 */
public class DpdkException extends NativeException {
    private static final long serialVersionUID = 1L;

    /** A failure of {@code call} with {@code errno}, hinted by the call. */
    public DpdkException(NativeCall call, int errno) {
        this(call, errno, call.hint(errno));
    }

    /** A failure with a hint of the caller's (null for none). */
    public DpdkException(NativeCall call, int errno, String hint) {
        super(call, errno, RteErrno.withDpdkText(errno, hint));
    }
}
