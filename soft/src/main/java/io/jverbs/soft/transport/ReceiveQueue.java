package io.jverbs.soft.transport;

/**
 * A ring of receive requests: a QP's own receive queue, or a shared receive queue ({@code ibv_srq})
 * that several QPs' responders take from. Slots are made once and reused. Not thread-safe: the
 * device's progress engine owns it.
 */
public final class ReceiveQueue {
    private static final int EINVAL = 22;
    private static final int ENOMEM = 12;

    private final RecvWqe[] ring;
    private final int maxSge;
    private long posted;
    private long consumed;
    private boolean closed;

    /**
     * @param depth receive slots
     * @param maxSge SGEs per request
     */
    public ReceiveQueue(int depth, int maxSge) {
        if (depth < 1 || maxSge < 1) {
            throw new IllegalArgumentException("depth and maxSge must be positive, got " + depth + " and " + maxSge);
        }
        this.maxSge = maxSge;
        ring = new RecvWqe[depth];
        for (int i = 0; i < depth; i++) {
            ring[i] = new RecvWqe(maxSge);
        }
    }

    /**
     * The next free slot, to fill and then {@link #post}; its SGE count is cleared.
     *
     * @return the slot, or null if the ring is full
     */
    public RecvWqe next() {
        if (posted - consumed >= ring.length) {
            return null;
        }
        RecvWqe r = ring[(int) (posted % ring.length)];
        r.sges.count = 0;
        return r;
    }

    /**
     * {@code ibv_post_recv} / {@code ibv_post_srq_recv} of the slot {@link #next} returned.
     *
     * @return 0, ENOMEM when the ring is full, EINVAL with too many SGEs
     */
    public int post() {
        if (posted - consumed >= ring.length) {
            return ENOMEM;
        }
        if (ring[(int) (posted % ring.length)].sges.count > maxSge) {
            return EINVAL;
        }
        posted++;
        return 0;
    }

    /** Receives posted and not yet consumed. */
    public int size() {
        return (int) (posted - consumed);
    }

    boolean isEmpty() {
        return posted == consumed;
    }

    /** The oldest posted receive; only when not {@link #isEmpty}. */
    RecvWqe head() {
        return ring[(int) (consumed % ring.length)];
    }

    /** Takes the oldest posted receive off the ring. */
    RecvWqe consume() {
        RecvWqe r = head();
        consumed++;
        return r;
    }

    void clear() {
        posted = consumed = 0;
    }
}
