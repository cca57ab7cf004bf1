package io.jverbs.soft.wire;

/** The invalidate extended transport header (IBTA 9.3.6) on SEND_*_WITH_INVALIDATE: the R_Key the responder invalidates. */
public final class Ieth extends TransportHeader<Ieth> {
    public static final int LENGTH = 4;

    public Ieth() {
        super(LENGTH);
    }

    public int rkey() {
        return i32(0);
    }

    public Ieth setRkey(int rkey) {
        setI32(0, rkey);
        return this;
    }
}
