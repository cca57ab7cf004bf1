package io.jverbs.dpdk;

import io.jverbs.core.NotSupportedException;

/**
 * A PMD answered {@code ENOTSUP} to a flow rule or call: it cannot match or do that (e.g. net_tap
 * and a TCP flags mask). {@link #flowError()} carries the PMD's own words.
 */
public final class FlowNotSupportedException extends NotSupportedException {
    private static final long serialVersionUID = 1L;

    private final FlowError flowError;

    FlowNotSupportedException(String feature, String device, DpdkCall call, int errno, FlowError flowError) {
        super(feature, device, "the PMD says: " + flowError, call, errno);
        this.flowError = flowError;
    }

    /** The PMD's {@code rte_flow_error}: what it blames and its message. */
    public FlowError flowError() {
        return flowError;
    }
}
