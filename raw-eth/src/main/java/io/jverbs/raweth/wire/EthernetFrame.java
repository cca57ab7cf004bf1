package io.jverbs.raweth.wire;

/**
 * An Ethernet II frame header (IEEE 802.3 with an EtherType), without the FCS, which NICs strip:
 * destination, source, EtherType; the payload follows at {@link #payloadOffset()}. A frame
 * carrying an 802.1Q tag has {@link EtherType#VLAN} here and a {@link VlanTag} at the payload.
 */
public final class EthernetFrame extends HeaderView<EthernetFrame> {
    /** Destination, source and EtherType. */
    public static final int HEADER_LENGTH = 14;
    /** The shortest frame without FCS (64 with it); a sender pads to it, {@code emit} does not. */
    public static final int MIN_FRAME_LENGTH = 60;

    // Field offsets (smoltcp's `mod field`).
    private static final int DESTINATION = 0;
    private static final int SOURCE = 6;
    private static final int ETHER_TYPE = 12;

    @Override
    protected WireStatus check() {
        return length() < HEADER_LENGTH ? WireStatus.ETHERNET_TRUNCATED : WireStatus.OK;
    }

    public EthernetFrame() {
        super(HEADER_LENGTH);
    }

    /** The destination MAC in the low 48 bits ({@link MacAddress#value()} form). */
    public long destination() {
        return u48(DESTINATION);
    }

    public long source() {
        return u48(SOURCE);
    }

    /** The EtherType, 0..0xffff (values below 0x600 are 802.3 lengths, not types). */
    public int etherType() {
        return u16(ETHER_TYPE);
    }

    public EthernetFrame setDestination(long mac) {
        setU48(DESTINATION, mac);
        return this;
    }

    public EthernetFrame setSource(long mac) {
        setU48(SOURCE, mac);
        return this;
    }

    public EthernetFrame setEtherType(int etherType) {
        setU16(ETHER_TYPE, etherType);
        return this;
    }
}
