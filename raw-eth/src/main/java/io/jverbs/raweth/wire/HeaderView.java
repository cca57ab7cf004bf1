package io.jverbs.raweth.wire;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The base of every header view: a re-pointable window of {@code length} bytes at {@code offset}
 * in a {@link MemorySegment} (heap or native: a received frame in registered memory, a DPDK mbuf,
 * an RDMA buffer), read and written in place, big-endian. One view object is made once and
 * {@link #wrap wrapped} over each packet; wrapping allocates nothing.
 *
 * <p>{@link #wrap} checks the structure (lengths, version, option framing) and returns a
 * {@link WireStatus}; after {@link WireStatus#OK} every accessor reads inside the wrapped bytes.
 * After any other status the accessors' results are unspecified (they never read outside the
 * segment, whose own bounds checks stay on). {@link #wrapUnchecked} points a view at a buffer to
 * be written by a {@code Repr}'s {@code emit}. Subclasses in other packages (a RoCEv2 base
 * transport header over UDP 4791, say) follow the same pattern with the protected accessors.
 *
 * <p>Not thread-safe: one view per thread, like the packets it points at.
 *
 * @param <V> the view's own class, which {@link #wrapOrThrow} and {@link #wrapUnchecked} return
 */
public abstract class HeaderView<V extends HeaderView<V>> {
    /** Network byte order, unaligned: headers sit at any offset in a frame. */
    protected static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    protected static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** End of option list (IPv4 and TCP). */
    protected static final int OPTION_END = 0;
    /** No-operation, one byte (IPv4 and TCP). */
    protected static final int OPTION_NOP = 1;

    private final int minimumLength;
    private MemorySegment segment = MemorySegment.NULL;
    private long offset;
    private int length;
    private WireStatus status;

    /**
     * @param minimumLength the fixed part of the header: what {@link #wrapUnchecked} requires, and
     *        the whole header unless the subclass overrides {@link #headerLength()}
     */
    protected HeaderView(int minimumLength) {
        this.minimumLength = minimumLength;
    }

    /**
     * Points this view at {@code length} bytes at {@code offset} of {@code segment} and checks
     * them; never throws for bad bytes.
     *
     * @return {@link WireStatus#OK}, or the reason the bytes are not a well-formed header
     * @throws IllegalArgumentException if the range is not inside the segment (a caller's bug,
     *         not bad input)
     */
    public final WireStatus wrap(MemorySegment segment, long offset, int length) {
        point(segment, offset, length);
        WireStatus s = check();
        status = s;
        return s;
    }

    /**
     * {@link #wrap} for code off the packet path: returns this view, or throws.
     *
     * @throws MalformedPacketException if {@link #wrap} would not return {@link WireStatus#OK}
     */
    public final V wrapOrThrow(MemorySegment segment, long offset, int length) {
        if (wrap(segment, offset, length) != WireStatus.OK) {
            throw new MalformedPacketException(status);
        }
        return self();
    }

    /**
     * Points this view at a buffer to write, without reading it: for a {@code Repr}'s {@code emit}.
     * {@link #status()} is then {@code null} and a {@code parse} refuses the view until the next
     * {@link #wrap}.
     *
     * @throws IllegalArgumentException if the range is not inside the segment or is shorter than
     *         the fixed part of the header
     */
    public final V wrapUnchecked(MemorySegment segment, long offset, int length) {
        if (length < minimumLength) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " needs at least "
                    + minimumLength + " bytes, got " + length);
        }
        point(segment, offset, length);
        status = null;
        return self();
    }

    @SuppressWarnings("unchecked")
    private V self() {
        return (V) this;
    }

    private void point(MemorySegment segment, long offset, int length) {
        if (offset < 0 || length < 0 || offset > segment.byteSize() - length) {
            throw outside(segment, offset, length);
        }
        this.segment = segment;
        this.offset = offset;
        this.length = length;
    }

    private static IllegalArgumentException outside(MemorySegment segment, long offset, int length) {
        return new IllegalArgumentException("range [" + offset + ", +" + length + ") is outside the segment of "
                + segment.byteSize() + " bytes");
    }

    /** The structural checks of this header over the wrapped bytes; called by {@link #wrap}. */
    protected abstract WireStatus check();

    /** The length of this header including its options, as the wrapped bytes say. */
    public int headerLength() {
        return minimumLength;
    }

    /**
     * Bytes after the header that belong to this packet: by default the rest of the wrapped bytes;
     * IPv4 and UDP bound it by their length fields (an Ethernet pad is not payload).
     */
    public int payloadLength() {
        return length - headerLength();
    }

    /** Where the payload starts in {@link #segment()}: the offset to wrap the next layer's view at. */
    public final long payloadOffset() {
        return offset + headerLength();
    }

    /**
     * Throws unless the last {@link #wrap} returned {@link WireStatus#OK}: what a {@code parse}
     * calls first.
     *
     * @throws MalformedPacketException if the last wrap found malformed bytes
     * @throws IllegalStateException if the view was wrapped unchecked or never wrapped
     */
    public final void requireOk() {
        WireStatus s = status;
        if (s == null) {
            throw new IllegalStateException(getClass().getSimpleName()
                    + " was not wrapped with wrap(): parse needs checked bytes");
        }
        if (s != WireStatus.OK) {
            throw new MalformedPacketException(s);
        }
    }

    public final MemorySegment segment() {
        return segment;
    }

    /** Where the header starts in {@link #segment()}. */
    public final long offset() {
        return offset;
    }

    /** The wrapped length: this header, its payload and anything after it (a pad, a trailer). */
    public final int length() {
        return length;
    }

    /** What the last {@link #wrap} returned; {@code null} after {@link #wrapUnchecked} or before any wrap. */
    public final WireStatus status() {
        return status;
    }

    protected final int u8(int at) {
        return segment.get(ValueLayout.JAVA_BYTE, offset + at) & 0xff;
    }

    protected final int u16(int at) {
        return segment.get(U16, offset + at) & 0xffff;
    }

    protected final int i32(int at) {
        return segment.get(U32, offset + at);
    }

    /** A 48-bit MAC address, the high 16 bits zero. */
    protected final long u48(int at) {
        return ((long) u16(at) << 32) | (i32(at + 2) & 0xffff_ffffL);
    }

    protected final void setU8(int at, int value) {
        segment.set(ValueLayout.JAVA_BYTE, offset + at, (byte) value);
    }

    protected final void setU16(int at, int value) {
        segment.set(U16, offset + at, (short) value);
    }

    protected final void setI32(int at, int value) {
        segment.set(U32, offset + at, value);
    }

    protected final void setU48(int at, long value) {
        setU16(at, (int) (value >>> 32));
        setI32(at + 2, (int) value);
    }

    /**
     * Whether the type-length-value options in {@code [from, to)} are well framed, as IPv4
     * (RFC 791 3.1) and TCP (RFC 9293 3.1) lay them out: kind 0 ends the list (the rest is
     * padding), kind 1 is one byte, any other kind has a length byte of at least 2 that stays
     * inside the area.
     */
    protected final boolean optionsWellFramed(int from, int to) {
        int p = from;
        while (p < to) {
            int kind = u8(p);
            if (kind == OPTION_END) {
                return true;
            }
            if (kind == OPTION_NOP) {
                p++;
                continue;
            }
            if (to - p < 2) {
                return false;
            }
            int len = u8(p + 1);
            if (len < 2 || len > to - p) {
                return false;
            }
            p += len;
        }
        return true;
    }

    /**
     * The length of the option at {@code p} in a {@link #optionsWellFramed well framed} area ending
     * at {@code to}: 1 for a no-operation, the rest of the area for an end of list (what follows
     * it is padding), else its length byte. For loops: {@code for (p = from; p < to; p += optionLength(p, to))}.
     */
    protected final int optionLength(int p, int to) {
        int kind = u8(p);
        return kind == OPTION_NOP ? 1 : kind == OPTION_END ? to - p : u8(p + 1);
    }

    /**
     * Where the last option of {@code kind} whose length byte is {@code optionLength} starts in
     * the {@link #optionsWellFramed well framed} area {@code [from, to)}, or -1. The last one wins
     * and one of the wrong length is skipped, as in Linux's {@code tcp_parse_options}.
     */
    protected final int findOption(int from, int to, int kind, int optionLength) {
        int found = -1;
        for (int p = from; p < to; p += optionLength(p, to)) {
            if (u8(p) == kind && kind > OPTION_NOP && u8(p + 1) == optionLength) {
                found = p;
            }
        }
        return found;
    }

    /** The one's-complement sum of {@code length} bytes from {@code at}, see {@link Checksum#sum}. */
    protected final int sum(int at, int length) {
        return Checksum.sum(segment, offset + at, length);
    }

    /** A view in a log line: class, offset, length and status, without the bytes. */
    @Override
    public String toString() {
        return getClass().getSimpleName() + "[offset=" + offset + ", length=" + length + ", status=" + status + "]";
    }
}
