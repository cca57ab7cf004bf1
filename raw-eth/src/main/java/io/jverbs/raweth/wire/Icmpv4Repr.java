package io.jverbs.raweth.wire;

/**
 * A parsed ICMPv4 message header: one record per message kind, so a stack switches on the type
 * with patterns. The data (echo payload, the invoking packet of an error) stays in the segment;
 * a repr carries its length only, and {@link #emit} checksums the data the view holds, so write
 * the data first.
 */
public sealed interface Icmpv4Repr {
    /** Bytes after the 8-byte header. */
    int dataLength();

    /** Header + data: the bytes {@link #emit} checksums. */
    default int bufferLength() {
        return Icmpv4Packet.HEADER_LENGTH + dataLength();
    }

    /**
     * Writes type, code and rest of header, then the checksum over the header and the
     * {@link #dataLength()} bytes after it.
     *
     * @throws IllegalArgumentException if the view is not exactly {@link #bufferLength()} long (the
     *         checksum covers the whole wrapped message)
     */
    default void emit(Icmpv4Packet icmp) {
        if (icmp.length() != bufferLength()) {
            throw new IllegalArgumentException("ICMPv4 message of " + bufferLength() + " bytes emitted into a view of "
                    + icmp.length() + ": wrap exactly the message");
        }
        icmp.setType(type()).setCode(code()).setRestOfHeader(restOfHeader()).fillChecksum();
    }

    int type();

    int code();

    /** The 32-bit rest of header as this kind lays it out. */
    int restOfHeader();

    /**
     * The message of a view whose last {@code wrap} returned {@link WireStatus#OK}; the checksum is
     * not checked here: see {@link Icmpv4Packet#checksumValid()}.
     *
     * @throws MalformedPacketException if the wrap returned anything else
     */
    static Icmpv4Repr parse(Icmpv4Packet icmp) {
        icmp.requireOk();
        int data = icmp.payloadLength();
        return switch (icmp.type()) {
            case Icmpv4Packet.TYPE_ECHO_REQUEST -> icmp.code() == 0
                    ? new EchoRequest(icmp.identifier(), icmp.sequence(), data) : other(icmp);
            case Icmpv4Packet.TYPE_ECHO_REPLY -> icmp.code() == 0
                    ? new EchoReply(icmp.identifier(), icmp.sequence(), data) : other(icmp);
            case Icmpv4Packet.TYPE_DESTINATION_UNREACHABLE -> icmp.identifier() == 0
                    ? new DestinationUnreachable(icmp.code(), icmp.nextHopMtu(), data) : other(icmp);
            case Icmpv4Packet.TYPE_TIME_EXCEEDED -> icmp.restOfHeader() == 0
                    ? new TimeExceeded(icmp.code(), data) : other(icmp);
            default -> other(icmp);
        };
    }

    private static Other other(Icmpv4Packet icmp) {
        return new Other(icmp.type(), icmp.code(), icmp.restOfHeader(), icmp.payloadLength());
    }

    private static void checkU16(String what, int value) {
        if ((value & ~0xffff) != 0) {
            throw new IllegalArgumentException(what + " is 16 bits: " + value);
        }
    }

    private static void checkU8(String what, int value) {
        if ((value & ~0xff) != 0) {
            throw new IllegalArgumentException(what + " is 8 bits: " + value);
        }
    }

    private static void checkEcho(int identifier, int sequence, int dataLength) {
        checkU16("identifier", identifier);
        checkU16("sequence", sequence);
        checkDataLength(dataLength);
    }

    private static void checkDataLength(int dataLength) {
        if (dataLength < 0 || dataLength > 0xffff - Icmpv4Packet.HEADER_LENGTH) {
            throw new IllegalArgumentException("ICMPv4 data length out of 0..65527: " + dataLength);
        }
    }

    /** What an echo request and reply share: code 0, identifier and sequence in the rest of header. */
    sealed interface Echo extends Icmpv4Repr {
        int identifier();

        int sequence();

        @Override
        default int code() {
            return 0;
        }

        @Override
        default int restOfHeader() {
            return identifier() << 16 | sequence();
        }
    }

    /**
     * Echo request (type 8, code 0): "ping".
     *
     * @param identifier 0..0xffff
     * @param sequence 0..0xffff
     * @param dataLength bytes of data to echo
     */
    record EchoRequest(int identifier, int sequence, int dataLength) implements Echo {
        /** @throws IllegalArgumentException if a field is out of its range */
        public EchoRequest {
            checkEcho(identifier, sequence, dataLength);
        }

        @Override
        public int type() {
            return Icmpv4Packet.TYPE_ECHO_REQUEST;
        }

        /** The reply (RFC 792: the data echoed, identifier and sequence the same). */
        public EchoReply reply() {
            return new EchoReply(identifier, sequence, dataLength);
        }
    }

    /**
     * Echo reply (type 0, code 0).
     *
     * @param identifier 0..0xffff
     * @param sequence 0..0xffff
     * @param dataLength bytes of echoed data
     */
    record EchoReply(int identifier, int sequence, int dataLength) implements Echo {
        /** @throws IllegalArgumentException if a field is out of its range */
        public EchoReply {
            checkEcho(identifier, sequence, dataLength);
        }

        @Override
        public int type() {
            return Icmpv4Packet.TYPE_ECHO_REPLY;
        }
    }

    /**
     * Destination unreachable (type 3); the data is the invoking packet's IPv4 header and at least
     * its first 8 payload bytes (RFC 792; RFC 1812 4.3.2.3 asks routers for as much as fits in 576).
     *
     * @param code {@link Icmpv4Packet#CODE_PORT_UNREACHABLE} and the rest, 0..255
     * @param nextHopMtu for code 4 (RFC 1191), else 0
     * @param dataLength bytes of the invoking packet
     */
    record DestinationUnreachable(int code, int nextHopMtu, int dataLength) implements Icmpv4Repr {
        /** @throws IllegalArgumentException if a field is out of its range */
        public DestinationUnreachable {
            checkU8("code", code);
            checkU16("next-hop MTU", nextHopMtu);
            checkDataLength(dataLength);
        }

        @Override
        public int type() {
            return Icmpv4Packet.TYPE_DESTINATION_UNREACHABLE;
        }

        @Override
        public int restOfHeader() {
            return nextHopMtu;
        }
    }

    /**
     * Time exceeded (type 11): code 0 TTL exceeded in transit, 1 fragment reassembly time exceeded.
     *
     * @param code 0..255
     * @param dataLength bytes of the invoking packet
     */
    record TimeExceeded(int code, int dataLength) implements Icmpv4Repr {
        /** @throws IllegalArgumentException if a field is out of its range */
        public TimeExceeded {
            checkU8("code", code);
            checkDataLength(dataLength);
        }

        @Override
        public int type() {
            return Icmpv4Packet.TYPE_TIME_EXCEEDED;
        }

        @Override
        public int restOfHeader() {
            return 0;
        }
    }

    /**
     * Any other message, or a known type whose code or unused field is not what this package
     * models, kept whole so that it re-emits to the same bytes.
     *
     * @param type 0..255
     * @param code 0..255
     * @param restOfHeader the raw 32 bits
     * @param dataLength bytes after the header
     */
    record Other(int type, int code, int restOfHeader, int dataLength) implements Icmpv4Repr {
        /** @throws IllegalArgumentException if a field is out of its range */
        public Other {
            checkU8("type", type);
            checkU8("code", code);
            checkDataLength(dataLength);
        }
    }
}
