package io.jverbs.soft.wire;

/**
 * A parsed DETH; its reserved byte is emitted as 0.
 *
 * @param qkey the Q_Key
 * @param sourceQp 24 bits
 */
public record DethRepr(int qkey, int sourceQp) {
    /** @throws IllegalArgumentException if the source QP is beyond 24 bits */
    public DethRepr {
        if ((sourceQp & ~TransportHeader.MASK_24) != 0) {
            throw new IllegalArgumentException("DETH source QP is 24 bits: " + sourceQp);
        }
    }

    /**
     * The header of a view whose last {@code wrap} returned OK.
     *
     * @throws io.jverbs.raweth.wire.MalformedPacketException if it returned anything else
     */
    public static DethRepr parse(Deth deth) {
        deth.requireOk();
        return new DethRepr(deth.qkey(), deth.sourceQp());
    }

    public void emit(Deth deth) {
        deth.setQkey(qkey).setReserved(0).setSourceQp(sourceQp);
    }

    /** The bytes {@link #emit} writes. */
    public int bufferLength() {
        return Deth.LENGTH;
    }
}
