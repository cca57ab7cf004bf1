package io.jverbs.soft.transport;

import io.jverbs.verbs.Access;

import java.lang.foreign.MemorySegment;

/**
 * The memory regions a soft device knows, by key: what the transport consults for every SGE (lkey)
 * and every remote request (rkey). A key is {@code index << 8 | tag} as rxe makes them, so a
 * deregistered key does not name the region registered next in its slot. lkey and rkey are the
 * same number. Lookups allocate nothing. Not thread-safe: the device's progress engine owns it.
 */
public final class MemoryKeys {
    /** {@link #check}: the key, PD, range and access are all right. */
    public static final int OK = 0;
    /** No region has the key. */
    public static final int BAD_KEY = 1;
    /** The region belongs to another protection domain. */
    public static final int PD_MISMATCH = 2;
    /** The range is not inside the region. */
    public static final int OUT_OF_BOUNDS = 3;
    /** The region was not registered with the access the operation needs. */
    public static final int NO_ACCESS = 4;

    private final Region[] slots;
    private int tag;

    /**
     * @param capacity the most regions registered at once
     */
    public MemoryKeys(int capacity) {
        if (capacity < 1 || capacity > 1 << 23) {
            throw new IllegalArgumentException("capacity must be 1..2^23, got " + capacity);
        }
        slots = new Region[capacity];
    }

    /** A registered region: {@code length} bytes of {@code memory} seen by peers at {@code iova}. */
    public record Region(int key, MemorySegment memory, long iova, long length, int access, int pd) {
    }

    /**
     * Registers {@code memory} (the whole segment) at {@code iova} for protection domain {@code pd}
     * with {@link Access} flags, and returns its key (lkey = rkey).
     *
     * @throws IllegalStateException if every slot is taken
     */
    public int register(MemorySegment memory, long iova, int access, int pd) {
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] == null) {
                tag = (tag + 1) & 0xFF;
                int key = (i + 1) << 8 | tag; // index 0 stays unused: key 0 is never valid
                slots[i] = new Region(key, memory, iova, memory.byteSize(), access, pd);
                return key;
            }
        }
        throw new IllegalStateException("all " + slots.length + " memory keys are in use: deregister one or make the table larger");
    }

    /**
     * Forgets {@code key}; later uses of it fail with {@link #BAD_KEY}.
     *
     * @throws IllegalArgumentException if no region has the key
     */
    public void deregister(int key) {
        Region r = find(key);
        if (r == null) {
            throw new IllegalArgumentException("no memory region has key 0x" + Integer.toHexString(key));
        }
        slots[(key >>> 8) - 1] = null;
    }

    /** The region of {@code key}, or null. */
    public Region find(int key) {
        int i = (key >>> 8) - 1;
        if (i < 0 || i >= slots.length) {
            return null;
        }
        Region r = slots[i];
        return r != null && r.key == key ? r : null;
    }

    /**
     * The verbs checks for an access of {@code length} bytes at {@code va} through {@code key} from
     * protection domain {@code pd} needing every bit of {@code access} ({@code 0} for a local read).
     *
     * @return {@link #OK} or the first check that failed
     */
    public int check(int key, int pd, long va, long length, int access) {
        Region r = find(key);
        if (r == null) {
            return BAD_KEY;
        }
        if (r.pd != pd) {
            return PD_MISMATCH;
        }
        long off = va - r.iova;
        if (length < 0 || off < 0 || off > r.length || length > r.length - off) {
            return OUT_OF_BOUNDS;
        }
        if ((r.access & access) != access) {
            return NO_ACCESS;
        }
        return OK;
    }
}
