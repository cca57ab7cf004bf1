package io.jverbs.raweth.socket;

/**
 * The timers that count from the last segment heard from the peer: keep-alive (RFC 9293 3.8.4,
 * RFC 1122 4.2.3.6: off by default; after {@link TcpConfig#keepAliveIdle()} of silence a probe,
 * then one every {@link TcpConfig#keepAliveInterval()}, and the connection is dropped after
 * {@link TcpConfig#keepAliveCount()} unanswered ones) and the FIN-WAIT-2 timeout (Linux's
 * {@code tcp_fin_timeout}: a peer that never sends its FIN does not hold the connection forever).
 */
final class IdleTimers {
    private static final long NEVER = Long.MAX_VALUE;
    private long heard;
    private int probes;

    /** A segment from the peer arrived at {@code now}: silence starts again, no probe is outstanding. */
    void heard(long now) {
        heard = now;
        probes = 0;
    }

    /** Probes sent since the peer was last heard. */
    int probes() {
        return probes;
    }

    void probed() {
        probes++;
    }

    /** When the next keep-alive probe (or, after the last, the drop) is due; never when keep-alive is off. */
    long keepAliveDeadline(TcpConfig c) {
        if (c.keepAliveIdle() == 0) {
            return NEVER;
        }
        return saturatedAdd(heard, c.keepAliveIdle() + probes * c.keepAliveInterval());
    }

    /** When FIN-WAIT-2 gives up; never when the timeout is 0. */
    long finWait2Deadline(TcpConfig c) {
        return c.finWait2Timeout() == 0 ? NEVER : saturatedAdd(heard, c.finWait2Timeout());
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return r < a ? NEVER : r;
    }
}
