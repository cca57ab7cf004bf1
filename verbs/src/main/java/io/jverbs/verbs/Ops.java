package io.jverbs.verbs;

import io.jverbs.core.ffi.Native;

import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Unbound handles for the provider functions behind verbs.h's static inline wrappers
 * ({@code ibv_post_send}, {@code ibv_poll_cq}, ...): the target address is the first argument.
 * Data-path handles are {@link Native#CRITICAL}: they never block.
 */
final class Ops {
    private Ops() {}

    // POST and POLL_CQ take their pointers as JAVA_LONG, not ADDRESS: each MemorySegment argument
    // costs a native-or-heap and liveness check, ~5 ns per post+poll pair against the stub provider
    // (PostPollBenchmark). The callers check liveness themselves (checkOpen) and keep the request
    // and completion arrays reachable across the call (Reference.reachabilityFence).
    // int post_send(struct ibv_qp *, struct ibv_send_wr *, struct ibv_send_wr **); same shape for recv and srq_recv
    static final MethodHandle POST = Native.unbound(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG), Native.CRITICAL);
    // int poll_cq(struct ibv_cq *, int, struct ibv_wc *)
    static final MethodHandle POLL_CQ = Native.unbound(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG), Native.CRITICAL);
    // int req_notify_cq(struct ibv_cq *, int solicited_only)
    static final MethodHandle REQ_NOTIFY_CQ = Native.unbound(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), Native.CRITICAL);
    // int query_port(struct ibv_context *, uint8_t, struct ibv_port_attr *, size_t)
    static final MethodHandle QUERY_PORT = Native.unbound(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_BYTE, ADDRESS, JAVA_LONG));
    // int query_device_ex(struct ibv_context *, const struct ibv_query_device_ex_input *, struct ibv_device_attr_ex *, size_t)
    static final MethodHandle QUERY_DEVICE_EX = Native.unbound(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    // T *create(struct ibv_context *, struct attr *): create_cq_ex, create_qp_ex, create_srq_ex, open_xrcd
    static final MethodHandle CREATE_WITH_ATTR = Native.unbound(FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS), Native.CAPTURE_ERRNO);
    // int close_xrcd(struct ibv_xrcd *); int dealloc_mw(struct ibv_mw *)
    static final MethodHandle DESTROY = Native.unbound(FunctionDescriptor.of(JAVA_INT, ADDRESS));
    // int get_srq_num(struct ibv_srq *, uint32_t *)
    static final MethodHandle GET_SRQ_NUM = Native.unbound(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    // struct ibv_mw *alloc_mw(struct ibv_pd *, enum ibv_mw_type)
    static final MethodHandle ALLOC_MW = Native.unbound(FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT), Native.CAPTURE_ERRNO);
    // struct ibv_dm *alloc_dm(struct ibv_context *, struct ibv_alloc_dm_attr *): CREATE_WITH_ATTR
    // int free_dm(struct ibv_dm *): DESTROY
    // struct ibv_mr *reg_dm_mr(struct ibv_pd *, struct ibv_dm *, uint64_t dm_offset, size_t length, unsigned int access)
    static final MethodHandle REG_DM_MR = Native.unbound(FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT),
            Native.CAPTURE_ERRNO);
    // int memcpy_to_dm(struct ibv_dm *, uint64_t dm_offset, const void *host_addr, size_t length)
    static final MethodHandle MEMCPY_TO_DM = Native.unbound(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG));
    // int memcpy_from_dm(void *host_addr, struct ibv_dm *, uint64_t dm_offset, size_t length)
    static final MethodHandle MEMCPY_FROM_DM = Native.unbound(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG));
    // int advise_mr(struct ibv_pd *, enum ibv_advise_mr_advice, uint32_t flags, struct ibv_sge *, uint32_t num_sge)
    static final MethodHandle ADVISE_MR = Native.unbound(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    // struct ibv_flow *ibv_create_flow(struct ibv_qp *, struct ibv_flow_attr *)
    static final MethodHandle CREATE_FLOW = Native.unbound(FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS), Native.CAPTURE_ERRNO);
    // int ibv_destroy_flow(struct ibv_flow *): DESTROY
    // int bind_mw(struct ibv_qp *, struct ibv_mw *, struct ibv_mw_bind *)
    static final MethodHandle BIND_MW = Native.unbound(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), Native.CRITICAL);
}
