package io.jverbs.raweth.wire;

/**
 * An IPv4 header (RFC 791 3.1) with its options, over the bytes of the packet. {@link #wrap}
 * checks version, IHL, total length against the wrapped bytes and the options' framing; the
 * header checksum is checked apart ({@link #checksumValid()}) because a NIC may have done it.
 * The payload is {@link #payloadLength()} = total length − header length bytes: anything after
 * the total length (an Ethernet pad) is not part of the packet.
 */
public final class Ipv4Packet extends HeaderView<Ipv4Packet> {
    /** The header without options. */
    public static final int MIN_HEADER_LENGTH = 20;
    /** IHL 15. */
    public static final int MAX_HEADER_LENGTH = 60;

    private static final int VERSION_IHL = 0;
    private static final int DSCP_ECN = 1;
    private static final int TOTAL_LENGTH = 2;
    private static final int IDENTIFICATION = 4;
    private static final int FLAGS_FRAGMENT = 6;
    private static final int TTL = 8;
    private static final int PROTOCOL = 9;
    private static final int CHECKSUM = 10;
    private static final int SOURCE = 12;
    private static final int DESTINATION = 16;

    private static final int DONT_FRAGMENT = 0x4000;
    private static final int MORE_FRAGMENTS = 0x2000;
    private static final int FRAGMENT_OFFSET_MASK = 0x1fff;

    @Override
    protected WireStatus check() {
        int len = length();
        if (len < MIN_HEADER_LENGTH) {
            return WireStatus.IPV4_TRUNCATED;
        }
        if (version() != 4) {
            return WireStatus.IPV4_BAD_VERSION;
        }
        int hl = headerLength();
        if (hl < MIN_HEADER_LENGTH) {
            return WireStatus.IPV4_BAD_HEADER_LENGTH;
        }
        if (len < hl) {
            return WireStatus.IPV4_TRUNCATED;
        }
        int total = totalLength();
        if (total < hl) {
            return WireStatus.IPV4_BAD_TOTAL_LENGTH;
        }
        if (len < total) {
            return WireStatus.IPV4_TRUNCATED;
        }
        return optionsWellFramed(MIN_HEADER_LENGTH, hl) ? WireStatus.OK : WireStatus.IPV4_BAD_OPTION;
    }

    public Ipv4Packet() {
        super(MIN_HEADER_LENGTH);
    }

    public int version() {
        return u8(VERSION_IHL) >>> 4;
    }

    /** IHL × 4: 20 to 60 bytes. */
    @Override
    public int headerLength() {
        return (u8(VERSION_IHL) & 0xf) << 2;
    }

    /** Total length − header length: the payload without any pad after the packet. */
    @Override
    public int payloadLength() {
        return totalLength() - headerLength();
    }

    /** Differentiated services code point, 0..63. */
    public int dscp() {
        return u8(DSCP_ECN) >>> 2;
    }

    /** Explicit congestion notification, 0..3 (RFC 3168). */
    public int ecn() {
        return u8(DSCP_ECN) & 3;
    }

    public int totalLength() {
        return u16(TOTAL_LENGTH);
    }

    public int identification() {
        return u16(IDENTIFICATION);
    }

    /** DF. */
    public boolean dontFragment() {
        return (u16(FLAGS_FRAGMENT) & DONT_FRAGMENT) != 0;
    }

    /** MF. */
    public boolean moreFragments() {
        return (u16(FLAGS_FRAGMENT) & MORE_FRAGMENTS) != 0;
    }

    /** The fragment offset in bytes (the field × 8), 0..65528. */
    public int fragmentOffset() {
        return (u16(FLAGS_FRAGMENT) & FRAGMENT_OFFSET_MASK) << 3;
    }

    /** Whether this is a fragment of a larger datagram: MF set or a non-zero offset. */
    public boolean isFragment() {
        return (u16(FLAGS_FRAGMENT) & (MORE_FRAGMENTS | FRAGMENT_OFFSET_MASK)) != 0;
    }

