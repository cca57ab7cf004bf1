package io.jverbs.raweth.socket;

import static io.jverbs.raweth.socket.TcpSocket.le;
import static io.jverbs.raweth.socket.TcpSocket.lt;

/**
 * A bounded, sorted set of disjoint half-open intervals {@code [left, right)} in sequence space
 * (compared modulo 2^32, so all of them must lie within 2^31 of each other), each with a stamp of
 * when it last grew. Preallocated arrays: adding, merging and dropping allocate nothing. The
 * receive side's {@link Reassembly} and the send side's {@link Scoreboard} are built on it. The
 * octets covered are counted as intervals change, so {@link #covered()} is a field read (the
 * scoreboard asks on every ACK).
 */
final class SeqIntervals {
    private final int[] left;
    private final int[] right;
    private final long[] stamp;
    private int count;
    private int covered;

    SeqIntervals(int capacity) {
        left = new int[capacity];
        right = new int[capacity];
        stamp = new long[capacity];
    }

    int size() {
        return count;
    }

    int capacity() {
        return left.length;
    }

    int left(int i) {
        return left[i];
    }

    int right(int i) {
        return right[i];
    }

    long stamp(int i) {
        return stamp[i];
    }

    /** The octets all intervals cover together (they are disjoint). */
    int covered() {
        return covered;
    }

    void clear() {
        count = 0;
        covered = 0;
    }

    /** Whether {@code [seq, end)} overlaps or abuts an interval (so adding it needs no new entry). */
    boolean touches(int seq, int end) {
        for (int i = 0; i < count; i++) {
            if (le(seq, right[i]) && le(left[i], end)) {
                return true;
            }
        }
        return false;
    }

    /** The index of the interval holding {@code seq}, or -1. */
    int find(int seq) {
        for (int i = 0; i < count; i++) {
            if (le(left[i], seq) && lt(seq, right[i])) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Adds {@code [seq, end)}, merging it with the intervals it overlaps or abuts; the result gets
     * {@code now} as its stamp. Returns false (and changes nothing) when it needs a new entry and
     * the set is full.
     */
    boolean add(int seq, int end, long now) {
        int i = 0;
        while (i < count && lt(right[i], seq)) {
            i++;
        }
        if (i < count && le(left[i], end)) {
            int l = lt(seq, left[i]) ? seq : left[i];
            int r = lt(right[i], end) ? end : right[i];
            int j = i + 1;
            while (j < count && le(left[j], r)) {
                if (lt(r, right[j])) r = right[j];
                j++;
            }
            covered += (r - l) - (right[i] - left[i]); // what the merged ones held, remove() takes off
            left[i] = l;
            right[i] = r;
            stamp[i] = now;
            remove(i + 1, j);
            return true;
        }
        if (count == left.length) {
            return false;
        }
        System.arraycopy(left, i, left, i + 1, count - i);
        System.arraycopy(right, i, right, i + 1, count - i);
        System.arraycopy(stamp, i, stamp, i + 1, count - i);
        left[i] = seq;
        right[i] = end;
        stamp[i] = now;
        count++;
        covered += end - seq;
        return true;
    }

    /**
     * Removes the intervals that start at or below {@code point} and returns the highest of
     * {@code point} and their right edges: where data contiguous with {@code point} ends.
     */
    int advance(int point) {
        int n = 0;
        while (n < count && le(left[n], point)) {
            if (lt(point, right[n])) point = right[n];
            n++;
        }
        remove(0, n);
        return point;
    }

    /** Forgets everything below {@code seq}: intervals ending at or below it go, one straddling it is cut. */
    void dropBelow(int seq) {
        int n = 0;
        while (n < count && le(right[n], seq)) {
            n++;
        }
        remove(0, n);
        if (count > 0 && lt(left[0], seq)) {
            covered -= seq - left[0];
            left[0] = seq;
        }
    }

    /** Removes the highest interval. */
    void removeLast() {
        count--;
        covered -= right[count] - left[count];
    }

    private void remove(int from, int to) {
        int gone = to - from;
        if (gone > 0) {
            for (int k = from; k < to; k++) {
                covered -= right[k] - left[k];
            }
            System.arraycopy(left, to, left, from, count - to);
            System.arraycopy(right, to, right, from, count - to);
            System.arraycopy(stamp, to, stamp, from, count - to);
            count -= gone;
        }
    }
}
