package io.jverbs.raweth.wire;

/**
 * An ICMPv4 message (RFC 792): type, code, checksum, the 4-byte rest of header whose meaning the
 * type gives (identifier and sequence of an echo, next-hop MTU of "fragmentation needed"), then
 * data. ICMP has no length field: the message is what the IPv4 payload length says, so wrap it at
 * {@link Ipv4Packet#payloadOffset()} with {@link Ipv4Packet#payloadLength()}.
 */
public final class Icmpv4Packet extends HeaderView<Icmpv4Packet> {
    /** Type, code, checksum and the rest of header. */
    public static final int HEADER_LENGTH = 8;

    /** Message types (IANA "ICMP Type Numbers"). */
    public static final int TYPE_ECHO_REPLY = 0;
    public static final int TYPE_DESTINATION_UNREACHABLE = 3;
    public static final int TYPE_ECHO_REQUEST = 8;
    public static final int TYPE_TIME_EXCEEDED = 11;

    /** Destination unreachable codes (RFC 792, RFC 1191 for 4). */
    public static final int CODE_NET_UNREACHABLE = 0;
    public static final int CODE_HOST_UNREACHABLE = 1;
    public static final int CODE_PROTOCOL_UNREACHABLE = 2;
    public static final int CODE_PORT_UNREACHABLE = 3;
    public static final int CODE_FRAGMENTATION_NEEDED = 4;

    private static final int TYPE = 0;
    private static final int CODE = 1;
    private static final int CHECKSUM = 2;
    private static final int REST = 4;
    private static final int IDENTIFIER = 4;
    private static final int SEQUENCE = 6;
    private static final int NEXT_HOP_MTU = 6;

    @Override
    protected WireStatus check() {
        return length() < HEADER_LENGTH ? WireStatus.ICMPV4_TRUNCATED : WireStatus.OK;
    }

    public Icmpv4Packet() {
        super(HEADER_LENGTH);
    }

    public int type() {
        return u8(TYPE);
    }

    public int code() {
        return u8(CODE);
    }

    public int checksum() {
        return u16(CHECKSUM);
    }

    /** The rest of header as one 32-bit value. */
    public int restOfHeader() {
        return i32(REST);
    }

    /** Echo identifier (types 0 and 8). */
    public int identifier() {
        return u16(IDENTIFIER);
    }

    /** Echo sequence number (types 0 and 8). */
    public int sequence() {
        return u16(SEQUENCE);
    }

    /** Next-hop MTU of destination unreachable, fragmentation needed (RFC 1191 4). */
    public int nextHopMtu() {
        return u16(NEXT_HOP_MTU);
    }

    /** Whether the message, data included, sums to {@code 0xffff}. */
    public boolean checksumValid() {
        return sum(0, length()) == 0xffff;
    }

    /** Computes and writes the checksum over the whole wrapped message as it is now. */
    public Icmpv4Packet fillChecksum() {
        setU16(CHECKSUM, 0);
        setU16(CHECKSUM, Checksum.finish(sum(0, length())));
        return this;
    }

    public Icmpv4Packet setType(int type) {
        setU8(TYPE, type);
        return this;
    }

    public Icmpv4Packet setCode(int code) {
        setU8(CODE, code);
        return this;
    }

    public Icmpv4Packet setChecksum(int checksum) {
        setU16(CHECKSUM, checksum);
        return this;
    }

    public Icmpv4Packet setRestOfHeader(int rest) {
        setI32(REST, rest);
        return this;
    }
}
