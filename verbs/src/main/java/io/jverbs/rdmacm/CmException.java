package io.jverbs.rdmacm;

import io.jverbs.core.Errno;
import io.jverbs.core.JverbsException;
import io.jverbs.verbs.VerbsException;

import java.time.Duration;

/**
 * A connection-management step did not succeed: its event reported an error (address or route
 * resolution failed, the peer rejected or did not answer), or no event came within the timeout.
 * Thrown by the {@link CmConnection} and {@link CmListener} helpers and by
 * {@link CmId#awaitEvent}; failures of the librdmacm calls themselves are {@link io.jverbs.verbs.VerbsException}s.
 */
public final class CmException extends JverbsException {
    private static final long serialVersionUID = 1L;

    /** {@code IB_CM_REJ_INVALID_SERVICE_ID}: the peer's CM has no listener on that port. */
    public static final int REJECT_INVALID_SERVICE_ID = 8;
    /** {@code IB_CM_REJ_CONSUMER_DEFINED}: the peer application called rdma_reject. */
    public static final int REJECT_CONSUMER_DEFINED = 28;

    private final String step;
    private final CmEventType event;
    private final int status;
    private final transient byte[] privateData;

    private CmException(String step, CmEventType event, int status, byte[] privateData, String message) {
        super(message);
        this.step = step;
        this.event = event;
        this.status = status;
        this.privateData = privateData;
    }

    /** The step whose outcome was awaited, e.g. {@code rdma_connect to /10.0.0.1:7471}. */
    public String step() {
        return step;
    }

    /** The error event, or null when the step timed out. */
    public CmEventType event() {
        return event;
    }

    /** The event's status: a negative errno, or for {@link CmEventType#REJECTED} on IB/RoCE the CM reject reason. */
    public int status() {
        return status;
    }

    /** True when no event came within the timeout. */
    public boolean isTimeout() {
        return event == null;
    }

    /** True when the peer has no listener on the port (the RDMA analogue of ECONNREFUSED). */
    public boolean isConnectionRefused() {
        return event == CmEventType.REJECTED && (status == REJECT_INVALID_SERVICE_ID || status == -Errno.ECONNREFUSED);
    }

    /** Private data that came with a rejection (padded by the transport), or an empty array. */
    public byte[] privateData() {
        return privateData == null ? new byte[0] : privateData.clone();
    }

    static CmException timeout(String step, CmEventType awaited, Duration timeout) {
        return new CmException(step, null, 0, null, step + ": no " + awaited + " event within " + timeout.toMillis() + " ms"
                + (awaited == CmEventType.ESTABLISHED ? " (is the peer alive and its server accepting?)" : ""));
    }

    static CmException of(String step, CmEvent e) {
        return new CmException(step, e.type(), e.status(), e.privateData(), message(step, e.type(), e.status()));
    }

    static CmException unexpected(String step, CmEventType awaited, CmEvent e) {
        return new CmException(step, e.type(), e.status(), e.privateData(),
                step + ": expected " + awaited + " but got " + e.type() + describeStatus(e.type(), e.status()));
    }

    static String message(String step, CmEventType type, int status) {
        String why = switch (type) {
            case REJECTED -> status == REJECT_INVALID_SERVICE_ID || status == -Errno.ECONNREFUSED
                    ? "nothing listens on that address and port (connection refused)"
                    : status == REJECT_CONSUMER_DEFINED ? "the server rejected the connection" : null;
            case ADDR_ERROR -> status == -Errno.ETIMEDOUT
                    ? "the address did not resolve in time: is the host up and reachable from an RDMA device's netdev?"
                    : "no RDMA device can reach that address: check the address and routes (ip route get <addr>)";
            case ROUTE_ERROR -> "no route to the peer was found in time";
            case UNREACHABLE, CONNECT_ERROR -> status == -Errno.ETIMEDOUT
                    ? "the peer did not answer: is it alive, and does its RDMA device use the address?" : null;
            case DEVICE_REMOVAL -> "the RDMA device was removed";
            default -> null;
        };
        return step + ": " + type + describeStatus(type, status) + (why == null ? "" : ": " + why);
    }

    private static String describeStatus(CmEventType type, int status) {
        if (status == 0) return "";
        if (status < 0) return " (" + Errno.name(-status) + ")";
        return type == CmEventType.REJECTED ? " (IB CM reject reason " + status + ")" : " (status " + status + ")";
    }
}
