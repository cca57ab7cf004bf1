package io.jverbs.raweth.wire;

/**
 * A parsed UDP header. The data stays in the segment; {@link #emit} checksums the data the view
 * holds, so write the data first.
 *
 * @param sourcePort 0..0xffff
 * @param destinationPort 0..0xffff
 * @param payloadLength bytes of data, so the length field is this + 8
 */
public record UdpRepr(int sourcePort, int destinationPort, int payloadLength) {
    /** @throws IllegalArgumentException if a field is out of its range */
    public UdpRepr {
        if ((sourcePort & ~0xffff) != 0 || (destinationPort & ~0xffff) != 0 || payloadLength < 0
                || payloadLength > 0xffff - UdpPacket.HEADER_LENGTH) {
            throw new IllegalArgumentException("UDP ports are 16 bits, data 0..65527 bytes: " + sourcePort + ", "
                    + destinationPort + ", " + payloadLength);
        }
    }

    /**
     * The header of a datagram whose last {@code wrap} returned {@link WireStatus#OK}; the checksum
     * is not checked here: see {@link UdpPacket#checksumValid(int, int)}.
     *
     * @throws MalformedPacketException if the wrap returned anything else
     */
    public static UdpRepr parse(UdpPacket udp) {
        udp.requireOk();
        return new UdpRepr(udp.sourcePort(), udp.destinationPort(), udp.payloadLength());
    }

    /**
     * Writes the header and the checksum over the pseudo-header of {@code sourceAddress} and
     * {@code destinationAddress}, the header and the data in the view.
     *
     * @throws IllegalArgumentException if the view is shorter than {@link #bufferLength()}
     */
    public void emit(UdpPacket udp, int sourceAddress, int destinationAddress) {
        if (udp.length() < bufferLength()) {
            throw new IllegalArgumentException("UDP datagram of " + bufferLength() + " bytes does not fit in "
                    + udp.length());
        }
        udp.setSourcePort(sourcePort).setDestinationPort(destinationPort).setDatagramLength(bufferLength())
                .fillChecksum(sourceAddress, destinationAddress);
    }

    /** Header + data: the length field, and the bytes {@link #emit} needs. */
    public int bufferLength() {
        return UdpPacket.HEADER_LENGTH + payloadLength;
    }
}
