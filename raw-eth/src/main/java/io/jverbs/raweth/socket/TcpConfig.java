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
 * @param congestionControl makes each connection's congestion controller ({@link Cubic} by default,
 *        as on Linux; {@link Reno} or one of the caller's)
 */
public record TcpConfig(long rtoInitial, long rtoMin, long rtoMax, long msl, int maxRetransmissions, long isnKey0,
                        long isnKey1, Supplier<? extends CongestionControl> congestionControl) {
    /** @throws IllegalArgumentException if a time is not positive, or rtoMin &gt; rtoMax */
    public TcpConfig {
        if (rtoInitial <= 0 || rtoMin <= 0 || rtoMax < rtoMin || msl < 0 || maxRetransmissions < 1) {
            throw new IllegalArgumentException("TCP timers out of range: rtoInitial " + rtoInitial + ", rtoMin " + rtoMin
                    + ", rtoMax " + rtoMax + ", msl " + msl + ", maxRetransmissions " + maxRetransmissions);
        }
        Objects.requireNonNull(congestionControl, "congestionControl");
    }

    /** These timers and key with {@link Cubic} congestion control. */
    public TcpConfig(long rtoInitial, long rtoMin, long rtoMax, long msl, int maxRetransmissions, long isnKey0,
                     long isnKey1) {
        this(rtoInitial, rtoMin, rtoMax, msl, maxRetransmissions, isnKey0, isnKey1, Cubic::new);
    }

    /** RFC values (RTO 1 s initial and minimum, 60 s maximum, MSL 60 s, 15 retries) and a key from {@code random}. */
    public static TcpConfig defaults(RandomGenerator random) {
        return new TcpConfig(1_000_000_000L, 1_000_000_000L, 60_000_000_000L, 60_000_000_000L, 15, random.nextLong(),
                random.nextLong());
    }

    /** This configuration with MSL {@code nanos}. */
    public TcpConfig withMsl(long nanos) {
        return new TcpConfig(rtoInitial, rtoMin, rtoMax, nanos, maxRetransmissions, isnKey0, isnKey1,
                congestionControl);
    }

    /** This configuration with the minimum RTO {@code nanos}. */
    public TcpConfig withRtoMin(long nanos) {
        return new TcpConfig(rtoInitial, nanos, Math.max(rtoMax, nanos), msl, maxRetransmissions, isnKey0, isnKey1,
                congestionControl);
    }

    /** This configuration with each connection's congestion controller made by {@code factory} (e.g. {@code Reno::new}). */
    public TcpConfig withCongestionControl(Supplier<? extends CongestionControl> factory) {
        return new TcpConfig(rtoInitial, rtoMin, rtoMax, msl, maxRetransmissions, isnKey0, isnKey1, factory);
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
}
