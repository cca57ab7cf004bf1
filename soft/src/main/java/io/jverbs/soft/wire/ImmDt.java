package io.jverbs.soft.wire;

/** Immediate data (IBTA 9.3.5): 4 bytes on the *_WITH_IMMEDIATE opcodes, delivered in the receiver's completion as is. */
public final class ImmDt extends TransportHeader<ImmDt> {
    public static final int LENGTH = 4;

    public ImmDt() {
        super(LENGTH);
    }

    /** The immediate data in network byte order, as {@code ibv_wc.imm_data} holds it. */
    public int immediate() {
        return i32(0);
    }

    public ImmDt setImmediate(int value) {
        setI32(0, value);
        return this;
    }
}
