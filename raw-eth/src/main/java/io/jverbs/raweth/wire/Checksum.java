package io.jverbs.raweth.wire;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071): the 16-bit one's-complement of the one's-complement sum of
 * the data's 16-bit big-endian words, the last odd byte padded with zero.
 *
 * <p>Sums are 16-bit values in network order, not complemented, so parts add up: a TCP checksum
 * is {@code finish(add(pseudoHeader(src, dst, 6, len), sum(segment, tcpOffset, len)))}, and data
 * with a correct checksum field sums to {@code 0xffff}. Each part but the last must have an even
 * length (RFC 1071 2(A): words are taken from the start of each part).
 *
 * <p>{@link #sum} reads eight bytes at a time: the sum does not depend on byte order (RFC 1071
 * 2(B)), so it adds little-endian longs, which x86 loads without a swap, and swaps the 16-bit result
 * once at the end.
 */
public final class Checksum {
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Checksum() {}

    /**
     * The one's-complement sum of {@code length} bytes at {@code offset}, folded to 16 bits, in
     * network order, not complemented.
     */
    public static int sum(MemorySegment segment, long offset, int length) {
        long p = offset;
        long end = offset + length;
        // Each step adds two 32-bit halves (< 2^33): the 64-bit accumulator cannot overflow below
        // 2^30 steps, more than an int length allows.
        long acc = 0;
        while (end - p >= 32) {
            long a = segment.get(LE64, p);
            long b = segment.get(LE64, p + 8);
            long c = segment.get(LE64, p + 16);
            long d = segment.get(LE64, p + 24);
            acc += (a & 0xffff_ffffL) + (a >>> 32) + (b & 0xffff_ffffL) + (b >>> 32)
                    + (c & 0xffff_ffffL) + (c >>> 32) + (d & 0xffff_ffffL) + (d >>> 32);
            p += 32;
        }
        while (end - p >= 8) {
            long a = segment.get(LE64, p);
            acc += (a & 0xffff_ffffL) + (a >>> 32);
            p += 8;
        }
        if (end - p >= 4) {
            acc += segment.get(LE32, p) & 0xffff_ffffL;
            p += 4;
        }
        if (end - p >= 2) {
            acc += segment.get(LE16, p) & 0xffff;
            p += 2;
        }
        if (p < end) {
            // The odd byte is the high byte of a big-endian word: the low byte of a little-endian one.
            acc += segment.get(ValueLayout.JAVA_BYTE, p) & 0xff;
        }
        acc = (acc & 0xffff_ffffL) + (acc >>> 32);
        acc = (acc & 0xffff_ffffL) + (acc >>> 32);
        int s = fold((int) (acc & 0xffff) + (int) (acc >>> 16));
        return ((s & 0xff) << 8) | (s >>> 8);
    }

    /** One's-complement addition of two 16-bit sums. */
    public static int add(int a, int b) {
        return fold((a & 0xffff) + (b & 0xffff));
    }

    /**
     * The sum of the IPv4 pseudo-header (RFC 793 3.1, RFC 768): source, destination, zero,
     * protocol and the transport length (header plus data).
     */
    public static int pseudoHeader(int source, int destination, int protocol, int length) {
        return fold((source >>> 16) + (source & 0xffff) + (destination >>> 16) + (destination & 0xffff)
                + (protocol & 0xff) + (length & 0xffff));
    }

    /** The checksum field's value for data whose sum (with the field zero) is {@code sum}. */
    public static int finish(int sum) {
        return ~sum & 0xffff;
    }

    /**
     * The checksum after one 16-bit word of the covered data changed from {@code oldWord} to
     * {@code newWord}, without summing again: RFC 1624 eqn. 3, {@code HC' = ~(~HC + ~m + m')}
     * (a TTL decrement, a rewritten port).
     */
    public static int update(int checksum, int oldWord, int newWord) {
        return ~fold((~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff)) & 0xffff;
    }

    /** {@link #update} for a 32-bit field (an address, a sequence number): both halves. */
    public static int update32(int checksum, int oldValue, int newValue) {
        return update(update(checksum, oldValue >>> 16, newValue >>> 16), oldValue & 0xffff, newValue & 0xffff);
    }

    /** End-around carry of a non-negative sum below 2^31 down to 16 bits. */
    private static int fold(int s) {
        s = (s & 0xffff) + (s >>> 16);
        return (s & 0xffff) + (s >>> 16);
    }
}
