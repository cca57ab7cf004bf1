package io.jverbs.verbs.internal;

import io.jverbs.core.Errno;

/** Hint texts shared by the verbs and rdma_cm call enums. */
public final class Hints {
    private Hints() {}

    /** How to get a device when there is none; part of every "no device" message. */
    public static final String HOW_TO_GET_A_DEVICE = "To get one without RDMA hardware, use Soft-RoCE: modprobe rdma_rxe;"
            + " rdma link add rxe0 type rxe netdev <ethernet-interface>. If the kernel lacks RDMA support (ENOSYS,"
            + " no /sys/class/infiniband_verbs), run inside the jverbs Soft-RoCE VM: native-test/softroce-vm.sh -- <command>";

    /** For ibv_create_qp, ibv_create_qp_ex and rdma_create_qp. */
    public static String createQp(int errno) {
        return switch (errno) {
            case Errno.EINVAL -> "Check the capacities against Context.queryDevice(): max_qp_wr, max_sge, max_inline_data";
            case Errno.ENOMEM -> "Queue sizes too large for the device or RLIMIT_MEMLOCK too low";
            case Errno.EPERM -> "RAW_PACKET QPs need CAP_NET_RAW";
            default -> null;
        };
    }
}
