package io.jverbs.raweth.wire;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A parsed IPv4 header. Options are kept as their raw bytes (padding included, a multiple of 4,
 * at most 40): a host stack has no use for them beyond passing them on, and keeping them makes
 * {@code parse(emit(r))} equal {@code r}. Fragments parse like any packet; reassembly is the
 * stack's.
 *
 * @param source source address
 * @param destination destination address
 * @param protocol {@link IpProtocol} number, 0..255
 * @param payloadLength bytes after the header, so total length = header length + this
 * @param ttl time to live, 0..255
 * @param dscp differentiated services code point, 0..63
 * @param ecn explicit congestion notification, 0..3
 * @param identification 0..0xffff
 * @param dontFragment DF
 * @param moreFragments MF
 * @param fragmentOffset in bytes, a multiple of 8, 0..65528
 * @param options raw option bytes, a multiple of 4, at most 40 (empty: none)
 */
public record Ipv4Repr(int source, int destination, int protocol, int payloadLength, int ttl, int dscp, int ecn,
                       int identification, boolean dontFragment, boolean moreFragments, int fragmentOffset,
                       byte[] options) {
    private static final byte[] NO_OPTIONS = new byte[0];

    /** @throws IllegalArgumentException if a field is out of its range */
    public Ipv4Repr {
        if ((protocol & ~0xff) != 0 || (ttl & ~0xff) != 0 || (dscp & ~0x3f) != 0 || (ecn & ~3) != 0
                || (identification & ~0xffff) != 0 || (fragmentOffset & ~0xfff8) != 0) {
            throw new IllegalArgumentException("IPv4 field out of range: " + fieldsToString(protocol, ttl, dscp, ecn,
                    identification, fragmentOffset));
        }
        if (options.length > Ipv4Packet.MAX_HEADER_LENGTH - Ipv4Packet.MIN_HEADER_LENGTH || (options.length & 3) != 0) {
            throw new IllegalArgumentException("IPv4 options are a multiple of 4 bytes, at most 40: " + options.length);
        }
        if (payloadLength < 0 || payloadLength > 0xffff - Ipv4Packet.MIN_HEADER_LENGTH - options.length) {
            throw new IllegalArgumentException("IPv4 total length exceeds 65535: payload " + payloadLength
                    + " after a header of " + (Ipv4Packet.MIN_HEADER_LENGTH + options.length));
        }
        options = options.length == 0 ? NO_OPTIONS : options.clone();
    }

    /**
     * A header as a host sends it: no options, DF set (RFC 1191 path MTU discovery), identification
     * 0 (RFC 6864 4.1: atomic datagrams need none), DSCP and ECN 0.
     */
    public Ipv4Repr(int source, int destination, int protocol, int payloadLength, int ttl) {
        this(source, destination, protocol, payloadLength, ttl, 0, 0, 0, true, false, 0, NO_OPTIONS);
    }

    /**
     * The header of a packet whose last {@code wrap} returned {@link WireStatus#OK}; the checksum is
     * not checked here: see {@link Ipv4Packet#checksumValid()}.
     *
     * @throws MalformedPacketException if the wrap returned anything else
     */
    public static Ipv4Repr parse(Ipv4Packet ip) {
        ip.requireOk();
        int optionsLength = ip.optionsLength();
        byte[] options = NO_OPTIONS;
        if (optionsLength != 0) {
            options = ip.segment().asSlice(ip.optionsOffset(), optionsLength).toArray(ValueLayout.JAVA_BYTE);
        }
        return new Ipv4Repr(ip.source(), ip.destination(), ip.protocol(), ip.payloadLength(), ip.ttl(), ip.dscp(),
                ip.ecn(), ip.identification(), ip.dontFragment(), ip.moreFragments(), ip.fragmentOffset(), options);
    }

    /**
     * Writes the header, options and checksum into {@code ip}; the payload is the caller's.
     *
     * @throws IllegalArgumentException if the view is shorter than {@link #bufferLength()}
     */
    public void emit(Ipv4Packet ip) {
        if (ip.length() < bufferLength()) {
            throw new IllegalArgumentException("IPv4 packet of " + bufferLength() + " bytes does not fit in "
                    + ip.length());
        }
        ip.setHeaderLength(headerLength()).setDscpEcn(dscp, ecn).setTotalLength(bufferLength())
                .setIdentification(identification).setFragmentation(dontFragment, moreFragments, fragmentOffset)
                .setTtl(ttl).setProtocol(protocol).setSource(source).setDestination(destination);
        if (options.length != 0) {
            MemorySegment.copy(options, 0, ip.segment(), ValueLayout.JAVA_BYTE,
                    ip.optionsOffset(), options.length);
        }
        ip.fillChecksum();
    }

    /** 20 + options. */
    public int headerLength() {
        return Ipv4Packet.MIN_HEADER_LENGTH + options.length;
    }

    /** The total length: header, options and payload, the bytes {@link #emit} needs. */
    public int bufferLength() {
        return headerLength() + payloadLength;
    }

    /** A copy of the raw option bytes. */
    @Override
    public byte[] options() {
        return options.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Ipv4Repr r && source == r.source && destination == r.destination && protocol == r.protocol
                && payloadLength == r.payloadLength && ttl == r.ttl && dscp == r.dscp && ecn == r.ecn
                && identification == r.identification && dontFragment == r.dontFragment
                && moreFragments == r.moreFragments && fragmentOffset == r.fragmentOffset
                && Arrays.equals(options, r.options);
    }

    @Override
    public int hashCode() {
        int h = source;
        h = 31 * h + destination;
        h = 31 * h + protocol;
        h = 31 * h + payloadLength;
        h = 31 * h + identification;
        h = 31 * h + fragmentOffset;
        return 31 * h + Arrays.hashCode(options);
    }

    @Override
    public String toString() {
        return "Ipv4Repr[" + Ipv4Address.toString(source) + " > " + Ipv4Address.toString(destination) + ", "
                + fieldsToString(protocol, ttl, dscp, ecn, identification, fragmentOffset) + ", payload " + payloadLength
                + (dontFragment ? ", DF" : "") + (moreFragments ? ", MF" : "")
                + (options.length == 0 ? "" : ", options " + HexFormat.of().formatHex(options)) + "]";
    }

    private static String fieldsToString(int protocol, int ttl, int dscp, int ecn, int identification, int fragmentOffset) {
        return "protocol " + protocol + ", ttl " + ttl + ", dscp " + dscp + ", ecn " + ecn + ", id " + identification
                + ", fragment offset " + fragmentOffset;
    }
}
