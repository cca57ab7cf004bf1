package io.jverbs.soft.wire;

/**
 * The RDMA extended transport header (IBTA 9.3.3): virtual address, R_Key and DMA length, on
 * RDMA WRITE FIRST/ONLY, RDMA READ requests (and FLUSH, ATOMIC WRITE). The length is the whole
 * operation's, not this packet's.
 */
public final class Reth extends TransportHeader<Reth> {
    public static final int LENGTH = 16;

    private static final int VA = 0;
    private static final int RKEY = 8;
    private static final int DMA_LENGTH = 12;

    public Reth() {
        super(LENGTH);
    }

    public long virtualAddress() {
        return i64(VA);
    }

    public int rkey() {
        return i32(RKEY);
    }

    /** The DMA length, unsigned 32 bits. */
    public long dmaLength() {
        return i32(DMA_LENGTH) & 0xffff_ffffL;
    }

    public Reth setVirtualAddress(long va) {
        setI64(VA, va);
        return this;
    }

    public Reth setRkey(int rkey) {
        setI32(RKEY, rkey);
        return this;
    }

    /** @param length 0..2^32-1 */
    public Reth setDmaLength(long length) {
        if ((length & ~0xffff_ffffL) != 0) {
            throw new IllegalArgumentException("DMA length is 32 bits unsigned: " + length);
        }
        setI32(DMA_LENGTH, (int) length);
        return this;
    }
}
