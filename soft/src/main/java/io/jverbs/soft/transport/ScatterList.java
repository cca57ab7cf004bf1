package io.jverbs.soft.transport;

/**
 * The scatter/gather list of a work request ({@code ibv_sge[]}): addresses, lengths and lkeys in
 * parallel arrays sized once for the QP's max SGE, reused with the request's slot.
 */
public final class ScatterList {
    /** {@code ibv_sge.addr}. */
    public final long[] address;
    /** {@code ibv_sge.length} (unsigned). */
    public final int[] length;
    /** {@code ibv_sge.lkey}. */
    public final int[] lkey;
    /** How many entries are used ({@code num_sge}). */
    public int count;

    ScatterList(int maxSge) {
        address = new long[maxSge];
        length = new int[maxSge];
        lkey = new int[maxSge];
    }

    /** Sets entry {@code i}, growing {@link #count} to cover it. */
    public void set(int i, long addr, int len, int key) {
        address[i] = addr;
        length[i] = len;
        lkey[i] = key;
        if (i >= count) {
            count = i + 1;
        }
    }

    /** The bytes the list covers. */
    public long totalLength() {
        long n = 0;
        for (int i = 0; i < count; i++) {
            n += length[i] & 0xFFFFFFFFL;
        }
        return n;
    }
}
