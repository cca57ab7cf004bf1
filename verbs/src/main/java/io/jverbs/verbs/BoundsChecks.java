package io.jverbs.verbs;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The switch for the bounds checks of the data-path flyweights ({@link SendRequests},
 * {@link ReceiveRequests}, {@link WorkCompletions}), read once at class initialisation like
 * Agrona's {@code agrona.disable.bounds.checks}:
 *
 * <pre>{@code java -Djverbs.disableBoundsChecks=true ...}</pre>
 *
 * <p>On (the default), every indexed accessor checks its request, SGE or completion index
 * ({@link IndexOutOfBoundsException}), {@code add}/{@code sge} check the capacity
 * ({@link IllegalStateException}), and the requests' native accesses go through their
 * {@link MemorySegment}, so they are checked against its bounds and its arena's liveness (the
 * memory may be the caller's, see {@code wrap}). {@link WorkCompletions} owns its array, so its
 * index check is its bounds check.
 *
 * <p>Off, none of these checks run: the flyweights write and read absolute addresses through one
 * unchecked segment that spans the address space. An index out of range or a flyweight used after
 * the memory it wraps was freed then corrupts memory or crashes the JVM instead of throwing. Turn
 * checks off only for code that runs correctly with them on.
 */
public final class BoundsChecks {
    /** The system property that turns the checks off when {@code "true"}. */
    public static final String DISABLE_PROPERTY = "jverbs.disableBoundsChecks";
    /** Whether the checks run in this JVM; {@code static final}, so the JIT folds the unused branch away. */
    public static final boolean ENABLED = !Boolean.getBoolean(DISABLE_PROPERTY);

    /** All of memory, for absolute addressing when the checks are off. */
    static final MemorySegment EVERYTHING = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    // The flyweights lay every field at its natural alignment inside memory they checked is
    // 8-byte aligned, so the unaligned layouts skip a redundant alignment check per access.
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    private BoundsChecks() {}

    // Native accesses of the flyweights: {@code offset} from the start of {@code segment}, whose
    // address is {@code base}. Checked through the segment when ENABLED, absolute otherwise.

    static void putLong(MemorySegment segment, long base, long offset, long value) {
        if (ENABLED) {
            segment.set(LONG, offset, value);
        } else {
            EVERYTHING.set(LONG, base + offset, value);
        }
    }

    static void putInt(MemorySegment segment, long base, long offset, int value) {
        if (ENABLED) {
            segment.set(INT, offset, value);
        } else {
            EVERYTHING.set(INT, base + offset, value);
        }
    }

    static long getLong(MemorySegment segment, long base, long offset) {
        return ENABLED ? segment.get(LONG, offset) : EVERYTHING.get(LONG, base + offset);
    }

    static int getInt(MemorySegment segment, long base, long offset) {
        return ENABLED ? segment.get(INT, offset) : EVERYTHING.get(INT, base + offset);
    }

    /**
     * Checks memory handed to a flyweight's {@code wrap}: native, writable, 8-byte aligned (the
     * alignment of the verbs structs) and at least {@code needed} bytes. Always checked.
     */
    static void checkWrappable(String what, MemorySegment memory, long needed) {
        if (!memory.isNative()) {
            throw new IllegalArgumentException(what + ".wrap needs native memory (the provider reads it), got a heap segment");
        }
        if (memory.isReadOnly()) {
            throw new IllegalArgumentException(what + ".wrap needs writable memory, got a read-only segment");
        }
        if ((memory.address() & 7) != 0) {
            throw new IllegalArgumentException(what + ".wrap needs 8-byte aligned memory, got address 0x"
                    + Long.toHexString(memory.address()) + " (allocate with arena.allocate(" + what + ".bytesNeeded(...), 64))");
        }
        if (memory.byteSize() < needed) {
            throw new IllegalArgumentException(what + ".wrap needs " + needed + " bytes for this capacity and maxSge, got "
                    + memory.byteSize() + " (see " + what + ".bytesNeeded)");
        }
    }
}
