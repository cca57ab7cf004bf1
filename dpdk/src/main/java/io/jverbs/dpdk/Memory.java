package io.jverbs.dpdk;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Absolute addressing of DPDK memory (mbufs, mempool caches, fp_ops): one segment that spans the
 * address space, so the hot path reads and writes fields by address without a segment per object.
 * Every address used with it comes from DPDK and is checked by the owner's state before use.
 *
 * <p>Burst paths call {@code ALL.get}/{@code ALL.set} directly rather than these helpers: a
 * segment access already takes about ten levels of the JIT's inlining depth
 * ({@code -XX:MaxInlineLevel}, 15), and one more level per helper pushed the accesses of a burst
 * loop's callees past it, so they ran as calls.
 */
final class Memory {
    static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    /** Packet data is in network byte order. */
    static final ValueLayout.OfLong LONG_BE = LONG.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfInt INT_BE = INT.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfShort SHORT_BE = SHORT.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    private Memory() {}

    static long getLong(long address) {
        return ALL.get(LONG, address);
    }

    static void putLong(long address, long value) {
        ALL.set(LONG, address, value);
    }

    static int getInt(long address) {
        return ALL.get(INT, address);
    }

    static void putInt(long address, int value) {
        ALL.set(INT, address, value);
    }

    static int getShort(long address) {
        return Short.toUnsignedInt(ALL.get(SHORT, address));
    }

    static void putShort(long address, int value) {
        ALL.set(SHORT, address, (short) value);
    }
}
