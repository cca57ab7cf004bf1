package io.jverbs.raweth.wire;

/**
 * A UDP header (RFC 768): ports, length, checksum. {@link #wrap} checks the length field against
 * the wrapped bytes; the payload is length − 8 bytes, so wrap it at the IPv4 payload with the
 * IPv4 payload length. RoCEv2 rides on destination port {@link #ROCE_V2_PORT}: its base transport
 * header starts at {@link #payloadOffset()}.
 */
public final class UdpPacket extends HeaderView<UdpPacket> {
    public static final int HEADER_LENGTH = 8;
    /** RoCEv2's IANA port (InfiniBand Annex A17). */
    public static final int ROCE_V2_PORT = 4791;

    private static final int SOURCE_PORT = 0;
    private static final int DESTINATION_PORT = 2;
    private static final int LENGTH = 4;
    private static final int CHECKSUM = 6;

    @Override
    protected WireStatus check() {
        if (length() < HEADER_LENGTH) {
            return WireStatus.UDP_TRUNCATED;
        }
        int declared = datagramLength();
        if (declared < HEADER_LENGTH) {
            return WireStatus.UDP_BAD_LENGTH;
        }
        return declared > length() ? WireStatus.UDP_TRUNCATED : WireStatus.OK;
    }

    public UdpPacket() {
        super(HEADER_LENGTH);
    }

    /** The length field − 8. */
    @Override
    public int payloadLength() {
        return datagramLength() - HEADER_LENGTH;
    }

    public int sourcePort() {
        return u16(SOURCE_PORT);
    }

    public int destinationPort() {
        return u16(DESTINATION_PORT);
    }

    /** The length field: header and data. */
    public int datagramLength() {
        return u16(LENGTH);
    }

    /** The checksum field; 0 means the sender computed none (RFC 768). */
    public int checksum() {
        return u16(CHECKSUM);
    }

    /**
     * Whether the checksum verifies over the pseudo-header, header and data, or is 0 (none sent:
     * RFC 768, RFC 1122 4.1.3.4 lets a receiver accept it).
     */
    public boolean checksumValid(int sourceAddress, int destinationAddress) {
        if (checksum() == 0) {
            return true;
        }
        int len = datagramLength();
        return Checksum.add(Checksum.pseudoHeader(sourceAddress, destinationAddress, IpProtocol.UDP, len), sum(0, len))
                == 0xffff;
    }

    /**
     * Computes and writes the checksum over pseudo-header, header and the length field's bytes; a
     * computed 0 goes out as {@code 0xffff} (RFC 768: 0 means "none").
     */
    public UdpPacket fillChecksum(int sourceAddress, int destinationAddress) {
        setU16(CHECKSUM, 0);
        int len = datagramLength();
        int c = Checksum.finish(Checksum.add(Checksum.pseudoHeader(sourceAddress, destinationAddress, IpProtocol.UDP,
                len), sum(0, len)));
        setU16(CHECKSUM, c == 0 ? 0xffff : c);
        return this;
    }

    public UdpPacket setSourcePort(int port) {
        setU16(SOURCE_PORT, port);
        return this;
    }

    public UdpPacket setDestinationPort(int port) {
        setU16(DESTINATION_PORT, port);
        return this;
    }

    public UdpPacket setDatagramLength(int length) {
        setU16(LENGTH, length);
        return this;
    }

    public UdpPacket setChecksum(int checksum) {
        setU16(CHECKSUM, checksum);
        return this;
    }
}
