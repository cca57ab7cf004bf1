package io.jverbs.raweth.socket;

/** At most {@code limit} events per second (RFC 5961 7's challenge-ACK limit), in fixed one-second windows. */
final class RateLimit {
    private static final long SECOND = 1_000_000_000L;
    private long windowStart = Long.MIN_VALUE;
    private int used;

    /** Whether one more event may happen at {@code now}; counts it if so. */
    boolean tryAcquire(long now, int limit) {
        if (windowStart == Long.MIN_VALUE || now - windowStart >= SECOND) {
            windowStart = now;
            used = 0;
        }
        if (used < limit) {
            used++;
            return true;
        }
        return false;
    }
}
