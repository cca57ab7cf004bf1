package io.jverbs.soft.wire;

import io.jverbs.raweth.wire.HeaderView;
import io.jverbs.raweth.wire.WireStatus;

/**
 * The base of the InfiniBand transport header views (BTH and the extension headers): fixed-length
 * headers whose {@link #wrap} only checks that the fixed length is there. Which headers a packet
 * carries, and where, is the opcode's business: {@link RocePacket} checks a whole packet and wraps
 * these views at the right offsets. Adds the 24-bit and 64-bit fields InfiniBand uses.
 *
 * @param <V> the view's own class
 */
public abstract class TransportHeader<V extends TransportHeader<V>> extends HeaderView<V> {
    /** A 24-bit field's mask: QPNs, PSNs, MSNs. */
    public static final int MASK_24 = 0xff_ffff;

    /** @param fixedLength the header's length */
    protected TransportHeader(int fixedLength) {
        super(fixedLength);
    }

    @Override
    protected final WireStatus check() {
        return length() < headerLength() ? WireStatus.IB_HEADER_TRUNCATED : WireStatus.OK;
    }

    /** A big-endian 24-bit field: the low three bytes at {@code at}. */
    protected final int u24(int at) {
        return u8(at) << 16 | u16(at + 1);
    }

    protected final void setU24(int at, int value) {
        setU8(at, value >>> 16);
        setU16(at + 1, value);
    }

    protected final long i64(int at) {
        return (long) i32(at) << 32 | (i32(at + 4) & 0xffff_ffffL);
    }

    protected final void setI64(int at, long value) {
        setI32(at, (int) (value >>> 32));
        setI32(at + 4, (int) value);
    }

    /** Throws unless {@code value} fits in 24 bits: a QPN, PSN or MSN out of range is a caller's bug. */
    protected static int check24(String field, int value) {
        if ((value & ~MASK_24) != 0) {
            throw new IllegalArgumentException(field + " is 24 bits: 0x" + Integer.toHexString(value));
        }
        return value;
    }
}
