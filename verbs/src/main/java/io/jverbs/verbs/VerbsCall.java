package io.jverbs.verbs;

import io.jverbs.core.Errno;
import io.jverbs.core.NativeCall;
import io.jverbs.verbs.internal.Hints;

import java.util.function.IntFunction;

/**
 * The libibverbs calls jverbs makes: what {@link VerbsException#call()} names, and where the
 * hint for each errno lives. Match on it ({@code e.call() == VerbsCall.REG_MR}) rather than on
 * the message.
 */
public enum VerbsCall implements NativeCall {
    GET_DEVICE_LIST("ibv_get_device_list"),
    OPEN_DEVICE("ibv_open_device", VerbsCall::openDeviceHint),
    CLOSE_DEVICE("ibv_close_device"),
    QUERY_DEVICE("ibv_query_device"),
    QUERY_DEVICE_EX("ibv_query_device_ex"),
    QUERY_PORT("ibv_query_port"),
    QUERY_GID_EX("ibv_query_gid_ex"),
    QUERY_GID_TABLE("ibv_query_gid_table"),
    GET_ASYNC_EVENT("ibv_get_async_event"),
    ALLOC_PD("ibv_alloc_pd"),
    DEALLOC_PD("ibv_dealloc_pd", VerbsCall::busyHint),
    REG_MR("ibv_reg_mr_iova2", VerbsCall::regMrHint),
    DEREG_MR("ibv_dereg_mr"),
    ALLOC_MW("ibv_alloc_mw"),
    BIND_MW("ibv_bind_mw"),
    DEALLOC_MW("ibv_dealloc_mw"),
    ALLOC_DM("ibv_alloc_dm"),
    FREE_DM("ibv_free_dm"),
    REG_DM_MR("ibv_reg_dm_mr"),
    ADVISE_MR("ibv_advise_mr"),
    MEMCPY_TO_DM("ibv_memcpy_to_dm"),
    MEMCPY_FROM_DM("ibv_memcpy_from_dm"),
    CREATE_COMP_CHANNEL("ibv_create_comp_channel"),
    DESTROY_COMP_CHANNEL("ibv_destroy_comp_channel"),
    GET_CQ_EVENT("ibv_get_cq_event"),
    CREATE_CQ("ibv_create_cq"),
    CREATE_CQ_EX("ibv_create_cq_ex"),
    DESTROY_CQ("ibv_destroy_cq", VerbsCall::busyHint),
    POLL_CQ("ibv_poll_cq"),
    REQ_NOTIFY_CQ("ibv_req_notify_cq"),
    START_POLL("ibv_start_poll"),
    NEXT_POLL("ibv_next_poll"),
    CREATE_QP("ibv_create_qp", Hints::createQp),
    CREATE_QP_EX("ibv_create_qp_ex", Hints::createQp),
    MODIFY_QP("ibv_modify_qp", VerbsCall::modifyQpHint),
    QUERY_QP("ibv_query_qp"),
    DESTROY_QP("ibv_destroy_qp"),
    POST_SEND("ibv_post_send"),
    POST_RECV("ibv_post_recv"),
    WR_COMPLETE("ibv_wr_complete"),
    CREATE_SRQ("ibv_create_srq"),
    CREATE_SRQ_EX("ibv_create_srq_ex"),
    MODIFY_SRQ("ibv_modify_srq"),
    QUERY_SRQ("ibv_query_srq"),
    GET_SRQ_NUM("ibv_get_srq_num"),
    POST_SRQ_RECV("ibv_post_srq_recv"),
    DESTROY_SRQ("ibv_destroy_srq", VerbsCall::busyHint),
    CREATE_AH("ibv_create_ah"),
    INIT_AH_FROM_WC("ibv_init_ah_from_wc", errno -> "the completion must be a UD receive (with its GRH on RoCE)"
            + " whose source GID is in the port's GID table"),
    DESTROY_AH("ibv_destroy_ah"),
    CREATE_FLOW("ibv_create_flow", errno -> switch (errno) {
        case Errno.EINVAL -> "The device refused the rule's specs or masks: mlx5 needs a RAW_PACKET (or UD) QP in INIT or later"
                + " and an Ethernet spec first";
        case Errno.EPERM -> "Flow steering on a RAW_PACKET QP needs CAP_NET_RAW";
        default -> null;
    }),
    DESTROY_FLOW("ibv_destroy_flow"),
    OPEN_XRCD("ibv_open_xrcd"),
    CLOSE_XRCD("ibv_close_xrcd");

    private final String function;
    private final IntFunction<String> hint;

    VerbsCall(String function) {
        this(function, errno -> null);
    }

    VerbsCall(String function, IntFunction<String> hint) {
        this.function = function;
        this.hint = hint;
    }

    @Override
    public String function() {
        return function;
    }

    @Override
    public String hint(int errno) {
        return hint.apply(errno);
    }

    private static String openDeviceHint(int errno) {
        return errno == Errno.EACCES || errno == Errno.EPERM
                ? "No permission on /dev/infiniband/uverbs*: run as root or add the user to the rdma group" : null;
    }

    private static String regMrHint(int errno) {
        return switch (errno) {
            case Errno.ENOMEM, Errno.EAGAIN -> "Registered memory is pinned and counts against RLIMIT_MEMLOCK: raise it"
                    + " (ulimit -l unlimited, or LimitMEMLOCK=infinity for a service)";
            case Errno.EINVAL -> "Check the access flags: REMOTE_WRITE and REMOTE_ATOMIC need LOCAL_WRITE";
            case Errno.EFAULT -> "The address range is not mapped in this process";
            default -> null;
        };
    }

    private static String modifyQpHint(int errno) {
        return switch (errno) {
            case Errno.EINVAL -> "Check the attributes for this transition: for RTR on RoCE the GID index must"
                    + " exist on the port (see Context.gidTable) and the path MTU must not exceed the port's active MTU";
            case Errno.ETIMEDOUT, Errno.ENETUNREACH, Errno.EHOSTUNREACH -> "The remote GID is not reachable from the local"
                    + " GID's netdev: check addresses and routes";
            default -> null;
        };
    }

    private static String busyHint(int errno) {
        return errno == Errno.EBUSY ? "Resources created outside jverbs still use it" : null;
    }

}
