package io.jverbs.soft.wire;

/** The datagram extended transport header (IBTA 9.3.2) on UD packets: Q_Key and source QP. */
public final class Deth extends TransportHeader<Deth> {
    public static final int LENGTH = 8;
    /** Q_Keys with the high bit set are controlled: only privileged QPs may send them (IBTA 10.2.5); QP1's is 0x80010000. */
    public static final int GSI_QKEY = 0x8001_0000;

    private static final int QKEY = 0;
    private static final int RESERVED = 4;
    private static final int SOURCE_QP = 5;

    public Deth() {
        super(LENGTH);
    }

    public int qkey() {
        return i32(QKEY);
    }

    /** The reserved byte before the source QP, zero on the wire. */
    public int reserved() {
        return u8(RESERVED);
    }

    /** Source QP number, 24 bits. */
    public int sourceQp() {
        return u24(SOURCE_QP);
    }

    public Deth setQkey(int qkey) {
        setI32(QKEY, qkey);
        return this;
    }

    public Deth setReserved(int value) {
        setU8(RESERVED, value);
        return this;
    }

    public Deth setSourceQp(int qpn) {
        setU24(SOURCE_QP, check24("source QP", qpn));
        return this;
    }
}
