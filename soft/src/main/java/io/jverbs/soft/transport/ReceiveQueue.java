package io.jverbs.soft.transport;

/**
 * A ring of receive requests: a QP's own receive queue, or a shared receive queue ({@code ibv_srq})
 * that several QPs' responders take from. Slots are made once and reused. Not thread-safe: the
 * device's progress engine owns it.
 */
public final class ReceiveQueue implements ReceivePosting {
    private static final int EINVAL = 22;
    private static final int ENOMEM = 12;

    private RecvWqe[] ring;
    private final int maxSge;
    private long posted;
    private long consumed;
    /** The SRQ limit ({@code srq_limit}): armed while positive; 0 once the event fired. */
    private int limit;
    private Runnable limitReached;

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

    /** {@inheritDoc} Then {@link #postRecv}. */
    @Override
    public RecvWqe nextRecv() {
        if (posted - consumed >= ring.length) {
            return null;
        }
        RecvWqe r = ring[(int) (posted % ring.length)];
        r.sges.count = 0;
        return r;
    }

    /**
     * {@code ibv_post_recv} / {@code ibv_post_srq_recv} of the slot {@link #nextRecv} returned.
     *
     * @return 0, ENOMEM when the ring is full, EINVAL with too many SGEs
     */
    @Override
    public int postRecv() {
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

    /** Slots in the ring ({@code max_wr}). */
    public int depth() {
        return ring.length;
    }

    /**
     * Arms the SRQ limit ({@code ibv_modify_srq} with {@code IBV_SRQ_LIMIT}): once a receive is
     * taken and fewer than {@code limit} remain, {@code reached} runs once and the limit drops to 0
     * (rxe's rule; verbs: IBV_EVENT_SRQ_LIMIT_REACHED, re-armed by another modify). 0 disarms.
     */
    public void armLimit(int limit, Runnable reached) {
        if (limit < 0 || limit > ring.length) {
            throw new IllegalArgumentException("an SRQ limit is 0 to max_wr (" + ring.length + "), got " + limit);
        }
        this.limit = limit;
        this.limitReached = reached;
    }

    /** The armed limit, 0 when none ({@code srq_limit} of {@code ibv_query_srq}). */
    public int limit() {
        return limit;
    }

    /**
     * Resizes the ring to {@code depth} slots ({@code IBV_SRQ_MAX_WR}), keeping the posted receives
     * in order; EINVAL semantics: throws if they would not fit.
     */
    public void resize(int depth) {
        int pending = size();
        if (depth < 1 || depth < pending || depth < limit) {
            throw new IllegalArgumentException("cannot resize to " + depth + " slots: " + pending + " receives are posted, limit " + limit);
        }
        RecvWqe[] grown = new RecvWqe[depth];
        for (int i = 0; i < pending; i++) {
            grown[i] = ring[(int) ((consumed + i) % ring.length)];
        }
        for (int i = pending; i < depth; i++) {
            grown[i] = new RecvWqe(maxSge);
        }
        ring = grown;
        consumed = 0;
        posted = pending;
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
        if (limit > 0 && size() < limit) {
            limit = 0;
            limitReached.run();
        }
        return r;
    }

    void clear() {
        posted = consumed = 0;
    }
}
