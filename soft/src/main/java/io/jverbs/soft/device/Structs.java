package io.jverbs.soft.device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The native structs the soft device hands out. Each object struct is followed by a private
 * 8-byte trailer holding the object's handle, as a C provider embeds {@code struct ibv_cq} in
 * its own larger struct: a struct pointer from the caller leads to the Java object by one read
 * and an array index, without a map (no boxing on the data path).
 */
final class Structs {
    private Structs() {}

    /**
     * The whole address space, to read requests and write completions at the addresses the
     * public classes pass (they checked liveness and keep the memory reachable): no segment per call.
     */
    static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    /** A zeroed struct of {@code size} bytes plus the handle trailer, in {@code arena}. */
    static MemorySegment allocate(Arena arena, long size) {
        return arena.allocate(((size + 7) & ~7L) + 8, 8).asSlice(0, size);
    }

    /** Stores {@code handle} in the trailer of {@code struct}. */
    static void setHandle(MemorySegment struct, int handle) {
        ALL.set(JAVA_INT, struct.address() + ((struct.byteSize() + 7) & ~7L), handle);
    }

    /** The handle in the trailer of the struct of {@code size} bytes at {@code address}. */
    static int handle(long address, long size) {
        return ALL.get(JAVA_INT, address + ((size + 7) & ~7L));
    }
}
