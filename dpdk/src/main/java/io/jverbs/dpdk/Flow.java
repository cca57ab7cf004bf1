package io.jverbs.dpdk;

import io.jverbs.dpdk.ffi.RteFlow;
import io.jverbs.dpdk.ffi.rte_flow_error;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A flow rule installed on a port ({@code struct rte_flow *}), made by {@link Flows#create}. A
 * child of its {@link EthPort}: closing the port destroys it first. {@link #close()} runs
 * {@code rte_flow_destroy}.
 */
public final class Flow extends io.jverbs.core.NativeResource {
    private final EthPort port;
    private final Flows flows;
    private final FlowRule rule;
    private final long handle;
    /** Set by {@link Flows#flush()}, which destroyed the native rule already. */
    private volatile boolean flushed;

    Flow(EthPort port, Flows flows, FlowRule rule, long handle) {
        super(port);
        this.port = port;
        this.flows = flows;
        this.rule = rule;
        this.handle = handle;
        attach();
    }

    /** The rule as created. */
    public FlowRule rule() {
        return rule;
    }

    /** The port the rule is on. */
    public EthPort port() {
        return port;
    }

    /** The {@code struct rte_flow *}, for calls jverbs does not wrap (e.g. {@code rte_flow_query}). */
    public long address() {
        checkOpen();
        return handle;
    }

    void markFlushed() {
        flushed = true;
    }

    @Override
    protected void destroy() {
        flows.forget(this);
        if (flushed) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = arena.allocate(rte_flow_error.layout());
            int rc = RteFlow.rte_flow_destroy((short) port.id(), MemorySegment.ofAddress(handle), err);
            if (rc < 0) {
                throw Flows.failure(DpdkCall.FLOW_DESTROY, -rc, err, null, null, port, "destroying " + rule);
            }
        }
    }

    @Override
    protected String describe() {
        return "flow [" + rule + "] on " + port.name();
    }
}
