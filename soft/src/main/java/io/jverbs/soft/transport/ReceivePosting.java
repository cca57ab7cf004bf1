package io.jverbs.soft.transport;

/**
 * Where {@code ibv_post_recv} and {@code ibv_post_srq_recv} put requests: a QP's own receive
 * queue ({@link SoftQp}) or a shared one ({@link ReceiveQueue}). The device fills the slot
 * {@link #nextRecv} returns from the caller's {@code ibv_recv_wr}, then {@link #postRecv}s it.
 */
public interface ReceivePosting {
    /**
     * The next free slot, its SGE count cleared.
     *
     * @return the slot, or null if the queue is full
     */
    RecvWqe nextRecv();

    /**
     * Posts the slot {@link #nextRecv} returned.
     *
     * @return 0, or an errno (ENOMEM full, EINVAL too many SGEs or a QP that cannot take receives)
     */
    int postRecv();
}
