package io.jverbs.soft.transport;

/**
 * One receive work request in a QP's receive ring: the fields of {@code ibv_recv_wr}, filled in
 * place and reused when the ring wraps.
 */
public final class RecvWqe {
    /** {@code wr_id}. */
    public long wrId;
    /** The scatter list. */
    public final ScatterList sges;

    RecvWqe(int maxSge) {
        sges = new ScatterList(maxSge);
    }
}
