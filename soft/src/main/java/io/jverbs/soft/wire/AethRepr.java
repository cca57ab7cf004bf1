package io.jverbs.soft.wire;

/**
 * A parsed AETH; {@link Aeth} decodes the syndrome ({@link Aeth#type()}, credits, RNR timer, NAK code).
 *
 * @param syndrome 0..255
 * @param msn 24 bits
 */
public record AethRepr(int syndrome, int msn) {
    /** rxe's ACK: syndrome 0x1F (credit count 31, no flow control). */
    public static AethRepr ack(int msn) {
        return new AethRepr(Aeth.TYPE_ACK << 5 | Aeth.CREDITS_INVALID, msn);
    }

    /** @throws IllegalArgumentException if a field is out of its range */
    public AethRepr {
        if ((syndrome & ~0xff) != 0 || (msn & ~TransportHeader.MASK_24) != 0) {
            throw new IllegalArgumentException("AETH: syndrome 8 bits, MSN 24: " + syndrome + ", " + msn);
        }
    }

    /**
     * The header of a view whose last {@code wrap} returned OK.
     *
     * @throws io.jverbs.raweth.wire.MalformedPacketException if it returned anything else
     */
    public static AethRepr parse(Aeth aeth) {
        aeth.requireOk();
        return new AethRepr(aeth.syndrome(), aeth.msn());
    }

    public void emit(Aeth aeth) {
        aeth.setSyndrome(syndrome).setMsn(msn);
    }

    /** The bytes {@link #emit} writes. */
    public int bufferLength() {
        return Aeth.LENGTH;
    }
}
