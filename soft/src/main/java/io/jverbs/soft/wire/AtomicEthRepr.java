package io.jverbs.soft.wire;

/**
 * A parsed AtomicETH.
 *
 * @param virtualAddress the remote address (8-byte aligned for the responder to accept it)
 * @param rkey the remote key
 * @param swapOrAdd the swap value (CMP_SWAP) or the addend (FETCH_ADD)
 * @param compare the compare value (CMP_SWAP)
 */
public record AtomicEthRepr(long virtualAddress, int rkey, long swapOrAdd, long compare) {
    /**
     * The header of a view whose last {@code wrap} returned OK.
     *
     * @throws io.jverbs.raweth.wire.MalformedPacketException if it returned anything else
     */
    public static AtomicEthRepr parse(AtomicEth eth) {
        eth.requireOk();
        return new AtomicEthRepr(eth.virtualAddress(), eth.rkey(), eth.swapOrAdd(), eth.compare());
    }

    public void emit(AtomicEth eth) {
        eth.setVirtualAddress(virtualAddress).setRkey(rkey).setSwapOrAdd(swapOrAdd).setCompare(compare);
    }

    /** The bytes {@link #emit} writes. */
    public int bufferLength() {
        return AtomicEth.LENGTH;
    }
}
