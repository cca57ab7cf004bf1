package io.jverbs.raweth.wire;

/**
 * What a view's {@code wrap} found: {@link #OK}, or the one reason the bytes are not a well-formed
 * header of that protocol. One constant per protocol and reason, so a packet stack counts its drops
 * in a {@code long[]} indexed by {@link #ordinal()} without allocating or throwing; the names follow
 * the kernel's SNMP counters where one exists (InHdrErrors, InCsumErrors, InTruncatedPkts).
 *
 * <p>Checksum constants are never returned by {@code wrap} (which checks structure only): they are
 * for the stack's own count after a view's {@code checksumValid} returned false.
 */
public enum WireStatus {
    /** Well formed: every accessor of the view reads inside the wrapped bytes. */
    OK("ok"),

    /** Fewer than 14 bytes. */
    ETHERNET_TRUNCATED("Ethernet frame shorter than its 14-byte header"),

    /** Fewer than the 4 bytes of an 802.1Q tag. */
    VLAN_TRUNCATED("802.1Q tag shorter than 4 bytes"),

    /** Fewer than the 8-byte fixed ARP header, or fewer than its addresses need. */
    ARP_TRUNCATED("ARP packet shorter than its header and addresses"),
    /** Hardware or protocol type other than Ethernet (6-byte) and IPv4 (4-byte). */
    ARP_UNSUPPORTED("ARP packet not for Ethernet and IPv4"),

    /** Fewer than 20 bytes, fewer than the header length, or fewer than the total length. */
    IPV4_TRUNCATED("IPv4 packet shorter than its header or its total length"),
    /** Version field other than 4. */
    IPV4_BAD_VERSION("IPv4 version field is not 4"),
    /** IHL below 5 (20 bytes). */
    IPV4_BAD_HEADER_LENGTH("IPv4 header length below 20 bytes"),
    /** Total length below the header length. */
    IPV4_BAD_TOTAL_LENGTH("IPv4 total length below its header length"),
    /** An option whose length is below 2 or runs past the header. */
    IPV4_BAD_OPTION("IPv4 option length below 2 or past the header"),
    /** Header checksum does not verify (counted by the stack, see the class comment). */
    IPV4_BAD_CHECKSUM("IPv4 header checksum does not verify"),

    /** Fewer than the 8-byte ICMP header. */
    ICMPV4_TRUNCATED("ICMPv4 message shorter than 8 bytes"),
    /** Checksum does not verify (counted by the stack). */
    ICMPV4_BAD_CHECKSUM("ICMPv4 checksum does not verify"),

    /** Fewer than 8 bytes, or fewer than the UDP length field says. */
    UDP_TRUNCATED("UDP datagram shorter than 8 bytes or than its length field"),
    /** Length field below 8. */
    UDP_BAD_LENGTH("UDP length field below 8"),
    /** Checksum does not verify (counted by the stack). */
    UDP_BAD_CHECKSUM("UDP checksum does not verify"),

    /** Fewer than 20 bytes, or fewer than the data offset says. */
    TCP_TRUNCATED("TCP segment shorter than 20 bytes or than its data offset"),
    /** Data offset below 5 (20 bytes). */
    TCP_BAD_HEADER_LENGTH("TCP data offset below 20 bytes"),
    /** An option whose length is below 2 or runs past the header (RFC 9293 3.1: "illegal option length"). */
    TCP_BAD_OPTION("TCP option length below 2 or past the header"),
    /** Checksum does not verify (counted by the stack). */
    TCP_BAD_CHECKSUM("TCP checksum does not verify"),

    /**
     * Fewer bytes than the fixed length of an InfiniBand transport header (RoCEv2's BTH or an
     * extension header: views in {@code io.jverbs.soft.wire}, which checks whole packets itself).
     */
    IB_HEADER_TRUNCATED("InfiniBand transport header shorter than its fixed length");

    private final String description;

    WireStatus(String description) {
        this.description = description;
    }

    /** Whether this is {@link #OK}. */
    public boolean isOk() {
        return this == OK;
    }

    /** One line for a log or a counter dump. */
    public String description() {
        return description;
    }
}
