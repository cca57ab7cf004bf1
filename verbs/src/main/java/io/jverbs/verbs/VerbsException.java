package io.jverbs.verbs;

import io.jverbs.core.Errno;
import io.jverbs.core.NativeException;
import io.jverbs.core.ffi.Native;

/**
 * A libibverbs or librdmacm call failed. The message names the call and errno and, for the
 * failures that have a usual cause, says what to check.
 */
public final class VerbsException extends NativeException {
    private static final long serialVersionUID = 1L;

    public VerbsException(String call, int errno, String hint) {
        super(call, errno, hint);
    }

    /** For calls that return -1/NULL and set errno: reads this thread's captured errno. */
    static VerbsException fromErrno(String call) {
        return of(call, Native.lastErrno());
    }

    /**
     * For calls that return an error code: libibverbs returns the errno value itself; a few
     * calls return -1 and set errno instead, so a non-positive code falls back to errno.
     */
    static VerbsException fromReturn(String call, int rc) {
        return of(call, rc > 0 ? rc : Native.lastErrno());
    }

    static VerbsException of(String call, int errno) {
        return new VerbsException(call, errno, hint(call, errno));
    }

    /** Throws when {@code rc} is not zero. */
    static void check(String call, int rc) {
        if (rc != 0) {
            throw fromReturn(call, rc);
        }
    }

    static String hint(String call, int errno) {
        return switch (call) {
            case "ibv_reg_mr_iova2" -> switch (errno) {
                case Errno.ENOMEM, Errno.EAGAIN -> "Registered memory is pinned and counts against RLIMIT_MEMLOCK: raise it"
                        + " (ulimit -l unlimited, or LimitMEMLOCK=infinity for a service)";
                case Errno.EINVAL -> "Check the access flags: REMOTE_WRITE and REMOTE_ATOMIC need LOCAL_WRITE";
                case Errno.EFAULT -> "The address range is not mapped in this process";
                default -> null;
            };
            case "ibv_modify_qp" -> switch (errno) {
                case Errno.EINVAL -> "Check the attributes for this transition: for RTR on RoCE the GID index must"
                        + " exist on the port (see Context.gidTable) and the path MTU must not exceed the port's active MTU";
                case Errno.ETIMEDOUT, Errno.ENETUNREACH, Errno.EHOSTUNREACH -> "The remote GID is not reachable from the local"
                        + " GID's netdev: check addresses and routes";
                default -> null;
            };
            case "ibv_create_qp", "ibv_create_qp_ex", "rdma_create_qp" -> switch (errno) {
                case Errno.EOPNOTSUPP, Errno.EPROTONOSUPPORT -> "This device does not support that QP type"
                        + " (Soft-RoCE has no RAW_PACKET, DC or XRC-less XRC QPs; those need mlx5 hardware)";
                case Errno.EINVAL -> "Check the capacities against Context.queryDevice(): max_qp_wr, max_sge, max_inline_data";
                case Errno.ENOMEM -> "Queue sizes too large for the device or RLIMIT_MEMLOCK too low";
                case Errno.EPERM -> "RAW_PACKET QPs need CAP_NET_RAW";
                default -> null;
            };
            case "ibv_dealloc_pd", "ibv_destroy_cq", "ibv_destroy_srq" -> errno == Errno.EBUSY
                    ? "Resources created outside jverbs still use it" : null;
            case "ibv_open_device" -> errno == Errno.EACCES || errno == Errno.EPERM
                    ? "No permission on /dev/infiniband/uverbs*: run as root or add the user to the rdma group" : null;
            case "rdma_resolve_addr", "rdma_bind_addr" -> switch (errno) {
                case Errno.EADDRNOTAVAIL, Errno.ENODEV -> "No RDMA device owns that IP address: add one (rdma link add rxe0 type rxe netdev <if>)";
                case Errno.ENETUNREACH, Errno.EHOSTUNREACH -> "No route to that address: check it and the routing table (ip route get <addr>)";
                case Errno.EADDRINUSE -> "That port is already bound by another rdma_cm id";
                default -> null;
            };
            case "rdma_connect" -> errno == Errno.ECONNREFUSED ? "Nothing listens on that address and port" : null;
            case "rdma_create_event_channel", "rdma_create_id" -> errno == Errno.ENODEV || errno == Errno.ENOENT || errno == Errno.ENOSYS
                    ? "librdmacm found no RDMA device or no /dev/infiniband/rdma_cm (modprobe rdma_ucm). " + Device.HOW_TO_GET_ONE : null;
            case "rdma_listen" -> errno == Errno.EADDRINUSE ? "Another rdma_cm id listens on that port" : null;
            case "rdma_resolve_route" -> errno == Errno.EINVAL ? "Resolve the address first (ADDR_RESOLVED)" : null;
            case "rdma_accept", "rdma_reject" -> errno == Errno.EINVAL
                    ? "Only the id of a CONNECT_REQUEST can be accepted or rejected, once; or the client gave up (timed out) meanwhile" : null;
            default -> null;
        };
    }
}
