package io.jverbs.rdmacm;

import io.jverbs.core.Errno;
import io.jverbs.core.JverbsException;
import io.jverbs.verbs.WcStatus;

import java.time.Duration;

/**
 * A connection-management step did not succeed: its event reported an error (address or route
 * resolution failed, the peer rejected, did not answer or went away), no event came within the
 * timeout, or a {@link CmConnection} wait found the connection gone. Thrown by the
 * {@link CmConnection} and {@link CmListener} helpers and by {@link CmId#awaitEvent}; failures of
 * the librdmacm calls themselves are {@link io.jverbs.verbs.VerbsException}s, except where the
 * peer leaving caused them (then this exception carries the VerbsException as its cause).
 *
 * <p>What to do next: {@link #isTimeout()} nothing happened in time; {@link #isDisconnected()}
 * the peer is gone (it disconnected, its process ended, or the transport gave up on it): close
 * the connection and, on a server, keep accepting; {@link #isConnectionRefused()} nothing listens
 * there; {@link #completionStatus()} names the failed work completion, if one ended the wait.
 */
public final class CmException extends JverbsException {
    private static final long serialVersionUID = 1L;

    /** {@code IB_CM_REJ_INVALID_SERVICE_ID}: the peer's CM has no listener on that port. */
    public static final int REJECT_INVALID_SERVICE_ID = 8;
    /** {@code IB_SIDR_UNSUPPORTED}: status of the UNREACHABLE event of a UD (SIDR) request nobody listens for. */
    public static final int SIDR_UNSUPPORTED = 1;
    /** {@code IB_CM_REJ_CONSUMER_DEFINED}: the peer application called rdma_reject. */
    public static final int REJECT_CONSUMER_DEFINED = 28;

    private final String step;
    private final CmEventType event;
    private final int status;
    private final transient byte[] privateData;
    private final boolean timeout;
    private final boolean disconnected;
    private final WcStatus completionStatus;

    private CmException(String step, CmEventType event, int status, byte[] privateData, String message) {
        this(step, event, status, privateData, false, false, null, message, null);
    }

    private CmException(String step, CmEventType event, int status, byte[] privateData, boolean timeout,
                        boolean disconnected, WcStatus completionStatus, String message, Throwable cause) {
        super(message, cause);
        this.step = step;
        this.event = event;
        this.status = status;
        this.privateData = privateData;
        this.timeout = timeout;
        this.disconnected = disconnected;
        this.completionStatus = completionStatus;
    }

    /** The step whose outcome was awaited, e.g. {@code rdma_connect to /10.0.0.1:7471}. */
    public String step() {
        return step;
    }

    /** The event that ended the step, or null (a timeout, or a failed work completion). */
    public CmEventType event() {
        return event;
    }

    /** The event's status: a negative errno, or for {@link CmEventType#REJECTED} on IB/RoCE the CM reject reason. */
    public int status() {
        return status;
    }

    /** True when no event came within the timeout. */
    public boolean isTimeout() {
        return timeout;
    }

    /**
     * True when the connection is gone because of the peer: it disconnected (DISCONNECTED), its
     * process ended or it gave up while being accepted (REJECTED, CONNECT_ERROR, ...), or the
     * transport's retries found nobody answering ({@link WcStatus#RETRY_EXC_ERR}).
     */
    public boolean isDisconnected() {
        return disconnected;
    }

    /** The status of the failed work completion that ended a {@link CmConnection} wait, else null. */
    public WcStatus completionStatus() {
        return completionStatus;
    }

    /** True when the peer has no listener on the port (the RDMA analogue of ECONNREFUSED). */
    public boolean isConnectionRefused() {
        return event == CmEventType.REJECTED && (status == REJECT_INVALID_SERVICE_ID || status == -Errno.ECONNREFUSED)
                || event == CmEventType.UNREACHABLE && status == SIDR_UNSUPPORTED;
    }

    /** Private data that came with a rejection (padded by the transport), or an empty array. */
    public byte[] privateData() {
        return privateData == null ? new byte[0] : privateData.clone();
    }

    /** No {@code awaited} event within {@code timeout}, the caller's limit; {@code limit} names it when it is not the timeout. */
    static CmException timeout(String step, CmEventType awaited, Duration timeout, String limit) {
        return new CmException(step, null, 0, null, true, false, null,
                step + ": no " + awaited + " event within " + timeout.toMillis() + " ms" + (limit == null ? "" : " (" + limit + ")")
                        + (awaited == CmEventType.ESTABLISHED ? " (is the peer alive and its server accepting?)" : ""), null);
    }

    static CmException timeout(String step, CmEventType awaited, Duration timeout) {
        return timeout(step, awaited, timeout, null);
    }

    /** The peer went away while being accepted: {@code event} (null: none came) says how, {@code cause} is what it made fail. */
    static CmException peerLeft(String step, CmEventType event, int status, Throwable cause) {
        return new CmException(step, event, status, null, false, true, null,
                step + ": the client went away before the connection was established ("
                        + (event == null ? "the kernel dropped the request" : event + describeStatus(event, status)) + ")", cause);
    }

    /** A wait on a connection ended because the peer disconnected: by {@code event}, or seen earlier (null). */
    static CmException disconnected(String step, CmEventType event) {
        return new CmException(step, event, 0, null, false, true, null,
                step + ": the peer disconnected (its process may have ended)", null);
    }

    /**
     * A work completion failed: the QP is in the error state and the connection unusable.
     * {@code disconnected}: the peer is known to be gone (or the retries found nobody).
     */
    static CmException completion(String step, String describedCompletion, WcStatus status, boolean disconnected) {
        String why = status == WcStatus.RETRY_EXC_ERR
                ? ": the peer stopped answering (dead host or process, or a broken path); the bound is (retryCount + 1)"
                        + " x the ACK timeout, see ConnectionParameters"
                : disconnected ? ": the peer disconnected" : "";
        return new CmException(step, null, 0, null, false, disconnected || status == WcStatus.RETRY_EXC_ERR, status,
                step + ": work request failed, " + describedCompletion + why, null);
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
                    ? "the peer did not answer: is it alive, and does its RDMA device use the address?"
                    : type == CmEventType.UNREACHABLE && status == SIDR_UNSUPPORTED
                    ? "nothing listens for UD (RDMA_PS_UDP) requests on that port" : null;
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
