package io.jverbs.raweth.wire;

/**
 * An ARP packet (RFC 826) for Ethernet and IPv4, the only kind {@link #wrap} accepts: hardware
 * type 1, protocol type 0x0800, address lengths 6 and 4, so the addresses sit at fixed offsets.
 */
public final class ArpPacket extends HeaderView<ArpPacket> {
    /** The fixed part and the two address pairs for Ethernet/IPv4. */
    public static final int HEADER_LENGTH = 28;
    /** ar$op values. */
    public static final int REQUEST = 1;
    public static final int REPLY = 2;
    /** ar$hrd for Ethernet. */
    public static final int HARDWARE_ETHERNET = 1;

    private static final int FIXED_LENGTH = 8;
    private static final int HARDWARE_TYPE = 0;
    private static final int PROTOCOL_TYPE = 2;
    private static final int HARDWARE_LENGTH = 4;
    private static final int PROTOCOL_LENGTH = 5;
    private static final int OPERATION = 6;
    private static final int SENDER_HARDWARE = 8;
    private static final int SENDER_PROTOCOL = 14;
    private static final int TARGET_HARDWARE = 18;
    private static final int TARGET_PROTOCOL = 24;

    @Override
    protected WireStatus check() {
        if (length() < FIXED_LENGTH) {
            return WireStatus.ARP_TRUNCATED;
        }
        if (hardwareType() != HARDWARE_ETHERNET || protocolType() != EtherType.IPV4
                || u8(HARDWARE_LENGTH) != 6 || u8(PROTOCOL_LENGTH) != 4) {
            return WireStatus.ARP_UNSUPPORTED;
        }
        return length() < HEADER_LENGTH ? WireStatus.ARP_TRUNCATED : WireStatus.OK;
    }

    public ArpPacket() {
        super(HEADER_LENGTH);
    }

    public int hardwareType() {
        return u16(HARDWARE_TYPE);
    }

    public int protocolType() {
        return u16(PROTOCOL_TYPE);
    }

    /** {@link #REQUEST}, {@link #REPLY} or another ar$op. */
    public int operation() {
        return u16(OPERATION);
    }

    public long senderHardwareAddress() {
        return u48(SENDER_HARDWARE);
    }

    public int senderProtocolAddress() {
        return i32(SENDER_PROTOCOL);
    }

    public long targetHardwareAddress() {
        return u48(TARGET_HARDWARE);
    }

    public int targetProtocolAddress() {
        return i32(TARGET_PROTOCOL);
    }

    /** Writes hardware type, protocol type and both address lengths for Ethernet/IPv4. */
    public ArpPacket setEthernetIpv4() {
        setU16(HARDWARE_TYPE, HARDWARE_ETHERNET);
        setU16(PROTOCOL_TYPE, EtherType.IPV4);
        setU8(HARDWARE_LENGTH, 6);
        setU8(PROTOCOL_LENGTH, 4);
        return this;
    }

    public ArpPacket setOperation(int operation) {
        setU16(OPERATION, operation);
        return this;
    }

    public ArpPacket setSenderHardwareAddress(long mac) {
        setU48(SENDER_HARDWARE, mac);
        return this;
    }

    public ArpPacket setSenderProtocolAddress(int ip) {
        setI32(SENDER_PROTOCOL, ip);
        return this;
    }

    public ArpPacket setTargetHardwareAddress(long mac) {
        setU48(TARGET_HARDWARE, mac);
        return this;
    }

    public ArpPacket setTargetProtocolAddress(int ip) {
        setI32(TARGET_PROTOCOL, ip);
        return this;
    }
}
