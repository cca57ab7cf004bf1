package io.jverbs.soft.wire;

/**
 * The atomic extended transport header (IBTA 9.3.4), 28 bytes on CMP_SWAP and FETCH_ADD:
 * virtual address, R_Key, the swap (or add) data and the compare data.
 */
public final class AtomicEth extends TransportHeader<AtomicEth> {
    public static final int LENGTH = 28;

    private static final int VA = 0;
    private static final int RKEY = 8;
    private static final int SWAP_ADD = 12;
    private static final int COMPARE = 20;

    public AtomicEth() {
        super(LENGTH);
    }

    public long virtualAddress() {
        return i64(VA);
    }

    public int rkey() {
        return i32(RKEY);
    }

    /** The value to swap in (CMP_SWAP) or to add (FETCH_ADD). */
    public long swapOrAdd() {
        return i64(SWAP_ADD);
    }

    /** The value to compare with (CMP_SWAP; FETCH_ADD ignores it). */
    public long compare() {
        return i64(COMPARE);
    }

    public AtomicEth setVirtualAddress(long va) {
        setI64(VA, va);
        return this;
    }

    public AtomicEth setRkey(int rkey) {
        setI32(RKEY, rkey);
        return this;
    }

    public AtomicEth setSwapOrAdd(long value) {
        setI64(SWAP_ADD, value);
        return this;
    }

    public AtomicEth setCompare(long value) {
        setI64(COMPARE, value);
        return this;
    }
}
