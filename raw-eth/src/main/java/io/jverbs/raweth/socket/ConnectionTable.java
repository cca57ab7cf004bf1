package io.jverbs.raweth.socket;

import java.util.Arrays;

/**
 * TCP connections by (remote address, remote port, local port): open addressing with linear
 * probing and backward-shift deletion (no tombstones, so lookups stay short however many
 * connections came and went). The local address is left out of the key: an interface has one.
 * The hash is keyed by a secret so that a peer choosing addresses and ports cannot make its
 * connections collide. Lookups allocate nothing; the table doubles when half full (an
 * allocation per growth, not per segment), so size it for the expected connections up front.
 */
final class ConnectionTable {
    private static final long EMPTY = -1; // no real key: ports are 16 bits, so bits 48-63 of a key are 0

    private final long seed;
    private long[] keys;
    private TcpSocket[] sockets;
    private TcpListener[] owners;
    private long[] since;
    private int mask;
    private int size;

    ConnectionTable(int expected, long seed) {
        int capacity = Integer.highestOneBit(Math.max(16, expected) * 2 - 1) << 1;
        this.seed = seed | 1;
        allocate(capacity);
    }

    static long key(int remoteAddress, int remotePort, int localPort) {
        return (remoteAddress & 0xffffffffL) << 32 | (long) remotePort << 16 | localPort;
    }

    private int slot(long key) {
        long h = (key ^ seed) * 0x9e3779b97f4a7c15L;
        h ^= h >>> 29;
        h *= seed;
        return (int) (h ^ h >>> 32) & mask;
    }

    /** The slot holding {@code key}, or -1. */
    int find(long key) {
        for (int i = slot(key); ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) {
                return i;
            }
            if (k == EMPTY) {
                return -1;
            }
        }
    }

    /**
     * Adds {@code socket} under {@code key} (not present), owned by {@code owner} (a listener whose
     * SYN queue holds it since {@code now}, or null).
     */
    void put(long key, TcpSocket socket, TcpListener owner, long now) {
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        int i = slot(key);
        while (keys[i] != EMPTY) {
            if (keys[i] == key) {
                throw new IllegalStateException("a connection " + sockets[i] + " already uses this 4-tuple");
            }
            i = (i + 1) & mask;
        }
        keys[i] = key;
        sockets[i] = socket;
        owners[i] = owner;
        since[i] = now;
        size++;
    }

    /** Removes the entry in slot {@code i}, moving later entries of its probe run back. */
    void removeAt(int i) {
        size--;
        int hole = i;
        for (int j = (i + 1) & mask; keys[j] != EMPTY; j = (j + 1) & mask) {
            int home = slot(keys[j]);
            // j's entry may move to the hole if its home is not cyclically in (hole, j]
            if (((j - home) & mask) >= ((j - hole) & mask)) {
                keys[hole] = keys[j];
                sockets[hole] = sockets[j];
                owners[hole] = owners[j];
                since[hole] = since[j];
                hole = j;
            }
        }
        keys[hole] = EMPTY;
        sockets[hole] = null;
        owners[hole] = null;
    }

    int capacity() {
        return keys.length;
    }

    int size() {
        return size;
    }

    long keyAt(int i) {
        return keys[i];
    }

    TcpSocket socketAt(int i) {
        return sockets[i];
    }

    TcpListener ownerAt(int i) {
        return owners[i];
    }

    long sinceAt(int i) {
        return since[i];
    }

    void clearOwner(int i) {
        owners[i] = null;
    }

    private void allocate(int capacity) {
        keys = new long[capacity];
        Arrays.fill(keys, EMPTY);
        sockets = new TcpSocket[capacity];
        owners = new TcpListener[capacity];
        since = new long[capacity];
        mask = capacity - 1;
    }

    private void grow() {
        long[] k = keys;
        TcpSocket[] s = sockets;
        TcpListener[] o = owners;
        long[] t = since;
        allocate(k.length * 2);
        size = 0;
        for (int i = 0; i < k.length; i++) {
            if (k[i] != EMPTY) {
                put(k[i], s[i], o[i], t[i]);
            }
        }
    }
}
