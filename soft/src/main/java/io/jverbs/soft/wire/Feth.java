package io.jverbs.soft.wire;

/**
 * The flush extended transport header (IBTA 1.5 annex A19, before the RETH on RC FLUSH): the
 * selectivity level (bits 5..4) and placement type (bits 3..0) of a flush. rxe sends FLUSH since
 * Linux 6.2.
 */
public final class Feth extends TransportHeader<Feth> {
    public static final int LENGTH = 4;

    public Feth() {
        super(LENGTH);
    }

    /** The whole 32-bit field. */
    public int value() {
        return i32(0);
    }

    /** 0: the memory region, 1: the whole R_Key's range. */
    public int selectivityLevel() {
        return i32(0) >>> 4 & 3;
    }

    /** Bit 0 global visibility, bit 1 persistence. */
    public int placementType() {
        return i32(0) & 0xf;
    }

    public Feth setValue(int value) {
        setI32(0, value);
        return this;
    }
}
