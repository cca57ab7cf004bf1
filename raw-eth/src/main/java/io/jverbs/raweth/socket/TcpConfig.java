package io.jverbs.raweth.socket;

import java.util.Objects;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Timers and the ISN key of the {@link TcpSocket}s of one stack. Times are nanoseconds.
 *
 * @param rtoInitial retransmission timeout before the first RTT sample (RFC 6298 2.1: 1 s)
 * @param rtoMin lower bound of the computed RTO (RFC 6298 2.4: 1 s; Linux uses 200 ms)
 * @param rtoMax upper bound of the RTO as it backs off (RFC 6298 2.5 allows 60 s or more)
 * @param msl maximum segment lifetime: TIME-WAIT lasts 2 × MSL (RFC 9293 3.4.2)
 * @param maxRetransmissions timeouts in a row before the connection is dropped (RFC 9293 3.8.3's R2)
 * @param isnKey0 first half of the secret key of the ISN hash (RFC 6528)
 * @param isnKey1 second half of that key
 * @param options the options offered in a SYN: {@link #WINDOW_SCALE}, {@link #TIMESTAMPS} and
 *        {@link #SACK} (RFC 7323, RFC 2018), or'ed; each is used only when both sides offer it
 * @param delayedAck how long an ACK for in-order data may wait (RFC 9293 3.8.6.3: at most 500 ms;
 *        every second data segment is ACKed at once anyway); 0 ACKs every segment at once
 * @param keepAliveIdle idle time before the first keep-alive probe; 0 turns keep-alive off (the
 *        default, RFC 9293 3.8.4)
 * @param keepAliveInterval time between unanswered keep-alive probes
 * @param keepAliveCount unanswered probes after which the connection is dropped
 * @param finWait2Timeout how long FIN-WAIT-2 waits without a segment from the peer before the
 *        connection is reset (Linux's {@code tcp_fin_timeout}, 60 s); 0 waits forever
 * @param challengeAckLimit RFC 5961 7: challenge ACKs a connection sends per second at most
 *        (Linux's {@code tcp_challenge_ack_limit}, 1000)
 * @param congestionControl makes each connection's congestion controller ({@link Cubic} by default,
 *        as on Linux; {@link Reno} or one of the caller's)
 */
public record TcpConfig(long rtoInitial, long rtoMin, long rtoMax, long msl, int maxRetransmissions, long isnKey0,
                        long isnKey1, int options, long delayedAck, long keepAliveIdle, long keepAliveInterval,
                        int keepAliveCount, long finWait2Timeout, int challengeAckLimit,
                        Supplier<? extends CongestionControl> congestionControl) {
    /** {@link #options()} bit: offer window scaling (RFC 7323 2). */
    public static final int WINDOW_SCALE = 1;
    /** {@link #options()} bit: offer timestamps, for RTTM and PAWS (RFC 7323 3 to 5). */
    public static final int TIMESTAMPS = 2;
    /** {@link #options()} bit: offer SACK-permitted (RFC 2018). */
    public static final int SACK = 4;
    private static final long DEFAULT_DELAYED_ACK = 40_000_000L;
    private static final long MAX_DELAYED_ACK = 500_000_000L;
    /** RFC 9293 3.8.4 (MUST-28): the keep-alive idle time defaults to no less than two hours. */
    public static final long DEFAULT_KEEP_ALIVE_IDLE = 7_200_000_000_000L;
    private static final long DEFAULT_KEEP_ALIVE_INTERVAL = 75_000_000_000L;
    private static final int DEFAULT_KEEP_ALIVE_COUNT = 9;
    private static final long DEFAULT_FIN_WAIT_2 = 60_000_000_000L;
    private static final int DEFAULT_CHALLENGE_ACK_LIMIT = 1000;

    /** @throws IllegalArgumentException if a time is out of range, or rtoMin &gt; rtoMax */
    public TcpConfig {
        if (rtoInitial <= 0 || rtoMin <= 0 || rtoMax < rtoMin || msl < 0 || maxRetransmissions < 1) {
            throw new IllegalArgumentException("TCP timers out of range: rtoInitial " + rtoInitial + ", rtoMin " + rtoMin
                    + ", rtoMax " + rtoMax + ", msl " + msl + ", maxRetransmissions " + maxRetransmissions);
        }
        if ((options & ~(WINDOW_SCALE | TIMESTAMPS | SACK)) != 0 || delayedAck < 0 || delayedAck > MAX_DELAYED_ACK
                || keepAliveIdle < 0 || keepAliveInterval <= 0 || keepAliveCount < 1 || finWait2Timeout < 0
                || challengeAckLimit < 1) {
            throw new IllegalArgumentException("TCP settings out of range: options " + options + ", delayedAck "
                    + delayedAck + " (0 to 500 ms), keepAlive " + keepAliveIdle + "/" + keepAliveInterval + "/"
                    + keepAliveCount + ", finWait2Timeout " + finWait2Timeout + ", challengeAckLimit "
                    + challengeAckLimit);
        }
        Objects.requireNonNull(congestionControl, "congestionControl");
    }

    /**
     * These timers and key with the defaults for the rest: all options offered, delayed ACK 40 ms,
     * keep-alive off (probes every 75 s, 9 of them, once
     * turned on with an idle time), FIN-WAIT-2 timeout 60 s, 1000
     * challenge ACKs a second.
     */
    public TcpConfig(long rtoInitial, long rtoMin, long rtoMax, long msl, int maxRetransmissions, long isnKey0,
                     long isnKey1) {
        this(rtoInitial, rtoMin, rtoMax, msl, maxRetransmissions, isnKey0, isnKey1, WINDOW_SCALE | TIMESTAMPS | SACK,
                DEFAULT_DELAYED_ACK, 0, DEFAULT_KEEP_ALIVE_INTERVAL, DEFAULT_KEEP_ALIVE_COUNT, DEFAULT_FIN_WAIT_2,
                DEFAULT_CHALLENGE_ACK_LIMIT, Cubic::new);
    }

    /** RFC values (RTO 1 s initial and minimum, 60 s maximum, MSL 60 s, 15 retries) and a key from {@code random}. */
    public static TcpConfig defaults(RandomGenerator random) {
        return new TcpConfig(1_000_000_000L, 1_000_000_000L, 60_000_000_000L, 60_000_000_000L, 15, random.nextLong(),
                random.nextLong());
    }

    /** This configuration with MSL {@code nanos}. */
    public TcpConfig withMsl(long nanos) {
        return new TcpConfig(rtoInitial, rtoMin, rtoMax, nanos, maxRetransmissions, isnKey0, isnKey1, options,
                delayedAck, keepAliveIdle, keepAliveInterval, keepAliveCount, finWait2Timeout, challengeAckLimit,
                congestionControl);
    }

    /** This configuration with the minimum RTO {@code nanos}. */
    public TcpConfig withRtoMin(long nanos) {
        return new TcpConfig(rtoInitial, nanos, Math.max(rtoMax, nanos), msl, maxRetransmissions, isnKey0, isnKey1,
                options, delayedAck, keepAliveIdle, keepAliveInterval, keepAliveCount, finWait2Timeout,
                challengeAckLimit, congestionControl);
    }

    /** This configuration offering {@code options} ({@link #WINDOW_SCALE}, {@link #TIMESTAMPS}, {@link #SACK}). */
    public TcpConfig withOptions(int options) {
        return new TcpConfig(rtoInitial, rtoMin, rtoMax, msl, maxRetransmissions, isnKey0, isnKey1, options,
                delayedAck, keepAliveIdle, keepAliveInterval, keepAliveCount, finWait2Timeout, challengeAckLimit,
                congestionControl);
    }

    /** This configuration with the delayed-ACK timer {@code nanos} (0: every segment is ACKed at once). */
    public TcpConfig withDelayedAck(long nanos) {
        return new TcpConfig(rtoInitial, rtoMin, rtoMax, msl, maxRetransmissions, isnKey0, isnKey1, options, nanos,
                keepAliveIdle, keepAliveInterval, keepAliveCount, finWait2Timeout, challengeAckLimit,
                congestionControl);
    }

    /** This configuration with keep-alive on at its defaults (RFC 9293 MUST-28): probes after 2 h idle, every 75 s, 9 of them. */
    public TcpConfig withKeepAlive() {
        return withKeepAlive(DEFAULT_KEEP_ALIVE_IDLE, DEFAULT_KEEP_ALIVE_INTERVAL, DEFAULT_KEEP_ALIVE_COUNT);
    }

    /**
     * This configuration with keep-alive on: the first probe after {@code idle} of silence, then one
     * every {@code interval}, {@code count} probes in all.
     */
    public TcpConfig withKeepAlive(long idle, long interval, int count) {
        return new TcpConfig(rtoInitial, rtoMin, rtoMax, msl, maxRetransmissions, isnKey0, isnKey1, options,
                delayedAck, idle, interval, count, finWait2Timeout, challengeAckLimit,
                congestionControl);
    }

    /** This configuration with the FIN-WAIT-2 timeout {@code nanos} (0: none). */
    public TcpConfig withFinWait2Timeout(long nanos) {
        return new TcpConfig(rtoInitial, rtoMin, rtoMax, msl, maxRetransmissions, isnKey0, isnKey1, options,
                delayedAck, keepAliveIdle, keepAliveInterval, keepAliveCount, nanos, challengeAckLimit,
                congestionControl);
    }

    /** This configuration sending at most {@code perSecond} challenge ACKs a second per connection. */
    public TcpConfig withChallengeAckLimit(int perSecond) {
        return new TcpConfig(rtoInitial, rtoMin, rtoMax, msl, maxRetransmissions, isnKey0, isnKey1, options,
                delayedAck, keepAliveIdle, keepAliveInterval, keepAliveCount, finWait2Timeout, perSecond,
                congestionControl);
    }

    /**
     * RFC 6528's ISN: a 4 µs clock plus SipHash-2-4, keyed by the secret, of the connection's
     * 4-tuple, so sequence spaces of successive incarnations of one connection advance with time
     * while an off-path attacker cannot guess them.
     */
    int isn(int localAddress, int localPort, int remoteAddress, int remotePort, long nowNanos) {
        long m0 = (localAddress & 0xffffffffL) << 32 | (remoteAddress & 0xffffffffL);
        long m1 = (long) localPort << 16 | remotePort;
        return (int) (nowNanos >>> 12) + (int) sipHash(isnKey0, isnKey1, m0, m1);
    }

    /** SipHash-2-4 of two 64-bit words (16 bytes). */
    static long sipHash(long k0, long k1, long m0, long m1) {
        long[] v = {k0 ^ 0x736f6d6570736575L, k1 ^ 0x646f72616e646f6dL, k0 ^ 0x6c7967656e657261L,
                k1 ^ 0x7465646279746573L};
        compress(v, m0);
        compress(v, m1);
        compress(v, 16L << 56); // the final block: only the length byte
        v[2] ^= 0xff;
        for (int i = 0; i < 4; i++) round(v);
        return v[0] ^ v[1] ^ v[2] ^ v[3];
    }

    private static void compress(long[] v, long m) {
        v[3] ^= m;
        round(v);
        round(v);
        v[0] ^= m;
    }

    private static void round(long[] v) {
        v[0] += v[1];
        v[1] = Long.rotateLeft(v[1], 13) ^ v[0];
        v[0] = Long.rotateLeft(v[0], 32);
        v[2] += v[3];
        v[3] = Long.rotateLeft(v[3], 16) ^ v[2];
        v[0] += v[3];
        v[3] = Long.rotateLeft(v[3], 21) ^ v[0];
        v[2] += v[1];
        v[1] = Long.rotateLeft(v[1], 17) ^ v[2];
        v[2] = Long.rotateLeft(v[2], 32);
    }

    /** This configuration with each connection's congestion controller made by {@code factory} (e.g. {@code Reno::new}). */
    public TcpConfig withCongestionControl(Supplier<? extends CongestionControl> factory) {
        return new TcpConfig(rtoInitial, rtoMin, rtoMax, msl, maxRetransmissions, isnKey0, isnKey1, options,
                delayedAck, keepAliveIdle, keepAliveInterval, keepAliveCount, finWait2Timeout, challengeAckLimit,
                factory);
    }
}
