package io.jverbs.soft.wire;

/**
 * A parsed RETH.
 *
 * @param virtualAddress the remote address
 * @param rkey the remote key
 * @param dmaLength the whole operation's length, 0..2^32-1
 */
public record RethRepr(long virtualAddress, int rkey, long dmaLength) {
    /** @throws IllegalArgumentException if the length is not 32 bits unsigned */
    public RethRepr {
        if ((dmaLength & ~0xffff_ffffL) != 0) {
            throw new IllegalArgumentException("DMA length is 32 bits unsigned: " + dmaLength);
        }
    }

    /**
     * The header of a view whose last {@code wrap} returned OK.
     *
     * @throws io.jverbs.raweth.wire.MalformedPacketException if it returned anything else
     */
    public static RethRepr parse(Reth reth) {
        reth.requireOk();
        return new RethRepr(reth.virtualAddress(), reth.rkey(), reth.dmaLength());
    }

    public void emit(Reth reth) {
        reth.setVirtualAddress(virtualAddress).setRkey(rkey).setDmaLength(dmaLength);
    }

    /** The bytes {@link #emit} writes. */
    public int bufferLength() {
        return Reth.LENGTH;
    }
}
