package io.jverbs.soft.transport;

import io.jverbs.verbs.Access;

import java.lang.foreign.MemorySegment;

/**
 * The memory regions and memory windows a soft device knows, by key: what the transport consults
 * for every SGE (lkey) and every remote request (rkey). A key is {@code index << 8 | tag} as rxe
 * makes them, so a deregistered key does not name the region registered next in its slot. lkey and
 * rkey are the same number. Windows take the indices after the regions' (from 0x10001 with the
 * device's 2^16 regions, as rxe's RXE_MIN_MW_INDEX follows its regions: 6.1's windows measured
 * from 0x80001), so an rkey names a region or a window by its index alone. Lookups allocate nothing. Not thread-safe: the device's progress engine owns it.
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

    /** {@link #bind}, {@link #invalidate}: the window or region key does not name a live one of the right kind. */
    public static final int BAD_WINDOW = 5;
    /** {@link #bind}: the window is not in the state the bind needs (a type 2 window still bound). */
    public static final int BAD_STATE = 6;

    private final Region[] slots;
    private final Window[] windows;
    private int tag;
    private int windowTag;
    private long delta;     // of the last successful resolve: memory offset = va - delta

    /**
     * @param capacity the most regions registered at once (and the most windows allocated at once)
     */
    public MemoryKeys(int capacity) {
        if (capacity < 1 || capacity > 1 << 23) {
            throw new IllegalArgumentException("capacity must be 1..2^23, got " + capacity);
        }
        slots = new Region[capacity];
        windows = new Window[Math.min(capacity, (1 << 24) - 1 - capacity)];
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
        if (!inside(r.iova, r.length, va, length)) {
            return OUT_OF_BOUNDS;
        }
        if ((r.access & access) != access) {
            return NO_ACCESS;
        }
        return OK;
    }

    // ---------------------------------------------------------------- memory windows

    /**
     * A memory window (IBTA 10.6.7): a remote key for a range of a region, granted by a bind and
     * revoked by the next bind or an invalidation. Type 1 windows are always valid and bound by
     * {@code ibv_bind_mw}; type 2 are free until a BIND_MW request binds them to the QP that
     * posted it, and free again after LOCAL_INV. Mutable: the engine's thread owns it.
     */
    public static final class Window {
        private final int type;
        private final int pd;
        private int key;
        private Region region;  // null while unbound
        private long va;
        private long length;
        private int access;
        private int qpNum;

        private Window(int type, int pd, int key) {
            this.type = type;
            this.pd = pd;
            this.key = key;
        }

        /** The current rkey. */
        public int key() {
            return key;
        }

        /** 1 or 2. */
        public int type() {
            return type;
        }

        /** Whether a bind with a non-zero length holds. */
        public boolean bound() {
            return region != null;
        }
    }

    /**
     * Allocates a window of {@code type} (1 or 2) for protection domain {@code pd}: unbound, with a
     * fresh key.
     *
     * @throws IllegalStateException if every window slot is taken
     */
    public Window allocateWindow(int type, int pd) {
        if (type != 1 && type != 2) {
            throw new IllegalArgumentException("memory windows are of type 1 or 2, not " + type);
        }
        for (int i = 0; i < windows.length; i++) {
            if (windows[i] == null) {
                windowTag = (windowTag + 1) & 0xFF;
                Window w = new Window(type, pd, (slots.length + 1 + i) << 8 | windowTag);
                windows[i] = w;
                return w;
            }
        }
        throw new IllegalStateException("all " + windows.length + " memory windows are allocated: deallocate one");
    }

    /** Forgets window {@code w}: its key stops working. */
    public void deallocateWindow(Window w) {
        int i = (w.key >>> 8) - slots.length - 1;
        if (i >= 0 && i < windows.length && windows[i] == w) {
            windows[i] = null;
            w.region = null;
        }
    }

    /** The window whose current key is {@code key}, or null. */
    public Window findWindow(int key) {
        int i = (key >>> 8) - slots.length - 1;
        if (i < 0 || i >= windows.length) {
            return null;
        }
        Window w = windows[i];
        return w != null && w.key == key ? w : null;
    }

    /**
     * Binds window {@code w} for a request of QP {@code qpNum} (protection domain {@code qpPd}):
     * {@code length} bytes at {@code va} of the region with key {@code mrKey} with {@link Access}
     * flags {@code access}, under {@code newKey}'s low 8 bits (the index stays the window's). A
     * type 1 window with length 0 is unbound. The checks are rxe's (rxe_check_bind_mw) and IBTA's
     * (the region in the window's PD).
     *
     * @param mwKey the window's key the request named: it must be the current one
     * @return {@link #OK}, or why it failed: the request completes with MW_BIND_ERR
     */
    public int bind(int qpNum, int qpPd, int mwKey, int newKey, int mrKey, long va, long length, int access) {
        Window w = findWindow(mwKey);
        if (w == null) {
            return BAD_WINDOW;
        }
        if (w.type == 2 && (w.region != null || length == 0)) {
            return BAD_STATE;   // o10-37.2.30, o10-37.2.40: bind a free type 2 window, and to memory
        }
        if ((access & ~(Access.REMOTE_WRITE | Access.REMOTE_READ | Access.REMOTE_ATOMIC | Access.LOCAL_WRITE | Access.MW_BIND
                | Access.ZERO_BASED)) != 0) {
            return NO_ACCESS;
        }
        if (w.type == 1 && (access & Access.ZERO_BASED) != 0) {
            return NO_ACCESS;   // o10-36.2.2: type 1 windows are virtually addressed
        }
        if (w.type == 2 && qpPd != w.pd) {
            return PD_MISMATCH; // C10-72
        }
        Region r = null;
        if (length != 0) {
            r = find(mrKey);
            if (r == null) {
                return BAD_KEY;
            }
            if (r.pd != w.pd) {
                return PD_MISMATCH;
            }
            if ((r.access & Access.MW_BIND) == 0 || (r.access & Access.ZERO_BASED) != 0) {
                return NO_ACCESS;   // C10-73
            }
            if ((access & (Access.REMOTE_WRITE | Access.REMOTE_ATOMIC)) != 0 && (r.access & Access.LOCAL_WRITE) == 0) {
                return NO_ACCESS;   // C10-74
            }
            if (!inside(r.iova, r.length, va, length)) {
                return OUT_OF_BOUNDS; // C10-75
            }
        }
        w.key = (w.key & ~0xFF) | (newKey & 0xFF);
        w.region = r;
        w.va = va;
        w.length = length;
        w.access = access;
        w.qpNum = qpNum;
        return OK;
    }

    /**
     * Invalidates the type 2 window whose current key is {@code rkey} (LOCAL_INV, or a peer's
     * SEND_WITH_INV): it is free again and the key stops working. Regions are not invalidated: the
     * soft device has no fast-register regions (rxe invalidates those), so a region key fails.
     *
     * @return {@link #OK}, or {@link #BAD_WINDOW} (no such bound type 2 window)
     */
    public int invalidate(int rkey) {
        Window w = findWindow(rkey);
        if (w == null || w.type != 2 || w.region == null) {
            return BAD_WINDOW;  // o10-37.2.26: type 1 windows are not invalidated
        }
        w.region = null;
        w.length = 0;
        w.access = 0;
        return OK;
    }

    /**
     * The region a remote access of {@code length} bytes at {@code va} through {@code rkey} by QP
     * {@code qpNum} (protection domain {@code pd}) needing every bit of {@code access} reaches, or
     * null if the access is refused. An rkey naming a window is checked against the window: its
     * current key, its PD, its bounds and access, a type 2 window's QP, and the region it was bound
     * to still registered (deregistering a region revokes its windows). A zero-based window
     * (type 2, {@link Access#ZERO_BASED}) is addressed from 0; {@link #memoryOffset} translates.
     */
    public Region resolve(int rkey, int pd, int qpNum, long va, long length, int access) {
        if ((rkey >>> 8) <= slots.length) {
            Region r = check(rkey, pd, va, length, access) == OK ? find(rkey) : null;
            if (r != null) {
                delta = r.iova;
            }
            return r;
        }
        Window w = findWindow(rkey);
        if (w == null || w.region == null || w.pd != pd || (w.type == 2 && w.qpNum != qpNum)
                || (w.access & access) != access) {
            return null;
        }
        boolean zeroBased = (w.access & Access.ZERO_BASED) != 0;
        if (!inside(zeroBased ? 0 : w.va, w.length, va, length)) {
            return null;
        }
        Region r = w.region;
        if (find(r.key) != r) {
            return null;
        }
        delta = zeroBased ? r.iova - w.va : r.iova;
        return r;
    }

    /**
     * The byte of the resolved region's memory that {@code va} names, for the region the last
     * successful {@link #resolve} returned (a zero-based window shifts it by where it starts).
     */
    public long memoryOffset(long va) {
        return va - delta;
    }

    /** Whether {@code length} bytes at {@code va} lie inside {@code size} bytes at {@code base} (no overflow). */
    private static boolean inside(long base, long size, long va, long length) {
        long off = va - base;
        return length >= 0 && off >= 0 && off <= size && length <= size - off;
    }
}
