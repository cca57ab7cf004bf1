package io.jverbs.soft.wire;

/** The atomic acknowledge extended transport header (IBTA 9.5.3), after the AETH of an ATOMIC_ACKNOWLEDGE: the original remote data. */
public final class AtomicAckEth extends TransportHeader<AtomicAckEth> {
    public static final int LENGTH = 8;

    public AtomicAckEth() {
        super(LENGTH);
    }

    /** The 64-bit value at the target before the atomic operation. */
    public long originalData() {
        return i64(0);
    }

    public AtomicAckEth setOriginalData(long value) {
        setI64(0, value);
        return this;
    }
}
