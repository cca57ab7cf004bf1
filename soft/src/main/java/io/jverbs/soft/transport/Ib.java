package io.jverbs.soft.transport;

/** PSN arithmetic (24 bits, modulo 2^24) and the local ACK timeout of IBTA 9.7.6.1.3. */
final class Ib {
    static final int PSN_MASK = 0xFFFFFF;

    private Ib() {
    }

    /** {@code a - b} in 24-bit PSN space, sign-extended: negative when a is before b. */
    static int psnDiff(int a, int b) {
        return ((a - b) << 8) >> 8;
    }

    static int psnAdd(int psn, int n) {
        return (psn + n) & PSN_MASK;
    }

    /** The local ACK timeout of the QP attribute: 4.096 us * 2^timeout; 0 means none (infinite). */
    static long ackTimeoutNanos(int timeout) {
        return timeout == 0 ? 0 : 4096L << Math.min(timeout, 31);
    }
}
