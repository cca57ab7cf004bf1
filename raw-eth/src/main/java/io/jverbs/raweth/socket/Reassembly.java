package io.jverbs.raweth.socket;

import static io.jverbs.raweth.socket.TcpSocket.lt;

/**
 * The out-of-order data a {@link TcpSocket} holds beyond RCV.NXT: a bounded set of disjoint
 * sequence intervals whose bytes already sit in the receive ring's free space, at their place
 * after the tail, so filling the hole only commits them (no copy, nothing allocated). It also
 * remembers a FIN that arrived beyond a hole, and produces the SACK blocks (RFC 2018 4) in the
 * order the RFC asks: the block holding the most recently received segment first, then the other
 * most recently changed ones.
 *
 * <p>Bounded in entries ({@code capacity}); in bytes by the ring, since the caller writes only
 * into its free space. When the set is full, a segment below the highest interval evicts that
 * interval (the receiver may renege on SACKed data, RFC 2018 8; the lowest data is what unblocks
 * the reader), and a segment above it is dropped.
 */
final class Reassembly {
    private final SeqIntervals set;
    private long clock;
    private boolean finValid;
    private int finSeq;
    private long evicted;

    Reassembly(int capacity) {
        set = new SeqIntervals(capacity);
    }

    /** Intervals held. */
    int size() {
        return set.size();
    }

    /** Whether nothing is held beyond RCV.NXT, FIN included. */
    boolean isEmpty() {
        return set.size() == 0 && !finValid;
    }

    /** Intervals evicted or segments dropped because the set was full. */
    long evicted() {
        return evicted;
    }

    int left(int i) {
        return set.left(i);
    }

    int right(int i) {
        return set.right(i);
    }

    /**
     * Whether {@code [seq, seq + len)}, {@code len > 0}, beyond RCV.NXT can be kept: true when it
     * joins or fits the set (evicting the highest interval if it must).
     */
    boolean admit(int seq, int len) {
        int n = set.size();
        if (n < set.capacity() || set.touches(seq, seq + len)) {
            return true;
        }
        evicted++;
        if (lt(seq, set.left(n - 1))) {
            set.removeLast();
            return true;
        }
        return false;
    }

    /** Records {@code [seq, seq + len)} after {@link #admit} said yes. */
    void add(int seq, int len) {
        set.add(seq, seq + len, ++clock);
    }

    /**
     * RCV.NXT reached {@code rcvNxt}: drops the intervals it covers and returns the RCV.NXT after
     * the data now contiguous with it (its bytes are in the ring, to be committed).
     */
    int advance(int rcvNxt) {
        return set.advance(rcvNxt);
    }

    /** Remembers a FIN at {@code seq}, beyond a hole. */
    void fin(int seq) {
        finValid = true;
        finSeq = seq;
    }

    /** Whether a FIN was remembered at exactly {@code rcvNxt}; forgets it if so. */
    boolean takeFin(int rcvNxt) {
        if (finValid && finSeq == rcvNxt) {
            finValid = false;
            return true;
        }
        return false;
    }

    /**
     * Writes up to {@code max} SACK blocks into {@code out} as (left, right) pairs, most recently
     * changed first (RFC 2018 4); returns how many.
     */
    int sackBlocks(int[] out, int max) {
        int n = 0;
        long below = Long.MAX_VALUE;
        while (n < max) {
            int best = -1;
            for (int i = 0; i < set.size(); i++) {
                long s = set.stamp(i);
                if (s < below && (best < 0 || s > set.stamp(best))) {
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            out[2 * n] = set.left(best);
            out[2 * n + 1] = set.right(best);
            below = set.stamp(best);
            n++;
        }
        return n;
    }

    void clear() {
        set.clear();
        finValid = false;
    }
}
