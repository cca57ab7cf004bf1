package io.jverbs.raweth.iface;

/**
 * The neighbour table: IPv4 address to MAC, each learned entry usable for a lifetime, and for each
 * address the time of the last request sent (the rate limit). A fixed number of entries in
 * parallel arrays, searched linearly (a host talks to a handful of on-link neighbours: its
 * gateway and a few peers), with the last hit remembered for the common one-peer case; a full
 * table evicts an unresolved or expired entry first, else the one closest to expiry.
 * Allocates nothing after construction.
 */
final class ArpCache {
    static final long NONE = -1;

    private static final byte FREE = 0;
    private static final byte INCOMPLETE = 1;
    private static final byte RESOLVED = 2;

    private final int[] addresses;
    private final long[] macs;
    private final long[] expires;
    private final long[] lastRequest;
    private final boolean[] requested;
    private final byte[] states;
    private final long lifetime;
    private final long requestInterval;
    private int last;

    ArpCache(int size, long lifetime, long requestInterval) {
        addresses = new int[size];
        macs = new long[size];
        expires = new long[size];
        lastRequest = new long[size];
        requested = new boolean[size];
        states = new byte[size];
        this.lifetime = lifetime;
        this.requestInterval = requestInterval;
    }

    private int find(int address) {
        if (states[last] != FREE && addresses[last] == address) {
            return last;
        }
        for (int i = 0; i < states.length; i++) {
            if (states[i] != FREE && addresses[i] == address) {
                last = i;
                return i;
            }
        }
        return -1;
    }

    /** The MAC of {@code address}, or {@link #NONE} when unknown or expired. */
    long lookup(int address, long now) {
        int i = find(address);
        if (i < 0 || states[i] != RESOLVED) {
            return NONE;
        }
        if (now - expires[i] >= 0) {
            states[i] = INCOMPLETE; // expired: ask again, keep the request time for the rate limit
            return NONE;
        }
        return macs[i];
    }

    /** Learns {@code address} at {@code mac} for a lifetime from now, making an entry if needed. */
    void fill(int address, long mac, long now) {
        int i = find(address);
        if (i < 0) {
            i = victim(now);
            addresses[i] = address;
            requested[i] = false;
            last = i;
        }
        macs[i] = mac;
        expires[i] = now + lifetime;
        states[i] = RESOLVED;
    }

    /**
     * RFC 826's merge: if {@code address} has an entry (resolved or being resolved), updates its MAC
     * and lifetime and returns true; makes no entry.
     */
    boolean update(int address, long mac, long now) {
        int i = find(address);
        if (i < 0) {
            return false;
        }
        macs[i] = mac;
        expires[i] = now + lifetime;
        states[i] = RESOLVED;
        return true;
    }

    /**
     * Whether a request for {@code address} may go out now (none sent within the interval); if so,
     * records it as sent. Makes an unresolved entry for an address not in the table.
     */
    boolean mayRequest(int address, long now) {
        int i = find(address);
        if (i < 0) {
            i = victim(now);
            addresses[i] = address;
            states[i] = INCOMPLETE;
            requested[i] = false;
            last = i;
        }
        if (requested[i] && now - lastRequest[i] < requestInterval) {
            return false;
        }
        requested[i] = true;
        lastRequest[i] = now;
        return true;
    }

    /** When the next request for {@code address} may go out (now if none was sent). */
    long nextRequestAt(int address, long now) {
        int i = find(address);
        return i < 0 || !requested[i] ? now : lastRequest[i] + requestInterval;
    }

    private int victim(long now) {
        int best = -1;
        for (int i = 0; i < states.length; i++) {
            if (states[i] == FREE) {
                return i;
            }
            if (states[i] == INCOMPLETE || now - expires[i] >= 0) {
                return i;
            }
            if (best < 0 || expires[i] - expires[best] < 0) {
                best = i;
            }
        }
        return best;
    }

    /** Forgets every entry. */
    void clear() {
        java.util.Arrays.fill(states, FREE);
    }
}
