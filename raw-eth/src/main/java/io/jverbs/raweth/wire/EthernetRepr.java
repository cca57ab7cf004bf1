package io.jverbs.raweth.wire;

/**
 * A parsed Ethernet II header.
 *
 * @param destination destination MAC, low 48 bits
 * @param source source MAC, low 48 bits
 * @param etherType EtherType, 0..0xffff
 */
public record EthernetRepr(long destination, long source, int etherType) {
    /** @throws IllegalArgumentException if an address has more than 48 bits or the type more than 16 */
    public EthernetRepr {
        if ((destination >>> 48) != 0 || (source >>> 48) != 0 || (etherType & ~0xffff) != 0) {
            throw new IllegalArgumentException("MACs are 48 bits, the EtherType 16: " + MacAddress.toString(destination)
                    + " " + MacAddress.toString(source) + " 0x" + Integer.toHexString(etherType));
        }
    }

    /**
     * The header of a frame whose last {@code wrap} returned {@link WireStatus#OK}.
     *
     * @throws MalformedPacketException if it returned anything else
     */
    public static EthernetRepr parse(EthernetFrame frame) {
        frame.requireOk();
        return new EthernetRepr(frame.destination(), frame.source(), frame.etherType());
    }

    /** Writes the header into {@code frame} (its payload is the caller's). */
    public void emit(EthernetFrame frame) {
        frame.setDestination(destination).setSource(source).setEtherType(etherType);
    }

    /** The bytes {@link #emit} writes: the header only (the payload's extent is not in it). */
    public int bufferLength() {
        return EthernetFrame.HEADER_LENGTH;
    }

    @Override
    public String toString() {
        return "EthernetRepr[" + MacAddress.toString(source) + " > " + MacAddress.toString(destination)
                + ", type 0x" + Integer.toHexString(etherType) + "]";
    }
}
