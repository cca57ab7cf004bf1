package io.jverbs.dpdk;

/**
 * A PMD refused a flow rule or a flow call: {@link #errno()} is the negated return value (or
 * {@code rte_errno}), {@link #flowError()} what the PMD said in its {@code rte_flow_error}. A
 * refusal with {@code ENOTSUP} is a {@link FlowNotSupportedException} instead.
 */
public final class FlowException extends DpdkException {
    private static final long serialVersionUID = 1L;

    private final FlowError flowError;

    FlowException(DpdkCall call, int errno, FlowError flowError, String where) {
        super(call, errno, flowError + "; " + where);
        this.flowError = flowError;
    }

    /** The PMD's {@code rte_flow_error}: what it blames and its message. */
    public FlowError flowError() {
        return flowError;
    }
}
