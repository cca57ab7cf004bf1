package io.jverbs.perftest;

/** The atomic operation of {@code atomic_bw}/{@code atomic_lat} ({@code -A}); perftest's default is fetch-and-add. */
public enum AtomicType {
    /** IBV_WR_ATOMIC_CMP_AND_SWP. */
    CMP_AND_SWAP,
    /** IBV_WR_ATOMIC_FETCH_AND_ADD. */
    FETCH_AND_ADD
}