    public int ttl() {
        return u8(TTL);
    }

    /** {@link IpProtocol} number. */
    public int protocol() {
        return u8(PROTOCOL);
    }

    public int checksum() {
        return u16(CHECKSUM);
    }

    /** The source address, first octet in the high byte ({@link Ipv4Address#value()} form). */
    public int source() {
        return i32(SOURCE);
    }

    public int destination() {
        return i32(DESTINATION);
    }

    /** Where the options start in {@link #segment()}. */
    public long optionsOffset() {
        return offset() + MIN_HEADER_LENGTH;
    }

    /** Header length − 20, padding included. */
    public int optionsLength() {
        return headerLength() - MIN_HEADER_LENGTH;
    }

    /** Whether the header, options included, sums to {@code 0xffff} (RFC 791 3.1 "Header Checksum"). */
    public boolean checksumValid() {
        return sum(0, headerLength()) == 0xffff;
    }

    /** Computes and writes the header checksum over the header as it is now. */
    public Ipv4Packet fillChecksum() {
        setU16(CHECKSUM, 0);
        setU16(CHECKSUM, Checksum.finish(sum(0, headerLength())));
        return this;
    }

    /** Writes version 4 and the header length (a multiple of 4, 20..60). */
    public Ipv4Packet setHeaderLength(int headerLength) {
        if (headerLength < MIN_HEADER_LENGTH || headerLength > MAX_HEADER_LENGTH || (headerLength & 3) != 0) {
            throw new IllegalArgumentException("IPv4 header length is a multiple of 4 in 20..60: " + headerLength);
        }
        setU8(VERSION_IHL, 0x40 | headerLength >>> 2);
        return this;
    }

    public Ipv4Packet setDscpEcn(int dscp, int ecn) {
        setU8(DSCP_ECN, dscp << 2 | (ecn & 3));
        return this;
    }

    public Ipv4Packet setTotalLength(int totalLength) {
        setU16(TOTAL_LENGTH, totalLength);
        return this;
    }

    public Ipv4Packet setIdentification(int identification) {
        setU16(IDENTIFICATION, identification);
        return this;
    }

    /**
     * Writes DF, MF and the fragment offset in bytes (a multiple of 8).
     */
    public Ipv4Packet setFragmentation(boolean dontFragment, boolean moreFragments, int fragmentOffset) {
        setU16(FLAGS_FRAGMENT, (dontFragment ? DONT_FRAGMENT : 0) | (moreFragments ? MORE_FRAGMENTS : 0)
                | (fragmentOffset >>> 3 & FRAGMENT_OFFSET_MASK));
        return this;
    }

    public Ipv4Packet setTtl(int ttl) {
        setU8(TTL, ttl);
        return this;
    }

    public Ipv4Packet setProtocol(int protocol) {
        setU8(PROTOCOL, protocol);
        return this;
    }

    public Ipv4Packet setChecksum(int checksum) {
        setU16(CHECKSUM, checksum);
        return this;
    }

    public Ipv4Packet setSource(int address) {
        setI32(SOURCE, address);
        return this;
    }

    public Ipv4Packet setDestination(int address) {
        setI32(DESTINATION, address);
        return this;
    }

    /**
     * Decrements the TTL and patches the checksum incrementally (RFC 1624), as a router does.
     *
     * @return the new TTL
     * @throws IllegalStateException if the TTL is already 0 (the packet is the caller's to drop)
     */
    public int decrementTtl() {
        if (ttl() == 0) {
            throw new IllegalStateException("TTL is 0: drop the packet (RFC 1812 5.3.1), do not forward it");
        }
        int before = u16(TTL);
        int ttl = u8(TTL) - 1;
        setU8(TTL, ttl);
        setU16(CHECKSUM, Checksum.update(checksum(), before, u16(TTL)));
        return ttl;
    }
}
