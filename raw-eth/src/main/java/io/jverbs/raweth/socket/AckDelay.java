package io.jverbs.raweth.socket;

/**
 * Delayed ACK (RFC 9293 3.8.6.3, RFC 5681 4.2): an ACK for in-order data waits at most the
 * configured delay, and every second data segment is ACKed at once. What must be ACKed at once
 * (out-of-order data, a filled hole, a FIN, a window update) bypasses this and sets the socket's
 * ACK-pending flag; any segment sent carries the ACK and clears this state.
 */
final class AckDelay {
    private static final long NEVER = Long.MAX_VALUE;
    private long deadline = NEVER;
    private int segments;

    /** In-order data arrived: whether the ACK is due now (second segment, or no delay configured). */
    boolean data(long now, long delay) {
        if (delay == 0 || ++segments >= 2) {
            return true;
        }
        if (deadline == NEVER) {
            deadline = now + delay;
        }
        return false;
    }

    /** When the delayed ACK must leave, {@link Long#MAX_VALUE} when none waits. */
    long deadline() {
        return deadline;
    }

    /** An ACK left (alone or on data). */
    void sent() {
        deadline = NEVER;
        segments = 0;
    }
}
