package io.jverbs.rdmacm;

import io.jverbs.core.Errno;
import io.jverbs.core.NativeCall;
import io.jverbs.verbs.internal.Hints;

import java.util.function.IntFunction;

/** The librdmacm calls jverbs makes, with the usual fix for their errno values. */
public enum RdmaCmCall implements NativeCall {
    CREATE_EVENT_CHANNEL("rdma_create_event_channel", RdmaCmCall::noDeviceHint),
    CREATE_ID("rdma_create_id", RdmaCmCall::noDeviceHint),
    DESTROY_ID("rdma_destroy_id"),
    MIGRATE_ID("rdma_migrate_id"),
    GET_CM_EVENT("rdma_get_cm_event"),
    ACK_CM_EVENT("rdma_ack_cm_event"),
    BIND_ADDR("rdma_bind_addr", RdmaCmCall::addressHint),
    RESOLVE_ADDR("rdma_resolve_addr", RdmaCmCall::addressHint),
    RESOLVE_ROUTE("rdma_resolve_route", RdmaCmCall::resolveRouteHint),
    LISTEN("rdma_listen", RdmaCmCall::listenHint),
    CREATE_QP("rdma_create_qp", Hints::createQp),
    CONNECT("rdma_connect", RdmaCmCall::connectHint),
    ACCEPT("rdma_accept", RdmaCmCall::acceptHint),
    REJECT("rdma_reject", RdmaCmCall::acceptHint),
    DISCONNECT("rdma_disconnect"),
    SET_OPTION("rdma_set_option", errno -> errno == Errno.ENOSYS || errno == Errno.EINVAL
            ? "An older kernel's rdma_cm may not know RDMA_OPTION_ID_ACK_TIMEOUT: leave ConnectionParameters.ackTimeout unset" : null);

    private final String function;
    private final IntFunction<String> hint;

    RdmaCmCall(String function) {
        this(function, errno -> null);
    }

    RdmaCmCall(String function, IntFunction<String> hint) {
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

    private static String resolveRouteHint(int errno) {
        return errno == Errno.EINVAL ? "Resolve the address first (ADDR_RESOLVED)" : null;
    }

    private static String listenHint(int errno) {
        return errno == Errno.EADDRINUSE ? "Another rdma_cm id listens on that port" : null;
    }

    private static String connectHint(int errno) {
        return errno == Errno.ECONNREFUSED ? "Nothing listens on that address and port" : null;
    }

    private static String noDeviceHint(int errno) {
        return errno == Errno.ENODEV || errno == Errno.ENOENT || errno == Errno.ENOSYS
                ? "librdmacm found no RDMA device or no /dev/infiniband/rdma_cm (modprobe rdma_ucm). " + Hints.HOW_TO_GET_A_DEVICE
                : null;
    }

    private static String addressHint(int errno) {
        return switch (errno) {
            case Errno.EADDRNOTAVAIL, Errno.ENODEV -> "No RDMA device owns that IP address: add one (rdma link add rxe0 type rxe netdev <if>)";
            case Errno.ENETUNREACH, Errno.EHOSTUNREACH -> "No route to that address: check it and the routing table (ip route get <addr>)";
            case Errno.EADDRINUSE -> "That port is already bound by another rdma_cm id";
            default -> null;
        };
    }

    private static String acceptHint(int errno) {
        return errno == Errno.EINVAL
                ? "Only the id of a CONNECT_REQUEST can be accepted or rejected, once; or the client gave up (timed out) meanwhile" : null;
    }
}
