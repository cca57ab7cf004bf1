package io.jverbs.soft.wire;

/**
 * What {@link RocePacket}'s {@code wrap} found: {@link #OK} or the one reason the bytes are not
 * a RoCEv2 packet it accepts. A receiver drops the packet and counts it in a {@code long[]} indexed
 * by {@link #ordinal()}, as rxe counts its drops; nothing is thrown or allocated.
 */
public enum RoceStatus {
    OK("ok"),
    /** Ethernet header missing, or an EtherType other than IPv4 (VLAN tags are not unwrapped). */
    NOT_IPV4("not an untagged Ethernet II frame carrying IPv4"),
    /** The IPv4 view's wrap failed: {@link RocePacket#ipv4()}{@code .status()} says why. */
    IPV4_MALFORMED("malformed IPv4 header"),
    /** The IPv4 header checksum does not verify. */
    IPV4_BAD_CHECKSUM("IPv4 header checksum does not verify"),
    /** Not UDP, or a fragment (RoCEv2 is sent with DF and never reassembled). */
    NOT_UDP("not an unfragmented UDP datagram"),
    /** The UDP view's wrap failed: {@link RocePacket#udp()}{@code .status()} says why. */
    UDP_MALFORMED("malformed UDP header"),
    /** UDP destination port other than 4791. */
    NOT_ROCE_PORT("UDP destination port is not 4791"),
    /** Shorter than the BTH and ICRC, or than the headers its opcode carries and the ICRC. */
    TRUNCATED("shorter than the BTH, the opcode's extension headers and the ICRC"),
    /** An opcode RC, UC and UD do not define ({@link Opcode#of} is null). */
    BAD_OPCODE("opcode is not an RC, UC or UD opcode"),
    /** BTH transport version other than 0. */
    BAD_TRANSPORT_VERSION("BTH transport version is not 0"),
    /** PadCnt larger than the payload, or non-zero on a packet that does not end a message. */
    BAD_PAD("PadCnt beyond the payload, or on a FIRST or MIDDLE packet"),
    /**
     * A length the opcode does not allow: payload on an opcode without one, payload and pad not a
     * multiple of 4, or an ATOMIC WRITE payload other than 8 bytes.
     */
    BAD_LENGTH("payload length not allowed for the opcode"),
    /** The ICRC does not match (checked only where the IPv4 header is present). */
    BAD_ICRC("ICRC does not match");

    private final String description;

    RoceStatus(String description) {
        this.description = description;
    }

    public boolean isOk() {
        return this == OK;
    }

    /** One line for a log or a counter dump. */
    public String description() {
        return description;
    }
}
