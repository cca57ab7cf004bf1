package io.jverbs.rdmacm;

/** {@code enum rdma_cm_event_type} (rdma_cma.h), in its order: {@link #code()} is the C value. */
public enum CmEventType {
    ADDR_RESOLVED, ADDR_ERROR, ROUTE_RESOLVED, ROUTE_ERROR, CONNECT_REQUEST, CONNECT_RESPONSE, CONNECT_ERROR,
    UNREACHABLE, REJECTED, ESTABLISHED, DISCONNECTED, DEVICE_REMOVAL, MULTICAST_JOIN, MULTICAST_ERROR,
    ADDR_CHANGE, TIMEWAIT_EXIT;

    private static final CmEventType[] VALUES = values();

    /** The C enum value. */
    public int code() {
        return ordinal();
    }

    /** The type for a C value; an unknown one (a newer librdmacm) is an error naming it. */
    public static CmEventType of(int code) {
        if (code < 0 || code >= VALUES.length) {
            throw new IllegalArgumentException("unknown rdma_cm_event_type " + code);
        }
        return VALUES[code];
    }

    /** Events that report a failure of the step before them; their status says why. */
    public boolean isError() {
        return switch (this) {
            case ADDR_ERROR, ROUTE_ERROR, CONNECT_ERROR, UNREACHABLE, REJECTED, MULTICAST_ERROR, DEVICE_REMOVAL -> true;
            default -> false;
        };
    }
}
